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
