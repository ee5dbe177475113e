// Package dataset is a deterministic generator of realistic data (user
// profiles and events, internal/record) for tests, the demo app and
// benchmarks.
package dataset

import (
	"slices"

	"github.com/segmentd/segmentd/internal/record"
)

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

// WithEventUsers is d as the embedded engine stores it: with a profile,
// as ingestion makes one, for each user who has events and none in d (no
// attributes; first_seen and last_seen the earliest and latest event
// times), after d's users in the order of their first event.
func (d *Data) WithEventUsers() *Data {
	out := &Data{Users: slices.Clone(d.Users), Events: d.Events}
	given := make(map[string]bool, len(d.Users))
	for _, u := range d.Users {
		given[u.UserID] = true
	}
	made := map[string]int{}
	for _, e := range d.Events {
		if given[e.UserID] {
			continue
		}
		i, ok := made[e.UserID]
		if !ok {
			i = len(out.Users)
			made[e.UserID] = i
			out.Users = append(out.Users, record.User{UserID: e.UserID, FirstSeen: e.Time, LastSeen: e.Time})
		}
		u := &out.Users[i]
		if e.Time.Before(u.FirstSeen) {
			u.FirstSeen = e.Time
		}
		if e.Time.After(u.LastSeen) {
			u.LastSeen = e.Time
		}
	}
	return out
}
