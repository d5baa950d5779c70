// Command google_workspace-wodle brings Google Workspace events into Wazuh.
package main

import (
	"os"

	"github.com/wodlekit/wodlekit/runtime/runner"
	"github.com/wodlekit/wodlekit/vendors/google_workspace"
)

func main() { os.Exit(runner.Main(googleworkspace.New)) }
