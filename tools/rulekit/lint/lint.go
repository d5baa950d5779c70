// Package lint checks a repository's rules/<vendor>/ trees against Wazuh
// 4.x load-time rules and the project's conventions, then runs every
// vendor's .ini tests through the engine.
package lint

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"github.com/wodlekit/wodlekit/tools/rulekit/engine"
	"github.com/wodlekit/wodlekit/tools/rulekit/ini"
	"github.com/wodlekit/wodlekit/tools/rulekit/wjson"
)

// Block is one registry row.
type Block struct {
	Vendor      string
	First, Last int
	Line        int
}

// Report gathers everything a run found.
type Report struct {
	Vendors, Rules, Decoders int
	Cases, Passed, Failed    int
	Diags                    []engine.Diag
}

// Errors counts error diagnostics.
func (r *Report) Errors() int {
	n := 0
	for _, d := range r.Diags {
		if d.Sev == engine.Error {
			n++
		}
	}
	return n
}

func (r *Report) add(sev engine.Severity, file string, line int, fix, format string, a ...any) {
	r.Diags = append(r.Diags, engine.Diag{Sev: sev, File: file, Line: line, Msg: fmt.Sprintf(format, a...), Fix: fix})
}

// ReadRegistry parses rules/registry.tsv and checks its blocks.
func ReadRegistry(root string, rep *Report) map[string]Block {
	out := map[string]Block{}
	path := filepath.Join("rules", "registry.tsv")
	data, err := os.ReadFile(filepath.Join(root, path))
	if err != nil {
		rep.add(engine.Error, path, 1, "create rules/registry.tsv (vendor, first_id, last_id, comment)", "cannot read registry: %v", err)
		return out
	}
	var blocks []Block
	sc := bufio.NewScanner(bytes.NewReader(data))
	line := 0
	for sc.Scan() {
		line++
		t := sc.Text()
		if strings.TrimSpace(t) == "" || strings.HasPrefix(t, "#") {
			continue
		}
		cols := strings.Split(t, "\t")
		if len(cols) < 3 || cols[0] == "vendor" {
			continue
		}
		first, e1 := strconv.Atoi(cols[1])
		last, e2 := strconv.Atoi(cols[2])
		if e1 != nil || e2 != nil || first > last {
			rep.add(engine.Error, path, line, "use integer first_id <= last_id", "bad block for %q", cols[0])
			continue
		}
		b := Block{cols[0], first, last, line}
		if first <= 100099 && last >= 100001 {
			rep.add(engine.Error, path, line, "move the block outside 100001-100099 (stock local_rules.xml uses them)", "block %s %d-%d overlaps 100001-100099", b.Vendor, first, last)
		}
		for _, o := range blocks {
			if first <= o.Last && o.First <= last {
				rep.add(engine.Error, path, line, "give each vendor a disjoint block", "block %s %d-%d overlaps %s %d-%d (line %d)", b.Vendor, first, last, o.Vendor, o.First, o.Last, o.Line)
			}
		}
		if _, dup := out[b.Vendor]; dup {
			rep.add(engine.Error, path, line, "keep one block per vendor", "vendor %s registered twice", b.Vendor)
		}
		blocks = append(blocks, b)
		out[b.Vendor] = b
	}
	return out
}

// Vendors lists rules/<v>/ directories.
func Vendors(root string) []string {
	ents, _ := os.ReadDir(filepath.Join(root, "rules"))
	var out []string
	for _, e := range ents {
		if e.IsDir() {
			out = append(out, e.Name())
		}
	}
	sort.Strings(out)
	return out
}

func readFiles(paths []string, rel func(string) string) []engine.File {
	var out []engine.File
	for _, p := range paths {
		data, err := os.ReadFile(p)
		if err != nil {
			continue
		}
		out = append(out, engine.File{Path: rel(p), Data: data})
	}
	return out
}

// goldenFields collects every field name (and the lines) a vendor's golden
// output really yields after JSON_Decoder flattening.
func goldenFields(root, v string, rep *Report) (map[string]bool, []string, bool) {
	files, _ := filepath.Glob(filepath.Join(root, "vendors", v, "testdata", "golden", "*.jsonl"))
	names := map[string]bool{}
	var lines []string
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			continue
		}
		for _, l := range strings.Split(string(data), "\n") {
			l = strings.TrimSpace(l)
			if l == "" {
				continue
			}
			lines = append(lines, l)
			r, err := wjson.FlattenString(l, wjson.Options{})
			if err != nil {
				continue
			}
			for _, fl := range r.Dynamic {
				names[strings.ToLower(fl.Key)] = true
			}
			for k := range r.Static {
				names["static:"+k] = true
			}
		}
	}
	return names, lines, len(files) > 0
}

var descRef = regexp.MustCompile(`\$\(([^)]*)\)`)

// Run lints every vendor and runs every .ini test.
func Run(root string) *Report {
	rep := &Report{}
	rel := func(p string) string {
		if r, err := filepath.Rel(root, p); err == nil {
			return r
		}
		return p
	}
	reg := ReadRegistry(root, rep)
	vendors := Vendors(root)
	rep.Vendors = len(vendors)
	var decPaths, rulePaths []string
	for _, v := range vendors {
		d, _ := filepath.Glob(filepath.Join(root, "rules", v, "*_decoders.xml"))
		r, _ := filepath.Glob(filepath.Join(root, "rules", v, "*_rules.xml"))
		decPaths = append(decPaths, d...)
		rulePaths = append(rulePaths, r...)
	}
	rs := engine.Load(readFiles(decPaths, rel), readFiles(rulePaths, rel))
	rep.Diags = append(rep.Diags, rs.Diags...)

	// Rules that failed to load still count for id checks: re-read ids.
	for _, v := range vendors {
		lintVendor(root, v, rs, reg, rep, rel)
	}
	for _, d := range rs.AllDecs {
		if !strings.HasPrefix(d.File, "0006-") {
			rep.Decoders++
		}
	}
	runTests(root, vendors, rs, rep, rel)
	return rep
}

func lintVendor(root, v string, rs *engine.Ruleset, reg map[string]Block, rep *Report, rel func(string) string) {
	dir := filepath.Join("rules", v)
	decFile := filepath.Join(dir, v+"_decoders.xml")
	ruleFile := filepath.Join(dir, v+"_rules.xml")
	for _, f := range []string{decFile, ruleFile} {
		if _, err := os.Stat(filepath.Join(root, f)); err != nil {
			rep.add(engine.Error, f, 1, "create it (project layout: rules/<v>/<v>_decoders.xml and <v>_rules.xml)", "missing file")
		}
	}
	// Decoder convention (DESIGN.md §6, facts §0 pattern 2).
	var dec *engine.Decoder
	for _, d := range rs.AllDecs {
		if d.File == decFile && d.Name == v {
			dec = d
		}
	}
	if dec == nil {
		rep.add(engine.Error, decFile, 1, fmt.Sprintf(`add <decoder name=%q> with <parent>json</parent>`, v), "no decoder named %q", v)
	} else {
		want := `"integration":"` + v + `"`
		if dec.Parent != "json" {
			rep.add(engine.Error, decFile, dec.Line, "add <parent>json</parent>: the stock json decoder (0006-json_decoders.xml) sorts first and shadows a top-level JSON decoder", "decoder %q is not a child of json", v)
		}
		if !dec.UseOwnName {
			rep.add(engine.Error, decFile, dec.Line, "add <use_own_name>true</use_own_name>", "decoder %q without use_own_name reports itself as json, so <decoded_as>%s</decoded_as> never matches", v, v)
		}
		if dec.Plugin != "JSON_Decoder" {
			rep.add(engine.Error, decFile, dec.Line, "add <plugin_decoder>JSON_Decoder</plugin_decoder>", "decoder %q has no plugin: a child without regex/plugin extracts no fields", v)
		}
		if dec.Prematch == nil || dec.Prematch.Raw != want {
			rep.add(engine.Error, decFile, dec.Line, "use <prematch>"+want+"</prematch> (integration is the first key of every emitted line)", "decoder %q prematch is not %s", v, want)
		}
	}
	fields, lines, haveGolden := goldenFields(root, v, rep)
	if !haveGolden {
		rep.add(engine.Error, filepath.Join("vendors", v, "testdata", "golden"), 1, "commit the binary's real output as vendors/"+v+"/testdata/golden/*.jsonl", "no golden output for vendor %s", v)
	}
	// Golden lines must reach our decoder, not a stock one.
	for i, l := range lines {
		ev := rs.Decode(l, "command_"+v)
		if ev.DecoderName() != v {
			rep.add(engine.Error, filepath.Join("vendors", v, "testdata", "golden"), i+1, "emit `integration` first and compact so the prematch matches", "golden line %d decodes as %q, not %q", i+1, ev.DecoderName(), v)
		}
		if ev.Dropped > 0 {
			rep.add(engine.Error, filepath.Join("vendors", v, "testdata", "golden"), i+1, "fold deep objects: analysisd keeps only 256 fields", "golden line %d has %d fields beyond decoder_order_size", i+1, ev.Dropped)
		}
		if len(ev.Static) > 0 {
			rep.add(engine.Warning, filepath.Join("vendors", v, "testdata", "golden"), i+1, "nest payload under the vendor key", "golden line %d has top-level static names %v", i+1, keys(ev.Static))
		}
	}
	block, okBlock := reg[v]
	if !okBlock {
		rep.add(engine.Error, "rules/registry.tsv", 1, "register a block for "+v, "vendor %s has no registered ID block", v)
	}
	for _, r := range rs.All {
		if r.File != ruleFile {
			continue
		}
		rep.Rules++
		if r.ID >= 100001 && r.ID <= 100099 {
			rep.add(engine.Error, r.File, r.Line, "use an id inside the vendor's registered block", "rule id %d is in 100001-100099, used by stock local_rules.xml", r.ID)
		} else if okBlock && (r.ID < block.First || r.ID > block.Last) {
			rep.add(engine.Error, r.File, r.Line, fmt.Sprintf("use an id in %d-%d (rules/registry.tsv)", block.First, block.Last), "rule id %d outside %s's block", r.ID, v)
		}
		if r.IfMatchedSID != 0 {
			if t := rs.ByID[r.IfMatchedSID]; t == nil {
				rep.add(engine.Error, r.File, r.IfMatchedLine, "reference a rule loaded before this one", "if_matched_sid %d does not resolve", r.IfMatchedSID)
			} else if t.Level == 0 {
				rep.add(engine.Error, r.File, r.IfMatchedLine, "correlate on a rule with level >= 1 (logtest.c/analysisd stop at level 0 before recording)", "if_matched_sid %d has level 0, so it is never recorded and this rule can never fire", r.IfMatchedSID)
			}
		}
		if haveGolden {
			check := func(name string, line int, what string) {
				n := strings.ToLower(name)
				if fields[n] {
					return
				}
				rep.add(engine.Error, r.File, line, "use a field the binary emits (see vendors/"+v+"/testdata/golden), or add it to the golden output", "rule %d: %s %q never appears in %s's golden output", r.ID, what, name, v)
			}
			for _, fc := range r.Fields {
				check(fc.Name, fc.Line, "field")
			}
			for _, sf := range append(append([]string{}, r.SameFields...), r.DifferentFields...) {
				check(sf, r.SameFieldLines[sf], "same_field/different_field")
			}
			for _, m := range descRef.FindAllStringSubmatch(r.Description, -1) {
				name := m[1]
				if name == "user" {
					rep.add(engine.Error, r.File, r.DescLine, "use $(dstuser)", "rule %d: $(user) always expands to nothing in Wazuh 4.x", r.ID)
					continue
				}
				if _, static := staticDescName[name]; static {
					continue
				}
				check(name, r.DescLine, "description field")
			}
		}
		if maxDescLen(r.Description) >= 1024 {
			rep.add(engine.Error, r.File, r.DescLine, "shorten the description or reference smaller fields", "rule %d: description may expand past 1024 bytes (OS_COMMENT_MAX); Wazuh then shows the raw $(...) template", r.ID)
		}
		if r.DecodedAs == "json" {
			rep.add(engine.Warning, r.File, r.DecodedAsLine, "use <decoded_as>"+v+"</decoded_as>", "rule %d uses decoded_as json: stock rules (86600 suricata, ...) keyed on generic names may claim events first", r.ID)
		}
	}
	_ = rel
}

var staticDescName = map[string]bool{"dstuser": true, "srcuser": true, "srcip": true, "dstip": true, "srcport": true, "dstport": true, "protocol": true, "action": true, "id": true, "url": true, "data": true, "status": true, "extra_data": true, "system_name": true, "program_name": true, "hostname": true}

// maxDescLen bounds the expanded length: each $(field) can take up to a
// whole 64 KiB line, so any reference to a free-text field is unbounded; we
// count literal bytes plus 256 per reference as a practical bound.
func maxDescLen(d string) int {
	refs := descRef.FindAllStringIndex(d, -1)
	n := len(d)
	for _, r := range refs {
		n += 256 - (r[1] - r[0])
	}
	return n
}

func keys(m map[string]string) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func runTests(root string, vendors []string, rs *engine.Ruleset, rep *Report, rel func(string) string) {
	passCovered := map[int]bool{}
	failCovered := map[int]bool{}
	for _, v := range vendors {
		files, _ := filepath.Glob(filepath.Join(root, "rules", v, "tests", "*.ini"))
		if len(files) == 0 {
			rep.add(engine.Error, filepath.Join("rules", v, "tests"), 1, "add Wazuh .ini tests built from golden lines", "no .ini tests for vendor %s", v)
		}
		for _, f := range files {
			data, err := os.ReadFile(f)
			if err != nil {
				rep.add(engine.Error, rel(f), 1, "", "cannot read: %v", err)
				continue
			}
			secs, err := ini.Parse(bytes.NewReader(data))
			if err != nil {
				rep.add(engine.Error, rel(f), lineOf(err), "follow runtests.py's format: [name], log N pass|fail =, rule =, alert =, decoder =", "%v", err)
				continue
			}
			cases, err := ini.Cases(secs)
			if err != nil {
				rep.add(engine.Error, rel(f), lineOf(err), "add rule =, alert = and decoder = to the section", "%v", err)
				continue
			}
			for _, c := range cases {
				rep.Cases++
				sess := rs.NewSession()
				var res *engine.Result
				for _, e := range c.Events {
					res = sess.Process(e, "stdin")
				}
				gotRule, gotLevel := "", ""
				if res.Rule != nil {
					gotRule, gotLevel = strconv.Itoa(res.Rule.ID), strconv.Itoa(res.Rule.Level)
				}
				ok := res.Rule != nil && gotRule == c.Rule && gotLevel == c.Alert && res.Event.DecoderName() == c.Decoder
				id, _ := strconv.Atoi(c.Rule)
				if ok == c.Pass {
					rep.Passed++
					if c.Pass {
						passCovered[id] = true
					} else {
						failCovered[id] = true
					}
					for _, w := range res.Warnings {
						if c.Pass {
							rep.add(engine.Warning, rel(f), c.Line, "", "[%s] %s: %s", c.Section.Name, c.Key, w)
						}
					}
					continue
				}
				rep.Failed++
				want := "match"
				if !c.Pass {
					want = "NOT match"
				}
				rep.add(engine.Error, rel(f), c.Line, "fix the rule or the expectation",
					"[%s] %s: expected to %s rule=%s alert=%s decoder=%s; got rule=%q level=%q decoder=%q", c.Section.Name, c.Key, want, c.Rule, c.Alert, c.Decoder, gotRule, gotLevel, res.Event.DecoderName())
			}
		}
	}
	// Coverage: every vendor rule has a passing test, and a fail case when it has a sibling.
	for _, r := range rs.All {
		if r.Stock {
			continue
		}
		if !passCovered[r.ID] {
			rep.add(engine.Error, r.File, r.Line, "add a `log N pass` case with rule = "+strconv.Itoa(r.ID), "rule %d has no passing test", r.ID)
		}
		if hasSibling(r, rs) && !failCovered[r.ID] {
			rep.add(engine.Error, r.File, r.Line, "add a `log N fail` case (an event a sibling should take) for rule "+strconv.Itoa(r.ID), "rule %d has siblings but no fail case", r.ID)
		}
	}
}

func hasSibling(r *engine.Rule, rs *engine.Ruleset) bool {
	for _, p := range r.Parents {
		for _, c := range p.Children {
			if c != r {
				return true
			}
		}
	}
	return false
}

var lineRE = regexp.MustCompile(`line (\d+)`)

func lineOf(err error) int {
	if m := lineRE.FindStringSubmatch(err.Error()); m != nil {
		n, _ := strconv.Atoi(m[1])
		return n
	}
	return 1
}
