package main

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"

	"github.com/goreleaser/nfpm/v2"
	"github.com/goreleaser/nfpm/v2/files"
)

// The stand-in wazuh-manager reproduces what matters to our package, from
// Wazuh's own packaging (see packaging.md 1.1):
//   - deb: everything ships root:root (dh_fixperms) and the postinst, at
//     configure time, creates the wazuh group and then restores owners and
//     modes; so on a joint install the group does not exist yet when dpkg
//     unpacks our package.
//   - rpm: %pre creates the group and %attr sets root:wazuh at unpack time.

// standinDirs are Wazuh's directories our package installs into, with the
// owner, group and mode wazuh-manager.spec gives them.
var standinDirs = []struct {
	path, owner, group string
	mode               os.FileMode
}{
	{"/var/ossec", "root", "wazuh", 0o750},
	{"/var/ossec/etc", "wazuh", "wazuh", 0o770},
	{"/var/ossec/etc/decoders", "root", "wazuh", 0o770},
	{"/var/ossec/etc/rules", "root", "wazuh", 0o770},
	{"/var/ossec/logs", "wazuh", "wazuh", 0o770},
	{"/var/ossec/var", "root", "wazuh", 0o770},
	{"/var/ossec/var/wodles", "root", "wazuh", 0o770},
	{"/var/ossec/wodles", "root", "wazuh", 0o750},
}

const standinCreateGroup = `getent group wazuh >/dev/null || groupadd -r wazuh
getent passwd wazuh >/dev/null || useradd -r -g wazuh -d /var/ossec -s /sbin/nologin wazuh
`

func standinScripts() (postinst, preinst string) {
	postinst = "#!/bin/sh\nset -e\n[ \"$1\" = configure ] || exit 0\n" + standinCreateGroup
	for _, d := range standinDirs {
		postinst += fmt.Sprintf("chown %s:%s %s\nchmod %04o %s\n", d.owner, d.group, d.path, d.mode, d.path)
	}
	postinst += "chown root:wazuh /var/ossec/etc/ossec.conf\nchmod 0660 /var/ossec/etc/ossec.conf\n"
	preinst = "#!/bin/sh\nset -e\n" + standinCreateGroup
	return postinst, preinst
}

// BuildStandin writes a stand-in wazuh-manager package of the given version.
func BuildStandin(format, arch, version, outDir string) (string, error) {
	stage, err := os.MkdirTemp("", "pkgbuild-standin-")
	if err != nil {
		return "", fmt.Errorf("stage stand-in: %w", err)
	}
	defer os.RemoveAll(stage)
	postinst, preinst := standinScripts()
	var contents files.Contents
	info := &nfpm.Info{
		Name:          managerPkg,
		Arch:          arch,
		Platform:      "linux",
		Version:       version,
		VersionSchema: "none",
		Release:       "1",
		Maintainer:    "wodlekit tests <wodlekit@users.noreply.github.com>",
		Description:   "Stand-in for wazuh-manager in wodlekit's install tests\nOwns /var/ossec's directories and creates the wazuh group like the real package.",
		License:       "GPL-2.0-only",
	}
	script := filepath.Join(stage, "script.sh")
	switch format {
	case "deb":
		if err := os.WriteFile(script, []byte(postinst), 0o755); err != nil {
			return "", fmt.Errorf("stage stand-in: %w", err)
		}
		info.Scripts.PostInstall = script
		for _, d := range standinDirs {
			contents = append(contents, &files.Content{Destination: d.path, Type: "dir",
				FileInfo: &files.ContentFileInfo{Owner: "root", Group: "root", Mode: 0o755}})
		}
	case "rpm":
		if err := os.WriteFile(script, []byte(preinst), 0o755); err != nil {
			return "", fmt.Errorf("stage stand-in: %w", err)
		}
		info.Scripts.PreInstall = script
		for _, d := range standinDirs {
			contents = append(contents, &files.Content{Destination: d.path, Type: "dir",
				FileInfo: &files.ContentFileInfo{Owner: d.owner, Group: d.group, Mode: d.mode}})
		}
		// An empty rpm database knows no /bin/sh; the real system's packages
		// would provide it.
		info.Provides = []string{"/bin/sh"}
	default:
		return "", fmt.Errorf("stand-in: unknown format %q", format)
	}
	// ossec.conf, to prove that our scripts never change it.
	conf := filepath.Join(stage, "ossec.conf")
	if err := os.WriteFile(conf, []byte("<ossec_config>\n</ossec_config>\n"), 0o644); err != nil {
		return "", fmt.Errorf("stage stand-in: %w", err)
	}
	contents = append(contents, &files.Content{Source: conf, Destination: "/var/ossec/etc/ossec.conf", Type: "config|noreplace",
		FileInfo: &files.ContentFileInfo{Owner: "root", Group: "wazuh", Mode: 0o660}})
	if format == "deb" {
		contents[len(contents)-1].FileInfo.Group = "root"
	}
	info.Contents = contents
	if err := os.MkdirAll(outDir, 0o755); err != nil {
		return "", fmt.Errorf("stand-in: %w", err)
	}
	return writePackage(outDir, format, info)
}

func cmdStandin(args []string) error {
	fset := flag.NewFlagSet("standin", flag.ContinueOnError)
	format := fset.String("format", "deb", "deb or rpm")
	arch := fset.String("arch", "amd64", "GOARCH")
	version := fset.String("version", "4.14.7", "wazuh-manager version to impersonate")
	out := fset.String("out", "", "output directory (required)")
	if err := fset.Parse(args); err != nil {
		return err
	}
	if *out == "" {
		return errors.New("standin: -out is required")
	}
	path, err := BuildStandin(*format, *arch, *version, *out)
	if err != nil {
		return err
	}
	fmt.Println(path)
	return nil
}
