package duckdb_test

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/segmentd/segmentd/internal/compact"
	"github.com/segmentd/segmentd/internal/compile"
	"github.com/segmentd/segmentd/internal/engine/duckdb"
	"github.com/segmentd/segmentd/internal/record"
	"github.com/segmentd/segmentd/internal/store"
	"github.com/segmentd/segmentd/internal/store/sqlstore"
)

// engineWithHistory is an engine on a file keeping history in Parquet
// files (every day before today's), its segment store and the history's
// directory.
func engineWithHistory(t *testing.T) (*sqlstore.SQL, *duckdb.Engine, string) {
	t.Helper()
	ctx := context.Background()
	dir := t.TempDir()
	st, err := sqlstore.Open(ctx, "sqlite:"+filepath.Join(dir, "s.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	eng, err := duckdb.Open(ctx, filepath.Join(dir, "d.duckdb"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { eng.Close() })
	history := filepath.Join(dir, "history")
	if err := eng.EnableHistory(ctx, history, 0, compact.BoundaryOf(st, eng)); err != nil {
		t.Fatal(err)
	}
	return st, eng, history
}

// TestEraseUser: a user erased from an app is in no table and no history
// file of it, a failed erasure erases nothing from the tables and its
// retry erases all, a compaction after it brings nothing back, and the
// same user ID in another app is untouched.
func TestEraseUser(t *testing.T) {
	ctx := context.Background()
	st, eng, history := engineWithHistory(t)
	// History begins at the apps' creation (compact.Boundary): the events
	// of days before it are late, merged into files by compaction.
	now := time.Now().UTC()
	comp := &compact.Compactor{Stores: eng, State: st, Margin: time.Hour, Now: func() time.Time { return now }}
	// Two months of history and a fresh day, in two apps.
	times := []time.Time{now.AddDate(0, -1, -3), now.AddDate(0, 0, -5), now}
	for _, app := range []string{"a", "b"} {
		if _, err := st.CreateApp(ctx, store.App{ID: app, TimeZone: "UTC"}); err != nil {
			t.Fatal(err)
		}
		var events []record.Event
		for i, at := range times {
			for _, u := range []string{"u1", "u2"} {
				events = append(events, record.Event{EventID: fmt.Sprint(u, "-", i), UserID: u, Name: "buy", Time: at})
			}
		}
		if _, err := eng.WriteEvents(ctx, app, events); err != nil {
			t.Fatal(err)
		}
		if _, err := eng.PutUser(ctx, app, "u1", map[string]any{"country": "JP"}); err != nil {
			t.Fatal(err)
		}
		if _, err := comp.Run(ctx, app); err != nil {
			t.Fatal(err)
		}
	}
	// held counts the user's rows in the app: tables and history files.
	held := func(app, user string) int {
		t.Helper()
		var n int
		err := eng.DB().QueryRowContext(ctx, `SELECT
			(SELECT count(*) FROM users WHERE app_id = $1 AND user_id = $2) +
			(SELECT count(*) FROM events WHERE app_id = $1 AND user_id = $2) +
			(SELECT count(*) FROM late_events WHERE app_id = $1 AND user_id = $2) +
			(SELECT count(*) FROM read_parquet(`+compile.Literal(filepath.Join(history, "*", "*", "*.parquet"))+`, hive_partitioning = true)
			 WHERE app_id = $1 AND user_id = $2)`, app, user).Scan(&n)
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	var inFiles int
	if err := eng.DB().QueryRowContext(ctx, `SELECT count(*) FROM history_events WHERE app_id = 'a' AND user_id = 'u1'`).Scan(&inFiles); err != nil || inFiles != 2 {
		t.Fatalf("before: %d of u1's events in history files (%v), want 2", inFiles, err)
	}
	before, err := eng.Watermark(ctx, "a")
	if err != nil {
		t.Fatal(err)
	}

	// A crash before the tables commit: the user is still whole in them,
	// and the retry erases everything.
	duckdb.SetBeforeCommit(eng, func() error { return errors.New("crash") })
	if err := eng.EraseUser(ctx, "a", "u1"); err == nil {
		t.Fatal("the erasure did not fail")
	}
	duckdb.SetBeforeCommit(eng, nil)
	if _, err := eng.GetUser(ctx, "a", "u1"); err != nil {
		t.Fatalf("after a failed erasure the profile is gone: %v", err)
	}
	if err := eng.EraseUser(ctx, "a", "u1"); err != nil {
		t.Fatal(err)
	}
	if n := held("a", "u1"); n != 0 {
		t.Fatalf("%d rows of the erased user remain", n)
	}
	if _, err := eng.GetUser(ctx, "a", "u1"); !errors.Is(err, record.ErrNotFound) {
		t.Fatalf("GetUser of an erased user: %v", err)
	}
	if after, _ := eng.Watermark(ctx, "a"); !after.After(before) {
		t.Fatalf("the watermark did not move: %v then %v", before, after)
	}
	if n := held("a", "u2"); n != 4 { // 3 events and the profile
		t.Fatalf("u2 of the same app has %d rows left, want 4", n)
	}
	if n := held("b", "u1"); n != 4 {
		t.Fatalf("u1 of another app has %d rows left, want 4", n)
	}
	// A compaction later, of the fresh day too, brings nothing back.
	now = now.AddDate(0, 0, 2)
	if _, err := comp.Run(ctx, "a"); err != nil {
		t.Fatal(err)
	}
	if n := held("a", "u1"); n != 0 {
		t.Fatalf("a compaction brought back %d rows of the erased user", n)
	}
	if err := eng.EraseUser(ctx, "a", "u1"); err != nil {
		t.Fatalf("erasing again: %v", err)
	}
}
