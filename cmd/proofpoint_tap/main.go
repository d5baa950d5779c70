// Command proofpoint_tap-wodle brings Proofpoint TAP SIEM events and the
// Very Attacked People report into Wazuh.
package main

import (
	"os"

	"github.com/wodlekit/wodlekit/runtime/runner"
	proofpointtap "github.com/wodlekit/wodlekit/vendors/proofpoint_tap"
)

func main() { os.Exit(runner.Main(proofpointtap.New)) }
