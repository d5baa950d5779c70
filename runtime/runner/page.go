package runner

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"

	"github.com/wodlekit/wodlekit/runtime/httpx"
	"github.com/wodlekit/wodlekit/runtime/jsonrec"
)

// FetchPage sends req through c and decodes the body as one page of spec.
// A body that does not decode, or breaks spec's page contract (a record
// array absent or not an array, a body of the wrong type, a declared
// member absent, mistyped or empty), is a DecodeError, so the run reports
// it as such and keeps the cursor; transport and status errors are httpx's.
func FetchPage(ctx context.Context, c *httpx.Client, req httpx.Request, spec *jsonrec.Spec) (*jsonrec.Page, error) {
	var page *jsonrec.Page
	err := c.Do(ctx, req, func(resp *http.Response, body io.Reader) error {
		p, err := decodePage(ctx, body, resp.ContentLength, spec)
		if err != nil {
			return DecodeError(err)
		}
		page = p
		return nil
	})
	if err != nil {
		return nil, err
	}
	return page, nil
}

// checkCursor refuses a Page.Next that resumes nothing before its page is
// delivered: saved, an empty cursor would restart the module from nowhere
// or be refused by the API on every later run, and the page's events
// would have moved the module past them for nothing.
func checkCursor(next json.RawMessage) error {
	b := bytes.TrimSpace(next)
	switch {
	case len(b) == 0:
		return errors.New("the page has no cursor to resume from")
	case !json.Valid(b):
		return fmt.Errorf("the page's cursor is not valid JSON: %.60q", b)
	}
	switch string(b) {
	case "null", `""`, "{}", "[]":
		return fmt.Errorf("the page's cursor is empty (%s): nothing to resume from", b)
	}
	return nil
}
