package osregex

import (
	"fmt"
	"strings"
)

type matchKind int

const (
	mSubstr matchKind = iota // _OS_Match
	mAlways                  // _os_strmatch (empty alternative)
	mExact                   // _os_strcmp (^...$)
	mSuffix                  // _os_strcmp_last (...$)
	mPrefix                  // _os_strncmp (^...)
)

type matchPart struct {
	kind matchKind
	pat  string // lower-cased
}

// Match is a compiled OS_Match ("sregex") pattern: literal text,
// case-insensitive, with `^`, `$`, `|` and a leading `!` negation
// (src/os_regex/os_match_compile.c: OSMatch_Compile(),
// os_match_execute.c: OSMatch_Execute()).
type Match struct {
	raw    string
	negate bool
	parts  []matchPart
}

// String returns the source pattern.
func (m *Match) String() string { return m.raw }

// CompileMatch compiles an OS_Match pattern. It never fails on content
// (every byte is literal) except for size.
func CompileMatch(pattern string) (*Match, error) {
	if len(pattern) > maxPattern {
		return nil, fmt.Errorf("pattern longer than %d bytes", maxPattern)
	}
	m := &Match{raw: pattern}
	p := pattern
	if strings.HasPrefix(p, "!") {
		m.negate = true
		p = p[1:]
	}
	b := []byte(p)
	for i := range b {
		b[i] = lower(b[i])
	}
	for _, alt := range strings.Split(string(b), "|") {
		begin := strings.HasPrefix(alt, "^")
		end := strings.HasSuffix(alt, "$") && alt != ""
		switch {
		case begin && end && len(alt) >= 2:
			m.parts = append(m.parts, matchPart{mExact, alt[1 : len(alt)-1]})
		case alt == "":
			m.parts = append(m.parts, matchPart{mAlways, ""})
		case end:
			m.parts = append(m.parts, matchPart{mSuffix, alt[:len(alt)-1]})
		case begin:
			m.parts = append(m.parts, matchPart{mPrefix, alt[1:]})
		default:
			m.parts = append(m.parts, matchPart{mSubstr, alt})
		}
	}
	return m, nil
}

func lowerString(s string) string {
	b := []byte(s)
	for i := range b {
		b[i] = lower(b[i])
	}
	return string(b)
}

// MatchString applies the alternatives in order; negation flips the
// overall result, as OSMatch_Execute() returns reg->negate on no match.
func (m *Match) MatchString(s string) bool {
	ls := lowerString(s)
	for _, p := range m.parts {
		ok := false
		switch p.kind {
		case mSubstr:
			ok = strings.Contains(ls, p.pat)
		case mAlways:
			ok = true
		case mExact:
			ok = ls == p.pat
		case mSuffix:
			ok = strings.HasSuffix(ls, p.pat)
		case mPrefix:
			ok = strings.HasPrefix(ls, p.pat)
		}
		if ok {
			return !m.negate
		}
	}
	return m.negate
}
