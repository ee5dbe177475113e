package duckdb_test

import (
	"context"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"github.com/segmentd/segmentd/internal/compile"
	"github.com/segmentd/segmentd/internal/dataset"
	"github.com/segmentd/segmentd/internal/engine/duckdb"
	"github.com/segmentd/segmentd/internal/record"
)

// TestLoadParquet writes an app loaded by Load as Parquet files, loads
// them into other engines by LoadParquet, without and with history, and
// checks that every engine holds the same app.
func TestLoadParquet(t *testing.T) {
	ctx := context.Background()
	asOf := time.Date(2026, time.March, 2, 3, 0, 0, 0, time.UTC)
	d := dataset.Generate(dataset.Config{Users: 300, Events: 6000, Seed: 3,
		Start: asOf.AddDate(0, 0, -10), End: asOf, TimeZone: "Asia/Tokyo"})
	src := open(t)
	if err := src.Load(ctx, "app", d); err != nil {
		t.Fatal(err)
	}
	clustered(t, src, "app")
	// The files' names hold a quote, which only a literal keeps in place.
	dir := t.TempDir()
	users, events := filepath.Join(dir, "it's users.parquet"), filepath.Join(dir, "events.parquet")
	for path, query := range map[string]string{
		users:  `SELECT user_id, attributes::VARCHAR AS attributes, first_seen, last_seen FROM users`,
		events: `SELECT event_id, user_id, name, time, properties::VARCHAR AS properties FROM events ORDER BY time`,
	} {
		if _, err := src.DB().ExecContext(ctx, `COPY (`+query+`) TO `+compile.Literal(path)+` (FORMAT parquet)`); err != nil {
			t.Fatal(err)
		}
	}
	// With history kept for two days, the events of the first eight are late.
	horizon := asOf.AddDate(0, 0, -2).Truncate(24 * time.Hour)
	late := 0
	for _, ev := range d.Events {
		if ev.Time.Before(horizon) {
			late++
		}
	}
	if late == 0 || late == len(d.Events) {
		t.Fatalf("%d of %d events are late: the test needs both kinds", late, len(d.Events))
	}
	for _, history := range []bool{false, true} {
		dst := open(t)
		duckdb.SetClock(dst, func() time.Time { return asOf })
		wantLate := 0
		if history {
			wantLate = late
			if err := dst.EnableHistory(ctx, t.TempDir(), 48*time.Hour, nil); err != nil {
				t.Fatal(err)
			}
		}
		if err := dst.LoadParquet(ctx, "app", users, events); err != nil {
			t.Fatal(err)
		}
		clustered(t, dst, "app")
		counts := func() [3]int {
			var c [3]int
			for i, table := range []string{"users", "events", "late_events"} {
				if err := dst.DB().QueryRowContext(ctx, `SELECT count(*) FROM `+table+` WHERE app_id = 'app'`).Scan(&c[i]); err != nil {
					t.Fatal(err)
				}
			}
			return c
		}
		want := [3]int{len(d.Users), len(d.Events) - wantLate, wantLate}
		if got := counts(); got != want {
			t.Fatalf("history %v: users, events and late events %v, want %v", history, got, want)
		}
		mark, err := dst.Watermark(ctx, "app")
		if err != nil || !mark.Equal(asOf) {
			t.Fatalf("history %v: watermark %v (%v), want %v", history, mark, err, asOf)
		}
		for _, u := range []record.User{d.Users[0], d.Users[len(d.Users)/2], d.Users[len(d.Users)-1]} {
			wantUser, wantEvents, err := src.UserData(ctx, "app", u.UserID, record.AllEvents)
			if err != nil {
				t.Fatal(err)
			}
			gotUser, gotEvents, err := dst.UserData(ctx, "app", u.UserID, record.AllEvents)
			if err != nil || !reflect.DeepEqual(gotUser, wantUser) || !reflect.DeepEqual(gotEvents, wantEvents) {
				t.Fatalf("history %v: user %s differs after LoadParquet (%v)", history, u.UserID, err)
			}
		}
		// A second load repeats every ID: it fails and changes nothing.
		if err := dst.LoadParquet(ctx, "app", users, events); err == nil {
			t.Fatalf("history %v: loading the same files twice did not fail", history)
		}
		if got := counts(); got != want {
			t.Fatalf("history %v: a failed load left %v, want %v", history, got, want)
		}
	}
}

// clustered fails t unless the app's events are stored (in row order) by
// name, user and time, as loads store them: single-user reads find a
// user's events by the row groups' user_id ranges.
func clustered(t *testing.T, eng *duckdb.Engine, appID string) {
	t.Helper()
	var out, n int
	if err := eng.DB().QueryRow(`SELECT count(*) FILTER (WHERE (name, user_id, time) < prev), count(*) FROM (
		SELECT name, user_id, time, lag((name, user_id, time)) OVER (ORDER BY rowid) AS prev
		FROM events WHERE app_id = ?)`, appID).Scan(&out, &n); err != nil {
		t.Fatal(err)
	}
	if out > 0 || n == 0 {
		t.Fatalf("%d of the %d events of %s follow a later one in (name, user_id, time)", out, n, appID)
	}
}

// TestLoadsMakeProfiles: a user with events whom a load does not give
// gets the profile ingestion would make, from Load and from LoadParquet
// (with history, where some of the user's events are late), whatever
// another app holds: a profile of the same user ID, events of a user the
// loaded app does not have.
func TestLoadsMakeProfiles(t *testing.T) {
	ctx := context.Background()
	asOf := time.Date(2026, time.March, 2, 3, 0, 0, 0, time.UTC)
	d := dataset.Generate(dataset.Config{Users: 50, Events: 2000, Seed: 5,
		Start: asOf.AddDate(0, 0, -10), End: asOf})
	// The user of the first and the last event has no profile in the load.
	gone := d.Events[0].UserID
	if d.Events[len(d.Events)-1].UserID != gone {
		d.Events[len(d.Events)-1].UserID = gone
	}
	partial := &dataset.Data{Events: d.Events}
	for _, u := range d.Users {
		if u.UserID != gone {
			partial.Users = append(partial.Users, u)
		}
	}
	made := partial.WithEventUsers().Users[len(partial.Users)]
	if made.UserID != gone || !made.FirstSeen.Equal(d.Events[0].Time) || !made.LastSeen.Equal(d.Events[len(d.Events)-1].Time) {
		t.Fatalf("WithEventUsers made %+v", made)
	}
	check := func(name string, eng *duckdb.Engine) {
		t.Helper()
		got, err := eng.GetUser(ctx, "app", gone)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if len(got.Attributes) != 0 || !got.FirstSeen.Equal(made.FirstSeen) || !got.LastSeen.Equal(made.LastSeen) {
			t.Fatalf("%s: the made profile is %+v, want %+v", name, got, made)
		}
		for app, want := range map[string]int{"app": len(d.Users), "other": 2} {
			var n int
			if err := eng.DB().QueryRowContext(ctx, `SELECT count(*) FROM users WHERE app_id = ?`, app).Scan(&n); err != nil || n != want {
				t.Fatalf("%s: %s has %d users (%v), want %d", name, app, n, err, want)
			}
		}
	}
	// The other app, loaded first: gone's ID with a profile, and an event
	// of a user only it has, who gets a profile there.
	other := &dataset.Data{Users: []record.User{{UserID: gone, FirstSeen: asOf, LastSeen: asOf}},
		Events: []record.Event{{EventID: "other-1", UserID: "only-other", Name: "$buy", Time: asOf.Add(-time.Hour)}}}
	src := open(t)
	for _, app := range []struct {
		id string
		d  *dataset.Data
	}{{"other", other}, {"app", partial}} {
		if err := src.Load(ctx, app.id, app.d); err != nil {
			t.Fatal(err)
		}
	}
	check("Load", src)

	dir := t.TempDir()
	users, events := filepath.Join(dir, "users.parquet"), filepath.Join(dir, "events.parquet")
	for path, query := range map[string]string{
		users:  `SELECT user_id, attributes::VARCHAR AS attributes, first_seen, last_seen FROM users WHERE app_id = 'app' AND user_id <> ` + compile.Literal(gone),
		events: `SELECT event_id, user_id, name, time, properties::VARCHAR AS properties FROM events WHERE app_id = 'app'`,
	} {
		if _, err := src.DB().ExecContext(ctx, `COPY (`+query+`) TO `+compile.Literal(path)+` (FORMAT parquet)`); err != nil {
			t.Fatal(err)
		}
	}
	dst := open(t)
	duckdb.SetClock(dst, func() time.Time { return asOf })
	if err := dst.EnableHistory(ctx, t.TempDir(), 48*time.Hour, nil); err != nil {
		t.Fatal(err)
	}
	if err := dst.Load(ctx, "other", other); err != nil {
		t.Fatal(err)
	}
	if err := dst.LoadParquet(ctx, "app", users, events); err != nil {
		t.Fatal(err)
	}
	check("LoadParquet", dst)
}

// TestFileRowGroups: a database file keeps events in row groups of
// RowGroupSize rows, and keeps them when opened again; DuckDB spills
// beside it.
func TestFileRowGroups(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "events.duckdb")
	asOf := time.Date(2026, time.March, 2, 3, 0, 0, 0, time.UTC)
	d := dataset.Generate(dataset.Config{Users: 500, Events: 3 * duckdb.RowGroupSize, Seed: 7,
		Start: asOf.AddDate(0, 0, -10), End: asOf})
	for i := range 2 {
		eng, err := duckdb.Open(ctx, path)
		if err != nil {
			t.Fatal(err)
		}
		if i == 0 {
			if err := eng.Load(ctx, "app", d); err != nil {
				t.Fatal(err)
			}
		}
		var groups, most, events int
		if err := eng.DB().QueryRowContext(ctx, `SELECT count(DISTINCT row_group_id), max(count), (SELECT count(*) FROM events)
			FROM pragma_storage_info('events') WHERE column_name = 'user_id' AND segment_type = 'VARCHAR'`).Scan(&groups, &most, &events); err != nil {
			t.Fatal(err)
		}
		if events != len(d.Events) || most > duckdb.RowGroupSize || groups < 3 {
			t.Fatalf("opening %d: %d events in %d row groups of at most %d rows; want %d events in row groups of at most %d",
				i, events, groups, most, len(d.Events), duckdb.RowGroupSize)
		}
		clustered(t, eng, "app")
		var tmp string
		if err := eng.DB().QueryRowContext(ctx, `SELECT current_setting('temp_directory')`).Scan(&tmp); err != nil || tmp != path+".tmp" {
			t.Fatalf("temp directory %q (%v), want %q", tmp, err, path+".tmp")
		}
		eng.Close()
	}
}
