package ini

import (
	"strings"
	"testing"
)

func TestParse(t *testing.T) {
	src := `# comment
[Sign-in failed]
log 1 pass = {"integration":"x","x":{"a":"b=c"}}
log 2 fail = {"integration":"x"} ; inline comment
log 3 pass = {"e":1}
log 3 pass = {"e":2}
rule =117001
alert = 5
Decoder = x
`
	secs, err := Parse(strings.NewReader(src))
	if err != nil {
		t.Fatal(err)
	}
	cases, err := Cases(secs)
	if err != nil {
		t.Fatal(err)
	}
	if len(cases) != 3 {
		t.Fatalf("got %d cases, want 3", len(cases))
	}
	tests := []struct {
		key    string
		pass   bool
		events []string
		line   int
	}{
		{"log 1 pass", true, []string{`{"integration":"x","x":{"a":"b=c"}}`}, 3},
		{"log 2 fail", false, []string{`{"integration":"x"}`}, 4},
		{"log 3 pass", true, []string{`{"e":1}`, `{"e":2}`}, 5},
	}
	for i, tt := range tests {
		c := cases[i]
		if c.Key != tt.key || c.Pass != tt.pass || strings.Join(c.Events, "|") != strings.Join(tt.events, "|") || c.Line != tt.line {
			t.Errorf("case %d = %+v", i, c)
		}
		if c.Rule != "117001" || c.Alert != "5" || c.Decoder != "x" {
			t.Errorf("case %d expectations = %s %s %s", i, c.Rule, c.Alert, c.Decoder)
		}
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct{ name, src, want string }{
		{"no section", "log 1 pass = x\n", "before any [section]"},
		{"garbage", "[a]\n=x\n", "cannot parse"},
	}
	for _, tt := range tests {
		_, err := Parse(strings.NewReader(tt.src))
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: err = %v, want %q", tt.name, err, tt.want)
		}
	}
	secs, _ := Parse(strings.NewReader("[a]\nlog 1 pass = x\nrule = 1\n"))
	if _, err := Cases(secs); err == nil {
		t.Error("missing alert/decoder accepted")
	}
}

func FuzzParse(f *testing.F) {
	f.Add("[a]\nlog 1 pass = {}\nrule = 1\nalert = 0\ndecoder = json\n")
	f.Add("[a]\n  cont\nk: v ; c\n")
	f.Fuzz(func(t *testing.T, s string) {
		secs, err := Parse(strings.NewReader(s))
		if err != nil {
			return
		}
		_, _ = Cases(secs)
	})
}
