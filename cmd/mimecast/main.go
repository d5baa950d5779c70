// Command mimecast-wodle brings Mimecast events into Wazuh.
package main

import (
	"os"

	"github.com/wodlekit/wodlekit/runtime/runner"
	"github.com/wodlekit/wodlekit/vendors/mimecast"
)

func main() { os.Exit(runner.Main(mimecast.New)) }
