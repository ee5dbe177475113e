package duckdb_test

import (
	"context"
	"database/sql"
	"io/fs"
	"path/filepath"
	"slices"
	"testing"

	driver "github.com/duckdb/duckdb-go/v2"

	"github.com/segmentd/segmentd/internal/corpus"
	"github.com/segmentd/segmentd/internal/dataset"
	"github.com/segmentd/segmentd/internal/engine/duckdb"
	"github.com/segmentd/segmentd/internal/record"
	"github.com/segmentd/segmentd/migrations"
)

// TestMigrateKeyedEvents opens a database made before engine_migrations
// (migrations 0001–0003 applied, the events table keyed by event_id) with
// data in it: the engine drops the key (0004) and the index on user_id
// (0006), keeps every event, stored clustered, stays idempotent on the events it had, and applies
// nothing again when opened once more.
func TestMigrateKeyedEvents(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "old.duckdb")
	connector, err := driver.NewConnector(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	old := sql.OpenDB(connector)
	for _, f := range []string{"duckdb/0001_events.sql", "duckdb/0002_late_events.sql", "duckdb/0003_events_by_user.sql"} {
		ddl, err := fs.ReadFile(migrations.FS, f)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := old.ExecContext(ctx, string(ddl)); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := old.ExecContext(ctx, `
		INSERT INTO users (app_id, user_id) VALUES ('a', 'u1'), ('a', 'u2');
		INSERT INTO events VALUES
			('a', 'e1', 'u1', 'x', '2026-02-01 12:00:00+00', '{"n": 1}'),
			('a', 'e2', 'u2', 'y', '2026-02-01 11:00:00+00', '{}'),
			('b', 'e1', 'u1', 'x', '2026-02-01 10:00:00+00', '{}');
		INSERT INTO watermarks VALUES ('a', '2026-02-01 12:00:00+00')`); err != nil {
		t.Fatal(err)
	}
	old.Close()
	connector.Close()

	for range 2 {
		eng, err := duckdb.Open(ctx, path)
		if err != nil {
			t.Fatal(err)
		}
		db := eng.DB()
		var rows, sorted, keys, indexes, applied int
		if err := db.QueryRowContext(ctx, `SELECT
			(SELECT count(*) FROM events),
			(SELECT count(*) FROM events WHERE clustered),
			(SELECT count(*) FROM duckdb_constraints() WHERE table_name = 'events' AND constraint_type = 'PRIMARY KEY'),
			(SELECT count(*) FROM duckdb_indexes() WHERE table_name = 'events' AND index_name = 'events_user'),
			(SELECT count(*) FROM engine_migrations)`).Scan(&rows, &sorted, &keys, &indexes, &applied); err != nil {
			t.Fatal(err)
		}
		files, err := fs.Glob(migrations.FS, "duckdb/*.sql")
		if err != nil {
			t.Fatal(err)
		}
		if rows != 3 || sorted != 3 || keys != 0 || indexes != 0 || applied != len(files) {
			t.Fatalf("after opening: %d events (%d clustered), %d keys, %d indexes on user_id, %d migrations recorded; want 3 (3), 0, 0, %d",
				rows, sorted, keys, indexes, applied, len(files))
		}
		_, events, err := eng.UserData(ctx, "a", "u1", record.AllEvents)
		if err != nil || len(events) != 1 || events[0].EventID != "e1" || events[0].Properties["n"] != 1.0 {
			t.Fatalf("u1's events after the migration: %+v (%v)", events, err)
		}
		// e1 is stored in the app: a retry of it stores nothing, a new ID
		// is stored.
		if n := write(t, eng, "a", event("e1", "u3", 0), event("e3", "u1", 1)); n != 1 {
			t.Fatalf("inserted %d of a stored and a new event, want 1", n)
		}
		if _, err := eng.GetUser(ctx, "a", "u3"); err == nil {
			t.Fatal("the stored event's retry created its user")
		}
		if _, err := db.ExecContext(ctx, `DELETE FROM events WHERE event_id = 'e3'`); err != nil {
			t.Fatal(err)
		}
		eng.Close()
	}
}

// TestWriteAfterLoad checks ingestion's idempotence against bulk-loaded
// events (whose IDs the engine reads from the table, not from writes) and
// a load that repeats an ID that ingestion stored.
func TestWriteAfterLoad(t *testing.T) {
	ctx := context.Background()
	eng := open(t)
	d := corpus.Dataset()
	if err := eng.Load(ctx, "a", d); err != nil {
		t.Fatal(err)
	}
	stored := d.Events[len(d.Events)/2]
	retry := stored
	retry.UserID, retry.Name = "someone-else", "other"
	if n := write(t, eng, "a", retry, event("new-1", "u1", 0)); n != 1 {
		t.Fatalf("inserted %d of a loaded and a new event, want 1", n)
	}
	if _, err := eng.GetUser(ctx, "a", "someone-else"); err == nil {
		t.Fatal("a retry of a loaded event created its user")
	}
	// Another app holds the same IDs independently.
	if n := write(t, eng, "b", retry); n != 1 {
		t.Fatalf("inserted %d into another app, want 1", n)
	}
	// A load that repeats an ID ingestion stored fails whole, and so does
	// one that gives an ID twice.
	for app, events := range map[string][]record.Event{
		"b": {event("fresh", "u9", 0), retry},
		"c": {event("x", "u1", 0), event("y", "u1", 0), event("x", "u2", 1)},
	} {
		before, _ := counts(t, eng, app)
		if err := eng.Load(ctx, app, &dataset.Data{Events: events}); err == nil {
			t.Fatalf("app %s: a load repeating an event ID did not fail", app)
		}
		if after, _ := counts(t, eng, app); after != before {
			t.Fatalf("app %s: the failed load left %d events, want %d", app, after, before)
		}
	}
	var ids []string
	rows, err := eng.DB().QueryContext(ctx, `SELECT event_id FROM events WHERE app_id = 'b' ORDER BY event_id`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var id string
		rows.Scan(&id)
		ids = append(ids, id)
	}
	if !slices.Equal(ids, []string{retry.EventID}) {
		t.Fatalf("app b's events %v", ids)
	}
}
