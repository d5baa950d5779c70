// Command slack-wodle brings the audit logs of a Slack Enterprise
// organization into Wazuh.
package main

import (
	"os"

	"github.com/wodlekit/wodlekit/runtime/runner"
	"github.com/wodlekit/wodlekit/vendors/slack"
)

func main() { os.Exit(runner.Main(slack.New)) }
