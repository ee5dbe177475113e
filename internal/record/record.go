// Package record holds the records every layer passes around: a user's
// profile, an event, a late event, and the error of a record that is not
// there. It imports nothing but the standard library, so that an engine
// can use them without the drivers of the others.
package record

import (
	"errors"
	"time"
)

// ErrNotFound is returned (wrapped) for an app, key, segment, version,
// run or user that is not there: matched with errors.Is.
var ErrNotFound = errors.New("not found")

// ErrConflict is returned (wrapped) for a record that exists already (an
// app, a key ID, a segment ID in its app), a segment that others still
// reference, or a profile write that other writes kept coming before.
var ErrConflict = errors.New("conflict")

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

// LateEvent is an event of a day already compacted into history, kept
// apart in the fresh store until the next compaction merges it.
type LateEvent struct {
	EventID string
	Day     time.Time // UTC midnight
}

// Reads is what a single-user read returns of a user's events: every
// event with its properties (AllEvents), or the events whose names Names
// holds, with their properties where it maps the name to true. The
// reference evaluator reads nothing else of a tree's events
// (evaluate.Reads), so a membership check need not fetch, send and
// decode the others: a user's sessions counted without a predicate cost
// no JSON.
type Reads struct {
	All   bool
	Names map[string]bool
}

// AllEvents reads every event with its properties.
var AllEvents = Reads{All: true}

// Of says whether an event of the name is read, and its properties.
func (r Reads) Of(name string) (read, properties bool) {
	if r.All {
		return true, true
	}
	properties, read = r.Names[name]
	return read, properties
}
