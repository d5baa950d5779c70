package main

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// testVendor is the sample onepassword metadata with the test repository's
// acme files standing in for its sources.
func testVendor(t *testing.T) *Vendor {
	t.Helper()
	v, err := LocateSources("testdata/repo", "acme")
	if err != nil {
		t.Fatal(err)
	}
	v.Name = "onepassword"
	v.Meta = sample(t)
	return v
}

func TestRender(t *testing.T) {
	v := testVendor(t)
	for _, format := range []string{"deb", "rpm"} {
		t.Run(format, func(t *testing.T) {
			files, err := Render("../../packaging", NewTemplateData(v, format, "1.2.3", "https://example.invalid", " text", 2026))
			if err != nil {
				t.Fatal(err)
			}
			for name, data := range files {
				if bytes.Contains(data, []byte("{{")) || bytes.Contains(data, []byte("<no value>")) {
					t.Errorf("%s: template syntax left in output", name)
				}
			}
			tests := []struct {
				file string
				want []string
			}{
				{fileRunSh, []string{"vendor='onepassword'", "${OP_SECRETS_FILE:=/etc/wazuh-wodle-onepassword/secrets.env}",
					"${OP_STATE_DIR:=/var/ossec/var/wodles/onepassword}", "${OP_LOG_FILE:=/var/ossec/logs/wodles/onepassword.log}",
					`WODLE_CONFIG_FILE:-/etc/wazuh-wodle-onepassword/onepassword.env`, `bin="${WODLE_BINARY:-$here/onepassword-wodle}"`, `exec "$bin" "$@"`}},
				{fileSnippet, []string{"<tag>onepassword</tag>", "<command>/var/ossec/wodles/onepassword/run.sh</command>",
					"<interval>5m</interval>", "<timeout>280</timeout>", "<ignore_output>no</ignore_output>", "<run_on_start>yes</run_on_start>"}},
				{fileSecrets, []string{"#OP_EVENTS_TOKEN=\n", "# Bearer token of a 1Password Events Reporting integration."}},
				{fileSettings, []string{"#OP_BASE_URL=https://events.1password.com\n", "# Default (set by run.sh): /var/ossec/var/wodles/onepassword\n",
					"#OP_MAX_RUNTIME=240s\n"}},
				{filePostinst, []string{"getent group wazuh", "/usr/share/doc/wazuh-wodle-onepassword/ossec.conf.snippet.xml", "ONE node"}},
				{fileCopy, []string{"Copyright (c) 2026"}},
			}
			for _, tt := range tests {
				for _, want := range tt.want {
					if !strings.Contains(string(files[tt.file]), want) {
						t.Errorf("%s does not contain %q:\n%s", tt.file, want, files[tt.file])
					}
				}
			}
			// Every setting and secret of the metadata is documented.
			for _, s := range v.Meta.Settings {
				if !strings.Contains(string(files[fileSettings]), "#"+s.Env+"=") {
					t.Errorf("settings file lacks %s", s.Env)
				}
			}
			// Only the deb re-applies ownership; rpm scripts must not contain
			// commands rpmlint calls dangerous (chown, rpm).
			postinst := string(files[filePostinst])
			if hasChown := strings.Contains(postinst, "chown "); hasChown != (format == "deb") {
				t.Errorf("%s postinst contains chown: %v", format, hasChown)
			}
			if format == "rpm" {
				for _, f := range []string{filePostinst, filePostrm} {
					if strings.Contains(string(files[f]), "; rpm") || strings.Contains(string(files[f]), "\trpm ") {
						t.Errorf("%s mentions rpm as a command", f)
					}
				}
			}
			for _, f := range []string{filePostinst, filePostrm} {
				if strings.Contains(string(files[f]), "ossec.conf >") || strings.Contains(string(files[f]), "sed -i") {
					t.Errorf("%s edits a file it must not", f)
				}
			}
		})
	}
}

func TestContentsModes(t *testing.T) {
	d := NewTemplateData(testVendor(t), "rpm", "1.2.3", "", "", 2026)
	want := map[string]string{
		"/var/ossec/wodles/onepassword":                    "root:wazuh 750 dir",
		"/var/ossec/wodles/onepassword/onepassword-wodle":  "root:wazuh 750 ",
		"/var/ossec/wodles/onepassword/run.sh":             "root:wazuh 750 ",
		"/var/ossec/etc/decoders/onepassword_decoders.xml": "root:wazuh 640 ",
		"/var/ossec/etc/rules/onepassword_rules.xml":       "root:wazuh 640 ",
		"/etc/wazuh-wodle-onepassword/onepassword.env":     "root:wazuh 640 config|noreplace",
		"/etc/wazuh-wodle-onepassword/secrets.env":         "root:root 600 config|noreplace",
		"/usr/share/doc/wazuh-wodle-onepassword":           "root:root 755 dir",
	}
	for format, rewrite := range map[string]func(string) string{
		"rpm": func(s string) string { return s },
		// The deb ships root:root with standard modes; postinst applies the
		// above. Root's alone (secrets) stays 0600 in the archive too.
		"deb": strings.NewReplacer("root:wazuh", "root:root", "750", "755", "640", "644").Replace,
	} {
		got := map[string]string{}
		for _, e := range d.Contents(format) {
			got[e.Path] = fmt.Sprintf("%s:%s %o %s", e.Owner, e.Group, e.Mode.Perm(), e.Type)
		}
		for path, w := range want {
			if got[path] != rewrite(w) {
				t.Errorf("%s: %s = %q, want %q", format, path, got[path], rewrite(w))
			}
		}
	}
}

// buildOnce builds the test vendor's packages into a fresh directory.
func buildOnce(t *testing.T, mtime time.Time) map[string][]byte {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "onepassword-wodle")
	if err := os.WriteFile(bin, []byte("\x7fELF stand-in binary"), 0o755); err != nil {
		t.Fatal(err)
	}
	version, _ := NormalizeVersion("1.2.3")
	cfg := &BuildConfig{
		PackagingDir: "../../packaging", OutDir: t.TempDir(),
		BinaryFor: func(string, string) string { return bin },
		Version:   version, Release: "1", Maintainer: "t <t@example.invalid>",
		Homepage: "https://example.invalid", License: "NOASSERTION", LicenseTxt: " none", MTime: mtime,
	}
	paths, err := BuildVendor(cfg, testVendor(t), []string{"deb", "rpm"}, []string{"amd64", "arm64"})
	if err != nil {
		t.Fatal(err)
	}
	out := map[string][]byte{}
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		out[filepath.Base(p)] = b
	}
	return out
}

func TestBuildIsReproducible(t *testing.T) {
	mtime := time.Unix(1700000000, 0).UTC()
	first := buildOnce(t, mtime)
	want := []string{
		"wazuh-wodle-onepassword_1.2.3-1_amd64.deb", "wazuh-wodle-onepassword_1.2.3-1_arm64.deb",
		"wazuh-wodle-onepassword-1.2.3-1.x86_64.rpm", "wazuh-wodle-onepassword-1.2.3-1.aarch64.rpm",
	}
	for _, name := range want {
		if _, ok := first[name]; !ok {
			t.Errorf("missing %s (got %d packages)", name, len(first))
		}
	}
	second := buildOnce(t, mtime) // other temp dirs and stage paths
	for name, b := range first {
		if !bytes.Equal(b, second[name]) {
			t.Errorf("%s differs between two builds of the same inputs", name)
		}
	}
	later := buildOnce(t, mtime.Add(time.Hour))
	for name, b := range first {
		if bytes.Equal(b, later[name]) {
			t.Errorf("%s does not depend on SOURCE_DATE_EPOCH", name)
		}
	}
}

func TestBuildNamesAMissingBinary(t *testing.T) {
	cfg := &BuildConfig{PackagingDir: "../../packaging", OutDir: t.TempDir(),
		BinaryFor: func(v, a string) string { return "/nonexistent/" + v + "-" + a }, Release: "1"}
	_, err := BuildVendor(cfg, testVendor(t), []string{"deb"}, []string{"arm64"})
	if err == nil || !strings.Contains(err.Error(), "binary for linux/arm64 not found at /nonexistent/onepassword-arm64") {
		t.Errorf("error = %v", err)
	}
}

// Every line of the Debian changelog fits lintian's 80 columns, the
// continuation lines of a long note included.
func TestChangelogNotesFitDebianLines(t *testing.T) {
	// A second line of exactly 72 columns is one column too many.
	note := strings.Repeat("x", 70) + " " + strings.Repeat("a", 35) + " " + strings.Repeat("b", 36) + " end"
	for _, line := range strings.Split(wrap(note, noteWidth), "\n") {
		if n := len("   -     ") + len(line); n > 80 {
			t.Fatalf("a continuation line of %d columns: %q", n, line)
		}
	}
}
