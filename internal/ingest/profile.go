package ingest

import (
	"context"
	"fmt"
	"maps"
	"time"

	"github.com/segmentd/segmentd/internal/record"
)

// ProfileVersion is the state of a user's attributes as a store read
// them, which a compare-and-set writes over: whether the user exists, and
// the attributes' stored text (nil for a user stored without any).
type ProfileVersion struct {
	Exists bool
	Text   *string
}

// ProfileStore is a store of profiles that updates one by compare-and-set,
// so that the rules of PUT and PATCH and the profile limits are written
// once, here, above the stores (the embedded engine and Cassandra).
type ProfileStore interface {
	// ReadProfile returns a user's attributes ({} for none) and their
	// version; a user the app does not have is not an error.
	ReadProfile(ctx context.Context, appID, userID string) (map[string]any, ProfileVersion, error)
	// SwapProfile stores attrs as the user's attributes if they are still
	// at version v (creating the user if v says it does not exist), moves
	// the app's watermark before it returns, and returns the profile as
	// stored. swapped is false, and nothing changed, if another write came
	// first.
	SwapProfile(ctx context.Context, appID, userID string, attrs map[string]any, v ProfileVersion) (u record.User, swapped bool, err error)
}

// Fresh is a fresh store: where the ingestion API writes, and where the
// newest data of a user is read (the embedded engine, or Cassandra on the
// distributed path).
type Fresh interface {
	ProfileStore
	Ping(ctx context.Context) error
	// WriteEvents stores a batch of events idempotently (by event ID) and
	// returns how many were new.
	WriteEvents(ctx context.Context, appID string, events []record.Event) (int, error)
	GetUser(ctx context.Context, appID, userID string) (record.User, error)
	// Watermark is the app's watermark: every acknowledged write moved
	// it, strictly.
	Watermark(ctx context.Context, appID string) (time.Time, error)
	// UserData is a user's profile and the events reads selects (an
	// acknowledged write is in it): the single-user membership check
	// reads it.
	UserData(ctx context.Context, appID, userID string, reads record.Reads) (record.User, []record.Event, error)
}

// maxSwaps bounds how often a profile write reads and tries again when
// other writes of the same user keep coming first.
const maxSwaps = 20

// PutProfile replaces a user's attributes (keys with a nil value left
// out, as the segment language treats a null attribute as missing),
// creating the user.
func PutProfile(ctx context.Context, s ProfileStore, appID, userID string, attrs map[string]any) (record.User, error) {
	clean := make(map[string]any, len(attrs))
	for k, v := range attrs {
		if v != nil {
			clean[k] = v
		}
	}
	return updateProfile(ctx, s, appID, userID, func(map[string]any) map[string]any { return clean })
}

// PatchProfile merges attrs into a user's attributes, creating the user.
// The merge is shallow: each key replaces the attribute whole (a nested
// object included), and a nil value deletes the key.
func PatchProfile(ctx context.Context, s ProfileStore, appID, userID string, attrs map[string]any) (record.User, error) {
	return updateProfile(ctx, s, appID, userID, func(old map[string]any) map[string]any {
		merged := maps.Clone(old)
		if merged == nil {
			merged = map[string]any{}
		}
		for k, v := range attrs {
			if v == nil {
				delete(merged, k)
			} else {
				merged[k] = v
			}
		}
		return merged
	})
}

// updateProfile stores change(old) over the attributes old it read, if no
// other write came between, reading again otherwise: concurrent writes of
// a user lose none of each other's keys. A result past the limits of
// CheckProfile is its *segment.Error, and changes nothing.
func updateProfile(ctx context.Context, s ProfileStore, appID, userID string, change func(old map[string]any) map[string]any) (record.User, error) {
	for range maxSwaps {
		old, v, err := s.ReadProfile(ctx, appID, userID)
		if err != nil {
			return record.User{}, err
		}
		attrs := change(old)
		if err := CheckProfile(attrs); err != nil {
			return record.User{}, err
		}
		u, swapped, err := s.SwapProfile(ctx, appID, userID, attrs, v)
		if err != nil || swapped {
			return u, err
		}
	}
	return record.User{}, fmt.Errorf("user %q: %d other writes of the profile came first; try again: %w", userID, maxSwaps, record.ErrConflict)
}
