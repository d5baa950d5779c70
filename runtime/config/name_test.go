package config

import (
	"strings"
	"testing"
)

// validName is the rule the INSTANCE and TAG errors state.
func TestValidName(t *testing.T) {
	for _, tc := range []struct {
		name string
		ok   bool
	}{
		{"default", true}, {"eu-1", true}, {"a.b_c-d", true}, {"0", true}, {strings.Repeat("a", 64), true},
		{"", false}, {strings.Repeat("a", 65), false}, {"-a", false}, {"_a", false}, {".a", false},
		{"a b", false}, {"a/b", false}, {"a\n", false}, {"é", false}, {"a\x00", false},
	} {
		if got := validName(tc.name); got != tc.ok {
			t.Errorf("validName(%q) = %v, want %v", tc.name, got, tc.ok)
		}
	}
}
