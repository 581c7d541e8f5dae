package reference

// listParams are the pagination parameters shared by list endpoints.
type listParams struct {
	limit         int
	startingAfter string
	endingBefore  string
	created       createdFilter
	expand        []string
}

type createdFilter struct {
	eq, gt, gte, lt, lte *int64
}

func (f createdFilter) match(t int64) bool {
	switch {
	case f.eq != nil && t != *f.eq,
		f.gt != nil && t <= *f.gt,
		f.gte != nil && t < *f.gte,
		f.lt != nil && t >= *f.lt,
		f.lte != nil && t > *f.lte:
		return false
	}
	return true
}

func parseListParams(v *pview) listParams {
	lp := listParams{limit: 10}
	if v.has("limit") {
		if n, ok := v.integer("limit"); ok {
			switch {
			case n < 1:
				v.fail(invalidRequest("limit", "", "This value must be greater than or equal to 1."))
			case n > 100:
				v.fail(invalidRequest("limit", "", "This value must be less than or equal to 100."))
			default:
				lp.limit = int(n)
			}
		}
	}
	lp.startingAfter, _ = v.strMax("starting_after", 5000)
	lp.endingBefore, _ = v.strMax("ending_before", 5000)
	if !v.failed() && lp.startingAfter != "" && lp.endingBefore != "" {
		v.fail(invalidRequest("ending_before", "parameters_exclusive", "You may only specify one of these parameters: ending_before, starting_after."))
	}
	if v.has("created") {
		if n := v.get("created"); n.kind == kindString {
			if t, ok := v.integer("created"); ok {
				lp.created.eq = &t
			}
		} else if o, ok := v.obj("created"); ok {
			o.allow("gt", "gte", "lt", "lte")
			for _, k := range []string{"gt", "gte", "lt", "lte"} {
				if o.has(k) {
					if t, ok := o.integer(k); ok {
						t := t
						switch k {
						case "gt":
							lp.created.gt = &t
						case "gte":
							lp.created.gte = &t
						case "lt":
							lp.created.lt = &t
						case "lte":
							lp.created.lte = &t
						}
					}
				}
			}
		}
	}
	lp.expand = v.expandList()
	return lp
}

// paginate pages newest first through ids (stored oldest first). cursorOK
// is false when the starting_after/ending_before id is not among ids.
func paginate(ids []string, lp listParams, keep func(id string) bool) (page []string, hasMore bool, cursorOK bool) {
	cursor, after := lp.startingAfter, true
	if cursor == "" {
		cursor, after = lp.endingBefore, false
	}
	pos := -1
	if cursor != "" {
		if pos = indexOf(ids, cursor); pos < 0 {
			return nil, false, false
		}
	}
	if cursor == "" || after {
		hi := len(ids) - 1
		if cursor != "" {
			hi = pos - 1
		}
		for i := hi; i >= 0; i-- {
			if keep(ids[i]) {
				if len(page) == lp.limit {
					return page, true, true
				}
				page = append(page, ids[i])
			}
		}
		return page, false, true
	}
	// ending_before: the limit objects just newer than the cursor, newest first.
	for i := pos + 1; i < len(ids); i++ {
		if keep(ids[i]) {
			if len(page) == lp.limit {
				hasMore = true
				break
			}
			page = append(page, ids[i])
		}
	}
	for i, j := 0, len(page)-1; i < j; i, j = i+1, j-1 {
		page[i], page[j] = page[j], page[i]
	}
	return page, hasMore, true
}

func indexOf(ids []string, id string) int {
	for i, x := range ids {
		if x == id {
			return i
		}
	}
	return -1
}

// errNoSuchCursor is the error for a starting_after or ending_before id
// that is not among the listed objects (of kind what).
func (lp listParams) errNoSuchCursor(what string) *Error {
	if lp.startingAfter != "" {
		return errNoSuch(what, "starting_after", lp.startingAfter)
	}
	return errNoSuch(what, "ending_before", lp.endingBefore)
}

// pageReply pages through ids (see paginate) and answers the page as a
// list object at url, or resource_missing for an unknown cursor id. The
// caller holds s.mu.
func (s *Server) pageReply(c *call, lp listParams, ids []string, what, url string,
	keep func(id string) bool, render func(id string) map[string]any) reply {
	page, more, ok := paginate(ids, lp, keep)
	if !ok {
		return s.errReply(c, lp.errNoSuchCursor(what))
	}
	data := make([]any, 0, len(page))
	for _, id := range page {
		data = append(data, render(id))
	}
	return s.expandedReply(listObject(data, more, url), lp.expand)
}

func (s *Server) listIntents(c *call) reply {
	v := c.params
	v.allow("created", "customer", "customer_account", "ending_before", "expand", "limit", "starting_after")
	lp := parseListParams(v)
	cust, _ := v.str("customer")
	custAcct, _ := v.str("customer_account")
	if e := c.paramsError("list:payment_intent", lp.expand); e != nil {
		return s.errReply(c, e)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.pageReply(c, lp, s.intentOrder, "payment_intent", "/v1/payment_intents",
		func(id string) bool {
			return cust == "" && custAcct == "" && lp.created.match(s.intents[id].Created)
		},
		func(id string) map[string]any { return s.renderIntent(s.getIntent(id)) })
}

// retrieve answers a GET of the object of kind named in the path, whose
// only parameter is expand[]. render renders the object with the given id,
// or returns nil when there is none (404); it runs with the state lock held.
func (s *Server) retrieve(c *call, kind string, render func(id string) map[string]any) reply {
	c.params.allow("expand")
	expand, e := c.finishParams(kind)
	if e != nil {
		return s.errReply(c, e)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	obj := render(c.arg(0))
	if obj == nil {
		return s.errReply(c, errNotFound(kind, "id", c.arg(0)))
	}
	return s.expandedReply(obj, expand)
}

func (s *Server) retrieveCharge(c *call) reply {
	return s.retrieve(c, "charge", func(id string) map[string]any {
		ch := s.charges[id]
		if ch == nil {
			return nil
		}
		if pi := s.intents[ch.PaymentIntent]; pi != nil {
			s.advance(pi)
		}
		return s.renderCharge(ch)
	})
}

func (s *Server) listChargeRefunds(c *call) reply {
	v := c.params
	v.allow("ending_before", "expand", "limit", "starting_after")
	lp := parseListParams(v)
	if e := c.paramsError("list:refund", lp.expand); e != nil {
		return s.errReply(c, e)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	chID := c.arg(0)
	if s.charges[chID] == nil {
		return s.errReply(c, errNotFound("charge", "charge", chID))
	}
	return s.refundListReply(c, lp, "/v1/charges/"+chID+"/refunds", func(r *Refund) bool { return r.Charge == chID })
}

func (s *Server) listRefunds(c *call) reply {
	v := c.params
	v.allow("charge", "created", "ending_before", "expand", "limit", "payment_intent", "starting_after")
	lp := parseListParams(v)
	chID, hasCh := v.strMax("charge", 5000)
	piID, hasPI := v.strMax("payment_intent", 5000)
	if e := c.paramsError("list:refund", lp.expand); e != nil {
		return s.errReply(c, e)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.refundListReply(c, lp, "/v1/refunds", func(r *Refund) bool {
		return (!hasCh || r.Charge == chID) && (!hasPI || r.PaymentIntent == piID) && lp.created.match(r.Created)
	})
}

func (s *Server) refundListReply(c *call, lp listParams, url string, keep func(*Refund) bool) reply {
	return s.pageReply(c, lp, s.refundOrder, "refund", url,
		func(id string) bool { return keep(s.refunds[id]) },
		func(id string) map[string]any { return s.renderRefund(s.refunds[id]) })
}

func (s *Server) retrieveRefund(c *call) reply {
	return s.retrieve(c, "refund", func(id string) map[string]any {
		if r := s.refunds[id]; r != nil {
			return s.renderRefund(r)
		}
		return nil
	})
}
