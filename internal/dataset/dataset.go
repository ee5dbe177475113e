// Package dataset is a deterministic generator of realistic data (user
// profiles and events, internal/record) for tests, the demo app and
// benchmarks.
package dataset

import "github.com/segmentd/segmentd/internal/record"

// Data is one app's users and events.
type Data struct {
	Users  []record.User
	Events []record.Event
}

// EventsByUser groups events by user ID, each list in the order of Events.
func (d *Data) EventsByUser() map[string][]record.Event {
	out := make(map[string][]record.Event, len(d.Users))
	for _, e := range d.Events {
		out[e.UserID] = append(out[e.UserID], e)
	}
	return out
}
