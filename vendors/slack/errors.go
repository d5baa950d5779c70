package slack

import (
	"encoding/json"
	"errors"
	"fmt"

	"github.com/wodlekit/wodlekit/runtime/httpx"
	"github.com/wodlekit/wodlekit/runtime/runner"
)

// remedy is what an admin must do about one of Slack's error codes.
type remedy struct {
	// access marks a refusal of the token or of the organization's plan:
	// an auth error event, whatever HTTP status carried it.
	access bool
	fix    string
}

// remedies covers the codes Slack documents for its Web API and the ones
// the Audit Logs API is reported to send; an unknown code is still
// reported with its name.
var remedies = map[string]remedy{
	"not_authed":             {true, "no token reached Slack: set SLACK_TOKEN"},
	"invalid_auth":           {true, "Slack does not know this token: copy the User OAuth Token (xoxp-...) again from the app's OAuth & Permissions page"},
	"account_inactive":       {true, "the token's user was deactivated: install the app again as an active organization owner and use the new token"},
	"token_revoked":          {true, "the token was revoked (the app was uninstalled or the owner signed out of it): reinstall the app on the organization and use the new token"},
	"token_expired":          {true, "the token expired (token rotation is on): turn rotation off for this app or reinstall it, and use the new token"},
	"missing_scope":          {true, "the token lacks auditlogs:read: add it under User Token Scopes of the app, reinstall the app on the organization, and use the new token"},
	"not_allowed_token_type": {true, "this kind of token is refused: use the user token (xoxp-...) an organization owner gets when installing the app, not a bot or admin token"},
	"no_permission":          {true, "the token's user is not allowed to read audit logs: the app must be installed by an owner of the Enterprise organization"},
	"user_not_authorized":    {true, "the token's user is not allowed to read audit logs: the app must be installed by an owner of the Enterprise organization"},
	"feature_not_enabled":    {true, "audit logs are not available to this organization: the Audit Logs API needs a Slack Enterprise plan"},
	"team_not_authorized":    {true, "the app is installed on a workspace, not on the organization: install it at the Enterprise organization level"},
	"invalid_workspace":      {true, "the token belongs to a workspace, not an Enterprise organization: install the app on the organization"},
	"ekm_access_denied":      {true, "Slack's Enterprise Key Management refused access: ask the key administrators to allow it"},
	"ratelimited":            {false, "Slack's organization-wide Tier 3 budget (about 50 calls a minute) is spent, by this collector and any other audit consumer: lower SLACK_REQUESTS_PER_MINUTE or stop the other consumer"},
	"invalid_arguments":      {false, "Slack refused the query: check SLACK_PAGE_SIZE (1 to 1000) and that the host clock is right"},
	"invalid_cursor":         {false, "Slack no longer accepts the saved page cursor: the collector restarts the sweep from its oldest delivered second"},
	"internal_error":         {false, "Slack failed on its side: the next run retries"},
	"fatal_error":            {false, "Slack failed on its side: the next run retries"},
	"service_unavailable":    {false, "Slack is unavailable: the next run retries"},
}

// APIError is Slack's {"ok":false,"error":"<code>"} answer.
type APIError struct {
	Code string
	// Status is the HTTP status that carried it.
	Status int
}

// Error reads "Slack answered invalid_auth: <what to do>".
func (e *APIError) Error() string {
	msg := "Slack answered " + e.Code
	if e.Status != 200 && e.Status != 0 {
		msg += fmt.Sprintf(" (HTTP %d)", e.Status)
	}
	if r, ok := remedies[e.Code]; ok {
		return msg + ": " + r.fix
	}
	return msg + " (a code this collector does not know; see Slack's Audit Logs API documentation)"
}

// ParseError reads body as Slack's error answer: ok is true only for an
// object whose "ok" is false; the code is "" when "error" is missing or
// not a string.
func ParseError(body []byte) (code string, ok bool) {
	e, err := readEnvelope(body)
	if err != nil {
		return "", false
	}
	return e.refusal()
}

// refusal is the error code when the answer is {"ok":false,...}.
func (e envelope) refusal() (code string, ok bool) {
	if e.OK == nil || *e.OK {
		return "", false
	}
	var s string
	if json.Unmarshal(e.Error, &s) != nil {
		return "", true
	}
	return s, true
}

// envelope is Slack's error answer.
type envelope struct {
	OK    *bool           `json:"ok"`
	Error json.RawMessage `json:"error"`
}

func readEnvelope(body []byte) (envelope, error) {
	var e envelope
	err := json.Unmarshal(body, &e)
	return e, err
}

// refusal turns Slack's error code into the error a run reports: access
// refusals are auth errors whatever status carried them.
func refusal(code string, status int) error {
	if code == "" {
		code = "unknown_error"
	}
	e := &APIError{Code: code, Status: status}
	if r, ok := remedies[code]; ok && r.access {
		return runner.AuthError(e)
	}
	return e
}

// explain adds the remedy to an HTTP error whose body was Slack's error
// answer; httpx kept the code as the status error's message.
func explain(err error) error {
	var se *httpx.StatusError
	if !errors.As(err, &se) {
		return err
	}
	r, ok := remedies[se.Message]
	if !ok {
		return err
	}
	return fmt.Errorf("%w: %s", err, r.fix)
}
