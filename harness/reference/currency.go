package reference

import (
	"strconv"
	"strings"
)

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// zeroDecimal are the currencies without minor units.
var zeroDecimal = map[string]bool{
	"bif": true, "clp": true, "djf": true, "gnf": true, "jpy": true, "kmf": true, "krw": true, "mga": true,
	"pyg": true, "rwf": true, "ugx": true, "vnd": true, "vuv": true, "xaf": true, "xof": true, "xpf": true,
}

// minCharge is Stripe's minimum charge amount per settlement currency (in
// minor units); currencies not listed use 50.
var minCharge = map[string]int64{
	"usd": 50, "aed": 200, "aud": 50, "bgn": 100, "brl": 50, "cad": 50, "chf": 50, "czk": 1500, "dkk": 250,
	"eur": 50, "gbp": 30, "hkd": 400, "huf": 17500, "inr": 50, "jpy": 50, "mxn": 1000, "myr": 200,
	"nok": 300, "nzd": 50, "pln": 200, "ron": 200, "sek": 300, "sgd": 50, "thb": 1000,
}

// supportedCurrencies is the set the reference accepts (a common subset of
// Stripe's list).
var supportedCurrencies = func() map[string]bool {
	m := map[string]bool{}
	for _, c := range strings.Fields(`usd aed afn all amd ang aoa ars aud awg azn bam bbd bdt bgn bif bmd bnd bob brl bsd bwp byn bzd
		cad cdf chf clp cny cop crc cve czk djf dkk dop dzd egp etb eur fjd fkp gbp gel gip gmd gnf gtq gyd hkd hnl htg huf
		idr ils inr isk jmd jpy kes kgs khr kmf krw kyd kzt lak lbp lkr lrd lsl mad mdl mga mkd mmk mnt mop mur mvr mwk mxn
		myr mzn nad ngn nio nok npr nzd pab pen pgk php pkr pln pyg qar ron rsd rub rwf sar sbd scr sek sgd shp sle sos srd
		std szl thb tjs top try ttd twd tzs uah ugx uyu uzs vnd vuv wst xaf xcd xof xpf yer zar zmw`) {
		m[c] = true
	}
	return m
}()

const maxAmount = 99999999

func currencySymbol(c string) string {
	switch c {
	case "usd":
		return "$"
	case "eur":
		return "€"
	case "gbp":
		return "£"
	case "jpy":
		return "¥"
	}
	return ""
}

func formatAmount(n int64, cur string) string {
	if zeroDecimal[cur] {
		return currencySymbol(cur) + itoa(n) + " " + cur
	}
	return currencySymbol(cur) + itoa(n/100) + "." + leftPad(itoa(n%100), 2) + " " + cur
}

func leftPad(s string, n int) string {
	for len(s) < n {
		s = "0" + s
	}
	return s
}

// checkCurrency validates a currency parameter (already lower-cased).
func checkCurrency(param, cur string) *Error {
	if supportedCurrencies[cur] {
		return nil
	}
	return invalidRequest(param, "", "Invalid currency: "+clip(cur, 20)+". Stripe currently supports these currencies: usd, eur, gbp, jpy, ... (see https://stripe.com/docs/currencies)")
}

// checkAmount validates an amount against the currency's minimum and the
// 8-digit maximum.
func checkAmount(param string, amount int64, cur string) *Error {
	min := minCharge[cur]
	if min == 0 {
		min = 50
		if zeroDecimal[cur] {
			min = 1
		}
	}
	if amount < min {
		e := invalidRequest(param, "amount_too_small", "Amount must be at least "+formatAmount(min, cur))
		e.noStore = true
		return e
	}
	if amount > maxAmount {
		return invalidRequest(param, "amount_too_large", "Amount must be no more than "+formatAmount(maxAmount, cur))
	}
	return nil
}
