// Command okta-wodle brings Okta System Log events into Wazuh.
package main

import (
	"os"

	"github.com/wodlekit/wodlekit/runtime/runner"
	"github.com/wodlekit/wodlekit/vendors/okta"
)

func main() { os.Exit(runner.Main(okta.New)) }
