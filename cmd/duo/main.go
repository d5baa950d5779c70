// Command duo-wodle brings Duo Admin API logs (authentication,
// administrator, telephony, activity) into Wazuh.
package main

import (
	"os"

	"github.com/wodlekit/wodlekit/runtime/runner"
	"github.com/wodlekit/wodlekit/vendors/duo"
)

func main() { os.Exit(runner.Main(duo.New)) }
