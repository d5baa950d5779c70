package engine

import (
	"strings"
	"testing"

	"github.com/wodlekit/wodlekit/tools/rulekit/wjson"
)

func fieldOf(k, v string) wjson.Field { return wjson.Field{Key: k, Value: v} }

const childDec = `<decoder name="acme">
  <parent>json</parent>
  <use_own_name>true</use_own_name>
  <prematch>"integration":"acme"</prematch>
  <plugin_decoder>JSON_Decoder</plugin_decoder>
</decoder>`

func load(t *testing.T, decName, dec, rules string) *Ruleset {
	t.Helper()
	var ds []File
	if dec != "" {
		ds = append(ds, File{Path: decName, Data: []byte(dec)})
	}
	rs := Load(ds, []File{{Path: "acme_rules.xml", Data: []byte(rules)}})
	return rs
}

func TestDecoding(t *testing.T) {
	const line = `{"integration":"acme","acme":{"k":"v"}}`
	tests := []struct {
		name, file, dec, wantDecoder string
		wantFields                   bool
	}{
		{"child with use_own_name", "acme_decoders.xml", childDec, "acme", true},
		{"child without use_own_name reports json", "acme_decoders.xml", strings.Replace(childDec, "<use_own_name>true</use_own_name>", "", 1), "json", true},
		{"child without plugin extracts nothing", "acme_decoders.xml", strings.Replace(childDec, "<plugin_decoder>JSON_Decoder</plugin_decoder>", "", 1), "acme", false},
		{"top-level decoder after 0006 is shadowed by json", "acme_decoders.xml", `<decoder name="acme"><prematch>^{"integration":"acme"</prematch><plugin_decoder>JSON_Decoder</plugin_decoder></decoder>`, "json", true},
		{"top-level decoder in 0005- wins", "0005-acme_decoders.xml", `<decoder name="acme"><prematch>^{"integration":"acme"</prematch><plugin_decoder>JSON_Decoder</plugin_decoder></decoder>`, "acme", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rs := load(t, tt.file, tt.dec, `<group name="x,"><rule id="117000" level="3"><decoded_as>json</decoded_as><description>d</description></rule></group>`)
			ev := rs.Decode(line, "stdin")
			if ev.DecoderName() != tt.wantDecoder {
				t.Errorf("decoder = %q, want %q", ev.DecoderName(), tt.wantDecoder)
			}
			if _, ok := ev.Field("acme.k"); ok != tt.wantFields {
				t.Errorf("field acme.k present = %v, want %v", ok, tt.wantFields)
			}
		})
	}
}

func TestDecodedAsNeedsUseOwnName(t *testing.T) {
	rs := load(t, "acme_decoders.xml", strings.Replace(childDec, "<use_own_name>true</use_own_name>", "", 1),
		`<group name="x,"><rule id="117000" level="3"><decoded_as>acme</decoded_as><description>d</description></rule></group>`)
	if len(rs.Errors()) == 0 || !strings.Contains(rs.Errors()[0].Msg, `invalid decoder name "acme"`) {
		t.Fatalf("errors = %v", rs.Errors())
	}
}

const baseRules = `<group name="acme,">
  <rule id="117000" level="0"><decoded_as>acme</decoded_as><description>acme</description></rule>
`

func run(t *testing.T, rules string, lines ...string) *Result {
	t.Helper()
	rs := load(t, "acme_decoders.xml", childDec, baseRules+rules+"</group>")
	if errs := rs.Errors(); len(errs) > 0 {
		t.Fatalf("load errors: %v", errs)
	}
	s := rs.NewSession()
	var r *Result
	for _, l := range lines {
		r = s.Process(l, "command_acme")
	}
	return r
}

func ruleID(r *Result) int {
	if r.Rule == nil {
		return 0
	}
	return r.Rule.ID
}

func TestRuleBehaviour(t *testing.T) {
	ev := func(s string) string { return `{"integration":"acme","acme":{` + s + `}}` }
	tests := []struct {
		name  string
		rules string
		lines []string
		want  int
	}{
		{"field match", `<rule id="117001" level="5"><if_sid>117000</if_sid><field name="acme.t">^login$</field><description>d</description></rule>`,
			[]string{ev(`"t":"login"`)}, 117001},
		{"absent field fails even with negate", `<rule id="117001" level="5"><if_sid>117000</if_sid><field name="acme.missing" negate="yes">x</field><description>d</description></rule>`,
			[]string{ev(`"t":"login"`)}, 117000},
		{"negate on present field", `<rule id="117001" level="5"><if_sid>117000</if_sid><field name="acme.t" negate="yes">^login$</field><description>d</description></rule>`,
			[]string{ev(`"t":"logout"`)}, 117001},
		{"location osmatch suffix", `<rule id="117001" level="5"><if_sid>117000</if_sid><location>command_acme$</location><description>d</description></rule>`,
			[]string{ev(`"t":"x"`)}, 117001},
		{"location anchored both ends fails on other", `<rule id="117001" level="5"><if_sid>117000</if_sid><location>^command_other$</location><description>d</description></rule>`,
			[]string{ev(`"t":"x"`)}, 117000},
		{"match on full log", `<rule id="117001" level="5"><if_sid>117000</if_sid><match>"t":"x"</match><description>d</description></rule>`,
			[]string{ev(`"t":"x"`)}, 117001},
		{"higher level sibling first", `<rule id="117001" level="3"><if_sid>117000</if_sid><field name="acme.t">x</field><description>d</description></rule>
<rule id="117002" level="7"><if_sid>117000</if_sid><field name="acme.t">x</field><description>d</description></rule>`,
			[]string{ev(`"t":"x"`)}, 117002},
		{"if_group", `<rule id="117001" level="3"><if_sid>117000</if_sid><field name="acme.t">x</field><group>auth,</group><description>d</description></rule>
<rule id="117002" level="7"><if_group>auth</if_group><field name="acme.u">y</field><description>d</description></rule>`,
			[]string{ev(`"t":"x","u":"y"`)}, 117002},
		{"frequency same_field fires on 3rd", freqRules, []string{ev(`"t":"f","e":"a"`), ev(`"t":"f","e":"a"`), ev(`"t":"f","e":"a"`)}, 117002},
		{"frequency not on 2nd", freqRules, []string{ev(`"t":"f","e":"a"`), ev(`"t":"f","e":"a"`)}, 117001},
		{"same_field separates actors", freqRules, []string{ev(`"t":"f","e":"a"`), ev(`"t":"f","e":"b"`), ev(`"t":"f","e":"a"`)}, 117001},
		{"different_field", `<rule id="117001" level="3"><if_sid>117000</if_sid><field name="acme.t">f</field><description>d</description></rule>
<rule id="117002" level="9" frequency="2" timeframe="60"><if_matched_sid>117001</if_matched_sid><different_field>acme.ip</different_field><description>d</description></rule>`,
			[]string{ev(`"t":"f","ip":"1"`), ev(`"t":"f","ip":"2"`)}, 117002},
		{"if_matched_sid on level 0 never fires", `<rule id="117002" level="9" frequency="2" timeframe="60"><if_matched_sid>117000</if_matched_sid><description>d</description></rule>`,
			[]string{ev(`"t":"f"`), ev(`"t":"f"`), ev(`"t":"f"`)}, 117000},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := ruleID(run(t, tt.rules, tt.lines...)); got != tt.want {
				t.Errorf("rule = %d, want %d", got, tt.want)
			}
		})
	}
}

const freqRules = `<rule id="117001" level="5"><if_sid>117000</if_sid><field name="acme.t">^f$</field><description>d</description></rule>
<rule id="117002" level="10" frequency="3" timeframe="120"><if_matched_sid>117001</if_matched_sid><same_field>acme.e</same_field><description>d</description></rule>`

func TestUnknownIfSIDIgnored(t *testing.T) {
	rs := load(t, "acme_decoders.xml", childDec, baseRules+`<rule id="117001" level="5"><if_sid>117999</if_sid><description>d</description></rule></group>`)
	if rs.ByID[117001] != nil {
		t.Error("rule with unknown if_sid was loaded")
	}
	if len(rs.Errors()) != 1 || !strings.Contains(rs.Errors()[0].Msg, "117999 not found") {
		t.Errorf("diags = %v", rs.Diags)
	}
}

func TestLevelZeroNeverAlerts(t *testing.T) {
	r := run(t, "", `{"integration":"acme","acme":{}}`)
	if r.Rule == nil || r.Rule.ID != 117000 || r.Alert {
		t.Errorf("rule=%v alert=%v", r.Rule, r.Alert)
	}
}

func TestStockClaim(t *testing.T) {
	rs := load(t, "", "", `<group name="x,"><rule id="117000" level="0"><decoded_as>json</decoded_as><description>d</description></rule></group>`)
	r := rs.NewSession().Process(`{"timestamp":"t","event_type":"x"}`, "stdin")
	if ruleID(r) != 86600 || len(r.Warnings) == 0 {
		t.Errorf("rule = %d warnings=%v, want 86600 with a warning", ruleID(r), r.Warnings)
	}
}

func TestDescription(t *testing.T) {
	ev := &Event{Static: map[string]string{"dstuser": "bob"}, Fields: nil}
	ev.Fields = append(ev.Fields, fieldOf("actor.email", "a@b"), fieldOf("big", strings.Repeat("x", 1100)))
	tests := []struct{ tmpl, want string }{
		{"by $(actor.email)", "by a@b"},
		{"by $(ACTOR.EMAIL)", "by a@b"},
		{"user $(user)!", "user !"},
		{"user $(dstuser)", "user bob"},
		{"missing $(nope).", "missing ."},
		{"long $(big)", "long $(big)"},
	}
	for _, tt := range tests {
		if got := ExpandDescription(tt.tmpl, ev); got != tt.want {
			t.Errorf("%q -> %q, want %q", tt.tmpl, got, tt.want)
		}
	}
}
