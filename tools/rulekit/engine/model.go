package engine

import (
	"fmt"

	"github.com/wodlekit/wodlekit/tools/rulekit/osregex"
	"github.com/wodlekit/wodlekit/tools/rulekit/wjson"
)

// Severity ranks a diagnostic.
type Severity int

// Severities: errors fail `make test`, warnings are printed.
const (
	Warning Severity = iota
	Error
)

// Diag is one finding, printed as `file:line: problem — fix: ...`.
type Diag struct {
	Sev  Severity
	File string
	Line int
	Msg  string
	Fix  string
}

func (d Diag) String() string {
	s := fmt.Sprintf("%s:%d: %s", d.File, d.Line, d.Msg)
	if d.Sev == Warning {
		s = fmt.Sprintf("%s:%d: warning: %s", d.File, d.Line, d.Msg)
	}
	if d.Fix != "" {
		s += " — fix: " + d.Fix
	}
	return s
}

// Decoder is one <decoder> block.
type Decoder struct {
	Name, Parent string
	File         string
	Line         int
	UseOwnName   bool
	Prematch     *Expr
	AfterParent  bool // prematch offset="after_parent"
	Plugin       string
	HasRegex     bool
	ProgramName  string
	JSON         wjson.Options
	Children     []*Decoder
	parentDec    *Decoder
}

// ReportedName is the decoder id an event carries: a child without
// use_own_name reports its parent (decode-xml.c: ReadDecodeXML()).
func (d *Decoder) ReportedName() string {
	if d.parentDec != nil && !d.UseOwnName {
		return d.parentDec.ReportedName()
	}
	return d.Name
}

// FieldCond is one <field name=...>.
type FieldCond struct {
	Name string
	Expr *Expr
	Line int
}

// Rule is one <rule> block.
type Rule struct {
	ID, Level            int
	File                 string
	Line                 int
	Description          string
	DescLine             int
	Groups               string // group string as analysisd stores it
	DecodedAs            string
	DecodedAsLine        int
	Match, Regex         *Expr
	Location             *Expr
	ProgramName          *Expr
	StaticConds          map[string]*Expr // user, id, action, status, url, data, ...
	Fields               []FieldCond
	IfSID                []int
	IfSIDLine            int
	IfGroup              string
	IfMatchedSID         int
	IfMatchedLine        int
	SameFields           []string
	DifferentFields      []string
	SameFieldLines       map[string]int
	Frequency, Timeframe int
	Stock                bool

	Children []*Rule
	Parents  []*Rule
}

// Ruleset is everything analysisd would load.
type Ruleset struct {
	Decoders  []*Decoder // top-level, in basename-sorted file order
	AllDecs   []*Decoder
	Top       []*Rule // children of the syslog template rule 1, level-sorted
	ByID      map[int]*Rule
	All       []*Rule // loaded (non-ignored) rules in load order
	Diags     []Diag
	MaxFields int
	// LogAlertLevel is <alerts><log_alert_level> (3 in the shipped ossec.conf).
	LogAlertLevel int
}

func (rs *Ruleset) diag(sev Severity, file string, line int, fix, format string, a ...any) {
	rs.Diags = append(rs.Diags, Diag{Sev: sev, File: file, Line: line, Msg: fmt.Sprintf(format, a...), Fix: fix})
}

// Errors returns the error diagnostics.
func (rs *Ruleset) Errors() []Diag {
	var out []Diag
	for _, d := range rs.Diags {
		if d.Sev == Error {
			out = append(out, d)
		}
	}
	return out
}

var _ = osregex.Compile
