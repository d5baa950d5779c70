package fakeapi

import (
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// The audit event codes of the Events API reference (specification 1.4.1,
// AuditEventV2: action and object_type). An invented code in the fake would
// let a rule match events 1Password never sends, and the rule tests pass.
var (
	documentedActions = strings.Fields(`activate addgsso begin beginr cancel cancelr changeks changela
		changemp changenm changesk chngasso chngdsso chngpsso complete completr convert create dealldev
		delete delgsso delshare deolddev detchild disblduo disblmfa disblsso dlgsess dvrfydmn enblduo
		enblmfa enblsso expire export grant hide join launchi leave musercom muserdec patch propose provsn
		prsndall purge rdmchild reactive reauth replace resendts revoke role sdvcsso sendpkg sendts share
		ssotknv suspend tdvcsso trename trevoke trvlaway trvlback tverify uisas unhide unknown unlink
		updatduo update updatea updatfw updatmfa upguest uvrfydmn verify view vrfydmn`)
	documentedObjects = strings.Fields(`account card cred device dlgdsess ec famchild file gm group gva
		invite item itemhist items miguser mngdacc pm report sa satoken slackapp sso ssotkn sub template
		user uva vault vaultkey`)
)

func TestAuditKindsAreDocumented(t *testing.T) {
	for _, k := range auditKinds {
		if !slices.Contains(documentedActions, k.action) {
			t.Errorf("audit action %q is not in the Events API reference", k.action)
		}
		if !slices.Contains(documentedObjects, k.objectType) {
			t.Errorf("audit object type %q is not in the Events API reference", k.objectType)
		}
	}
}

// The rules must name only documented codes too: each alternative of a
// field regex on onepassword.action or onepassword.object_type is checked.
func TestRuleCodesAreDocumented(t *testing.T) {
	b, err := os.ReadFile("../../../rules/onepassword/onepassword_rules.xml")
	if err != nil {
		t.Fatal(err)
	}
	re := regexp.MustCompile(`<field name="onepassword\.(action|object_type)">([^<]*)</field>`)
	item := regexp.MustCompile(`^\^([a-z-]+)\$$`)
	matches := re.FindAllStringSubmatch(string(b), -1)
	if len(matches) < 10 {
		t.Fatalf("found %d action/object_type fields in the rules; the pattern no longer matches them", len(matches))
	}
	for _, m := range matches {
		for _, alt := range strings.Split(m[2], "|") {
			code := item.FindStringSubmatch(alt)
			if code == nil {
				t.Errorf("rule field %s %q: alternative %q is not of the form ^code$", m[1], m[2], alt)
				continue
			}
			known := documentedObjects
			if m[1] == "action" {
				// Audit actions and item usage actions share the field name.
				known = append(append([]string{}, documentedActions...), itemUsageActions...)
			}
			if !slices.Contains(known, code[1]) {
				t.Errorf("rule field %s matches %q, which 1Password does not document", m[1], code[1])
			}
		}
	}
}

// itemUsageActions are the documented item usage actions.
var itemUsageActions = strings.Fields(`enter-item-edit-mode export fill other reveal secure-copy
	select-sso-provider server-create server-fetch server-update share`)
