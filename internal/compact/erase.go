package compact

import (
	"context"
	"time"
)

// UserStores are an engine's stores that erase a user: the distributed
// path's (the embedded engine erases by itself, duckdb.Engine.EraseUser).
type UserStores interface {
	Horizoner
	// UserDays are the UTC days of the user's events, from the fresh
	// store's index of each user's events, which holds every event the
	// fresh store, the late events and history hold.
	UserDays(ctx context.Context, appID, userID string) ([]time.Time, error)
	// EraseHistory rewrites history's partitions of the days without the
	// user's events.
	EraseHistory(ctx context.Context, appID, userID string, days []time.Time) error
	// EraseFresh deletes the user's profile and events from the fresh
	// store, the index of the user's events last, and moves the app's
	// watermark.
	EraseFresh(ctx context.Context, appID, userID string) error
}

// Eraser erases users from history and the fresh store.
type Eraser struct {
	Stores UserStores
	State  State
}

// EraseUser deletes the user's profile and every event. It holds the
// app's history lock, so no compaction copies the user's events from the
// fresh store into history between the two purges, and it purges history
// first and the fresh store's index of the user's events last: an erasure
// that dies part way leaves the index whole, and running it again (the
// client's retry on the 5xx) finds every day again. Once it returns,
// nothing holds the user's events, so no compaction, retried or not, can
// bring one back. History past the boundary (what a compaction that died
// had copied) is left: queries never read it, and the next compaction
// overwrites it from the fresh store. Erasing a user who is not there is
// no error.
func (e *Eraser) EraseUser(ctx context.Context, appID, userID string) error {
	unlock, err := e.State.LockHistory(ctx, appID)
	if err != nil {
		return err
	}
	defer unlock()
	days, err := e.Stores.UserDays(ctx, appID, userID)
	if err != nil {
		return err
	}
	b, err := Boundary(ctx, e.State, e.Stores, appID)
	if err != nil {
		return err
	}
	var old []time.Time
	for _, d := range days {
		if d.Before(b.Boundary) {
			old = append(old, d)
		}
	}
	if len(old) > 0 {
		if err := e.Stores.EraseHistory(ctx, appID, userID, old); err != nil {
			return err
		}
	}
	return e.Stores.EraseFresh(ctx, appID, userID)
}
