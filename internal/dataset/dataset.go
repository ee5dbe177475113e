// Package dataset holds the records segments are evaluated over (user
// profiles and events) and a deterministic generator of realistic data for
// tests, the demo app and benchmarks.
package dataset

import "time"

// User is a user profile. Attributes hold decoded JSON: string, float64,
// bool, nil, and for nested keys map[string]any.
type User struct {
	UserID     string
	Attributes map[string]any
	FirstSeen  time.Time
	LastSeen   time.Time
}

// Event is one event. Properties hold decoded JSON (float64 for numbers);
// values may be nested objects and arrays.
type Event struct {
	EventID    string
	UserID     string
	Name       string
	Time       time.Time
	Properties map[string]any
}

// Data is one app's users and events.
type Data struct {
	Users  []User
	Events []Event
}

// EventsByUser groups events by user ID, each list in the order of Events.
func (d *Data) EventsByUser() map[string][]Event {
	out := make(map[string][]Event, len(d.Users))
	for _, e := range d.Events {
		out[e.UserID] = append(out[e.UserID], e)
	}
	return out
}
