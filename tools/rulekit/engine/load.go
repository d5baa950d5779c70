package engine

import (
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"github.com/wodlekit/wodlekit/tools/rulekit/wjson"
)

// File is one decoder or rule file to load.
type File struct {
	Path  string // shown in diagnostics
	Data  []byte
	Stock bool
}

func base(p string) string { return filepath.Base(p) }

// sortFiles orders files by basename with strcmp, as Read_Rules()' cmpr()
// does (src/config/rules-config.c).
func sortFiles(fs []File) {
	sort.SliceStable(fs, func(i, j int) bool { return base(fs[i].Path) < base(fs[j].Path) })
}

// StaticRuleFieldNames are names rules.c rejects in <field name=...>
// ("Field '%s' is static."), facts §4.
var StaticRuleFieldNames = map[string]string{
	"srcip": "<srcip>", "dstip": "<dstip>", "srcgeoip": "<srcgeoip>", "dstgeoip": "<dstgeoip>",
	"srcport": "<srcport>", "dstport": "<dstport>", "user": "<user>", "srcuser": "<user>",
	"dstuser": "<user>", "url": "<url>", "id": "<id>", "data": "<data>", "extra_data": "<extra_data>",
	"status": "<status>", "protocol": "<protocol>", "system_name": "<system_name>", "action": "<action>",
}

// staticTags are the rule options that test a static Eventinfo member, with
// their default expression type (rules.c: w_check_attr_type defaults).
var staticTags = map[string]string{
	"user": "osmatch", "id": "osmatch", "url": "osmatch", "status": "osmatch",
	"data": "osmatch", "extra_data": "osmatch", "protocol": "osmatch",
	"system_name": "osmatch", "action": "string", "srcport": "osmatch", "dstport": "osmatch",
	"hostname": "osmatch",
}

var varRef = regexp.MustCompile(`\$([A-Za-z_][A-Za-z0-9_]*)`)

func expandVars(s string, vars map[string]string) string {
	return varRef.ReplaceAllStringFunc(s, func(m string) string {
		if v, ok := vars[m[1:]]; ok {
			return v
		}
		return m
	})
}

// Load builds a ruleset from stock descriptions plus the given files.
func Load(decoders, rules []File) *Ruleset {
	rs := &Ruleset{ByID: map[int]*Rule{}, MaxFields: wjson.DefaultMaxFields, LogAlertLevel: 3}
	var df []File
	for _, s := range StockDecoders {
		df = append(df, File{Path: s.Base, Data: []byte(s.XML), Stock: true})
	}
	df = append(df, decoders...)
	sortFiles(df)
	for _, f := range df {
		rs.loadDecoders(f)
	}
	var rf []File
	for _, s := range StockRules {
		rf = append(rf, File{Path: s.Base, Data: []byte(s.XML), Stock: true})
	}
	rf = append(rf, rules...)
	sortFiles(rf)
	for _, f := range rf {
		rs.loadRules(f)
	}
	return rs
}

func (rs *Ruleset) findDecoder(name string) *Decoder {
	for _, d := range rs.Decoders {
		if d.Name == name {
			return d
		}
	}
	return nil
}

func (rs *Ruleset) loadDecoders(f File) {
	nodes, err := ParseXML(f.Data)
	if err != nil {
		rs.diag(Error, f.Path, 1, "make the file well-formed XML (several top-level elements are fine)", "%v", err)
		return
	}
	vars := map[string]string{}
	for _, n := range nodes {
		switch n.Name {
		case "var":
			vars[n.Attrs["name"]] = n.text()
			continue
		case "decoder":
		default:
			rs.diag(Error, f.Path, n.Line, "only <decoder> and <var> may appear at the top of a decoder file", "unexpected <%s>", n.Name)
			continue
		}
		d := &Decoder{Name: n.Attrs["name"], File: f.Path, Line: n.Line}
		if d.Name == "" {
			rs.diag(Error, f.Path, n.Line, `add name="..."`, "decoder without a name")
			continue
		}
		for _, c := range n.Children {
			val := expandVars(c.text(), vars)
			switch c.Name {
			case "parent":
				d.Parent = val
			case "use_own_name":
				d.UseOwnName = strings.EqualFold(val, "true")
			case "prematch":
				e, err := compileExpr(c, "osregex", val)
				if err != nil {
					rs.diag(Error, f.Path, c.Line, "write the prematch in OS_Regex syntax (\\w \\d \\s \\. ...)", "decoder %q prematch: %v", d.Name, err)
					continue
				}
				d.Prematch = e
				d.AfterParent = c.Attrs["offset"] == "after_parent"
			case "plugin_decoder":
				d.Plugin = val
			case "regex":
				d.HasRegex = true
			case "program_name":
				d.ProgramName = val
			case "json_null_field":
				if strings.EqualFold(val, "discard") {
					d.JSON.Null = wjson.NullDiscard
				}
			case "json_array_structure":
				if strings.EqualFold(val, "csv") {
					d.JSON.Array = wjson.ArrayAsCSV
				}
			case "order", "type", "fts", "ftscomment", "accumulate", "var":
			default:
				rs.diag(Error, f.Path, c.Line, "remove it", "decoder %q: unknown option <%s>", d.Name, c.Name)
			}
		}
		if d.Plugin != "" && d.Plugin != "JSON_Decoder" {
			rs.diag(Error, f.Path, n.Line, "use <plugin_decoder>JSON_Decoder</plugin_decoder>", "decoder %q: plugin %q is not modelled by rulekit", d.Name, d.Plugin)
		}
		if d.Parent != "" {
			p := rs.findDecoder(d.Parent)
			if p == nil {
				rs.diag(Error, f.Path, n.Line, "load the parent first (basename order) or fix the name", "decoder %q: parent decoder %q not found (analysisd refuses to start)", d.Name, d.Parent)
				continue
			}
			d.parentDec = p
			p.Children = append(p.Children, d)
		} else {
			rs.Decoders = append(rs.Decoders, d)
		}
		rs.AllDecs = append(rs.AllDecs, d)
	}
}

// DecoderNames reports every name <decoded_as> can resolve to.
func (rs *Ruleset) DecoderNames() map[string]bool {
	out := map[string]bool{}
	for _, d := range rs.AllDecs {
		out[d.ReportedName()] = true
	}
	return out
}

var ruleIDRE = regexp.MustCompile(`^\d{1,6}$`)

func (rs *Ruleset) loadRules(f File) {
	nodes, err := ParseXML(f.Data)
	if err != nil {
		rs.diag(Error, f.Path, 1, "make the file well-formed XML (several top-level elements are fine)", "%v", err)
		return
	}
	vars := map[string]string{}
	for _, n := range nodes {
		switch n.Name {
		case "var":
			vars[n.Attrs["name"]] = n.text()
		case "group":
			for _, r := range n.Children {
				if r.Name != "rule" {
					rs.diag(Error, f.Path, r.Line, "put only <rule> inside <group>", "unexpected <%s>", r.Name)
					continue
				}
				if rule := rs.parseRule(f, r, n.Attrs["name"], vars); rule != nil {
					rs.addRule(rule)
				}
			}
		default:
			rs.diag(Error, f.Path, n.Line, `wrap rules in <group name="...">`, "unexpected top-level <%s>", n.Name)
		}
	}
}

func (rs *Ruleset) parseRule(f File, n *Node, groupAttr string, vars map[string]string) *Rule {
	r := &Rule{File: f.Path, Line: n.Line, Groups: groupAttr, StaticConds: map[string]*Expr{}, SameFieldLines: map[string]int{}, Stock: f.Stock}
	idS := n.Attrs["id"]
	if !ruleIDRE.MatchString(idS) {
		rs.diag(Error, f.Path, n.Line, "use an integer of at most 6 digits", "invalid rule id %q (max 6 digits)", idS)
		return nil
	}
	r.ID, _ = strconv.Atoi(idS)
	lv, err := strconv.Atoi(n.Attrs["level"])
	if err != nil || lv < 0 || lv > 16 {
		rs.diag(Error, f.Path, n.Line, "use a level from 0 to 16", "rule %d: invalid level %q", r.ID, n.Attrs["level"])
		return nil
	}
	r.Level = lv
	if v, ok := n.Attrs["frequency"]; ok {
		r.Frequency, err = strconv.Atoi(v)
		if err != nil || r.Frequency < 2 || r.Frequency > 9999 {
			rs.diag(Error, f.Path, n.Line, "use frequency 2..9999", "rule %d: invalid frequency %q", r.ID, v)
			return nil
		}
	}
	if v, ok := n.Attrs["timeframe"]; ok {
		r.Timeframe, err = strconv.Atoi(v)
		if err != nil || len(v) > 5 || r.Timeframe < 1 {
			rs.diag(Error, f.Path, n.Line, "use a timeframe of 1..99999 seconds", "rule %d: invalid timeframe %q", r.ID, v)
			return nil
		}
	}
	bad := false
	for _, c := range n.Children {
		val := expandVars(c.text(), vars)
		fail := func(fix, format string, a ...any) {
			rs.diag(Error, f.Path, c.Line, fix, "rule %d: "+format, append([]any{r.ID}, a...)...)
			bad = true
		}
		compile := func(def string) *Expr {
			e, err := compileExpr(c, def, val)
			if err != nil {
				fail("rewrite the pattern in the "+def+" dialect or set type=", "<%s>: %v", c.Name, err)
				return nil
			}
			return e
		}
		switch c.Name {
		case "description":
			r.Description = c.Text
			r.DescLine = c.Line
		case "decoded_as":
			r.DecodedAs = val
			r.DecodedAsLine = c.Line
			if !rs.DecoderNames()[val] {
				fail("name a loaded decoder; a child decoder needs <use_own_name>true</use_own_name> to be named here", "invalid decoder name %q in <decoded_as> (analysisd refuses to start)", val)
			}
		case "match":
			r.Match = compile("osmatch")
		case "regex":
			r.Regex = compile("osregex")
		case "location":
			r.Location = compile("osmatch")
		case "program_name":
			r.ProgramName = compile("osmatch")
		case "field":
			name := strings.TrimSpace(c.Attrs["name"])
			if tag, ok := StaticRuleFieldNames[strings.ToLower(name)]; ok {
				fail("use the "+tag+" option instead of <field name=\""+name+"\">", "field '%s' is static (analysisd refuses to start)", name)
				continue
			}
			if name == "" {
				fail(`add name="..."`, "<field> without a name")
				continue
			}
			if e := compile("osregex"); e != nil {
				r.Fields = append(r.Fields, FieldCond{Name: name, Expr: e, Line: c.Line})
			}
		case "if_sid":
			r.IfSIDLine = c.Line
			for _, s := range strings.FieldsFunc(val, func(r rune) bool { return r == ',' || r == ' ' }) {
				id, err := strconv.Atoi(s)
				if err != nil {
					fail("list numeric rule ids", "invalid if_sid %q", s)
					continue
				}
				r.IfSID = append(r.IfSID, id)
			}
		case "if_group":
			r.IfGroup = val
		case "if_matched_sid":
			id, err := strconv.Atoi(val)
			if err != nil {
				fail("give one numeric rule id", "invalid if_matched_sid %q", val)
				continue
			}
			r.IfMatchedSID = id
			r.IfMatchedLine = c.Line
		case "same_field":
			r.SameFields = append(r.SameFields, val)
			r.SameFieldLines[val] = c.Line
		case "different_field", "not_same_field":
			r.DifferentFields = append(r.DifferentFields, val)
			r.SameFieldLines[val] = c.Line
		case "group":
			r.Groups += val
		case "mitre", "options", "info", "category":
		default:
			if def, ok := staticTags[c.Name]; ok {
				if e := compile(def); e != nil {
					r.StaticConds[c.Name] = e
				}
				continue
			}
			fail("remove it, or extend rulekit if Wazuh supports it", "option <%s> is not modelled by rulekit", c.Name)
		}
	}
	if r.Description == "" {
		rs.diag(Error, f.Path, n.Line, "add a <description>", "rule %d: no description (analysisd refuses to start)", r.ID)
		return nil
	}
	if (r.Frequency > 0 || len(r.SameFields) > 0 || len(r.DifferentFields) > 0) && r.IfMatchedSID == 0 {
		rs.diag(Error, f.Path, n.Line, "add <if_matched_sid>", "rule %d: frequency/same_field without if_matched (analysisd refuses to start)", r.ID)
		return nil
	}
	if bad {
		return nil
	}
	return r
}

// insertByLevel mirrors rules_list.c: _OS_AddRule(): a node goes before the
// first sibling with a strictly lower level, so higher levels run first.
func insertByLevel(list []*Rule, r *Rule) []*Rule {
	for i, o := range list {
		if r.Level > o.Level {
			list = append(list[:i], append([]*Rule{r}, list[i:]...)...)
			return list
		}
	}
	return append(list, r)
}

// addRule follows the end of Rules_OP_ReadRules() and OS_AddChild().
func (rs *Ruleset) addRule(r *Rule) {
	if prev, dup := rs.ByID[r.ID]; dup {
		rs.diag(Error, r.File, r.Line, "give the rule an unused id from the vendor's block", "rule id %d is duplicated (first at %s:%d); Wazuh keeps only the first occurrence", r.ID, prev.File, prev.Line)
		return
	}
	if r.IfMatchedSID != 0 && len(r.IfSID) == 0 && r.IfGroup == "" {
		r.IfSID = []int{r.IfMatchedSID}
		r.IfSIDLine = r.IfMatchedLine
	}
	switch {
	case len(r.IfSID) > 0:
		for _, sid := range r.IfSID {
			p := rs.ByID[sid]
			if p == nil {
				rs.diag(Error, r.File, r.IfSIDLine, "reference a rule id that exists and is loaded before this rule", "rule %d: signature id %d not found in if_sid; Wazuh ignores the rule (warning 7617)", r.ID, sid)
				return
			}
		}
		for _, sid := range r.IfSID {
			p := rs.ByID[sid]
			p.Children = insertByLevel(p.Children, r)
			r.Parents = append(r.Parents, p)
		}
	case r.IfGroup != "":
		found := false
		for _, p := range rs.All {
			if strings.Contains(strings.ToLower(p.Groups), strings.ToLower(r.IfGroup)) {
				p.Children = insertByLevel(p.Children, r)
				r.Parents = append(r.Parents, p)
				found = true
			}
		}
		if !found {
			rs.diag(Warning, r.File, r.Line, "", "rule %d: group %q not found for if_group; Wazuh ignores the rule", r.ID, r.IfGroup)
			return
		}
	default:
		rs.Top = insertByLevel(rs.Top, r)
	}
	rs.ByID[r.ID] = r
	rs.All = append(rs.All, r)
}
