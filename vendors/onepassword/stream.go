package onepassword

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/wodlekit/wodlekit/runtime/runner"
)

// stream is one Events API endpoint. 1Password pages with an opaque
// cursor: a first request sends a "reset cursor" with start_time, every
// later one the cursor returned last, also after an empty last page.
type stream struct {
	c         *client
	name      string // endpoint and token feature
	eventType string
}

// Name implements runner.Module.
func (s *stream) Name() string { return s.name }

// Prepare skips the module when the token lacks its feature: 1Password
// refuses such calls, and the other features should still be collected.
func (s *stream) Prepare(ctx context.Context) error {
	features, source, err := s.c.grantedFeatures(ctx)
	if err != nil {
		return err
	}
	if !hasFeature(features, s.name) {
		return fmt.Errorf("%w: the token does not grant the %q feature (it grants %v, per %s); issue a token with it in 1Password's Events Reporting settings to collect %s",
			runner.ErrSkip, s.name, features, source, s.name)
	}
	return nil
}

type resetCursor struct {
	Limit     int    `json:"limit"`
	StartTime string `json:"start_time"`
}

type cursorBody struct {
	Cursor string `json:"cursor"`
}

// Fetch implements runner.Module.
func (s *stream) Fetch(ctx context.Context, req runner.PageRequest) (*runner.Page, error) {
	var body []byte
	var err error
	if req.Cursor == nil {
		body, err = json.Marshal(resetCursor{Limit: s.c.env.Config.PageSize, StartTime: req.Since.UTC().Format(time.RFC3339)})
	} else {
		var cur string
		if err := json.Unmarshal(req.Cursor, &cur); err != nil || cur == "" {
			return nil, runner.BadCursor(s.name, errors.New("not a 1Password cursor string"))
		}
		body, err = json.Marshal(cursorBody{Cursor: cur})
	}
	if err != nil {
		return nil, fmt.Errorf("encode request: %w", err)
	}
	page, err := s.c.post(ctx, s.name, body)
	if err != nil {
		return nil, err
	}
	// pageSpec's contract made both present and typed.
	cursor, _ := page.String("cursor")
	more, _ := page.Bool("has_more")
	next, err := json.Marshal(cursor)
	if err != nil {
		return nil, fmt.Errorf("encode cursor: %w", err)
	}
	out := &runner.Page{Next: next, More: more, Records: runner.PageRecords(ctx, len(page.Items))}
	for i, it := range page.Items {
		out.Records[i] = runner.Record{Raw: it.Raw, ID: it.Fields[0], EventType: s.eventType, Shape: it.Shape}
	}
	return out, nil
}

// Check asks for one event from the last hour: it proves the token, the
// host and the feature with the cheapest call the API has.
func (s *stream) Check(ctx context.Context) (string, error) {
	body, err := json.Marshal(resetCursor{Limit: 1, StartTime: s.c.env.Now().Add(-time.Hour).UTC().Format(time.RFC3339)})
	if err != nil {
		return "", fmt.Errorf("encode request: %w", err)
	}
	page, err := s.c.post(ctx, s.name, body)
	if err != nil {
		return "", err
	}
	_, source, _ := s.c.grantedFeatures(ctx)
	return fmt.Sprintf("token accepted, feature granted (per %s), %d event(s) in the last hour's first page", source, len(page.Items)), nil
}

// Interface guards: a hook with a wrong signature is a compile error.
var (
	_ runner.Module   = (*stream)(nil)
	_ runner.Preparer = (*stream)(nil)
	_ runner.Checker  = (*stream)(nil)
)
