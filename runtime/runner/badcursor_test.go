package runner

import (
	"errors"
	"fmt"
	"testing"
)

func TestBadCursor(t *testing.T) {
	inner := errors.New("not a next URL")
	err := fmt.Errorf("fetch: %w", BadCursor("system", inner))
	want := "fetch: saved cursor of system: not a next URL; reset it with `state reset --source system --yes`"
	if err.Error() != want {
		t.Fatalf("message %q, want %q", err, want)
	}
	if !errors.Is(err, inner) {
		t.Error("BadCursor hides the cause")
	}
	if kind, status := classify(err); kind != kindState || status != 0 {
		t.Errorf("classified as %s/%d, want %s", kind, status, kindState)
	}
	if got := BadCursor("events", nil).Error(); got != "saved cursor of events: unreadable; reset it with `state reset --source events --yes`" {
		t.Errorf("nil cause: %q", got)
	}
}
