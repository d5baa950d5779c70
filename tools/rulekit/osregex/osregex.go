// Package osregex reimplements Wazuh 4.x's own pattern dialects, OS_Regex and
// OS_Match (src/os_regex/), because Go's regexp disagrees with them on
// almost every escape, on case sensitivity and on backtracking.
package osregex

import (
	"errors"
	"fmt"
	"strings"
)

// Escape codes the compiler substitutes for `\x` pairs, as in
// src/os_regex/os_regex_compile.c: OSRegex_Compile() (values 1..15).
const (
	codeDigit    = 1
	codeWord     = 2
	codeSpace    = 3
	codePunct    = 4
	codeOpenPar  = 5
	codeClosePar = 6
	codeBslash   = 7
	codeNotDigit = 8
	codeNotWord  = 9
	codeNotSpace = 10
	codeAny      = 11
	codeTab      = 12
	codeDollar   = 13
	codePipe     = 14
	codeLess     = 15
)

// ErrBadRegex reports an escape OS_Regex does not know; Wazuh refuses to load
// the rule (OS_REGEX_BADREGEX).
var ErrBadRegex = errors.New("invalid OS_Regex escape")

// ErrBadParenthesis reports unbalanced or nested groups, or a `|` inside a
// group (OS_REGEX_BADPARENTHESIS).
var ErrBadParenthesis = errors.New("invalid OS_Regex parentheses")

// maxPattern mirrors OS_PATTERN_MAXSIZE in os_regex.h.
const maxPattern = 20480

const (
	flagBegin = 1
	flagEnd   = 2
)

type subPattern struct {
	pat   []byte // compiled bytes: escape codes after '\\', '(' for both parens
	flags int
}

// Regex is a compiled OS_Regex pattern (case-insensitive, like every
// rule/decoder regex Wazuh compiles with flags 0).
type Regex struct {
	raw  string
	subs []subPattern
}

// String returns the source pattern.
func (r *Regex) String() string { return r.raw }

// lower mirrors the `charmap` table of os_regex_internal.h: ASCII A-Z folded,
// every other byte unchanged.
func lower(c byte) byte {
	if c >= 'A' && c <= 'Z' {
		return c + 32
	}
	return c
}

// Compile follows OSRegex_Compile(): escapes become codes, `|` splits
// top-level alternatives, a leading `^` and trailing `$` become flags.
func Compile(pattern string) (*Regex, error) {
	if len(pattern) > maxPattern {
		return nil, fmt.Errorf("pattern longer than %d bytes", maxPattern)
	}
	b := []byte(pattern)
	depth := 0
	for i := 0; i < len(b); i++ {
		c := b[i]
		if c == '\\' {
			i++
			if i >= len(b) {
				return nil, fmt.Errorf("%w: trailing backslash in %q", ErrBadRegex, pattern)
			}
			code, ok := escapeCode(b[i])
			if !ok {
				return nil, fmt.Errorf("%w: \\%c in %q (OS_Regex has no character classes or Perl escapes; use type=\"pcre2\")", ErrBadRegex, b[i], pattern)
			}
			b[i] = code
			continue
		}
		switch c {
		case '(':
			depth++
		case ')':
			b[i] = '('
			depth--
		}
		if depth != 0 && depth != 1 {
			return nil, fmt.Errorf("%w: only one level of parentheses in %q", ErrBadParenthesis, pattern)
		}
		b[i] = lower(b[i])
		if b[i] == '|' && depth != 0 {
			return nil, fmt.Errorf("%w: '|' inside a group in %q", ErrBadParenthesis, pattern)
		}
	}
	if depth != 0 {
		return nil, fmt.Errorf("%w: unbalanced in %q", ErrBadParenthesis, pattern)
	}
	r := &Regex{raw: pattern}
	for _, part := range splitTop(b) {
		sp := subPattern{}
		if len(part) > 0 && part[0] == '^' {
			part = part[1:]
			sp.flags |= flagBegin
		}
		if len(part) > 0 && part[len(part)-1] == '$' {
			part = part[:len(part)-1]
			sp.flags |= flagEnd
		}
		sp.pat = append([]byte(nil), part...)
		r.subs = append(r.subs, sp)
	}
	return r, nil
}

// splitTop splits on raw '|' bytes; escaped `\|` was already turned into a code.
func splitTop(b []byte) [][]byte {
	var out [][]byte
	start := 0
	for i, c := range b {
		if c == '|' {
			out = append(out, b[start:i])
			start = i + 1
		}
	}
	return append(out, b[start:])
}

func escapeCode(c byte) (byte, bool) {
	switch c {
	case 'd':
		return codeDigit, true
	case 'w':
		return codeWord, true
	case 's':
		return codeSpace, true
	case 'p':
		return codePunct, true
	case '(':
		return codeOpenPar, true
	case ')':
		return codeClosePar, true
	case '\\':
		return codeBslash, true
	case 'D':
		return codeNotDigit, true
	case 'W':
		return codeNotWord, true
	case 'S':
		return codeNotSpace, true
	case '.':
		return codeAny, true
	case 't':
		return codeTab, true
	case '$':
		return codeDollar, true
	case '|':
		return codePipe, true
	case '<':
		return codeLess, true
	}
	return 0, false
}

func isWord(c byte) bool {
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '-' || c == '@' || c == '_'
}

// classMatch is the `regexmap` lookup of os_regex_internal.h. The \p set is
// the one documented for 4.x (ruleset-xml-syntax/regex.rst):
// ()*+,-.:;<=>?[]!"'#$%&|{} . NUL never matches, as in the C tables.
func classMatch(code, c byte) bool {
	if c == 0 {
		return false
	}
	switch code {
	case codeDigit:
		return c >= '0' && c <= '9'
	case codeWord:
		return isWord(c)
	case codeSpace:
		return c == ' '
	case codePunct:
		return strings.IndexByte(`()*+,-.:;<=>?[]!"'#$%&|{}`, c) >= 0
	case codeOpenPar:
		return c == '('
	case codeClosePar:
		return c == ')'
	case codeBslash:
		return c == '\\'
	case codeNotDigit:
		return !(c >= '0' && c <= '9')
	case codeNotWord:
		return !isWord(c)
	case codeNotSpace:
		return c != ' '
	case codeAny:
		return true
	case codeTab:
		return c == '\t'
	case codeDollar:
		return c == '$'
	case codePipe:
		return c == '|'
	case codeLess:
		return c == '<'
	}
	return false
}

// MatchString reports whether s matches, trying each alternative in order
// as OSRegex_Execute() does.
func (r *Regex) MatchString(s string) bool {
	for _, sp := range r.subs {
		if execSub(sp.pat, s, sp.flags) {
			return true
		}
	}
	return false
}

func isPlus(c byte) bool { return c == '+' || c == '*' }

// execSub is a faithful port of the matcher loop of
// src/os_regex/os_regex_execute.c: _OS_Regex(): greedy `+`/`*` on single
// escapes, a four-slot backtrack stack (pt_error), restart after the first
// matched character, and the END_SET check on '\0'. Indices past the end of
// either buffer read as NUL, like the C strings. It returns whether the C
// function would return a non-NULL pointer.
func execSub(pattern []byte, s string, flags int) bool {
	pc := func(i int) byte {
		if i >= 0 && i < len(pattern) {
			return pattern[i]
		}
		return 0
	}
	sc := func(i int) byte {
		if i >= 0 && i < len(s) {
			return s[i]
		}
		return 0
	}
	endOK := func(st int) bool { return flags&flagEnd == 0 || sc(st) == 0 }

	rcode := -1 // -1 = NULL
	regexMatched := false
	st := 0
	stError := -1
	pt := 0
	var ptErr [4]int
	var ptErrStr [4]int
	for i := range ptErr {
		ptErr[i] = -1
	}

	for {
		switch pc(pt) {
		case 0:
			if endOK(st) {
				return rcode >= 0
			}
		case '(':
			pt++
			if pc(pt) == 0 && endOK(st) {
				return rcode >= 0
			}
		}

		handled := false
		if pc(pt) == '\\' {
			if classMatch(pc(pt+1), sc(st)) {
				next := pt + 2
				if !isPlus(pc(next)) {
					pt = next
					if stError < 0 {
						stError = st
					}
					rcode = st
					handled = true
				} else {
					if pc(next) == '*' {
						regexMatched = true
					}
					if regexMatched {
						next++
						okHere := -1
						if pc(next) == '(' {
							next++
						}
						switch {
						case pc(next) == 0:
							okHere = 1
						case pc(next) == '\\':
							if classMatch(pc(next+1), sc(st)) {
								if !isPlus(pc(next + 2)) {
									okHere = 2
								} else {
									okHere = 0
								}
							}
						case pc(next) == lower(sc(st)):
							regexMatched = false
							okHere = 1
						}
						if okHere >= 0 {
							if pc(next) == 0 {
								// C: `continue` before `r_code = st`.
								st++
								if sc(st) == 0 {
									return cleanup(pattern, pt, regexMatched, rcode, pc)
								}
								continue
							}
							next += okHere
							for k := range ptErr {
								if ptErr[k] < 0 {
									ptErr[k] = pt
									ptErrStr[k] = st
									break
								}
							}
							pt = next
						}
					} else {
						// C only records a capture position here; pt stays
						// on the repeated escape.
						regexMatched = true
					}
					rcode = st
					handled = true
				}
			} else if pc(pt+3) == 0 && regexMatched && rcode >= 0 {
				rcode = st
				if endOK(st) {
					return true
				}
			} else if pc(pt+2) == '+' && regexMatched {
				pt += 3
				st--
				regexMatched = false
				handled = true
			} else if pc(pt+2) == '*' {
				pt += 3
				st--
				rcode = st
				regexMatched = false
				handled = true
			}
			if !handled {
				regexMatched = false
			}
		} else if pc(pt) == lower(sc(st)) {
			pt++
			if stError < 0 {
				stError = st
			}
			rcode = st
			handled = true
		}

		if !handled {
			// Error handling: pop the newest backtrack slot first.
			popped := false
			for k := 3; k >= 0; k-- {
				if ptErr[k] >= 0 {
					pt = ptErr[k]
					st = ptErrStr[k]
					ptErr[k] = -1
					popped = true
					break
				}
			}
			if !popped {
				if flags&flagBegin != 0 {
					return false
				}
				if stError >= 0 {
					st = stError
					stError = -1
				}
				pt = 0
				rcode = -1
			}
		}
		st++
		if sc(st) == 0 {
			break
		}
	}

	return cleanup(pattern, pt, regexMatched, rcode, pc)
}

// cleanup ports the final condition of _OS_Regex(), including its side
// effects on the pattern pointer: each clause continues from where the
// previous one moved it (PRTS() skips a '(' as it tests).
func cleanup(_ []byte, pt int, regexMatched bool, rcode int, pc func(int) byte) bool {
	p := pt
	eof := func() bool {
		if pc(p) == '(' {
			p++
		}
		return pc(p) == 0
	}
	if eof() {
		return rcode >= 0
	}
	if pc(p) == '\\' && regexMatched {
		p += 2
		if isPlus(pc(p)) {
			p++
			if eof() {
				return rcode >= 0
			}
			if pc(p) == '\\' {
				p += 2
				if pc(p) == '*' {
					p++
					if eof() {
						return rcode >= 0
					}
				}
			}
		}
	}
	if pc(p) == '\\' {
		p += 2
		if pc(p) == '*' {
			p++
			if eof() {
				return rcode >= 0
			}
		}
	}
	return false
}
