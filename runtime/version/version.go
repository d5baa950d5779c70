// Package version holds the build's version, stamped by the linker.
package version

// Version is set at build time with -ldflags "-X .../version.Version=x.y.z".
var Version = "0.0.0-dev"

// Project names the project in User-Agent strings and events.
const Project = "wodlekit"
