package store

import "time"

// MaxScheduleLen bounds a segment's schedule (canonical JSON), in bytes.
const MaxScheduleLen = 512

// Slot is one claimed slot of a segment's schedule: the instant the run
// answers for (its as_of). A slot is claimed once, by one server, whatever
// the number of servers; its run is created once.
type Slot struct {
	AppID     string
	SegmentID string
	Slot      time.Time
	// Deps are the slots of the segments it references (directly or not)
	// that were due in the same batch: their runs must succeed first.
	Deps []SlotRef
	// RunID is the slot's run; empty until created (Closed when no run
	// will be: the segment was deleted).
	RunID  string
	Closed bool
	// CreatedAt is when it was claimed.
	CreatedAt time.Time
}

// SlotRef names a slot of a segment of the same app.
type SlotRef struct {
	SegmentID string    `json:"segment_id"`
	Slot      time.Time `json:"slot"`
}
