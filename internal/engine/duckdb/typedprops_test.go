package duckdb_test

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/segmentd/segmentd/internal/compile"
	"github.com/segmentd/segmentd/internal/dataset"
	"github.com/segmentd/segmentd/internal/engine/duckdb"
	"github.com/segmentd/segmentd/internal/record"
)

// TestTypedPropertiesKeptUp types the numbers of $buy's items.price, with
// events stored before (typing fills them), ingested after (NULL: read
// from the JSON), reclustered (filled) and loaded (filled), and checks
// after each step that every filled column is what the JSON gives, that
// no other name's events have one, and that a sum over the path selects
// the users it should, through the column.
func TestTypedPropertiesKeptUp(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "props.duckdb")
	eng, err := duckdb.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { eng.Close() }()
	duckdb.SetRecluster(eng, 1<<40, time.Hour, 1000, 1<<40) // not before the reopening
	buy := func(id, user string, props map[string]any) record.Event {
		return record.Event{EventID: id, UserID: user, Name: "$buy", Time: t0, Properties: props}
	}
	items := func(prices ...any) map[string]any {
		var list []any
		for _, p := range prices {
			list = append(list, map[string]any{"price": p})
		}
		return map[string]any{"items": list}
	}
	// u1: 60 + 50; u2: a string price and 30 (a string is no number);
	// u3: items an object; u4: prices on another name only.
	write(t, eng, "a",
		buy("e1", "u1", items(60.0, "x")),
		buy("e2", "u2", items("1000", 30.0)),
		buy("e3", "u3", map[string]any{"items": map[string]any{"price": 200.0}}),
		record.Event{EventID: "e4", UserID: "u4", Name: "view_item", Time: t0, Properties: items(500.0)})
	// Two paths in one call: DuckDB takes the columns' updates only
	// after every column is added.
	prop := compile.TypedProperty{Event: "$buy", Path: "items.price"}
	viewed := compile.TypedProperty{Event: "view_item", Path: "items.price"}
	if err := eng.TypeProperties(ctx, []compile.TypedProperty{prop, viewed}); err != nil {
		t.Fatal(err)
	}
	write(t, eng, "a", buy("e5", "u1", items(50.0)), buy("e6", "u5", items(100.0)))
	const sum = `{"type":"event","event":"$buy","aggregate":{"fn":"sum","property":"items.price"},"op":"gte","value":100}`
	check := func(step, app string, nulls int, want ...string) {
		t.Helper()
		col := eng.Tables().Numbers[prop]
		if col == "" || len(eng.Tables().Numbers) != 2 {
			t.Fatalf("%s: %v, want columns for %v and %v", step, eng.Tables().Numbers, prop, viewed)
		}
		for p, col := range eng.Tables().Numbers {
			expr, err := compile.PropertyNumbers(p.Path)
			if err != nil {
				t.Fatal(err)
			}
			// nulls is $buy's events without numbers; view_item's one
			// event has had its numbers since the typing.
			wantNulls := nulls
			if p == viewed {
				wantNulls = 0
			}
			var stale, others, null int
			q := fmt.Sprintf(`SELECT count(*) FILTER (WHERE e.name = $1 AND e.%[1]s IS DISTINCT FROM %[2]s AND e.%[1]s IS NOT NULL),
				count(*) FILTER (WHERE e.name <> $1 AND e.%[1]s IS NOT NULL), count(*) FILTER (WHERE e.name = $1 AND e.%[1]s IS NULL)
				FROM events AS e WHERE app_id = $2`, col, expr)
			if err := eng.DB().QueryRowContext(ctx, q, p.Event, app).Scan(&stale, &others, &null); err != nil {
				t.Fatal(err)
			}
			if stale != 0 || others != 0 || null != wantNulls {
				t.Errorf("%s: %v: %d events' numbers differ from their JSON, %d of other names have some, %d are NULL (want %d)", step, p, stale, others, null, wantNulls)
			}
		}
		if q := compileTree(t, eng, app, sum); !strings.Contains(q.Text, "e."+col) {
			t.Errorf("%s: the sum does not read %s:\n%s", step, col, q.Text)
		}
		if got := members(t, eng, app, sum); !slices.Equal(got, want) {
			t.Errorf("%s: sum of items.price ≥ 100 selects %q, want %q", step, got, want)
		}
	}
	check("typed, two events ingested since", "a", 2, "u1", "u3", "u5")

	// Reopened, the path is still typed; the next batch ends a pause
	// and the committer reclusters every event, which fills the column.
	if err := eng.Close(); err != nil {
		t.Fatal(err)
	}
	if eng, err = duckdb.Open(ctx, path); err != nil {
		t.Fatal(err)
	}
	duckdb.SetRecluster(eng, 1, 5*time.Millisecond, 2, 1<<40)
	write(t, eng, "a", buy("e7", "u2", items(70.0)))
	deadline := time.Now().Add(30 * time.Second)
	for unclustered(t, eng) > 0 {
		if time.Now().After(deadline) {
			t.Fatalf("%d events still unclustered", unclustered(t, eng))
		}
		time.Sleep(10 * time.Millisecond)
	}
	check("reclustered", "a", 0, "u1", "u2", "u3", "u5")

	// A load computes the column for the events it stores.
	data := &dataset.Data{
		Users:  []record.User{{UserID: "v1", Attributes: map[string]any{}}, {UserID: "v2", Attributes: map[string]any{}}},
		Events: []record.Event{buy("f1", "v1", items(99.0, 1.0)), buy("f2", "v2", items(99.0)), buy("f3", "v2", map[string]any{})},
	}
	if err := eng.Load(ctx, "b", data); err != nil {
		t.Fatal(err)
	}
	check("loaded", "b", 0, "v1")
	check("the other app after the load", "a", 0, "u1", "u2", "u3", "u5")
}
