package fakekit

import (
	"fmt"
	"math/rand/v2"
)

// Alphabets for Gen.Chars.
const (
	// Upper32 is 1Password's identifier alphabet (upper-case base32).
	Upper32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
	// UpperDigits is upper-case letters and digits (Duo's object keys).
	UpperDigits = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
	// AlphaNum is both cases and digits (Okta's object IDs).
	AlphaNum = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
)

// Gen draws every generated value of a fake from one seeded source, so a
// fake built with the same options serves the same bytes (golden files
// depend on it). It embeds the *rand.Rand for any other draw. Not safe for
// concurrent use: the fake's lock guards it.
type Gen struct{ *rand.Rand }

// NewGen returns a generator seeded with a PCG's two words.
func NewGen(seed1, seed2 uint64) *Gen { return &Gen{rand.New(rand.NewPCG(seed1, seed2))} }

// Pick returns one element of xs, uniformly; xs must not be empty.
func Pick[T any](g *Gen, xs []T) T { return xs[g.IntN(len(xs))] }

// Weighted returns an index below n chosen with the given weights (one
// draw); all weights must be non-negative and their sum positive.
func (g *Gen) Weighted(n int, weight func(i int) int) int {
	total := 0
	for i := range n {
		total += weight(i)
	}
	r := g.IntN(total)
	for i := range n {
		r -= weight(i)
		if r < 0 {
			return i
		}
	}
	return n - 1
}

// Chars returns prefix followed by characters of alphabet up to length
// characters in all (one draw per character added).
func (g *Gen) Chars(prefix, alphabet string, length int) string {
	b := []byte(prefix)
	for len(b) < length {
		b = append(b, alphabet[g.IntN(len(alphabet))])
	}
	return string(b)
}

// UUID returns a random (version 4) UUID in lower-case hex.
func (g *Gen) UUID() string {
	return fmt.Sprintf("%08x-%04x-4%03x-%04x-%012x", g.Uint32(), g.Uint32()&0xffff, g.Uint32()&0xfff,
		0x8000|g.Uint32()&0x3fff, g.Uint64()&0xffffffffffff)
}
