// Package redact removes credentials from text and HTTP headers before they reach logs, reports or failure
// messages.
//
// These rules apply, in this order:
//
//  1. Every occurrence of each non-empty secret passed by the caller becomes "[REDACTED]". The base64 form that HTTP
//     Basic authentication uses for a key ("<secret>:" encoded) is replaced as well, so a key cannot leak through a
//     recorded Basic header either.
//  2. Anything shaped like a Stripe secret or restricted key (sk_test_, sk_live_, rk_test_, rk_live_ followed by at
//     least 8 key characters) keeps its prefix and loses the rest: "sk_test_[REDACTED]".
//  3. The credential after "Authorization: Basic" or "Authorization: Bearer" in free text (log lines, dumped headers,
//     curl commands) becomes "[REDACTED]". Shell variables ("$CONFORMANCE_API_KEY") and already redacted values are
//     left alone, so String is idempotent.
//  4. The secret half of an object's client secret ("pi_123_secret_abc…", which lets a browser confirm the payment)
//     becomes "pi_123_secret_[REDACTED]".
//  5. A webhook endpoint's signing secret ("whsec_…") keeps its prefix and loses the rest: "whsec_[REDACTED]".
//
// The secrets of rule 1 are the caller's plus the process's registered ones (Register, Secrets): the suite registers
// the run's key once, and the client, the matchers and the reports mask it wherever it appears.
package redact

import (
	"encoding/base64"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"unicode/utf8"
)

// Mask is the replacement text for a removed credential.
const Mask = "[REDACTED]"

var (
	// stripeKey matches Stripe secret and restricted keys. Key characters are ASCII letters, digits and "_" (test
	// fixtures such as "sk_test_conformance_reference" use underscores). There is deliberately no leading word
	// boundary: a key glued to other text is still masked.
	stripeKey = regexp.MustCompile(`(sk|rk)_(test|live)_[A-Za-z0-9_]{8,}`)

	// webhookSecret matches a webhook endpoint's signing secret (the create answer's "secret", `stripe listen`'s).
	webhookSecret = regexp.MustCompile(`whsec_[A-Za-z0-9_]{8,}`)

	// authValue matches the credential of an Authorization header written in text, in the common renderings:
	//   Authorization: Bearer x      (wire format, curl -H)
	//   Authorization:[Bearer x]     (fmt of an http.Header)
	//   "Authorization": "Basic x"   (JSON)
	//   authorization=Bearer x       (key=value logs)
	// The credential's first character may not be "$" or "[" so that shell variables and "[REDACTED]" survive.
	authValue = regexp.MustCompile(`(?i)(authorization["']?\s*[:=]\s*["'\[]?\s*)(basic|bearer)(\s+)([^\s"'\],;$\[][^\s"'\],;]*)`)
)

// String returns s with every secret, every Stripe-key-shaped token and every Authorization credential masked.
// Empty secrets are ignored.
func String(s string, secrets ...string) string {
	if s == "" {
		return s
	}
	for _, secret := range secrets {
		if secret == "" {
			continue
		}
		s = strings.ReplaceAll(s, secret, Mask)
		// HTTP Basic with the key as username and an empty password, in both base64 alphabets.
		for _, b := range basicForms(secret) {
			if strings.Contains(s, b) {
				s = strings.ReplaceAll(s, b, Mask)
			}
		}
	}
	// The regexps only run where their literal part occurs: most bodies contain none of them, and the
	// case-insensitive authorization pattern is costly to scan for.
	if strings.Contains(s, "k_test_") || strings.Contains(s, "k_live_") {
		s = stripeKey.ReplaceAllString(s, "${1}_${2}_"+Mask)
	}
	if strings.Contains(s, "whsec_") {
		s = webhookSecret.ReplaceAllString(s, "whsec_"+Mask)
	}
	if containsAuthorization(s) {
		s = authValue.ReplaceAllString(s, "${1}${2}${3}"+Mask)
	}
	if strings.Contains(s, "_secret_") {
		s = maskClientSecrets(s)
	}
	return s
}

// Header returns a redacted copy of h (nil for nil). Authorization and Proxy-Authorization values keep only their
// scheme ("Bearer [REDACTED]", "Basic [REDACTED]", or "[REDACTED]" when there is no scheme); every other value goes
// through String.
func Header(h http.Header, secrets ...string) http.Header {
	if h == nil {
		return nil
	}
	out := make(http.Header, len(h))
	for k, vs := range h {
		cp := make([]string, len(vs))
		sensitive := isAuthHeader(k)
		for i, v := range vs {
			if sensitive {
				cp[i] = authHeaderValue(v)
			} else {
				cp[i] = String(v, secrets...)
			}
		}
		out[k] = cp
	}
	return out
}

func isAuthHeader(k string) bool {
	switch http.CanonicalHeaderKey(k) {
	case "Authorization", "Proxy-Authorization":
		return true
	}
	return false
}

func authHeaderValue(v string) string {
	v = strings.TrimSpace(v)
	if v == "" {
		return ""
	}
	scheme, _, hasCred := strings.Cut(v, " ")
	if !hasCred {
		return Mask
	}
	switch strings.ToLower(scheme) {
	case "bearer":
		return "Bearer " + Mask
	case "basic":
		return "Basic " + Mask
	}
	// Some other scheme: keep it if it looks like a token (letters, digits, "-"), so reports still show what was sent.
	for _, r := range scheme {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-') {
			return Mask
		}
	}
	return scheme + " " + Mask
}

// containsAuthorization reports whether s contains "authorization" in any ASCII case, without allocating. It looks
// for the word's one "z" with IndexByte (vectorised, and "z" is rare in JSON and headers) and compares around it.
func containsAuthorization(s string) bool {
	const word = "authorization"
	const z = 7 // word[z] == 'z'
	for _, zc := range []byte{'z', 'Z'} {
		rest, off := s, 0
		for {
			i := strings.IndexByte(rest, zc)
			if i < 0 {
				break
			}
			if at := off + i - z; at >= 0 && at+len(word) <= len(s) && equalFoldASCII(s[at:at+len(word)], word) {
				return true
			}
			rest, off = rest[i+1:], off+i+1
		}
	}
	return false
}

// equalFoldASCII reports whether s equals the lower-case ASCII word w, ignoring ASCII case.
func equalFoldASCII(s, w string) bool {
	for i := 0; i < len(w); i++ {
		if s[i]|0x20 != w[i] {
			return false
		}
	}
	return true
}

// basicForms returns the base64 encodings of "<secret>:" (HTTP Basic with an empty password) in the standard,
// URL-safe and unpadded alphabets. They are computed once per secret: every recorded request and response is
// searched for them.
func basicForms(secret string) [3]string {
	if f, ok := basicCache.Load(secret); ok {
		return f.([3]string)
	}
	raw := []byte(secret + ":")
	f := [3]string{base64.StdEncoding.EncodeToString(raw), base64.URLEncoding.EncodeToString(raw), base64.RawStdEncoding.EncodeToString(raw)}
	if basicCacheSize.Add(1) <= maxBasicCache { // a run uses a handful of keys; never grow without bound
		basicCache.Store(secret, f)
	}
	return f
}

const maxBasicCache = 256

var (
	basicCache     sync.Map // secret → [3]string
	basicCacheSize atomic.Int64
)

// maskClientSecrets replaces the secret part of every client secret ("_secret_" followed by at least 6 ASCII letters
// or digits) by Mask. It does by hand what a regexp would: every PaymentIntent body carries one, so it is hot.
func maskClientSecrets(s string) string {
	const marker = "_secret_"
	var b strings.Builder
	rest := s
	for {
		i := strings.Index(rest, marker)
		if i < 0 {
			break
		}
		start := i + len(marker)
		end := start
		for end < len(rest) && isAlnum(rest[end]) {
			end++
		}
		if end-start < 6 {
			b.WriteString(rest[:start])
			rest = rest[start:]
			continue
		}
		if b.Len() == 0 {
			b.Grow(len(s))
		}
		b.WriteString(rest[:start])
		b.WriteString(Mask)
		rest = rest[end:]
	}
	if b.Len() == 0 {
		return s
	}
	b.WriteString(rest)
	return b.String()
}

func isAlnum(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
}

// headMargin is the least margin Head keeps past its cut: longer than the longest text a rule could leave unmasked
// when it is cut short ("sk_test_" and 7 key characters, "_secret_" and 5 characters).
const headMargin = 64

// Head returns the redacted beginning of s: String(s, secrets...) cut to at most n bytes (at a UTF-8 boundary), and
// whether anything was cut. The cost is bounded by n, not by len(s): only a window of s is redacted. The window
// reaches 2·margin bytes past the cut (margin: headMargin, or more for long secrets), and the last margin bytes of
// its redacted text are dropped, so that a secret straddling the cut is masked whole and one straddling the end of
// the window (masked in s, perhaps not in the window) is never shown.
func Head[T ~string | ~[]byte](s T, n int, secrets ...string) (string, bool) {
	if n < 0 {
		n = 0
	}
	if len(s) <= n {
		return String(string(s), secrets...), false
	}
	margin := headMargin
	for _, secret := range secrets {
		// The Basic forms of a secret are about 4/3 of its length.
		margin = max(margin, 2*len(secret)+headMargin)
	}
	if end := n + 2*margin; end < len(s) {
		r := String(string(s[:end]), secrets...)
		return cutUTF8(r, min(n, len(r)-margin)), true
	}
	return cutUTF8(String(string(s), secrets...), n), true
}

// cutUTF8 cuts s to at most n bytes without splitting a UTF-8 sequence.
func cutUTF8(s string, n int) string {
	if n <= 0 {
		return ""
	}
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}
