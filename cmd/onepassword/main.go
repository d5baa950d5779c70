// Command onepassword-wodle brings 1Password Events API events into Wazuh.
package main

import (
	"os"

	"github.com/wodlekit/wodlekit/runtime/runner"
	"github.com/wodlekit/wodlekit/vendors/onepassword"
)

func main() { os.Exit(runner.Main(onepassword.New)) }
