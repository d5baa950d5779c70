package osregex

import (
	"errors"
	"testing"
)

func TestRegex(t *testing.T) {
	tests := []struct {
		pat, s string
		want   bool
	}{
		{`^onepassword$`, "onepassword", true},
		{`^onepassword$`, "OnePassword", true}, // case-insensitive (flags 0)
		{`^onepassword$`, "onepassword2", false},
		{`^{\s*"`, `{"integration":"x"}`, true},
		{`^{\s*"`, `{ "a":1}`, true},
		{`^{\s*"`, `[1]`, false},
		{`\.+`, "x", true},
		{`\.+`, "", false},
		{`^sign\w+$`, "signin_failed", true},
		{`^\d+$`, "123", true},
		{`^\d+$`, "12a", false},
		{`fail|deny`, "access deny", true},
		{`fail|deny`, "ok", false},
		{`\w+@\w+`, "user@example", true}, // '@' is in \w
		{`^a\.b$`, "axb", true},           // \. is "any character", not a dot
		{`^a.b$`, "axb", false},           // a bare '.' is a literal
		{`^\(x\)$`, "(x)", true},
		{`^\p+$`, "[]{}", true},
		{`^\s$`, "\t", false}, // \s is only ' '
		{`^\t$`, "\t", true},
		{`^a\d*b$`, "ab", true},
		{`^a\d*b$`, "a12b", true},
		{`Login\s+failed`, "Login   failed", true},
		{`^$`, "", false}, // empty pattern never sets r_code
		{`user_signin_attempt`, `"action":"user_signin_attempt"`, true},
		{`^\S+ \S+$`, "a b", true},
	}
	for _, tt := range tests {
		r, err := Compile(tt.pat)
		if err != nil {
			t.Fatalf("Compile(%q): %v", tt.pat, err)
		}
		if got := r.MatchString(tt.s); got != tt.want {
			t.Errorf("%q on %q = %v, want %v", tt.pat, tt.s, got, tt.want)
		}
	}
}

func TestRegexCompileErrors(t *testing.T) {
	tests := []struct {
		pat  string
		want error
	}{
		{`[a-z]+\b`, ErrBadRegex},
		{`\x`, ErrBadRegex},
		{`((a))`, ErrBadParenthesis},
		{`(a|b)`, ErrBadParenthesis},
		{`(a`, ErrBadParenthesis},
	}
	for _, tt := range tests {
		_, err := Compile(tt.pat)
		if !errors.Is(err, tt.want) {
			t.Errorf("Compile(%q) error = %v, want %v", tt.pat, err, tt.want)
		}
	}
}

func TestMatch(t *testing.T) {
	tests := []struct {
		pat, s string
		want   bool
	}{
		{`command_onepassword$`, "command_onepassword", true},
		{`command_onepassword$`, "(agent) 10.0.0.1->command_onepassword", true},
		{`^command_onepassword$`, "(agent) 10.0.0.1->command_onepassword", false},
		{`^command_`, "command_x", true},
		{`failed|denied`, "Access DENIED", true},
		{`!failed`, "ok", true},
		{`!failed`, "failed", false},
		{`a.b`, "a.b", true},
		{`a.b`, "axb", false},
		{`\d`, `\d`, true},
		{`^`, "anything", true},
		{`$`, "anything", true},
		{`^$`, "", true},
		{`^$`, "x", false},
	}
	for _, tt := range tests {
		m, err := CompileMatch(tt.pat)
		if err != nil {
			t.Fatal(err)
		}
		if got := m.MatchString(tt.s); got != tt.want {
			t.Errorf("osmatch %q on %q = %v, want %v", tt.pat, tt.s, got, tt.want)
		}
	}
}

func FuzzCompileRegex(f *testing.F) {
	for _, s := range []string{`^{\s*"`, `\w+@\d*`, `(a)|b$`, `\.+`, `^a\d*b$`} {
		f.Add(s, "abc 123")
	}
	f.Fuzz(func(t *testing.T, pat, s string) {
		r, err := Compile(pat)
		if err != nil {
			return
		}
		_ = r.MatchString(s) // must terminate without panicking
	})
}
