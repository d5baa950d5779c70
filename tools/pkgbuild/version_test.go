package main

import "testing"

func TestNormalizeVersion(t *testing.T) {
	tests := []struct {
		in, want string
		wantErr  bool
	}{
		{"1.2.3", "1.2.3", false},
		{"v1.2.3", "1.2.3", false},
		{"1.2.3-rc1", "1.2.3~rc1", false},
		{"v1.2.3-4-gabcdef0", "1.2.3+git.4.abcdef0", false},
		{"1.2.3-4-gabcdef0-dirty", "1.2.3+git.4.abcdef0.dirty", false},
		{"abcdef0", "0.0.0~git.abcdef0", false},
		{"abcdef0-dirty", "0.0.0~git.abcdef0.dirty", false},
		{"0.0.0-dev", "0.0.0~dev", false},
		{"", "0.0.0~dev", false},
		{"latest", "", true},
		{"1.2", "", true},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := NormalizeVersion(tt.in)
			if (err != nil) != tt.wantErr {
				t.Fatalf("NormalizeVersion(%q) error = %v, wantErr %v", tt.in, err, tt.wantErr)
			}
			if err == nil && got.String() != tt.want {
				t.Errorf("NormalizeVersion(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}
