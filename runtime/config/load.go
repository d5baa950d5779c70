package config

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"time"

	"github.com/sethvargo/go-envconfig"
)

// Setting documents one environment variable, for `metadata` and the
// packaged settings file.
type Setting struct {
	Env      string `json:"env"`
	Default  string `json:"default,omitempty"`
	Help     string `json:"help"`
	Required bool   `json:"required,omitempty"`
}

// Process fills target (a pointer to a struct with `env` tags) from
// lookup under prefix. Unlike a plain envconfig call it reports every bad
// variable at once: each field is decoded on its own.
func Process(ctx context.Context, prefix string, lookup envconfig.Lookuper, target any) error {
	rv := reflect.ValueOf(target)
	if rv.Kind() != reflect.Pointer || rv.Elem().Kind() != reflect.Struct {
		return fmt.Errorf("config target must be a pointer to a struct, got %T", target)
	}
	st := rv.Elem().Type()
	var errs []error
	failed := map[string]bool{}
	for i := range st.NumField() {
		f := st.Field(i)
		if _, ok := f.Tag.Lookup("env"); !ok || !f.IsExported() {
			continue
		}
		one := reflect.New(reflect.StructOf([]reflect.StructField{{Name: f.Name, Type: f.Type, Tag: f.Tag}}))
		err := envconfig.ProcessWith(ctx, &envconfig.Config{
			Target:   one.Interface(),
			Lookuper: envconfig.PrefixLookuper(prefix, lookup),
		})
		if err != nil {
			errs = append(errs, fmt.Errorf("%s%s: %s", prefix, envName(f), cleanEnvError(err, f.Name)))
			failed[envName(f)] = true
			continue
		}
		rv.Elem().Field(i).Set(one.Elem().Field(0))
	}
	if len(errs) > 0 {
		return &ParseError{Fields: failed, Err: errors.Join(errs...)}
	}
	return nil
}

// ParseError lists the variables that could not be decoded; validation
// skips them so that each problem is reported once.
type ParseError struct {
	Fields map[string]bool
	Err    error
}

func (e *ParseError) Error() string { return e.Err.Error() }
func (e *ParseError) Unwrap() error { return e.Err }

func envName(f reflect.StructField) string {
	name, _, _ := strings.Cut(f.Tag.Get("env"), ",")
	return strings.TrimSpace(name)
}

// cleanEnvError drops envconfig's own key prefix so that messages read
// "OP_DEBUG: invalid value ..." once, not twice.
func cleanEnvError(err error, field string) string {
	msg := err.Error()
	msg = strings.TrimPrefix(msg, field+": ")
	return msg
}

// Settings lists the documented variables of target under prefix.
func Settings(prefix string, target any) []Setting {
	t := reflect.TypeOf(target)
	if t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	var out []Setting
	for i := range t.NumField() {
		f := t.Field(i)
		tag, ok := f.Tag.Lookup("env")
		if !ok {
			continue
		}
		s := Setting{Env: prefix + envName(f), Help: f.Tag.Get("help")}
		for _, opt := range strings.Split(tag, ",")[1:] {
			opt = strings.TrimSpace(opt)
			switch {
			case strings.HasPrefix(opt, "default="):
				s.Default = strings.TrimPrefix(opt, "default=")
			case opt == "required":
				s.Required = true
			}
		}
		out = append(out, s)
	}
	return out
}

// Rules are the vendor facts validation needs.
type Rules struct {
	Vendor         string
	DefaultBaseURL string
	AllowedHosts   []string
	MaxLookback    time.Duration
	MaxPageSize    int
	// Unparsed names settings (without prefix) that failed to decode;
	// their range checks are skipped so each problem is reported once.
	Unparsed map[string]bool
}

// validName reports whether s is an instance name or tag: a letter or
// digit, then up to 63 letters, digits, '_', '.' or '-'. (A regexp with a
// {0,63} repetition cost every run 0.4 ms and 861 allocations at start.)
func validName(s string) bool {
	if len(s) == 0 || len(s) > 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		alnum := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
		if !alnum && (i == 0 || c != '_' && c != '.' && c != '-') {
			return false
		}
	}
	return true
}

// Finish fills derived defaults and validates every setting, returning all
// problems at once and warnings (clamps) separately. It makes no network
// call; files it names are only stat'ed.
func (c *Common) Finish(prefix string, r Rules) (warnings []string, err error) {
	var errs []error
	bad := func(key, format string, args ...any) {
		if r.Unparsed[key] {
			return
		}
		errs = append(errs, fmt.Errorf("%s%s: %s", prefix, key, fmt.Sprintf(format, args...)))
	}
	if c.BaseURL == "" {
		c.BaseURL = r.DefaultBaseURL
	}
	if c.BaseURL == "" {
		bad("BASE_URL", "required: set the API base URL")
	} else if msg := checkBaseURL(c.BaseURL, r.AllowedHosts); msg != "" {
		bad("BASE_URL", "%s", msg)
	}
	if !validName(c.Instance) {
		bad("INSTANCE", "%q is not a valid instance name (letters, digits, '.', '_', '-'; at most 64)", c.Instance)
	}
	if c.Debug < 0 || c.Debug > 3 {
		bad("DEBUG", "%d is out of range 0-3", c.Debug)
	}
	if c.LookbackHours <= 0 {
		bad("LOOKBACK_HOURS", "must be more than 0 hours, got %v", c.LookbackHours)
	} else if r.MaxLookback > 0 && c.Lookback() > r.MaxLookback {
		warnings = append(warnings, fmt.Sprintf("%sLOOKBACK_HOURS=%v is beyond what the %s API keeps (%v hours): clamped to %v hours",
			prefix, c.LookbackHours, r.Vendor, r.MaxLookback.Hours(), r.MaxLookback.Hours()))
		c.LookbackHours = r.MaxLookback.Hours()
	}
	if c.MaxEventsPerRun < 0 {
		bad("MAX_EVENTS_PER_RUN", "must be 0 (no cap) or more, got %d", c.MaxEventsPerRun)
	}
	switch {
	case c.MaxBytesPerRun < 0:
		bad("MAX_BYTES_PER_RUN", "must be 0 (no cap) or more, got %d", c.MaxBytesPerRun)
	case c.Sink == "stdout" && (c.MaxBytesPerRun == 0 || c.MaxBytesPerRun > StdoutPageLimit):
		bad("MAX_BYTES_PER_RUN", "%d could cross the 64 MiB of output Wazuh's command wodle keeps (past it the rest of the run is lost): with SINK=stdout use 1 to %d (0, no cap, needs SINK=wazuh-queue)",
			c.MaxBytesPerRun, StdoutPageLimit)
	}
	switch c.Commit {
	case "auto", "immediate":
	case "next-run":
		if c.Sink != "stdout" {
			bad("COMMIT", "next-run applies to the stdout sink only (SINK=%s confirms delivery itself): use auto or immediate", c.Sink)
		}
	default:
		bad("COMMIT", "%q is not a commit mode: use auto, immediate or next-run", c.Commit)
	}
	if c.MaxRuntime < time.Second {
		bad("MAX_RUNTIME", "must be at least 1s (and below the wodle <timeout>), got %v", c.MaxRuntime)
	}
	if c.RequestTimeout < time.Second {
		bad("REQUEST_TIMEOUT", "must be at least 1s, got %v", c.RequestTimeout)
	}
	switch c.Sink {
	case "stdout", "wazuh-queue":
	default:
		bad("SINK", "%q is not a sink: use stdout or wazuh-queue", c.Sink)
	}
	derivedTag := c.Tag == ""
	if derivedTag {
		c.Tag = r.Vendor
		if c.Instance != "default" {
			c.Tag = r.Vendor + "-" + c.Instance
		}
	}
	// A tag derived from a bad instance name is the same problem, already
	// reported under INSTANCE.
	if !validName(c.Tag) && !(derivedTag && !validName(c.Instance)) {
		bad("TAG", "%q is not a valid wodle tag (letters, digits, '.', '_', '-')", c.Tag)
	}
	if c.QueueEPS < 1 || c.QueueEPS > 100000 {
		bad("QUEUE_EPS", "must be between 1 and 100000, got %d", c.QueueEPS)
	}
	// 65,535 bytes minus the "1:command_<tag>:" header is Wazuh's hard cut.
	if c.MaxLineBytes < 4096 || c.MaxLineBytes > 65000 {
		bad("MAX_LINE_BYTES", "must be between 4096 and 65000 (Wazuh cuts lines near 64 KiB), got %d", c.MaxLineBytes)
	}
	if c.MaxFields < 32 || c.MaxFields > 1024 {
		bad("MAX_FIELDS", "must be between 32 and 1024 (analysisd.decoder_order_size), got %d", c.MaxFields)
	}
	if c.ProxyURL != "" {
		if u, perr := url.Parse(c.ProxyURL); perr != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https" && u.Scheme != "socks5") {
			bad("PROXY_URL", "%q is not a proxy URL (http://host:port, https://..., socks5://...)", redactURL(c.ProxyURL))
		}
	}
	if c.CAFile != "" {
		if st, serr := os.Stat(c.CAFile); serr != nil {
			bad("CA_FILE", "%v", serr)
		} else if st.IsDir() {
			bad("CA_FILE", "%s is a directory, expected a PEM file", c.CAFile)
		}
	}
	if c.RetryAttempts < 1 || c.RetryAttempts > 20 {
		bad("RETRY_ATTEMPTS", "must be between 1 and 20, got %d", c.RetryAttempts)
	}
	if c.RetryBackoff < time.Millisecond || c.RetryBackoff > time.Minute {
		bad("RETRY_BACKOFF", "must be between 1ms and 1m, got %v", c.RetryBackoff)
	}
	if r.MaxPageSize > 0 {
		if c.PageSize == 0 {
			c.PageSize = r.MaxPageSize
		} else if c.PageSize < 1 || c.PageSize > r.MaxPageSize {
			bad("PAGE_SIZE", "must be between 1 and %d for %s, got %d", r.MaxPageSize, r.Vendor, c.PageSize)
		}
	}
	if c.LogMaxBytes < 0 {
		bad("LOG_MAX_BYTES", "must be 0 (no rotation) or more, got %d", c.LogMaxBytes)
	}
	c.StateDir = strings.ReplaceAll(c.StateDir, "{vendor}", r.Vendor)
	if c.StateFile == "" {
		c.StateFile = filepath.Join(c.StateDir, c.Instance+".state.json")
	}
	if c.CredentialsDir == "" {
		c.CredentialsDir = os.Getenv("CREDENTIALS_DIRECTORY")
	}
	return warnings, errors.Join(errs...)
}

// Lookback is LookbackHours as a duration.
func (c *Common) Lookback() time.Duration {
	return time.Duration(c.LookbackHours * float64(time.Hour))
}

// checkBaseURL returns "" when raw is acceptable: https on an allowed
// host, or http/https on loopback (tests and the demo's fake APIs).
func checkBaseURL(raw string, allowed []string) string {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return fmt.Sprintf("%q is not an absolute URL (expected https://host)", redactURL(raw))
	}
	if u.User != nil {
		return "credentials in the URL are not allowed: put secrets in the secrets file"
	}
	if u.RawQuery != "" || u.Fragment != "" {
		return fmt.Sprintf("%q must not have a query or fragment", redactURL(raw))
	}
	host := u.Hostname()
	loop := IsLoopback(host)
	switch u.Scheme {
	case "https":
	case "http":
		if !loop {
			return fmt.Sprintf("plain http is refused for %s: use https (http is allowed only for loopback addresses)", host)
		}
	default:
		return fmt.Sprintf("scheme %q is not supported: use https", u.Scheme)
	}
	if loop || len(allowed) == 0 {
		return ""
	}
	for _, a := range allowed {
		if HostMatches(a, host) {
			return ""
		}
	}
	return fmt.Sprintf("host %s is not a known API host (allowed: %s)", host, strings.Join(allowed, ", "))
}

// HostMatches matches host against an exact name or a "*.example.com"
// pattern (one or more labels).
func HostMatches(pattern, host string) bool {
	host = strings.ToLower(strings.TrimSuffix(host, "."))
	pattern = strings.ToLower(pattern)
	if suffix, ok := strings.CutPrefix(pattern, "*"); ok {
		return strings.HasSuffix(host, suffix) && len(host) > len(suffix)
	}
	return host == pattern
}

// IsLoopback reports whether host names this machine (127.0.0.0/8, ::1,
// localhost).
func IsLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

func redactURL(raw string) string {
	if u, err := url.Parse(raw); err == nil && u.User != nil {
		u.User = url.User("REDACTED")
		return u.String()
	}
	return raw
}
