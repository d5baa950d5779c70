package secret

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// Tier names where a key was found, for debug output that must never show the value.
type Tier string

// The tiers in lookup order.
const (
	TierEnvironment Tier = "environment"
	TierFile        Tier = "secrets file"
	TierCredentials Tier = "credentials directory"
)

// KeySpec names one secret the collector needs; Optional ones may be absent.
type KeySpec struct {
	Key      string
	Optional bool
}

type entry struct {
	val  Secret
	tier Tier
}

// Bag is the resolved secrets, with the tier that served each for diagnostics.
type Bag struct {
	m map[string]entry
}

// Get returns the secret for key; ok is false when it was optional and absent.
func (b Bag) Get(key string) (Secret, bool) {
	e, ok := b.m[key]
	return e.val, ok
}

// Tier says which source served key ("" when absent), so debug level 2 can report it.
func (b Bag) Tier(key string) Tier { return b.m[key].tier }

// Keys lists the resolved keys sorted, for stable diagnostics.
func (b Bag) Keys() []string {
	keys := make([]string, 0, len(b.m))
	for k := range b.m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// Chain describes the places secrets are looked up, in priority order.
type Chain struct {
	// Lookup reads the environment (os.LookupEnv in production); nil skips the tier.
	Lookup func(key string) (string, bool)
	// File is a KEY=VALUE secrets file; "" means none.
	File string
	// CredentialsDir holds one file per key (systemd LoadCredential); "" means none.
	CredentialsDir string
}

// Load resolves every key through environment, then secrets file, then
// credentials directory. Empty values fall through to the next tier because
// run.sh commonly exports unset variables as "". Every missing or unreadable
// key is reported at once; warnings (loose file permissions) come separately
// so the runner can emit them as events without failing.
func (c Chain) Load(keys []KeySpec) (Bag, []string, error) {
	var (
		warnings []string
		errs     []error
		file     map[string]string
		fileOK   bool
	)
	if c.File != "" {
		var w string
		var err error
		file, w, err = readSecretsFile(c.File)
		if w != "" {
			warnings = append(warnings, w)
		}
		if err != nil {
			errs = append(errs, err)
		} else {
			fileOK = true
		}
	}
	bag := Bag{m: make(map[string]entry, len(keys))}
	for _, ks := range keys {
		if !ValidKey(ks.Key) {
			errs = append(errs, fmt.Errorf("secret key %q is not a valid name ([A-Za-z_][A-Za-z0-9_]*)", ks.Key))
			continue
		}
		var looked []string
		if c.Lookup != nil {
			if v, ok := c.Lookup(ks.Key); ok && v != "" {
				bag.m[ks.Key] = entry{New(v), TierEnvironment}
				continue
			}
			looked = append(looked, "environment variable "+ks.Key)
		}
		if c.File != "" {
			if v := file[ks.Key]; v != "" {
				bag.m[ks.Key] = entry{New(v), TierFile}
				continue
			}
			if fileOK {
				looked = append(looked, "secrets file "+c.File)
			} else {
				looked = append(looked, "secrets file "+c.File+" (unreadable)")
			}
		}
		if c.CredentialsDir != "" {
			p := filepath.Join(c.CredentialsDir, ks.Key)
			v, err := readCredential(p)
			if err != nil {
				errs = append(errs, fmt.Errorf("secret %s: %w", ks.Key, err))
				continue
			}
			if v != "" {
				bag.m[ks.Key] = entry{New(v), TierCredentials}
				continue
			}
			looked = append(looked, "credentials file "+p)
		}
		if ks.Optional {
			continue
		}
		if len(looked) == 0 {
			errs = append(errs, fmt.Errorf("secret %s is required but no source is configured (environment, secrets file or credentials directory)", ks.Key))
			continue
		}
		errs = append(errs, fmt.Errorf("secret %s is required but not set (looked in %s)", ks.Key, strings.Join(looked, ", ")))
	}
	if len(errs) > 0 {
		return Bag{}, warnings, errors.Join(errs...)
	}
	return bag, warnings, nil
}

// readSecretsFile checks permissions on the opened file (not the path) so
// the warning describes exactly what was read.
func readSecretsFile(path string) (map[string]string, string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, "", fmt.Errorf("secrets file %s: %w", path, unwrapPath(err))
	}
	defer f.Close()
	var warning string
	if fi, err := f.Stat(); err == nil {
		warning = permWarning(path, fi.Mode().Perm())
	}
	m, err := ParseFile(f)
	if err != nil {
		return nil, warning, fmt.Errorf("secrets file %s: %w", path, err)
	}
	return m, warning, nil
}

func permWarning(path string, mode fs.FileMode) string {
	switch {
	case mode&0o002 != 0:
		return fmt.Sprintf("secrets file %s has mode %04o and is writable by anyone: run chmod 0640 %s (or chmod 0600 if the group needs no access)", path, mode, path)
	case mode&0o004 != 0:
		return fmt.Sprintf("secrets file %s has mode %04o and is readable by other users: run chmod 0640 %s (or chmod 0600 if the group needs no access)", path, mode, path)
	case mode&0o020 != 0:
		return fmt.Sprintf("secrets file %s has mode %04o and is writable by its group: run chmod 0640 %s (or chmod 0600 if the group needs no access)", path, mode, path)
	}
	return ""
}

// readCredential treats a missing file as "not in this tier"; any other
// failure is an error because a credential that exists but cannot be read is
// a deployment mistake worth stopping for.
func readCredential(path string) (string, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("credentials file %s: %w", path, unwrapPath(err))
	}
	s := string(b)
	if t, ok := strings.CutSuffix(s, "\n"); ok {
		s = strings.TrimSuffix(t, "\r")
	}
	return s, nil
}

// unwrapPath drops the *PathError wrapper because our messages already name the path.
func unwrapPath(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}
