package runner

import (
	"errors"
	"fmt"
	"reflect"
	"regexp"
	"strings"
)

// ForbiddenNameWords are the words a vendor Name must not contain: Wazuh's
// stock rules and decoders claim events whose integration or top-level
// keys carry them (amazon-security-lake, gcp-pubsub, github, office365,
// virustotal, maltiverse) before a vendor's own rules see them.
var ForbiddenNameWords = []string{"aws", "gcp", "github", "office365", "virustotal", "maltiverse"}

var (
	nameRE   = regexp.MustCompile(`^[a-z][a-z0-9_]*$`)
	prefixRE = regexp.MustCompile(`^[A-Z][A-Z0-9_]*_$`)
)

// Validate checks a vendor's declaration once, at start-up, and reports
// every mistake at once: a declaration the runner would otherwise take on
// trust (a forbidden name, an empty field, a secret outside the prefix).
func (v Vendor) Validate() error {
	var errs []error
	bad := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	switch {
	case !nameRE.MatchString(v.Name):
		bad("Name %q: want lower-case letters, digits and _, starting with a letter (it is the integration value and the namespace)", v.Name)
	default:
		for _, w := range ForbiddenNameWords {
			if strings.Contains(v.Name, w) {
				bad("Name %q contains %q: Wazuh's stock rules claim such events first; choose another name", v.Name, w)
			}
		}
	}
	if strings.TrimSpace(v.Title) == "" {
		bad("Title is empty: give the human name (\"1Password\")")
	}
	if strings.TrimSpace(v.Description) == "" {
		bad("Description is empty: one sentence for --help, metadata and packages")
	}
	if !prefixRE.MatchString(v.EnvPrefix) {
		bad("EnvPrefix %q: want upper-case letters, digits and _, ending in _ (\"OP_\")", v.EnvPrefix)
	}
	if v.Modules == nil {
		bad("Modules is nil: the vendor has nothing to collect")
	}
	if v.MaxLookback < 0 {
		bad("MaxLookback is %v: give the vendor's retention (0: none, lookbacks are not clamped)", v.MaxLookback)
	}
	if v.MaxPageSize <= 0 {
		bad("MaxPageSize is %d: give the largest page the API serves", v.MaxPageSize)
	}
	seen := map[string]bool{}
	for _, s := range v.Secrets {
		switch {
		case s.Key == "":
			bad("a secret has an empty Key")
		case seen[s.Key]:
			bad("secret %s is declared twice", s.Key)
		case !strings.HasPrefix(s.Key, v.EnvPrefix):
			bad("secret %s does not start with EnvPrefix %s", s.Key, v.EnvPrefix)
		}
		seen[s.Key] = true
		if strings.TrimSpace(s.Help) == "" && s.Key != "" {
			bad("secret %s has no Help: the admin must learn where it comes from", s.Key)
		}
	}
	if v.Settings != nil {
		if t := reflect.TypeOf(v.Settings); t.Kind() != reflect.Pointer || t.Elem().Kind() != reflect.Struct {
			bad("Settings is a %T: want a pointer to a settings struct", v.Settings)
		}
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("vendor declaration %q: %w", v.Name, err)
	}
	return nil
}

// hooks are the optional interfaces a module may implement, by method name.
var hooks = []struct {
	method string
	iface  reflect.Type
	want   string
}{
	{"Check", reflect.TypeFor[Checker](), "Check(ctx context.Context) (string, error)"},
	{"Prepare", reflect.TypeFor[Preparer](), "Prepare(ctx context.Context) error"},
}

// ValidateModules checks the modules a vendor built for a run: names that
// can be used in --source, state and events, unique; and an optional hook
// (Check, Prepare) whose signature does not match the runner's interface,
// which would otherwise be skipped without a word.
func ValidateModules(modules []Module) error {
	var errs []error
	seen := map[string]bool{}
	for i, m := range modules {
		if m == nil {
			errs = append(errs, fmt.Errorf("module %d is nil", i))
			continue
		}
		name := m.Name()
		switch {
		case !nameRE.MatchString(name):
			errs = append(errs, fmt.Errorf("module name %q: want lower-case letters, digits and _", name))
		case seen[name]:
			errs = append(errs, fmt.Errorf("module name %q is used twice", name))
		}
		seen[name] = true
		t := reflect.TypeOf(m)
		for _, h := range hooks {
			meth, ok := t.MethodByName(h.method)
			if ok && !t.Implements(h.iface) {
				errs = append(errs, fmt.Errorf("module %s (%v) has a method %s of type %v, but the runner calls %s: fix the signature, or it is never called",
					name, t, h.method, meth.Type, h.want))
			}
		}
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("modules: %w", err)
	}
	return nil
}
