package lint

import (
	"path/filepath"

	"github.com/wodlekit/wodlekit/tools/rulekit/engine"
)

// LoadRuleset loads every vendor's decoders and rules under root, as the
// manager would after the packages are installed.
func LoadRuleset(root string) *engine.Ruleset {
	var decPaths, rulePaths []string
	for _, v := range Vendors(root) {
		d, _ := filepath.Glob(filepath.Join(root, "rules", v, "*_decoders.xml"))
		r, _ := filepath.Glob(filepath.Join(root, "rules", v, "*_rules.xml"))
		decPaths = append(decPaths, d...)
		rulePaths = append(rulePaths, r...)
	}
	rel := func(p string) string {
		if r, err := filepath.Rel(root, p); err == nil {
			return r
		}
		return p
	}
	return engine.Load(readFiles(decPaths, rel), readFiles(rulePaths, rel))
}
