// Command rulekit lints the wodlekit ruleset and runs its Wazuh .ini rule
// tests with Wazuh 4.x semantics, because the real analysisd cannot run in CI.
package main

import (
	"fmt"
	"os"

	"github.com/wodlekit/wodlekit/tools/rulekit/engine"
	"github.com/wodlekit/wodlekit/tools/rulekit/lint"
)

func main() {
	if len(os.Args) == 4 && os.Args[1] == "match" {
		// rulekit match <repo-root> <location>: event lines on stdin.
		os.Exit(match(os.Args[2], os.Args[3], os.Stdin, os.Stdout))
	}
	if len(os.Args) != 3 || (os.Args[1] != "lint" && os.Args[1] != "test" && os.Args[1] != "check") {
		fmt.Fprintln(os.Stderr, "usage: rulekit lint|test|check <repo-root>\n       rulekit match <repo-root> <location> < events.jsonl")
		os.Exit(2)
	}
	os.Exit(run(os.Args[1], os.Args[2]))
}

func run(mode, root string) int {
	rep := lint.Run(root)
	errs := 0
	for _, d := range rep.Diags {
		isTest := d.Sev == engine.Error && isIniDiag(d)
		if mode == "lint" && isTest {
			continue
		}
		if d.Sev == engine.Error {
			errs++
		}
		fmt.Println(d.String())
	}
	status := "ok"
	if errs > 0 {
		status = fmt.Sprintf("%d errors", errs)
	}
	fmt.Printf("lint: %d vendors, %d rules, %d decoders: %s\n", rep.Vendors, rep.Rules, rep.Decoders, status)
	if mode != "lint" {
		fmt.Printf("ini: %d cases, %d passed, %d failed\n", rep.Cases, rep.Passed, rep.Failed)
	}
	if errs > 0 {
		return 1
	}
	return 0
}

func isIniDiag(d engine.Diag) bool {
	return len(d.File) > 4 && d.File[len(d.File)-4:] == ".ini"
}
