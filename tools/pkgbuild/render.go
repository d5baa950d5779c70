package main

import (
	"bytes"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"text/template"
)

// Generated files, by name inside the packaging directory (the template) and
// in a rendered directory.
const (
	fileRunSh    = "run.sh"
	filePostinst = "scripts/postinst.sh"
	filePostrm   = "scripts/postrm.sh"
	fileSettings = "templates/settings.env"
	fileSecrets  = "templates/secrets.env"
	fileSnippet  = "templates/ossec.conf.snippet.xml"
	fileCopy     = "templates/copyright"
	fileLintian  = "templates/lintian-overrides"
)

// templateFiles are rendered once per vendor; none of them is vendor specific.
var templateFiles = []string{fileRunSh, filePostinst, filePostrm, fileSettings, fileSecrets, fileSnippet, fileCopy, fileLintian}

// Entry is one path the package installs, with Wazuh's owner, group and mode.
type Entry struct {
	Path   string
	Source string // rendered file name or source path; empty for directories
	Type   string // nfpm content type: "dir", "" (file) or "config|noreplace"
	Owner  string
	Group  string
	Mode   fs.FileMode
	Doc    bool // documentation: root:root, not re-owned by postinst
}

// LintianOverride is one lintian tag the deb overrides, with the reason.
type LintianOverride struct {
	Tag, Context, Why string
}

// TemplateData is what every template sees.
type TemplateData struct {
	*Metadata
	Format                                      string // "deb" or "rpm": the scripts differ
	Vendor, Package, Version, Homepage, License string
	Year                                        int
	Group, MinManager                           string
	BinaryName, WodleDir, RunScript             string
	ConfigDir, SettingsFile, SecretsFile        string
	StateDir, LogFile, DocDir, SnippetFile      string
	DecodersFile, RulesFile                     string
	Interval                                    string
	Settings                                    []SettingView
	Owned                                       []Entry
	LintianOverrides                            []LintianOverride
}

// SettingView is a Setting plus the default run.sh gives it, which wins over
// the binary's own default in the packaged layout.
type SettingView struct {
	Setting
	RunShDefault string
}

// NewTemplateData computes every installed path of a vendor's package. The
// layout lives here only: contents, postinst and docs all read it.
func NewTemplateData(v *Vendor, format, version, homepage, license string, year int) *TemplateData {
	name, pkg := v.Name, PackageName(v.Name)
	d := &TemplateData{
		Metadata:     v.Meta,
		Format:       format,
		Year:         year,
		Vendor:       name,
		Package:      pkg,
		Version:      version,
		Homepage:     homepage,
		License:      license,
		Group:        wazuhGroup,
		MinManager:   minManager,
		BinaryName:   name + "-wodle",
		WodleDir:     wazuhHome + "/wodles/" + name,
		ConfigDir:    "/etc/" + pkg,
		StateDir:     wazuhHome + "/var/wodles/" + name,
		LogFile:      wazuhHome + "/logs/wodles/" + name + ".log",
		DocDir:       "/usr/share/doc/" + pkg,
		DecodersFile: wazuhHome + "/etc/decoders/" + name + "_decoders.xml",
		RulesFile:    wazuhHome + "/etc/rules/" + name + "_rules.xml",
		Interval:     v.Meta.WazuhInterval(),
	}
	// The settings directory keeps the vendor name in its files but the
	// package name in its path, so /etc/<package>/ is owned by one package.
	d.RunScript = d.WodleDir + "/run.sh"
	d.SettingsFile = d.ConfigDir + "/" + name + ".env"
	d.SecretsFile = d.ConfigDir + "/secrets.env"
	d.SnippetFile = d.DocDir + "/ossec.conf.snippet.xml"

	runShDefaults := map[string]string{
		v.Meta.EnvPrefix + "SECRETS_FILE": d.SecretsFile,
		v.Meta.EnvPrefix + "STATE_DIR":    d.StateDir,
		v.Meta.EnvPrefix + "LOG_FILE":     d.LogFile,
	}
	for _, s := range v.Meta.Settings {
		d.Settings = append(d.Settings, SettingView{Setting: s, RunShDefault: runShDefaults[s.Env]})
	}

	// Owners and modes from Wazuh's wazuh-manager.spec: wodles root:wazuh 0750,
	// rules and decoders root:wazuh 0640 (wazuh-analysisd runs as wazuh and must
	// read them; they are not writable by the API because upgrades replace them).
	// wazuh-modulesd runs the command as root, so secrets can be root:root 0600.
	d.Owned = []Entry{
		{Path: d.WodleDir, Type: "dir", Owner: "root", Group: wazuhGroup, Mode: 0o750},
		{Path: d.WodleDir + "/" + d.BinaryName, Source: "@binary", Owner: "root", Group: wazuhGroup, Mode: 0o750},
		{Path: d.RunScript, Source: fileRunSh, Owner: "root", Group: wazuhGroup, Mode: 0o750},
		{Path: d.DecodersFile, Source: "@decoders", Owner: "root", Group: wazuhGroup, Mode: 0o640},
		{Path: d.RulesFile, Source: "@rules", Owner: "root", Group: wazuhGroup, Mode: 0o640},
		{Path: d.ConfigDir, Type: "dir", Owner: "root", Group: wazuhGroup, Mode: 0o750},
		{Path: d.SettingsFile, Source: fileSettings, Type: "config|noreplace", Owner: "root", Group: wazuhGroup, Mode: 0o640},
		{Path: d.SecretsFile, Source: fileSecrets, Type: "config|noreplace", Owner: "root", Group: "root", Mode: 0o600},
	}
	d.LintianOverrides = []LintianOverride{
		{Tag: "non-standard-dir-in-var", Why: "Wazuh lives in /var/ossec; wazuh-manager overrides the same tag."},
		{Tag: "file-in-unusual-dir", Why: "The wodle, decoder and rules must sit in Wazuh's tree under /var/ossec; wazuh-manager overrides the same tag."},
		{Tag: "statically-linked-binary", Why: "Not in wazuh-manager's list (it ships no Go binary): the wodle is a Go binary built with CGO_ENABLED=0, static by design. lintian exempts Go binaries itself, but only when it sees a Debian source package built with golang-go, which a binary-only package has not."},
		{Tag: "non-standard-file-perm", Context: "0600 != 0644 [" + strings.TrimPrefix(d.SecretsFile, "/") + "]", Why: "Not in wazuh-manager's list: the secrets file is root's alone (0600) in the archive too, so that it is never readable by every user between unpack and postinst."},
		{Tag: "initial-upload-closes-no-bugs", Why: "Not a Debian upload, so no ITP bug; wazuh-manager overrides the same tag under its older name new-package-should-close-itp-bug."},
	}
	return d
}

// Contents lists every entry of the package for one format: the owned files
// plus the docs.
//
// The rpm carries Wazuh's owners and modes itself (%attr, as wazuh-manager.spec
// does): the manager's %pre has created the group before our files unpack.
// The deb ships them root:root with standard modes and its postinst applies
// Wazuh's, exactly as Wazuh's own deb does (dh_fixperms, then
// restore-permissions.sh from postinst): the group may not exist at unpack
// time, and lintian accepts no other modes. Except 0600, which secrets.env
// keeps in the archive too: shipped 0644, it would be readable by every user
// from unpack until postinst, and for good when the package is only unpacked
// (dpkg --unpack) or its postinst stops before the chmod.
func (d *TemplateData) Contents(format string) []Entry {
	entries := append([]Entry(nil), d.Owned...)
	if format == "deb" {
		for i, e := range entries {
			mode := fs.FileMode(0o644)
			switch {
			case e.Type == "dir" || e.Mode&0o100 != 0:
				mode = 0o755
			case e.Mode&0o077 == 0:
				// Root's alone (secrets.env): never readable by others, not
				// even between unpack and postinst.
				mode = 0o600
			}
			entries[i].Owner, entries[i].Group, entries[i].Mode = "root", "root", mode
		}
	}
	// rpm: own the doc directory (nfpm adds no parents, so rpm -e would leave
	// it behind) and mark the files as %doc.
	docType := ""
	if format == "rpm" {
		docType = "doc"
	}
	entries = append(entries,
		Entry{Path: d.DocDir, Type: "dir", Owner: "root", Group: "root", Mode: 0o755, Doc: true},
		Entry{Path: d.DocDir + "/README.md", Source: "@readme", Type: docType, Owner: "root", Group: "root", Mode: 0o644, Doc: true},
		Entry{Path: d.SnippetFile, Source: fileSnippet, Type: docType, Owner: "root", Group: "root", Mode: 0o644, Doc: true},
		Entry{Path: d.DocDir + "/copyright", Source: fileCopy, Type: docType, Owner: "root", Group: "root", Mode: 0o644, Doc: true},
	)
	return entries
}

var templateFuncs = template.FuncMap{
	// comment turns help text into "# " lines wrapped at 78 columns.
	"comment": func(text string) string {
		var lines []string
		line := "#"
		for _, word := range strings.Fields(text) {
			if len(line)+1+len(word) > 78 && line != "#" {
				lines = append(lines, line)
				line = "#"
			}
			line += " " + word
		}
		return strings.Join(append(lines, line), "\n")
	},
}

// Render renders every template of the packaging directory for one vendor,
// returning the generated files by template name.
func Render(packagingDir string, d *TemplateData) (map[string][]byte, error) {
	out := map[string][]byte{}
	for _, name := range templateFiles {
		path := filepath.Join(packagingDir, name)
		src, err := os.ReadFile(path)
		if err != nil {
			return nil, fmt.Errorf("read template: %w", err)
		}
		tpl, err := template.New(name).Funcs(templateFuncs).Option("missingkey=error").Parse(string(src))
		if err != nil {
			return nil, fmt.Errorf("parse template %s: %w", path, err)
		}
		var buf bytes.Buffer
		if err := tpl.Execute(&buf, d); err != nil {
			return nil, fmt.Errorf("render %s for %s: %w", path, d.Vendor, err)
		}
		out[name] = buf.Bytes()
	}
	return out, nil
}

// WriteRendered writes rendered files under dir, keeping their template names
// (scripts/, templates/); run.sh and the scripts are made executable.
func WriteRendered(dir string, files map[string][]byte) error {
	for name, data := range files {
		path := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			return fmt.Errorf("write rendered files: %w", err)
		}
		mode := fs.FileMode(0o644)
		if strings.HasSuffix(name, ".sh") {
			mode = 0o755
		}
		if err := os.WriteFile(path, data, mode); err != nil {
			return fmt.Errorf("write rendered files: %w", err)
		}
	}
	return nil
}
