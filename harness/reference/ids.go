package reference

import "math/rand/v2"

const idAlphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"

// newID returns prefix followed by n random alphanumerics, in the style of
// Stripe ids (pi_3Q..., ch_3Q..., req_...).
func newID(prefix string, n int) string {
	b := make([]byte, len(prefix)+n)
	copy(b, prefix)
	for i := len(prefix); i < len(b); i++ {
		b[i] = idAlphabet[rand.IntN(len(idAlphabet))]
	}
	return string(b)
}

// objectID returns an id like Stripe's 24-character object ids, e.g.
// pi_3QxYz... The "3" mimics the shard digit real ids carry.
func objectID(prefix string) string { return newID(prefix+"3", 23) }
