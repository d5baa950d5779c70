package main

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"sort"

	"github.com/wodlekit/wodlekit/tools/rulekit/lint"
)

// match runs event lines (a wodle's real output) through the ruleset in
// one logtest-like session and prints which rules they trigger, so the
// demo shows what a manager would alert on.
func match(root, location string, in io.Reader, out io.Writer) int {
	rs := lint.LoadRuleset(root)
	sess := rs.NewSession()
	type hit struct {
		id, level, n int
		desc         string
		alert        bool
	}
	hits := map[int]*hit{}
	lines, unmatched := 0, 0
	sc := bufio.NewScanner(in)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		if len(sc.Bytes()) == 0 {
			continue
		}
		lines++
		res := sess.Process(sc.Text(), location)
		if res.Rule == nil {
			unmatched++
			continue
		}
		h := hits[res.Rule.ID]
		if h == nil {
			h = &hit{id: res.Rule.ID, level: res.Rule.Level, desc: res.Description, alert: res.Alert}
			hits[res.Rule.ID] = h
		}
		h.n++
	}
	if err := sc.Err(); err != nil {
		fmt.Fprintln(os.Stderr, "rulekit match:", err)
		return 1
	}
	list := make([]*hit, 0, len(hits))
	for _, h := range hits {
		list = append(list, h)
	}
	sort.Slice(list, func(i, j int) bool { return list[i].id < list[j].id })
	fmt.Fprintf(out, "%8s  %6s  %5s  %s\n", "events", "rule", "level", "description (first event)")
	for _, h := range list {
		mark := ""
		if h.alert {
			mark = "  [alert]"
		}
		fmt.Fprintf(out, "%8d  %6d  %5d  %s%s\n", h.n, h.id, h.level, h.desc, mark)
	}
	fmt.Fprintf(out, "%d lines, %d matched no rule\n", lines, unmatched)
	return 0
}
