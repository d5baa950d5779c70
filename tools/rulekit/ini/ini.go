// Package ini reads Wazuh's rule-test files (ruleset/testing/tests/*.ini)
// the way ruleset/testing/runtests.py does: Python 2 RawConfigParser with a
// MultiOrderedDict, so a repeated key is one multi-line value (several
// events sent to one wazuh-logtest session) and keys are lower-cased.
package ini

import (
	"bufio"
	"fmt"
	"io"
	"regexp"
	"strings"
)

// Option is one key of a section, with every value line given to it.
type Option struct {
	Key    string   // lower-cased, like RawConfigParser.optionxform
	Values []string // one entry per line (repeated keys and continuations)
	Line   int      // line of the first occurrence
}

// Section is one [name] block.
type Section struct {
	Name    string
	Line    int
	Options []*Option
}

// Get returns the option's value joined with "\n", as ConfigParser does.
func (s *Section) Get(key string) (string, bool) {
	for _, o := range s.Options {
		if o.Key == key {
			return strings.Join(o.Values, "\n"), true
		}
	}
	return "", false
}

// Case is one `log N pass|fail` key run through wazuh-logtest -U.
type Case struct {
	Section *Section
	Key     string
	Line    int
	Pass    bool     // false: the log must not produce rule:alert:decoder
	Events  []string // lines fed to one logtest session, in order
	Rule    string
	Alert   string
	Decoder string
}

// Error is a parse problem with its line.
type Error struct {
	Line int
	Msg  string
}

func (e *Error) Error() string { return fmt.Sprintf("line %d: %s", e.Line, e.Msg) }

var (
	sectRE = regexp.MustCompile(`^\[([^]]+)\]`)
	optRE  = regexp.MustCompile(`^([^:=\s][^:=]*?)\s*([:=])\s*(.*)$`)
)

// Parse reads an .ini document. Like Python 2's RawConfigParser._read it
// skips comment lines (`#`, `;`, `rem`), strips inline ` ;` comments,
// merges repeated sections and extends repeated keys.
func Parse(r io.Reader) ([]*Section, error) {
	var (
		sections []*Section
		byName   = map[string]*Section{}
		cur      *Section
		curOpt   *Option
		errs     []error
	)
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 1024*1024), 16*1024*1024)
	lineNo := 0
	for sc.Scan() {
		lineNo++
		line := strings.TrimRight(sc.Text(), "\r")
		trimmed := strings.TrimSpace(line)
		if trimmed == "" || line[0] == '#' || line[0] == ';' {
			continue
		}
		if f := strings.Fields(line); (line[0] == 'r' || line[0] == 'R') && strings.EqualFold(f[0], "rem") {
			continue
		}
		if (line[0] == ' ' || line[0] == '\t') && cur != nil && curOpt != nil {
			curOpt.Values = append(curOpt.Values, trimmed)
			continue
		}
		if m := sectRE.FindStringSubmatch(line); m != nil {
			name := m[1]
			if s, ok := byName[name]; ok {
				cur = s
			} else {
				cur = &Section{Name: name, Line: lineNo}
				byName[name] = cur
				sections = append(sections, cur)
			}
			curOpt = nil
			continue
		}
		if cur == nil {
			return nil, &Error{lineNo, "option before any [section] header"}
		}
		m := optRE.FindStringSubmatch(line)
		if m == nil {
			errs = append(errs, &Error{lineNo, fmt.Sprintf("cannot parse %q", line)})
			continue
		}
		key := strings.ToLower(strings.TrimRight(m[1], " \t"))
		val := m[3]
		if i := strings.IndexByte(val, ';'); i > 0 && (val[i-1] == ' ' || val[i-1] == '\t') {
			val = val[:i]
		}
		val = strings.TrimSpace(val)
		if val == `""` {
			val = ""
		}
		var opt *Option
		for _, o := range cur.Options {
			if o.Key == key {
				opt = o
			}
		}
		if opt == nil {
			opt = &Option{Key: key, Line: lineNo}
			cur.Options = append(cur.Options, opt)
		}
		opt.Values = append(opt.Values, val)
		curOpt = opt
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("reading ini: %w", err)
	}
	if len(errs) > 0 {
		return sections, errs[0]
	}
	return sections, nil
}

// Cases expands sections into logtest runs, in file order.
func Cases(sections []*Section) ([]*Case, error) {
	var out []*Case
	for _, s := range sections {
		rule, okR := s.Get("rule")
		alert, okA := s.Get("alert")
		dec, okD := s.Get("decoder")
		for _, o := range s.Options {
			if !strings.HasPrefix(o.Key, "log ") {
				continue
			}
			if !okR || !okA || !okD {
				return nil, &Error{s.Line, fmt.Sprintf("section [%s] needs rule, alert and decoder keys", s.Name)}
			}
			var events []string
			for _, v := range o.Values {
				events = append(events, strings.Split(v, "\n")...)
			}
			out = append(out, &Case{
				Section: s, Key: o.Key, Line: o.Line,
				Pass:   !strings.HasSuffix(o.Key, "fail"),
				Events: events, Rule: rule, Alert: alert, Decoder: dec,
			})
		}
	}
	return out, nil
}
