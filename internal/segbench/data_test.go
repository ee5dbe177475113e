package segbench

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/segmentd/segmentd/internal/compile"
	"github.com/segmentd/segmentd/internal/engine/duckdb"
)

// TestWriteData writes a small data set, checks the files' shape, loads
// them into the embedded engine and writes again: the same scale and seed
// reuse the files, another seed replaces them.
func TestWriteData(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	m, err := WriteData(ctx, dir, 0.001, 1)
	if err != nil {
		t.Fatal(err)
	}
	if m.Users != 1000 || m.Events != 30000 || !m.AsOf.Equal(AsOf) || m.TimeZone != TimeZone || m.UsersBytes == 0 || m.EventsBytes == 0 {
		t.Fatalf("manifest %+v", m)
	}
	if _, err := os.Stat(filepath.Join(dir, "scratch.duckdb")); err == nil {
		t.Fatal("the scratch database is left behind")
	}

	eng, err := duckdb.Open(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	defer eng.Close()
	users := `read_parquet(` + compile.Literal(filepath.Join(dir, UsersFile)) + `)`
	events := `read_parquet(` + compile.Literal(filepath.Join(dir, EventsFile)) + `)`
	for _, c := range []struct {
		what, query string
		want        int
	}{
		{"users", `SELECT count(DISTINCT user_id) FROM ` + users, m.Users},
		{"events", `SELECT count(DISTINCT event_id) FROM ` + events, m.Events},
		{"events of unknown users", `SELECT count(*) FROM ` + events + ` WHERE user_id NOT IN (SELECT user_id FROM ` + users + `)`, 0},
		{"events out of time order", `SELECT count(*) FROM (SELECT time < lag(time) OVER () AS back FROM ` + events + `) WHERE back`, 0},
		{"users' time zones", `SELECT count(DISTINCT attributes::JSON->>'timezone') FROM ` + users, 8},
		{"purchases with items", `SELECT (count(*) > 0)::INT FROM ` + events + ` WHERE name = '$buy' AND json_array_length(properties::JSON->'items') > 0`, 1},
	} {
		var got int
		if err := eng.DB().QueryRowContext(ctx, c.query).Scan(&got); err != nil {
			t.Fatalf("%s: %v", c.what, err)
		}
		if got != c.want {
			t.Errorf("%s: %d, want %d", c.what, got, c.want)
		}
	}

	if err := eng.LoadParquet(ctx, "bench", filepath.Join(dir, UsersFile), filepath.Join(dir, EventsFile)); err != nil {
		t.Fatal(err)
	}
	var loaded int
	if err := eng.DB().QueryRowContext(ctx, `SELECT count(*) FROM events WHERE app_id = 'bench'`).Scan(&loaded); err != nil || loaded != m.Events {
		t.Fatalf("loaded %d events (%v), want %d", loaded, err, m.Events)
	}

	again, err := WriteData(ctx, dir, 0.001, 1)
	if err != nil || again != m {
		t.Fatalf("the same scale and seed: %+v (%v), want the kept %+v", again, err, m)
	}
	other, err := WriteData(ctx, dir, 0.001, 2)
	if err != nil || other.Seed != 2 {
		t.Fatalf("another seed: %+v (%v), want new data", other, err)
	}
}
