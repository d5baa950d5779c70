package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// Metadata is what a vendor binary prints with its `metadata` command: the single
// source of truth for everything the package generates (settings file, secrets
// template, ossec.conf snippet, descriptions).
type Metadata struct {
	Name            string    `json:"name"`
	Title           string    `json:"title"`
	Description     string    `json:"description"`
	EnvPrefix       string    `json:"env_prefix"`
	Settings        []Setting `json:"settings"`
	Secrets         []Secret  `json:"secrets"`
	DefaultInterval string    `json:"default_interval"`
	DefaultTimeout  string    `json:"default_timeout"`
	DocsURL         string    `json:"docs_url"`
}

// Setting is one environment variable the binary reads, as documented by its config struct.
type Setting struct {
	Env      string `json:"env"`
	Default  string `json:"default"`
	Help     string `json:"help"`
	Required bool   `json:"required"`
}

// Secret is one key the binary reads through its secrets chain.
type Secret struct {
	Key  string `json:"key"`
	Help string `json:"help"`
}

var (
	vendorNameRE = regexp.MustCompile(`^[a-z][a-z0-9_]*$`)
	envPrefixRE  = regexp.MustCompile(`^[A-Z][A-Z0-9_]*_$`)
	envNameRE    = regexp.MustCompile(`^[A-Z][A-Z0-9_]*$`)
	// Wazuh's scheduler reads <interval> as a number with an optional unit
	// (s, m, h, d, w); a Go duration such as "5m0s" would be rejected.
	wazuhIntervalRE = regexp.MustCompile(`^([1-9][0-9]*)([smhdw]?)$`)
)

// metadataTimeout bounds `<binary> metadata`: it must answer from its own
// config struct without any network call.
const metadataTimeout = 30 * time.Second

// ParseMetadata decodes the JSON printed by `<vendor>-wodle metadata` and
// validates it for the vendor the package is built for. Unknown fields are
// accepted so the runtime can add fields before the packager uses them.
func ParseMetadata(r io.Reader, vendor string) (*Metadata, error) {
	var m Metadata
	dec := json.NewDecoder(r)
	if err := dec.Decode(&m); err != nil {
		return nil, fmt.Errorf("decode metadata JSON: %w", err)
	}
	if dec.More() {
		return nil, errors.New("decode metadata JSON: more than one JSON value")
	}
	if err := m.Validate(vendor); err != nil {
		return nil, err
	}
	return &m, nil
}

// LoadMetadataFile reads a vendor's metadata from a JSON file (used by tests and
// while a binary cannot print its own metadata).
func LoadMetadataFile(path, vendor string) (*Metadata, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("metadata for %s: %w", vendor, err)
	}
	defer f.Close()
	m, err := ParseMetadata(f, vendor)
	if err != nil {
		return nil, fmt.Errorf("metadata for %s from %s: %w", vendor, path, err)
	}
	return m, nil
}

// LoadMetadataFromBinary runs `<bin> metadata` and parses its stdout.
func LoadMetadataFromBinary(bin, vendor string) (*Metadata, error) {
	ctx, cancel := context.WithTimeout(context.Background(), metadataTimeout)
	defer cancel()
	var stdout, stderr bytes.Buffer
	cmd := exec.CommandContext(ctx, bin, "metadata")
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("metadata for %s: %s metadata: %w (stderr: %q; the vendor binary must implement the `metadata` command)",
			vendor, bin, err, strings.TrimSpace(stderr.String()))
	}
	m, err := ParseMetadata(&stdout, vendor)
	if err != nil {
		return nil, fmt.Errorf("metadata for %s from `%s metadata`: %w", vendor, bin, err)
	}
	return m, nil
}

// Validate reports every problem at once, so a vendor author fixes them in one go.
func (m *Metadata) Validate(vendor string) error {
	var errs []error
	bad := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }

	if m.Name != vendor {
		bad("name %q does not match the vendor directory cmd/%s", m.Name, vendor)
	}
	if !vendorNameRE.MatchString(m.Name) {
		bad("name %q must match %s", m.Name, vendorNameRE)
	}
	if strings.TrimSpace(m.Title) == "" {
		bad("title is empty")
	}
	if strings.TrimSpace(m.Description) == "" {
		bad("description is empty")
	}
	if !envPrefixRE.MatchString(m.EnvPrefix) {
		bad("env_prefix %q must match %s", m.EnvPrefix, envPrefixRE)
	}
	seen := map[string]bool{}
	for i, s := range m.Settings {
		if !envNameRE.MatchString(s.Env) || !strings.HasPrefix(s.Env, m.EnvPrefix) {
			bad("settings[%d].env %q must be an upper-case variable starting with %q", i, s.Env, m.EnvPrefix)
		}
		if seen[s.Env] {
			bad("settings[%d].env %q is listed twice", i, s.Env)
		}
		seen[s.Env] = true
		if strings.ContainsAny(s.Default, "\n\r") {
			bad("settings[%d] (%s) default contains a newline", i, s.Env)
		}
	}
	for i, s := range m.Secrets {
		if !envNameRE.MatchString(s.Key) {
			bad("secrets[%d].key %q must be an upper-case variable name", i, s.Key)
		}
		if seen[s.Key] {
			bad("secrets[%d].key %q is also a setting or listed twice", i, s.Key)
		}
		seen[s.Key] = true
	}
	interval, err := ParseWazuhInterval(m.DefaultInterval)
	if err != nil {
		bad("default_interval: %w", err)
	}
	timeout, err := time.ParseDuration(m.DefaultTimeout)
	switch {
	case err != nil:
		bad("default_timeout %q: %w", m.DefaultTimeout, err)
	case timeout < time.Second || timeout%time.Second != 0:
		bad("default_timeout %q must be a whole number of seconds (Wazuh's <timeout> is in seconds)", m.DefaultTimeout)
	case interval > 0 && timeout >= interval:
		// Wazuh starts the next run late ("Interval overtaken") when a run
		// outlives the interval; the timeout must end a run before that.
		bad("default_timeout %s must be below default_interval %s", timeout, interval)
	}
	// The binary's own run deadline must end the run before Wazuh's SIGTERM.
	if s, ok := m.setting(m.EnvPrefix + "MAX_RUNTIME"); ok && s.Default != "" && err == nil {
		maxRuntime, perr := time.ParseDuration(s.Default)
		switch {
		case perr != nil:
			bad("%s default %q: %w", s.Env, s.Default, perr)
		case maxRuntime >= timeout:
			bad("%s default %s must be below default_timeout %s (the run deadline must end the run before Wazuh's SIGTERM)", s.Env, maxRuntime, timeout)
		}
	}
	if len(errs) > 0 {
		return fmt.Errorf("invalid metadata for %s: %w", vendor, errors.Join(errs...))
	}
	return nil
}

func (m *Metadata) setting(env string) (Setting, bool) {
	for _, s := range m.Settings {
		if s.Env == env {
			return s, true
		}
	}
	return Setting{}, false
}

// WazuhInterval is the <interval> for the ossec.conf snippet, in the largest
// unit that divides it ("5m0s" becomes "5m"): Wazuh does not read Go durations.
func (m *Metadata) WazuhInterval() string {
	d, err := ParseWazuhInterval(m.DefaultInterval)
	if err != nil {
		return ""
	}
	for _, u := range []struct {
		unit string
		d    time.Duration
	}{{"w", 7 * 24 * time.Hour}, {"d", 24 * time.Hour}, {"h", time.Hour}, {"m", time.Minute}} {
		if d%u.d == 0 {
			return strconv.FormatInt(int64(d/u.d), 10) + u.unit
		}
	}
	return strconv.FormatInt(int64(d/time.Second), 10) + "s"
}

// TimeoutSeconds is the <timeout> for the ossec.conf snippet.
func (m *Metadata) TimeoutSeconds() int {
	d, err := time.ParseDuration(m.DefaultTimeout)
	if err != nil {
		return 0
	}
	return int(d / time.Second)
}

// ParseWazuhInterval parses an interval written the way Wazuh's <interval>
// reads it (a number with an optional s/m/h/d/w unit, seconds when none) or as
// a Go duration (what a Go config struct prints, e.g. "5m0s").
func ParseWazuhInterval(s string) (time.Duration, error) {
	g := wazuhIntervalRE.FindStringSubmatch(s)
	if g == nil {
		d, err := time.ParseDuration(s)
		if err != nil || d < time.Second || d%time.Second != 0 {
			return 0, fmt.Errorf("%q is neither a Wazuh interval (e.g. 5m) nor a whole number of seconds as a Go duration (e.g. 5m0s)", s)
		}
		return d, nil
	}
	n, err := strconv.Atoi(g[1])
	if err != nil {
		return 0, fmt.Errorf("interval %q: %w", s, err)
	}
	unit := map[string]time.Duration{"": time.Second, "s": time.Second, "m": time.Minute, "h": time.Hour, "d": 24 * time.Hour, "w": 7 * 24 * time.Hour}[g[2]]
	return time.Duration(n) * unit, nil
}
