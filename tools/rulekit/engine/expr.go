package engine

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/wodlekit/wodlekit/tools/rulekit/osregex"
)

// Expr is a w_expression_t: one of osmatch, osregex, pcre2 or string,
// optionally negated.
type Expr struct {
	Type   string
	Negate bool
	Raw    string
	m      *osregex.Match
	r      *osregex.Regex
	p      *regexp.Regexp
}

// compileExpr follows rules.c's w_check_attr_type()/w_check_attr_negate()
// and expression.c: w_expression_compile().
func compileExpr(n *Node, defType, content string) (*Expr, error) {
	e := &Expr{Type: defType, Raw: content}
	if t, ok := n.Attr("type"); ok {
		e.Type = strings.ToLower(t)
	}
	if v, ok := n.Attr("negate"); ok {
		switch strings.ToLower(v) {
		case "yes":
			e.Negate = true
		case "no":
		default:
			return nil, fmt.Errorf("negate=%q must be yes or no", v)
		}
	}
	var err error
	switch e.Type {
	case "osmatch":
		e.m, err = osregex.CompileMatch(content)
	case "osregex":
		e.r, err = osregex.Compile(content)
	case "pcre2":
		e.p, err = regexp.Compile(content)
		if err != nil {
			err = fmt.Errorf("pcre2 pattern uses syntax Go's RE2 cannot check (lookaround, backreference, ...): %w", err)
		}
	case "string":
	default:
		err = fmt.Errorf("unknown type=%q (osmatch, osregex, pcre2)", e.Type)
	}
	if err != nil {
		return nil, err
	}
	return e, nil
}

// Match applies the expression and its negation.
func (e *Expr) Match(s string) bool {
	var ok bool
	switch e.Type {
	case "osmatch":
		ok = e.m.MatchString(s)
	case "osregex":
		ok = e.r.MatchString(s)
	case "pcre2":
		ok = e.p.MatchString(s)
	case "string":
		ok = strings.EqualFold(s, e.Raw)
	}
	return ok != e.Negate
}
