package engine

import (
	"strconv"
	"strings"

	"github.com/wodlekit/wodlekit/tools/rulekit/wjson"
)

// Event is an Eventinfo after decoding.
type Event struct {
	Log       string
	Location  string
	Decoder   *Decoder // nil: "No decoder matched."
	Static    map[string]string
	Fields    []wjson.Field
	Dropped   int
	JSONError error
	matched   int // Eventinfo.matched, set when a frequency rule fires
}

// DecoderName is the name wazuh-logtest prints in Phase 2.
func (e *Event) DecoderName() string {
	if e.Decoder == nil {
		return ""
	}
	return e.Decoder.ReportedName()
}

// Field is FindField(): first dynamic field with that name, ignoring case.
func (e *Event) Field(name string) (string, bool) {
	for _, f := range e.Fields {
		if strings.EqualFold(f.Key, name) {
			return f.Value, true
		}
	}
	return "", false
}

// Result is the outcome of one event.
type Result struct {
	Event       *Event
	Rule        *Rule // nil when no rule matched
	Description string
	Alert       bool // level >= log_alert_level (level 0 never alerts)
	Warnings    []string
}

// Session holds the state one wazuh-logtest session keeps between events:
// for each rule, the events it was the final match for (sid_prev_matched).
type Session struct {
	rs   *Ruleset
	prev map[*Rule][]*Event
}

// NewSession starts an empty logtest session.
func (rs *Ruleset) NewSession() *Session {
	return &Session{rs: rs, prev: map[*Rule][]*Event{}}
}

// Decode runs DecodeEvent() over the top-level decoders (no program_name:
// JSON lines have no syslog header, facts §0).
func (rs *Ruleset) Decode(log, location string) *Event {
	ev := &Event{Log: log, Location: location, Static: map[string]string{}}
	for _, d := range rs.Decoders {
		if d.ProgramName != "" {
			continue // only the program_name-less list is consulted
		}
		if d.Prematch != nil && !d.Prematch.Match(log) {
			continue
		}
		ev.Decoder = d
		node := d
		if len(d.Children) > 0 {
			node = nil
			for _, c := range d.Children {
				if c.Prematch == nil {
					node = c
					break
				}
				// AFTER_PARENT offsets are approximated by the whole log.
				if c.Prematch.Match(log) {
					node = c
					break
				}
			}
			if node == nil {
				return ev // "Nothing matched": parent name, no fields
			}
			ev.Decoder = node
		}
		if node.Plugin == "JSON_Decoder" {
			o := node.JSON
			o.MaxFields = rs.MaxFields
			r, err := wjson.FlattenString(log, o)
			ev.Static, ev.Fields, ev.Dropped, ev.JSONError = r.Static, r.Dynamic, r.Dropped, err
		}
		// A child without plugin or regex extracts nothing (DecodeEvent()).
		return ev
	}
	return ev
}

// Process decodes and filters one event, then records it like
// w_logtest_rulesmatching_phase(): level 0 ends processing unrecorded.
func (s *Session) Process(log, location string) *Result {
	ev := s.rs.Decode(log, location)
	res := &Result{Event: ev}
	for _, top := range s.rs.Top {
		r := s.check(ev, top)
		if r == nil {
			continue
		}
		res.Rule = r
		res.Description = ExpandDescription(r.Description, ev)
		if r.Stock {
			res.Warnings = append(res.Warnings, "stock rule "+strconv.Itoa(r.ID)+" ("+strings.TrimSpace(r.Description)+") claims this event before any vendor rule")
		}
		if r.Level == 0 {
			break
		}
		res.Alert = r.Level >= s.rs.LogAlertLevel
		s.prev[r] = append(s.prev[r], ev)
		break
	}
	return res
}

// check is OS_CheckIfRuleMatch() for the options rulekit models.
func (s *Session) check(ev *Event, r *Rule) *Rule {
	if r.DecodedAs != "" && r.DecodedAs != ev.DecoderName() {
		return nil
	}
	if r.ProgramName != nil {
		return nil // our lines never carry a program name
	}
	if r.Match != nil && !r.Match.Match(ev.Log) {
		return nil
	}
	if r.Regex != nil && !r.Regex.Match(ev.Log) {
		return nil
	}
	for tag, e := range r.StaticConds {
		v, ok := staticValue(ev, tag)
		if !ok || !e.Match(v) {
			return nil
		}
	}
	if r.Location != nil && !r.Location.Match(ev.Location) {
		return nil
	}
	for _, fc := range r.Fields {
		v, ok := ev.Field(fc.Name)
		if !ok || !fc.Expr.Match(v) { // absent fails even with negate
			return nil
		}
	}
	if r.IfMatchedSID != 0 && !s.searchLastSids(ev, r) {
		return nil
	}
	for _, c := range r.Children {
		if m := s.check(ev, c); m != nil {
			return m
		}
	}
	return r
}

// staticValue reads a static member; <user> tests dstuser, else srcuser.
func staticValue(ev *Event, tag string) (string, bool) {
	if tag == "user" {
		if v, ok := ev.Static["dstuser"]; ok {
			return v, true
		}
		v, ok := ev.Static["srcuser"]
		return v, ok
	}
	if tag == "system_name" {
		tag = "systemname"
	}
	v, ok := ev.Static[tag]
	return v, ok
}

// searchLastSids ports eventinfo.c: Search_LastSids(). Events are
// instantaneous in tests, so every stored event is inside the timeframe,
// and all share agent "000". The stored count is frequency-2 so that
// frequency="N" fires on the Nth event (facts §4, verified).
func (s *Session) searchLastSids(my *Event, r *Rule) bool {
	target := s.rs.ByID[r.IfMatchedSID]
	list := s.prev[target]
	freq := r.Frequency - 2
	if r.Frequency == 0 {
		freq = 0
	}
	count := 0
	var first *Event
	for i := len(list) - 1; i >= 0; i-- {
		lf := list[i]
		if len(r.SameFields) > 0 {
			if len(my.Fields) == 0 || len(lf.Fields) == 0 {
				continue
			}
			found := true
			for _, name := range r.SameFields {
				a, okA := my.Field(name)
				b, okB := lf.Field(name)
				if !okA || !okB || a != b {
					found = false
					break
				}
			}
			if !found {
				continue
			}
		}
		if len(r.DifferentFields) > 0 {
			if len(my.Fields) == 0 && len(lf.Fields) == 0 {
				continue
			}
			same := false
			for _, name := range r.DifferentFields {
				a, okA := my.Field(name)
				b, okB := lf.Field(name)
				if okA && okB && a == b {
					same = true
					break
				}
			}
			if same {
				continue
			}
		}
		if lf.matched >= r.Level {
			return false
		}
		if count < freq {
			count++
			if first == nil {
				first = lf
			}
			continue
		}
		my.matched = r.Level
		if first != nil {
			first.matched = r.Level
		}
		return true
	}
	return false
}

// commentMax is OS_COMMENT_MAX.
const commentMax = 1024

// staticDescNames are the $(name) values ParseRuleComment() reads from
// Eventinfo members rather than dynamic fields (eventinfo.c).
var staticDescNames = map[string]string{
	"dstuser": "dstuser", "srcuser": "srcuser", "srcip": "srcip", "dstip": "dstip",
	"srcport": "srcport", "dstport": "dstport", "protocol": "protocol", "action": "action",
	"id": "id", "url": "url", "data": "data", "status": "status", "extra_data": "extra_data",
	"system_name": "systemname",
}

// ExpandDescription follows eventinfo.c: ParseRuleComment(): $(field) is
// replaced, a missing field expands to nothing, and if the result would
// reach OS_COMMENT_MAX the raw template is kept.
func ExpandDescription(tmpl string, ev *Event) string {
	if !strings.Contains(tmpl, "$(") {
		return tmpl
	}
	var b strings.Builder
	rest := tmpl
	for {
		i := strings.Index(rest, "$(")
		if i < 0 {
			b.WriteString(rest)
			break
		}
		j := strings.IndexByte(rest[i:], ')')
		if j < 0 {
			b.WriteString(rest)
			break
		}
		b.WriteString(rest[:i])
		name := rest[i+2 : i+j]
		b.WriteString(descValue(ev, name))
		rest = rest[i+j+1:]
		if b.Len() >= commentMax {
			return tmpl
		}
	}
	if b.Len() >= commentMax {
		return tmpl
	}
	return b.String()
}

func descValue(ev *Event, name string) string {
	if st, ok := staticDescNames[name]; ok {
		return ev.Static[st]
	}
	switch name {
	case "program_name", "hostname":
		return ""
	}
	v, _ := ev.Field(name)
	return v
}
