// Package compact moves events from an engine's fresh store into its
// history, and advances each app's boundary, so that every event is read
// exactly once: from history for the days before the boundary, from the
// fresh store from it on, and from the late events table (less what
// history or the fresh store holds) in between. The distributed path
// moves Cassandra partitions to Parquet on S3 through Trino (Trino); the
// embedded engine moves DuckDB rows to local Parquet files (package
// engine/duckdb). Both run the same algorithm, Compactor.Run.
//
// A run, for one app at now:
//
//  1. the days from the boundary b to t = Horizon(now - Margin) are
//     copied, with their late events, into history, overwriting those
//     days' partitions;
//  2. late events of days before b that history lacks are added to it;
//  3. the boundary moves to t (in the segment store, never back);
//  4. the fresh partitions before t and the late events read in 1 and 2
//     are deleted, and the cleaned day recorded.
//
// A run that dies anywhere is correct to read and to run again: before 3,
// queries ignore what 1 wrote (they read those days from the fresh store);
// after 2 or 3, late events already in history are excluded by the query;
// step 1 overwrites, step 2 adds only what is missing, and deleting is
// idempotent. Writers send an event to the late table when its day is
// before Horizon(now), and compaction stops Margin earlier, so a write in
// flight never lands in a day being compacted.
package compact

import (
	"context"
	"errors"
	"slices"
	"time"

	"github.com/segmentd/segmentd/internal/record"
	"github.com/segmentd/segmentd/internal/store"
)

// State keeps each app's compaction state (internal/store).
type State interface {
	GetApp(ctx context.Context, appID string) (store.App, error)
	GetCompaction(ctx context.Context, appID string) (store.Compaction, error)
	SetCompaction(ctx context.Context, c store.Compaction) error
	// LockHistory takes the app's history lock, held by a compaction run
	// and by a user's erasure, on every server that shares State.
	LockHistory(ctx context.Context, appID string) (unlock func(), err error)
}

// Horizoner says where writers put events.
type Horizoner interface {
	// Horizon is the first day writers still send to the fresh store at
	// now: an event of an earlier day is late.
	Horizon(now time.Time) time.Time
}

// Stores are the two sides of an engine's events: the fresh store the
// writers fill and the history compaction fills. Days are UTC midnights;
// ranges [from, until) exclude until.
type Stores interface {
	Horizoner
	// CopyDays overwrites history's partitions of the days [from, until)
	// with the fresh store's events of those days and the late events of
	// those days that the fresh store does not hold.
	CopyDays(ctx context.Context, appID string, from, until time.Time) error
	// MergeLate adds to history's partitions of the given days (all
	// before the boundary) the late events of those days it lacks.
	MergeLate(ctx context.Context, appID string, days []time.Time) error
	// LateEvents lists the app's late events.
	LateEvents(ctx context.Context, appID string) ([]record.LateEvent, error)
	// DeleteLate deletes late events once history holds them.
	DeleteLate(ctx context.Context, appID string, late []record.LateEvent) error
	// DeleteDays deletes the fresh store's events of [from, until) once
	// history holds them.
	DeleteDays(ctx context.Context, appID string, from, until time.Time) error
}

// Compactor runs compactions.
type Compactor struct {
	Stores Stores
	State  State
	// Margin is how long a write may take: compaction stays that far
	// behind the writers' horizon.
	Margin time.Duration
	Now    func() time.Time
}

// Boundary is the app's boundary: the first day not in history. Before the
// first compaction it is the horizon of the app's creation, before which
// no fresh event can exist.
func Boundary(ctx context.Context, st State, fresh Horizoner, appID string) (store.Compaction, error) {
	c, err := st.GetCompaction(ctx, appID)
	if errors.Is(err, record.ErrNotFound) {
		app, err := st.GetApp(ctx, appID)
		if err != nil {
			return c, err
		}
		b := fresh.Horizon(app.CreatedAt)
		return store.Compaction{AppID: appID, Boundary: b, Cleaned: b}, nil
	}
	return c, err
}

// BoundaryOf is Boundary as a function of the app: where queries split
// an app's events (trino.Engine.SplitBy, duckdb.Engine.EnableHistory).
func BoundaryOf(st State, fresh Horizoner) func(ctx context.Context, appID string) (time.Time, error) {
	return func(ctx context.Context, appID string) (time.Time, error) {
		c, err := Boundary(ctx, st, fresh, appID)
		return c.Boundary, err
	}
}

// Result says what a run did.
type Result struct {
	Days         int       // days copied into history
	Late         int       // late events merged and deleted
	Boundary     time.Time // the boundary after the run
	CopyDuration time.Duration
}

// Run compacts one app, holding its history lock.
func (c *Compactor) Run(ctx context.Context, appID string) (Result, error) {
	unlock, err := c.State.LockHistory(ctx, appID)
	if err != nil {
		return Result{}, err
	}
	defer unlock()
	state, err := Boundary(ctx, c.State, c.Stores, appID)
	if err != nil {
		return Result{}, err
	}
	target := c.Stores.Horizon(c.Now().Add(-c.Margin))
	start := time.Now()
	res := Result{Boundary: state.Boundary}
	// The late events are listed before anything is copied: one that
	// arrives later is neither merged nor deleted by this run.
	late, err := c.Stores.LateEvents(ctx, appID)
	if err != nil {
		return res, err
	}
	if target.After(state.Boundary) {
		if err := c.Stores.CopyDays(ctx, appID, state.Boundary, target); err != nil {
			return res, err
		}
		res.Days = int(target.Sub(state.Boundary).Hours() / 24)
	}
	if days := lateDays(late, state.Boundary); len(days) > 0 {
		if err := c.Stores.MergeLate(ctx, appID, days); err != nil {
			return res, err
		}
	}
	if target.After(state.Boundary) {
		state.Boundary = target
	}
	if err := c.State.SetCompaction(ctx, state); err != nil {
		return res, err
	}
	res.Boundary = state.Boundary
	res.CopyDuration = time.Since(start)
	// History holds everything before the boundary now: clean up.
	var merged []record.LateEvent
	for _, e := range late {
		if e.Day.Before(state.Boundary) {
			merged = append(merged, e)
		}
	}
	if err := c.Stores.DeleteLate(ctx, appID, merged); err != nil {
		return res, err
	}
	res.Late = len(merged)
	if err := c.Stores.DeleteDays(ctx, appID, state.Cleaned, state.Boundary); err != nil {
		return res, err
	}
	state.Cleaned = state.Boundary
	return res, c.State.SetCompaction(ctx, state)
}

// lateDays are the distinct days of late events before the boundary, in
// order.
func lateDays(late []record.LateEvent, boundary time.Time) []time.Time {
	var days []time.Time
	for _, e := range late {
		if e.Day.Before(boundary) && !slices.ContainsFunc(days, e.Day.Equal) {
			days = append(days, e.Day)
		}
	}
	slices.SortFunc(days, time.Time.Compare)
	return days
}
