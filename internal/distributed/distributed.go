// Package distributed is the production data path behind the API: writes
// go to the fresh store (Cassandra), segments run on Trino over the fresh
// store and history, split at each app's compaction boundary.
package distributed

import (
	"context"
	"errors"
	"time"

	"github.com/segmentd/segmentd/internal/cassandra"
	"github.com/segmentd/segmentd/internal/compact"
	"github.com/segmentd/segmentd/internal/compile"
	"github.com/segmentd/segmentd/internal/dataset"
	"github.com/segmentd/segmentd/internal/engine/trino"
)

// Backend serves api.Data.
type Backend struct {
	Fresh *cassandra.Store
	Trino *trino.Engine
	State compact.State
}

// Dialect is Trino's.
func (b *Backend) Dialect() *compile.Dialect { return b.Trino.Dialect() }

// Tables are Trino's.
func (b *Backend) Tables() compile.Tables { return b.Trino.Tables() }

// Ping checks both stores.
func (b *Backend) Ping(ctx context.Context) error {
	return errors.Join(b.Fresh.Ping(ctx), b.Trino.Ping(ctx))
}

// Split reads the app's boundary: queries at asOf read history before it
// and the fresh store's days from it to as_of.
func (b *Backend) Split(ctx context.Context, appID string, asOf time.Time) (*compile.Split, error) {
	c, err := compact.Boundary(ctx, b.State, b.Fresh, appID)
	if err != nil {
		return nil, err
	}
	return trino.Split(c.Boundary, asOf, b.Fresh.Config().Buckets), nil
}

// Count runs on Trino.
func (b *Backend) Count(ctx context.Context, q *compile.SQL) (int64, error) {
	return b.Trino.Count(ctx, q)
}

// Watermark is the fresh store's.
func (b *Backend) Watermark(ctx context.Context, appID string) (time.Time, error) {
	return b.Fresh.Watermark(ctx, appID)
}

// WriteEvents writes to the fresh store.
func (b *Backend) WriteEvents(ctx context.Context, appID string, events []dataset.Event) (int, error) {
	return b.Fresh.WriteEvents(ctx, appID, events)
}

// PutUser writes to the fresh store.
func (b *Backend) PutUser(ctx context.Context, appID, userID string, attrs map[string]any) (dataset.User, error) {
	return b.Fresh.PutUser(ctx, appID, userID, attrs)
}

// PatchUser writes to the fresh store.
func (b *Backend) PatchUser(ctx context.Context, appID, userID string, attrs map[string]any) (dataset.User, error) {
	return b.Fresh.PatchUser(ctx, appID, userID, attrs)
}

// GetUser reads the fresh store.
func (b *Backend) GetUser(ctx context.Context, appID, userID string) (dataset.User, error) {
	return b.Fresh.GetUser(ctx, appID, userID)
}

// UserData reads the user's own Cassandra partition, which keeps every
// event (compaction leaves it).
func (b *Backend) UserData(ctx context.Context, appID, userID string) (dataset.User, []dataset.Event, error) {
	return b.Fresh.UserData(ctx, appID, userID)
}

// Stream runs on Trino.
func (b *Backend) Stream(ctx context.Context, q *compile.SQL, progress func(float64), fn func(id string) error) error {
	return b.Trino.Stream(ctx, q, progress, fn)
}
