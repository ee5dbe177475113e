package store

import "time"

// RunState is where a run is in its life: queued, then running, then one of
// the final states. A final state is never left.
type RunState string

// The states of a run.
const (
	RunQueued    RunState = "queued"
	RunRunning   RunState = "running"
	RunSucceeded RunState = "succeeded"
	RunFailed    RunState = "failed"
	RunCanceled  RunState = "canceled"
)

// Final reports whether the state is one a run never leaves.
func (st RunState) Final() bool {
	return st == RunSucceeded || st == RunFailed || st == RunCanceled
}

// Longest run key and snapshot key, in bytes, that every backend keeps.
const (
	MaxRunKeyLen   = 128
	MaxSnapshotLen = 255
)

// Run is a saved segment evaluated at AsOf, its result kept as an immutable
// snapshot. The store moves it between states only along queued → running →
// final (or queued → final, and running → queued to run it again), checking
// the state in the same statement, so a late writer cannot undo a final
// state: a run canceled while its query finishes stays canceled.
type Run struct {
	ID        string
	AppID     string
	SegmentID string
	Version   int      // of the segment
	State     RunState //
	Progress  float64  // 0..1
	Count     *int64   // members; nil until succeeded
	AsOf      time.Time
	Watermark time.Time // of the data the result reflects; zero until known
	Error     string    // why it failed, for the user
	Key       string    // the caller's hash of what the run computes, for reuse
	Snapshot  string    // the result's key in the snapshot cache, once succeeded
	CreatedAt time.Time
	// StartedAt is when it last started running; FinishedAt when it reached
	// a final state. Zero until then.
	StartedAt  time.Time
	FinishedAt time.Time
	// PurgedAt is when its members were purged (PurgeRun): its snapshot
	// is deleted, and no reader or new run may use it again. Zero if never.
	PurgedAt time.Time
	// Scheduled is whether a segment's schedule created the run (its AsOf
	// is the slot).
	Scheduled bool
	// LeaseUntil is when the lease of the server that queued or runs it
	// ends (runs.Config.Lease): after it, any server may take the run.
	// Zero: no lease.
	LeaseUntil time.Time
}

// RunPage selects a page of one segment's runs, newest first (by CreatedAt,
// then ID, both descending): what ListRuns returns.
type RunPage struct {
	// BeforeCreatedAt and BeforeID continue a listing after the run last
	// returned (its CreatedAt and ID); an empty BeforeID starts at the
	// newest.
	BeforeCreatedAt time.Time
	BeforeID        string
	// Limit is the most runs returned (0 or less: none).
	Limit int
	// Succeeded keeps only the succeeded runs not purged: those whose
	// members can still be read.
	Succeeded bool
}
