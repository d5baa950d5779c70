package googleworkspace

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"
)

// Activity is what the collector reads of one activity: its ID and the
// name of its first event. The record itself is emitted as Google sent it.
type Activity struct {
	Time            time.Time
	UniqueQualifier string
	ApplicationName string
	// Events are the names of its events, in order.
	Events []string
}

// ParseActivity reads one activity's id and event names. Google sends the
// int64 uniqueQualifier as a JSON string; older answers and other clients'
// fixtures have a number: both are accepted, and read as the same key.
func ParseActivity(raw []byte) (Activity, error) {
	var r struct {
		ID *struct {
			Time            string          `json:"time"`
			UniqueQualifier json.RawMessage `json:"uniqueQualifier"`
			ApplicationName string          `json:"applicationName"`
		} `json:"id"`
		Events []struct {
			Name string `json:"name"`
		} `json:"events"`
	}
	if err := json.Unmarshal(raw, &r); err != nil {
		return Activity{}, fmt.Errorf("activity: %w", err)
	}
	if r.ID == nil {
		return Activity{}, errors.New("activity has no id")
	}
	t, err := time.Parse(time.RFC3339Nano, r.ID.Time)
	if err != nil {
		return Activity{}, fmt.Errorf("activity id.time %q is not an RFC 3339 time", r.ID.Time)
	}
	uq, err := Int64Text(r.ID.UniqueQualifier)
	if err != nil {
		return Activity{}, fmt.Errorf("activity id.uniqueQualifier: %w", err)
	}
	a := Activity{Time: t.UTC(), UniqueQualifier: uq, ApplicationName: r.ID.ApplicationName}
	for _, e := range r.Events {
		a.Events = append(a.Events, e.Name)
	}
	return a, nil
}

// Int64Text reads an int64 sent as a JSON string or a number, and returns
// its canonical decimal text.
func Int64Text(raw json.RawMessage) (string, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return "", errors.New("missing")
	}
	s := string(raw)
	if raw[0] == '"' {
		if err := json.Unmarshal(raw, &s); err != nil {
			return "", fmt.Errorf("%.40s is not a string", raw)
		}
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return "", fmt.Errorf("%.40q is not a 64-bit integer", s)
	}
	return strconv.FormatInt(n, 10), nil
}

// Key is the de-duplication key: id.time, id.uniqueQualifier and
// id.applicationName, as Google identifies an activity.
func (a Activity) Key() string {
	return a.Time.Format("2006-01-02T15:04:05.000000000Z") + "/" + a.UniqueQualifier + "/" + a.ApplicationName
}

// EventType is the name of the activity's first event ("login_failure",
// "GRANT_ADMIN_PRIVILEGE"), what rules key on; "activity" when it has none.
func (a Activity) EventType() string {
	if len(a.Events) > 0 && a.Events[0] != "" {
		return a.Events[0]
	}
	return "activity"
}
