package runner

import (
	"errors"
	"fmt"
	"testing"

	"github.com/wodlekit/wodlekit/runtime/httpx"
)

func TestClassify(t *testing.T) {
	refused := errors.New("missing_scope")
	tests := []struct {
		name   string
		err    error
		kind   string
		status int
	}{
		{"status 401", &httpx.StatusError{Code: 401}, kindAuth, 401},
		{"status 429", fmt.Errorf("page: %w", &httpx.StatusError{Code: 429}), kindRateLimit, 429},
		{"status 500", &httpx.StatusError{Code: 500}, kindHTTP, 500},
		{"throttled 403 (Google's rateLimitExceeded)", fmt.Errorf("after 5 attempts: %w", &httpx.StatusError{Code: 403, Throttled: true}), kindRateLimit, 403},
		{"throttle past the deadline", fmt.Errorf("wait: %w; last answer: %w", httpx.ErrDeadline, &httpx.StatusError{Code: 403, Throttled: true}), kindRateLimit, 403},
		{"status 403", &httpx.StatusError{Code: 403}, kindAuth, 403},
		{"daily quota under 403 (Google's dailyLimitExceeded)", fmt.Errorf("GET /x: %w", QuotaError(fmt.Errorf("%w: quota spent", &httpx.StatusError{Code: 403}))), kindRateLimit, 403},
		{"quota without a status", QuotaError(errors.New("daily limit")), kindRateLimit, 0},
		{"refusal in a 200 body", AuthError(refused), kindAuth, 0},
		{"wrapped refusal", fmt.Errorf("GET /x: %w", AuthError(refused)), kindAuth, 0},
		{"decode", DecodeError(errors.New("bad")), kindDecode, 0},
		{"other", errors.New("something"), kindModule, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			kind, status := classify(tt.err)
			if kind != tt.kind || status != tt.status {
				t.Fatalf("classify = %s, %d; want %s, %d", kind, status, tt.kind, tt.status)
			}
		})
	}
	if AuthError(nil) != nil {
		t.Fatal("AuthError(nil) is not nil")
	}
	if QuotaError(nil) != nil {
		t.Fatal("QuotaError(nil) is not nil")
	}
	if !errors.Is(AuthError(refused), refused) {
		t.Fatal("AuthError does not unwrap")
	}
}
