package ingest

import (
	"context"
	"errors"
	"testing"

	"github.com/segmentd/segmentd/internal/record"
)

// contended is a profile store where another write always comes first.
type contended struct{ swaps int }

func (c *contended) ReadProfile(context.Context, string, string) (map[string]any, ProfileVersion, error) {
	return map[string]any{}, ProfileVersion{}, nil
}

func (c *contended) SwapProfile(context.Context, string, string, map[string]any, ProfileVersion) (record.User, bool, error) {
	c.swaps++
	return record.User{}, false, nil
}

// TestProfileContended: a write that keeps losing the race gives up after
// maxSwaps tries with a conflict (409), not an internal error.
func TestProfileContended(t *testing.T) {
	c := &contended{}
	_, err := PatchProfile(context.Background(), c, "a", "u1", map[string]any{"k": 1.0})
	if !errors.Is(err, record.ErrConflict) || c.swaps != maxSwaps {
		t.Fatalf("after %d tries: %v, want %d tries and record.ErrConflict", c.swaps, err, maxSwaps)
	}
}
