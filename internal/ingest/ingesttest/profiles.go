// Package ingesttest checks the rules of writes that every store must keep
// the same way, on a real store.
package ingesttest

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/segmentd/segmentd/internal/ingest"
	"github.com/segmentd/segmentd/internal/record"
	"github.com/segmentd/segmentd/segment"
)

// Profiles is a store's profile writes, with its watermark.
type Profiles interface {
	PutUser(ctx context.Context, appID, userID string, attrs map[string]any) (record.User, error)
	PatchUser(ctx context.Context, appID, userID string, attrs map[string]any) (record.User, error)
	GetUser(ctx context.Context, appID, userID string) (record.User, error)
	Watermark(ctx context.Context, appID string) (time.Time, error)
}

// ProfileRules checks, on an app of p with no users yet, the rules of
// profile writes that every store keeps (ingest.PutProfile and
// PatchProfile): PUT replaces and drops nulls, PATCH merges and a null
// deletes, repeated PATCHes cannot grow a profile past the limits (a 400
// invalid_argument at /attributes, and nothing changes), concurrent
// PATCHes keep each other's keys, PATCH creates a user, and every write moves the watermark
// before it is acknowledged.
func ProfileRules(t *testing.T, p Profiles, appID string) {
	ctx := context.Background()
	if _, err := p.GetUser(ctx, appID, "u1"); !errors.Is(err, record.ErrNotFound) {
		t.Fatalf("a user the app does not have: %v", err)
	}
	// write runs one profile write, which must move the watermark past
	// the one read before it.
	write := func(f func(ctx context.Context, appID, userID string, attrs map[string]any) (record.User, error), attrs map[string]any) (record.User, error) {
		t.Helper()
		before, err := p.Watermark(ctx, appID)
		if err != nil {
			t.Fatal(err)
		}
		u, werr := f(ctx, appID, "u1", attrs)
		after, err := p.Watermark(ctx, appID)
		if err != nil {
			t.Fatal(err)
		}
		if werr == nil && !after.After(before) {
			t.Errorf("the watermark was %v before an acknowledged write and %v after", before, after)
		}
		return u, werr
	}
	want := func(u record.User, err error, attrs map[string]any) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		got, gerr := p.GetUser(ctx, appID, "u1")
		if gerr != nil {
			t.Fatal(gerr)
		}
		if !reflect.DeepEqual(u.Attributes, attrs) || !reflect.DeepEqual(got.Attributes, attrs) {
			t.Fatalf("attributes %v, read back %v; want %v", u.Attributes, got.Attributes, attrs)
		}
	}
	u, err := write(p.PutUser, map[string]any{"country": "JP", "plan": "pro", "gone": nil})
	want(u, err, map[string]any{"country": "JP", "plan": "pro"})
	u, err = write(p.PatchUser, map[string]any{"plan": nil, "address": map[string]any{"city": "Tokyo"}})
	want(u, err, map[string]any{"country": "JP", "address": map[string]any{"city": "Tokyo"}})
	u, err = write(p.PutUser, map[string]any{"k": "v"})
	want(u, err, map[string]any{"k": "v"})

	// Each PATCH is within the limits of a body; together they are not.
	refused := func(patch map[string]any) {
		t.Helper()
		stored, err := p.GetUser(ctx, appID, "u1")
		if err != nil {
			t.Fatal(err)
		}
		_, err = write(p.PatchUser, patch)
		var se *segment.Error
		if !errors.As(err, &se) || se.Problems[0].Code != ingest.CodeInvalidArgument || se.Problems[0].Path != "/attributes" {
			t.Fatalf("a PATCH past the limits: %v, want invalid_argument at /attributes", err)
		}
		if now, err := p.GetUser(ctx, appID, "u1"); err != nil || !reflect.DeepEqual(now.Attributes, stored.Attributes) {
			t.Fatalf("a refused PATCH changed the profile: %d attributes, %v", len(now.Attributes), err)
		}
	}
	keys := func(prefix string, n int) map[string]any {
		m := map[string]any{}
		for i := range n {
			m[fmt.Sprint(prefix, i)] = float64(i)
		}
		return m
	}
	u, err = write(p.PatchUser, keys("a", ingest.MaxAttributes-1))
	if err != nil || len(u.Attributes) != ingest.MaxAttributes {
		t.Fatalf("a profile of %d attributes: %d, %v", ingest.MaxAttributes, len(u.Attributes), err)
	}
	refused(keys("b", 1))
	// Deleting as many keys as it adds keeps the count.
	u, err = write(p.PatchUser, map[string]any{"a0": nil, "b0": 0.0})
	if err != nil || len(u.Attributes) != ingest.MaxAttributes {
		t.Fatalf("a PATCH that swaps a key: %d, %v", len(u.Attributes), err)
	}
	u, err = write(p.PutUser, nil)
	want(u, err, map[string]any{})
	long := strings.Repeat("x", ingest.MaxAttributesBytes/3)
	if _, err = write(p.PatchUser, map[string]any{"s1": long, "s2": long}); err != nil {
		t.Fatal(err)
	}
	refused(map[string]any{"s3": long})

	// PATCH creates a user.
	if u, err := p.PatchUser(ctx, appID, "u2", map[string]any{"plan": "gold", "x": nil}); err != nil || !reflect.DeepEqual(u.Attributes, map[string]any{"plan": "gold"}) {
		t.Fatalf("PATCH of a new user: %v, %v", u.Attributes, err)
	}

	// Concurrent PATCHes of one user keep each other's keys.
	if _, err := p.PutUser(ctx, appID, "u1", nil); err != nil {
		t.Fatal(err)
	}
	const writers = 8
	var wg sync.WaitGroup
	for i := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := p.PatchUser(ctx, appID, "u1", map[string]any{fmt.Sprint("k", i): float64(i)}); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	if u, err := p.GetUser(ctx, appID, "u1"); err != nil || !reflect.DeepEqual(u.Attributes, keys("k", writers)) {
		t.Fatalf("after concurrent PATCHes: %v, %v", u.Attributes, err)
	}
}
