package runner

import (
	"errors"
	"fmt"
)

// cursorError is a saved cursor its module cannot read.
type cursorError struct {
	module string
	err    error
}

func (e *cursorError) Error() string {
	return fmt.Sprintf("saved cursor of %s: %v; reset it with `state reset --source %s --yes`", e.module, e.err, e.module)
}

func (e *cursorError) Unwrap() error { return e.err }

// BadCursor reports a saved cursor that module cannot read (edited, from
// another version, or pointing elsewhere): an error event of kind state
// whose message ends with the one command that resets it. The hint is
// written here once for every vendor.
func BadCursor(module string, err error) error {
	if err == nil {
		err = errors.New("unreadable")
	}
	return &cursorError{module: module, err: err}
}
