package main

import (
	"fmt"
	"strings"
	"testing"
)

func TestPlanAlternatesBinaries(t *testing.T) {
	for _, tc := range []struct {
		name     string
		against  string
		sizes    []int
		compared []int
		runs     int
		want     string
	}{
		{"one binary", "", []int{10, 20}, []int{20}, 2, "A10/1 A10/2 A20/1 A20/2 A20off/1 A20off/2"},
		{"ABBA", "other", []int{10}, nil, 4, "A10/1 B10/1 B10/2 A10/2 A10/3 B10/3 B10/4 A10/4"},
		{"pacing off paired too", "other", nil, []int{30}, 2, "A30off/1 B30off/1 B30off/2 A30off/2"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var got []string
			for _, c := range plan(config{bin: "mine"}, tc.against, tc.sizes, tc.compared, tc.runs) {
				who := "A"
				if c.b {
					who = "B"
					if c.bin != tc.against {
						t.Errorf("a /B run measures %q, want %q", c.bin, tc.against)
					}
				} else if c.bin != "mine" {
					t.Errorf("an A run measures %q, want mine", c.bin)
				}
				off := ""
				if c.pacingOff {
					off = "off"
				}
				got = append(got, fmt.Sprintf("%s%d%s/%d", who, c.events, off, c.run))
			}
			if s := strings.Join(got, " "); s != tc.want {
				t.Errorf("plan = %s\nwant   %s", s, tc.want)
			}
		})
	}
}

func TestMedian(t *testing.T) {
	for _, tc := range []struct {
		in   []float64
		want float64
	}{
		{[]float64{3}, 3},
		{[]float64{5, 1, 3}, 3},
		{[]float64{4, 1, 3, 2}, 2.5},
		{[]float64{0.2, 0.1}, 0.15000000000000002},
	} {
		in := append([]float64(nil), tc.in...)
		if got := median(tc.in); got != tc.want {
			t.Errorf("median(%v) = %v, want %v", tc.in, got, tc.want)
		}
		for i := range in {
			if in[i] != tc.in[i] {
				t.Errorf("median reordered its input: %v, was %v", tc.in, in)
				break
			}
		}
	}
}
