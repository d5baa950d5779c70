//go:build !wodlekit_cpuprofile

package runner

import "errors"

// startCPUProfile refuses: this binary was built without CPU profiling
// (see cpuprofile.go for why the release build has none).
func startCPUProfile(string) (stop func(), err error) {
	return nil, errors.New("this binary has no CPU profiling: build it with -tags wodlekit_cpuprofile (make bench does)")
}
