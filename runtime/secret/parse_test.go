package secret

import (
	"regexp"
	"strings"
	"testing"
)

func TestParseFile(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    map[string]string
		wantErr string // substring; "" = no error
	}{
		{"simple", "A=1\nB=two\n", map[string]string{"A": "1", "B": "two"}, ""},
		{"no trailing newline", "A=1", map[string]string{"A": "1"}, ""},
		{"comments and blanks", "# c\n\n   \n  # indented\nA=1\n", map[string]string{"A": "1"}, ""},
		{"export prefix", "export A=1\nexport\tB=2\n", map[string]string{"A": "1", "B": "2"}, ""},
		{"key named export", "export=1\nexporter=2", map[string]string{"export": "1", "exporter": "2"}, ""},
		{"unquoted trimmed", "A =  spaced value  \n", map[string]string{"A": "spaced value"}, ""},
		{"inline comment", "A=val # note\nB=val\t# note", map[string]string{"A": "val", "B": "val"}, ""},
		{"hash inside value kept", "A=pa#ss\nB=#lead", map[string]string{"A": "pa#ss", "B": "#lead"}, ""},
		{"comment only value", "A= # nothing", map[string]string{"A": ""}, ""},
		{"empty value", "A=\nB=''\nC=\"\"", map[string]string{"A": "", "B": "", "C": ""}, ""},
		{"equals in value", "A=x=y==", map[string]string{"A": "x=y=="}, ""},
		{"single quoted literal", `A='a "b" \n # c  '`, map[string]string{"A": `a "b" \n # c  `}, ""},
		{"single quoted then comment", "A='v' # c", map[string]string{"A": "v"}, ""},
		{"double quoted escapes", `A="q\"b\\s\nn # x"`, map[string]string{"A": "q\"b\\s\nn # x"}, ""},
		{"double quoted then comment", `A="v"   # c`, map[string]string{"A": "v"}, ""},
		{"crlf", "A=1\r\nB='2'\r\nC=\"3\"\r\n", map[string]string{"A": "1", "B": "2", "C": "3"}, ""},
		{"bom", "\xef\xbb\xbfA=1\n", map[string]string{"A": "1"}, ""},
		{"underscore key", "_A_1=x", map[string]string{"_A_1": "x"}, ""},
		{"utf8 value", "A=pässwörd", map[string]string{"A": "pässwörd"}, ""},

		{"duplicate", "A=1\nA=2", nil, "line 2: duplicate key A (first set on line 1)"},
		{"no equals", "A=1\njustavalue", nil, "line 2: expected KEY=VALUE"},
		{"bad key digit", "1A=x", nil, "line 1: invalid key name"},
		{"bad key dash", "A-B=x", nil, "line 1: invalid key name"},
		{"empty key", "=x", nil, "line 1: invalid key name"},
		{"unterminated single", "A='abc", nil, "line 1: A: unterminated single quote"},
		{"unterminated double", `A="abc`, nil, "line 1: A: unterminated double quote"},
		{"trailing backslash", `A="abc\`, nil, "line 1: A: unterminated double quote"},
		{"bad escape", `A="a\tb"`, nil, "line 1: A: unsupported escape"},
		{"text after quote", `A='a'b`, nil, "line 1: A: unexpected text after closing quote"},
		{"text after dquote", `A="a" b`, nil, "line 1: A: unexpected text after closing quote"},
		{"all errors reported", "A='x\nB\nC=\"y", nil, "line 3: C: unterminated double quote"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseFile(strings.NewReader(tt.in))
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != len(tt.want) {
				t.Fatalf("got %q want %q", got, tt.want)
			}
			for k, v := range tt.want {
				if got[k] != v {
					t.Errorf("%s = %q, want %q", k, got[k], v)
				}
			}
		})
	}
}

func TestParseErrorsNeverShowValues(t *testing.T) {
	const v = "Sup3r-s3cr3t!"
	inputs := []string{
		v, "A='" + v, `A="` + v, `A="` + v + `\q"`, "A='x'" + v, `A="x"` + v,
		v + "=x", "A-" + v + "=1", "A=" + v + "\nA=" + v, " " + v + " ",
	}
	for _, in := range inputs {
		_, err := ParseFile(strings.NewReader(in))
		if err == nil {
			t.Fatalf("%q: expected error", in)
		}
		if strings.Contains(err.Error(), v) || strings.Contains(err.Error(), "s3cr3t") {
			t.Errorf("error leaks value: %v", err)
		}
	}
}

// errLine is every shape ParseFile may produce: fixed text plus at most a key name.
var errLine = regexp.MustCompile(`^line [0-9]+: (expected KEY=VALUE|invalid key name \(want \[A-Za-z_\]\[A-Za-z0-9_\]\*\)|duplicate key [A-Za-z_][A-Za-z0-9_]* \(first set on line [0-9]+\)|[A-Za-z_][A-Za-z0-9_]*: (unterminated single quote|unterminated double quote|unexpected text after closing quote|unsupported escape in double quotes \(only \\", \\\\ and \\n\)))$`)

func FuzzParseFile(f *testing.F) {
	for _, s := range []string{
		"A=1\n", "export A='x'\n", `B="a\"b\n"`, "# c\n\nC=v # c\r\n", "\xef\xbb\xbfD=1",
		"A=1\nA=2", "bad", "1=2", `E="x\q"`, "F='x", "G=$V", "$V=1", "H='$V'x", `I="$V`,
	} {
		f.Add(s)
	}
	// The sentinel cannot form a key (it has '-' and '@'), so if it shows up
	// in an error it came from a value.
	const sentinel = "zq-S3NT1NEL@v"
	f.Fuzz(func(t *testing.T, in string) {
		in = strings.ReplaceAll(in, "$V", sentinel)
		m, err := ParseFile(strings.NewReader(in))
		if err == nil {
			for k := range m {
				if !ValidKey(k) {
					t.Fatalf("invalid key %q accepted", k)
				}
			}
			return
		}
		msg := err.Error()
		if strings.Contains(msg, sentinel) || strings.Contains(msg, "S3NT1NEL") {
			t.Fatalf("error leaks a value: %q", msg)
		}
		for _, line := range strings.Split(msg, "\n") {
			if !errLine.MatchString(line) {
				t.Fatalf("unexpected error shape (could carry a value): %q", line)
			}
		}
	})
}
