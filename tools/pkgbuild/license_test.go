package main

import "testing"

func TestSPDXOf(t *testing.T) {
	for _, tc := range []struct{ text, want string }{
		{"MIT License\n\nCopyright (c) 2026 x\n", "MIT"},
		{"  Apache License\n  Version 2.0, January 2004\n", "Apache-2.0"},
		{"All rights reserved.\n", ""},
		{"", ""},
	} {
		if got := spdxOf(tc.text); got != tc.want {
			t.Errorf("spdxOf(%q) = %q, want %q", tc.text, got, tc.want)
		}
	}
}
