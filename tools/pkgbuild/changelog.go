package main

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"time"
)

// Changelogs are Keep a Changelog files: vendors/<v>/CHANGELOG.md, one section
// per release ("## [1.2.0] - 2026-11-20"), and runtime/CHANGELOG.md, whose
// sections are dated, not versioned ("## [2026-11-25]"), because the runtime
// is released only inside the vendors' packages. A runtime section belongs to
// every vendor release dated on or after it and after that vendor's previous
// release: a runtime change reaches each vendor in its next release.

// unreleased is Keep a Changelog's heading for work not yet released.
const unreleased = "Unreleased"

// ChangeSection is one "## [...]" section of a changelog.
type ChangeSection struct {
	Version string    // x.y.z[-pre]; "" in the runtime's dated sections and in [Unreleased]
	Date    time.Time // zero for [Unreleased]
	Items   []string  // "Added: text", one per bullet, in file order
}

// Changelog is a parsed CHANGELOG.md: its released sections newest first, and
// the [Unreleased] items apart.
type Changelog struct {
	Path       string
	Unreleased []string
	Sections   []ChangeSection
}

var (
	// "## [1.2.0] - 2026-11-20", "## 1.2.0 - 2026-11-20", "## [Unreleased]", "## [2026-11-25]"
	headingRE = regexp.MustCompile(`^##\s+\[?([^\]\s]+)\]?(?:\s+-\s+(\S+))?\s*$`)
	dateRE    = regexp.MustCompile(`^[0-9]{4}-[0-9]{2}-[0-9]{2}$`)
	linkRefRE = regexp.MustCompile(`^\[[^\]]+\]:\s`)
)

// ParseChangelog reads a Keep a Changelog file. dated says whether sections
// are headed by a date (the runtime) rather than a version (a vendor). Every
// error names the file and line.
func ParseChangelog(path string, dated bool) (*Changelog, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read changelog: %w", err)
	}
	c := &Changelog{Path: path}
	var cur *ChangeSection // nil before the first "##" and in [Unreleased]
	inUnreleased, kind := false, ""
	seen := map[string]int{}
	sc := bufio.NewScanner(bytes.NewReader(b))
	line := 0
	fail := func(format string, a ...any) error {
		return fmt.Errorf("%s:%d: %s", path, line, fmt.Sprintf(format, a...))
	}
	appendItem := func(text string) error {
		if cur == nil && !inUnreleased {
			return fail("a list item outside any \"## [version] - date\" section")
		}
		if kind != "" {
			text = kind + ": " + text
		}
		if inUnreleased {
			c.Unreleased = append(c.Unreleased, text)
		} else {
			cur.Items = append(cur.Items, text)
		}
		return nil
	}
	continueItem := func(text string) {
		items := &c.Unreleased
		if !inUnreleased && cur != nil {
			items = &cur.Items
		}
		if n := len(*items); n > 0 {
			(*items)[n-1] += " " + text
		}
	}
	lastWasItem := false
	for sc.Scan() {
		line++
		raw := sc.Text()
		text := strings.TrimSpace(raw)
		switch {
		case strings.HasPrefix(text, "## "):
			lastWasItem = false
			kind = ""
			g := headingRE.FindStringSubmatch(text)
			if g == nil {
				return nil, fail("heading %q is neither \"## [Unreleased]\" nor \"## [version] - YYYY-MM-DD\"", text)
			}
			label, date := g[1], g[2]
			if strings.EqualFold(label, unreleased) {
				cur, inUnreleased = nil, true
				continue
			}
			inUnreleased = false
			s := ChangeSection{}
			if dated {
				if date == "" && dateRE.MatchString(label) {
					date = label
				}
				if date == "" {
					return nil, fail("heading %q has no date (runtime sections are \"## [YYYY-MM-DD]\")", text)
				}
			} else {
				if !releaseVersionRE.MatchString(label) {
					return nil, fail("heading %q: %q is not a version x.y.z[-pre]", text, label)
				}
				if date == "" {
					return nil, fail("release %s has no date (\"## [%s] - YYYY-MM-DD\")", label, label)
				}
				s.Version = label
			}
			t, err := time.Parse(time.DateOnly, date)
			if err != nil {
				return nil, fail("heading %q: date %q is not YYYY-MM-DD", text, date)
			}
			s.Date = t
			key := s.Version
			if dated {
				key = date
			}
			if prev, dup := seen[key]; dup {
				return nil, fail("section %q repeats the one on line %d", text, prev)
			}
			seen[key] = line
			c.Sections = append(c.Sections, s)
			cur = &c.Sections[len(c.Sections)-1]
		case strings.HasPrefix(text, "### "):
			lastWasItem = false
			kind = strings.TrimSpace(strings.TrimPrefix(text, "### "))
		case strings.HasPrefix(text, "- ") || strings.HasPrefix(text, "* "):
			if err := appendItem(strings.TrimSpace(text[2:])); err != nil {
				return nil, err
			}
			lastWasItem = true
		case text == "" || linkRefRE.MatchString(text) || strings.HasPrefix(text, "# "):
			lastWasItem = lastWasItem && text == ""
		default:
			// An indented line continues the item above; other prose is ignored.
			if lastWasItem && raw != text {
				continueItem(text)
			}
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	for i := range c.Sections {
		s := &c.Sections[i]
		if len(s.Items) == 0 {
			return nil, fmt.Errorf("%s: section %s has no \"- \" items", path, s.label())
		}
		if i > 0 && s.Date.After(c.Sections[i-1].Date) {
			return nil, fmt.Errorf("%s: sections must be newest first, but %s is dated after %s above it",
				path, s.label(), c.Sections[i-1].label())
		}
	}
	return c, nil
}

func (s ChangeSection) label() string {
	if s.Version == "" {
		return "[" + s.Date.Format(time.DateOnly) + "]"
	}
	return "[" + s.Version + "] - " + s.Date.Format(time.DateOnly)
}

// Release returns the section of a version, if the changelog has one.
func (c *Changelog) Release(version string) (ChangeSection, bool) {
	for _, s := range c.Sections {
		if s.Version == version {
			return s, true
		}
	}
	return ChangeSection{}, false
}

// ErrNoChangelogEntry is returned when a release has no section in the
// vendor's changelog.
var ErrNoChangelogEntry = errors.New("no changelog entry")

// PackageChange is one entry of a package's own changelog (changelog.Debian.gz,
// rpm %changelog): a version, its date and its lines, newest entry first.
type PackageChange struct {
	Version string // upstream version, as the package spells it (1.2.0, 0.0.0~git.abc)
	Date    time.Time
	Notes   []string
}

// VendorHistory builds a package's changelog for version from the vendor's
// changelog and the runtime's. A release version (one with a section) gets
// that section and every earlier one; each gains the runtime sections dated
// after the previous release and on or before its own date. Any other version
// (a development build) gets a first entry with the [Unreleased] items of both
// and the runtime's dated sections not yet in a release, dated at buildTime,
// followed by the released history. vendorLog may be nil (no CHANGELOG.md:
// development builds only); requireEntry makes a version without a section an
// error, wrapping ErrNoChangelogEntry.
func VendorHistory(vendorLog, runtimeLog *Changelog, version PackageVersion, buildTime time.Time, requireEntry bool) ([]PackageChange, error) {
	// Oldest first (the file is newest first, checked by ParseChangelog), to
	// give each release the runtime changes since the one before.
	var releases []ChangeSection
	if vendorLog != nil {
		for i := len(vendorLog.Sections) - 1; i >= 0; i-- {
			releases = append(releases, vendorLog.Sections[i])
		}
	}
	var runtime []ChangeSection
	if runtimeLog != nil {
		runtime = runtimeLog.Sections
	}
	runtimeBetween := func(after, upTo time.Time, open bool) []string {
		var notes []string
		// runtime is newest first; keep that order within an entry.
		for _, r := range runtime {
			if r.Date.After(after) && (open || !r.Date.After(upTo)) {
				for _, it := range r.Items {
					notes = append(notes, "runtime: "+it)
				}
			}
		}
		return notes
	}
	var history []PackageChange
	var prev time.Time // zero: before every runtime change
	for _, r := range releases {
		history = append(history, PackageChange{
			Version: r.Version,
			Date:    r.Date,
			Notes:   append(append([]string(nil), r.Items...), runtimeBetween(prev, r.Date, false)...),
		})
		prev = r.Date
	}
	// Newest first, as both package formats list them.
	for i, j := 0, len(history)-1; i < j; i, j = i+1, j-1 {
		history[i], history[j] = history[j], history[i]
	}
	v := version.String()
	for i, h := range history {
		if h.Version != v {
			continue
		}
		// Runtime work not yet dated would be missing from this release's
		// changelog (and from every later one).
		if requireEntry && runtimeLog != nil && len(runtimeLog.Unreleased) > 0 && i == 0 {
			return nil, fmt.Errorf("%s has [Unreleased] items: move them under \"## [%s]\" (the release date) so that release %s lists them",
				runtimeLog.Path, h.Date.Format(time.DateOnly), v)
		}
		return history[i:], nil
	}
	if requireEntry {
		where := "vendors/<vendor>/CHANGELOG.md does not exist"
		if vendorLog != nil {
			where = vendorLog.Path + " has no \"## [" + v + "] - YYYY-MM-DD\" section"
		}
		return nil, fmt.Errorf("%w for %s: %s (move the [Unreleased] items under it)", ErrNoChangelogEntry, v, where)
	}
	notes := []string{"Development build " + v + ", not a release."}
	if vendorLog != nil {
		notes = append(notes, vendorLog.Unreleased...)
	}
	if runtimeLog != nil {
		for _, it := range runtimeLog.Unreleased {
			notes = append(notes, "runtime: "+it)
		}
	}
	notes = append(notes, runtimeBetween(prev, time.Time{}, true)...)
	return append([]PackageChange{{Version: v, Date: buildTime, Notes: notes}}, history...), nil
}

// LoadHistory reads <repo>/vendors/<vendor>/CHANGELOG.md and
// <repo>/runtime/CHANGELOG.md (each optional unless requireEntry) and builds
// the package changelog of version.
func LoadHistory(repo, vendor string, version PackageVersion, buildTime time.Time, requireEntry bool) ([]PackageChange, error) {
	load := func(path string, dated bool) (*Changelog, error) {
		c, err := ParseChangelog(path, dated)
		if errors.Is(err, fs.ErrNotExist) {
			return nil, nil
		}
		return c, err
	}
	vendorLog, err := load(filepath.Join(repo, "vendors", vendor, "CHANGELOG.md"), false)
	if err != nil {
		return nil, err
	}
	runtimeLog, err := load(filepath.Join(repo, "runtime", "CHANGELOG.md"), true)
	if err != nil {
		return nil, err
	}
	if vendorLog == nil && requireEntry {
		return nil, fmt.Errorf("%w for %s: %s does not exist", ErrNoChangelogEntry, version,
			filepath.Join(repo, "vendors", vendor, "CHANGELOG.md"))
	}
	return VendorHistory(vendorLog, runtimeLog, version, buildTime, requireEntry)
}
