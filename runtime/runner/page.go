package runner

import (
	"context"
	"io"
	"net/http"

	"github.com/wodlekit/wodlekit/runtime/httpx"
	"github.com/wodlekit/wodlekit/runtime/jsonrec"
)

// FetchPage sends req through c and decodes the body as one page of spec.
// A body that does not decode is a DecodeError, so the run reports it as
// such and keeps the cursor; transport and status errors are httpx's.
func FetchPage(ctx context.Context, c *httpx.Client, req httpx.Request, spec *jsonrec.Spec) (*jsonrec.Page, error) {
	var page *jsonrec.Page
	err := c.Do(ctx, req, func(_ *http.Response, body io.Reader) error {
		p, err := jsonrec.Decode(body, spec)
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
