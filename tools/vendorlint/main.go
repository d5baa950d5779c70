// Command vendorlint keeps the vendor contract mechanical. `check` finds
// every vendor (each vendors/<v> with a go.mod) and reports each missing
// or stale touch point with the fix; `new` lays out a vendor skeleton that
// passes `check` and fails the conformance suite until it is filled in.
//
//	vendorlint check -root ../..
//	vendorlint new -root ../.. -name acme [-title Acme] [-prefix ACME_]
//
// It runs with GOWORK=off from its own module (stdlib only, outside
// go.work); `make check-vendors` and `make new-vendor V=<name>` call it.
package main

import (
	"flag"
	"fmt"
	"io"
	"os"
)

func main() { os.Exit(run(os.Args[1:], os.Stdout, os.Stderr)) }

// run is main without the exit, so tests can drive it.
func run(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || (args[0] != "check" && args[0] != "new") {
		fmt.Fprintln(stderr, "usage: vendorlint check -root DIR | new -root DIR -name NAME [-title T] [-prefix P_]")
		return 2
	}
	fl := flag.NewFlagSet("vendorlint "+args[0], flag.ContinueOnError)
	fl.SetOutput(stderr)
	root := fl.String("root", ".", "repository root")
	name := fl.String("name", "", "new: vendor name (lower case, digits and _; the integration value)")
	title := fl.String("title", "", "new: human name (default: the name)")
	prefix := fl.String("prefix", "", "new: settings prefix (default: the name in upper case and _)")
	if err := fl.Parse(args[1:]); err != nil || fl.NArg() != 0 {
		return 2
	}
	if args[0] == "new" {
		if err := newVendor(*root, *name, *title, *prefix); err != nil {
			fmt.Fprintln(stderr, "vendorlint new:", err)
			return 1
		}
		fmt.Fprintf(stdout, "vendorlint: laid out vendor %s; fill in every TODO, then `make check-vendors test-go`\n", *name)
		return 0
	}
	problems, err := check(*root)
	if err != nil {
		fmt.Fprintln(stderr, "vendorlint check:", err)
		return 1
	}
	for _, p := range problems {
		fmt.Fprintln(stderr, p)
	}
	if len(problems) > 0 {
		fmt.Fprintf(stderr, "vendorlint: %d touch point(s) missing or stale\n", len(problems))
		return 1
	}
	fmt.Fprintln(stdout, "vendorlint: every vendor's touch points are in place")
	return 0
}
