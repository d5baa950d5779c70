package mimecast

import (
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/wodlekit/wodlekit/runtime/httpx"
	"github.com/wodlekit/wodlekit/runtime/runner"
)

// explain adds to a refused API call what the admin can do about it;
// the error keeps its status for the error event.
func explain(err error) error {
	var se *httpx.StatusError
	if !errors.As(err, &se) {
		return err
	}
	switch {
	case se.Code == http.StatusUnauthorized:
		return fmt.Errorf("%w (the access token was refused: check that the API 2.0 application is enabled and its client secret current)", err)
	case se.Code == http.StatusForbidden:
		return fmt.Errorf("%w (the API 2.0 application lacks this API: add the product to the application, e.g. Security Events and Data Retrieval for SIEM, Audit for audit events)", err)
	}
	return err
}

// Fail is one entry of Mimecast's fail array, which an answer may carry
// with HTTP 200: {"code","message"}, or the older {"errors":[{"code","message","retryable"}]}.
type Fail struct {
	Code    string `json:"code"`
	Message string `json:"message"`
	Errors  []struct {
		Code      string `json:"code"`
		Message   string `json:"message"`
		Retryable bool   `json:"retryable"`
	} `json:"errors"`
}

// failError turns a non-empty fail array into the module's error: an auth
// error when it is about the credentials or the application's rights.
func failError(path string, fails []Fail) error {
	var parts []string
	for _, f := range fails {
		code, msg := f.Code, f.Message
		for _, e := range f.Errors {
			code, msg = e.Code, e.Message
		}
		parts = append(parts, strings.TrimPrefix(code+": "+msg, ": "))
	}
	err := fmt.Errorf("%s: Mimecast refused the request: %s", path, strings.Join(parts, "; "))
	lower := strings.ToLower(strings.Join(parts, " "))
	for _, w := range []string{"forbidden", "unauthori", "credential", "permission", "token"} {
		if strings.Contains(lower, w) {
			return runner.AuthError(err)
		}
	}
	return err
}
