package fakeapi

import (
	"testing"
	"time"
)

// FuzzParseInterval: any interval text parses to start <= end within a
// day, or fails; never a panic.
func FuzzParseInterval(f *testing.F) {
	f.Add("2016-05-01T12:00:00Z/2016-05-01T13:00:00Z")
	f.Add("PT30M/2016-05-01T12:30:00Z")
	f.Add("2016-05-01T05:00:00-0700/PT30M")
	f.Add("PT1H30M15S/2016-05-01T12:30:00Z")
	f.Add("/")
	f.Fuzz(func(t *testing.T, s string) {
		start, end, err := ParseInterval(s)
		if err != nil {
			return
		}
		if d := end.Sub(start); (len(s) > 0 && (s[0] == 'P' || containsP(s))) && (d < 0 || d > 24*time.Hour) {
			t.Fatalf("%q: duration form gave %s", s, d)
		}
	})
}

func containsP(s string) bool {
	for i := 0; i+1 < len(s); i++ {
		if s[i] == '/' && s[i+1] == 'P' {
			return true
		}
	}
	return false
}

func TestWindowLimits(t *testing.T) {
	now := time.Date(2026, 3, 10, 12, 0, 0, 0, time.UTC)
	cases := []struct {
		q    map[string][]string
		want string
	}{
		{map[string][]string{"interval": {"2026-03-10T10:00:00Z/2026-03-10T10:00:10Z"}}, "too short"},
		{map[string][]string{"interval": {"2026-03-10T09:00:00Z/2026-03-10T10:30:00Z"}}, "too long"},
		{map[string][]string{"interval": {"2026-03-01T09:00:00Z/2026-03-01T10:00:00Z"}}, "too far into the past"},
		{map[string][]string{"interval": {"2026-03-10T11:50:00Z/2026-03-10T12:10:00Z"}}, "in the future"},
		{map[string][]string{"sinceSeconds": {"600"}}, ""},
		{map[string][]string{"sinceTime": {"2026-03-10T11:30:00Z"}}, ""},
		{map[string][]string{}, "exactly one"},
	}
	for _, tc := range cases {
		_, _, err := Window(tc.q, now)
		if (err == nil) != (tc.want == "") || (err != nil && !contains(err.Error(), tc.want)) {
			t.Errorf("%v: %v, want %q", tc.q, err, tc.want)
		}
	}
}

func contains(s, sub string) bool {
	for i := 0; i+len(sub) <= len(s); i++ {
		if s[i:i+len(sub)] == sub {
			return true
		}
	}
	return false
}
