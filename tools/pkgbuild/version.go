package main

import (
	"fmt"
	"regexp"
	"strings"
)

var (
	// A release version: 1.2.3, optionally with a semver pre-release (1.2.3-rc1).
	releaseVersionRE = regexp.MustCompile(`^([0-9]+\.[0-9]+\.[0-9]+)(?:-([0-9A-Za-z.]+))?$`)
	// git describe after a tag: 1.2.3-4-gabcdef0 with an optional -dirty.
	describeVersionRE = regexp.MustCompile(`^([0-9]+\.[0-9]+\.[0-9]+)-([0-9]+)-g([0-9a-f]+)(-dirty)?$`)
	// git describe without any tag: abcdef0 with an optional -dirty.
	shaVersionRE = regexp.MustCompile(`^([0-9a-f]{4,40})(-dirty)?$`)
)

// PackageVersion is a version split the way deb and rpm order it.
type PackageVersion struct {
	Version    string // upstream part, digits first
	Prerelease string // sorts before Version ("~" in both formats); empty for none
}

// String is the upstream version as both formats print it.
func (v PackageVersion) String() string {
	if v.Prerelease == "" {
		return v.Version
	}
	return v.Version + "~" + v.Prerelease
}

// NormalizeVersion turns the Makefile's VERSION (a release number, or whatever
// `git describe --tags --always --dirty` printed) into a version dpkg and rpm
// accept and order sensibly. Package versions must start with a digit, and a
// "-" would be read as the start of the package revision, so dev builds become
// 0.0.0~git.<sha> and post-tag builds 1.2.3+git.<n>.<sha>.
func NormalizeVersion(raw string) (PackageVersion, error) {
	s := strings.TrimPrefix(strings.TrimSpace(raw), "v")
	if g := describeVersionRE.FindStringSubmatch(s); g != nil {
		v := g[1] + "+git." + g[2] + "." + g[3]
		if g[4] != "" {
			v += ".dirty"
		}
		return PackageVersion{Version: v}, nil
	}
	if g := releaseVersionRE.FindStringSubmatch(s); g != nil {
		return PackageVersion{Version: g[1], Prerelease: g[2]}, nil
	}
	if g := shaVersionRE.FindStringSubmatch(s); g != nil {
		pre := "git." + g[1]
		if g[2] != "" {
			pre += ".dirty"
		}
		return PackageVersion{Version: "0.0.0", Prerelease: pre}, nil
	}
	if s == "0.0.0-dev" || s == "" {
		return PackageVersion{Version: "0.0.0", Prerelease: "dev"}, nil
	}
	return PackageVersion{}, fmt.Errorf("version %q is neither x.y.z[-pre] nor git describe output", raw)
}
