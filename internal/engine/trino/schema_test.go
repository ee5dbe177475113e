//go:build distributed

package trino_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/segmentd/segmentd/internal/cassandra"
	"github.com/segmentd/segmentd/internal/engine"
	"github.com/segmentd/segmentd/internal/engine/duckdb"
	"github.com/segmentd/segmentd/internal/engine/trino"
	"github.com/segmentd/segmentd/internal/query"
	"github.com/segmentd/segmentd/internal/record"
)

// schemaWriter is a fresh store the test writes the same data to.
type schemaWriter interface {
	WriteEvents(ctx context.Context, appID string, events []record.Event) (int, error)
	PutUser(ctx context.Context, appID, userID string, attrs map[string]any) (record.User, error)
}

// TestSchemaSample: the data dictionary of the same small data (arrays of
// objects, nested attributes, mixed types; events in history, in the
// fresh store and late) comes out of Trino as out of DuckDB, and another
// app's data never shows in it.
func TestSchemaSample(t *testing.T) {
	ctx := context.Background()
	eng := open(t)
	hosts := env(t, "SEGMENTD_TEST_CASSANDRA", "run deploy/local/cassandra.sh start and set it to 127.0.0.1:9042")
	fresh, err := cassandra.Open(ctx, cassandra.Config{Hosts: strings.Split(hosts, ","), Keyspace: "segmentd_test", Buckets: 4})
	if err != nil {
		t.Fatal(err)
	}
	defer fresh.Close()
	duck, err := duckdb.Open(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	defer duck.Close()
	app := fmt.Sprint("schema", time.Now().UnixNano())
	other := app + "x"
	now := time.Now().UTC().Truncate(time.Hour)
	// History ends ten days ago (and holds nothing of these apps); events
	// of days before the fresh store's horizon (two days) are late.
	boundary := cassandra.Day(now.AddDate(0, 0, -10))
	eng.SplitBy(func(context.Context, string) (time.Time, error) { return boundary, nil }, fresh.Config().Buckets)

	at := func(days int, hours int) time.Time {
		return now.AddDate(0, 0, -days).Add(time.Duration(hours) * time.Hour)
	}
	events := []record.Event{
		{EventID: "e1", UserID: "u1", Name: "$buy", Time: at(5, 0), Properties: map[string]any{
			"items": []any{map[string]any{"price": 100.0, "sku": "a"}, map[string]any{"price": 250.0}}, "currency": "JPY", "coupon": true}},
		{EventID: "e2", UserID: "u1", Name: "$buy", Time: at(1, 0), Properties: map[string]any{
			"items": []any{map[string]any{"price": 100.0}, nil}, "currency": "USD", "coupon": "SAVE10"}},
		{EventID: "e3", UserID: "u2", Name: "$buy", Time: at(0, -2), Properties: map[string]any{"items": []any{}, "currency": "JPY"}},
		{EventID: "e4", UserID: "u3", Name: "view_item", Time: at(3, 0), Properties: map[string]any{
			"tags": []any{"a", "b", []any{"c"}}, "meta": map[string]any{"page": map[string]any{"id": 7.0}}, "n": nil}},
		{EventID: "e5", UserID: "u3", Name: "view_item", Time: at(0, -1), Properties: map[string]any{"tags": []any{"a"}, "price": "1.5"}},
	}
	users := map[string]map[string]any{
		"u1": {"country": "JP", "address": map[string]any{"city": "Tokyo", "zip": "100"}, "vip": true},
		"u2": {"country": "JP", "address": map[string]any{"city": "Osaka"}, "score": 3.0},
		"u3": {"country": "US", "score": "high"},
		"u4": {"country": "KR"}, // a profile without events
	}
	for _, w := range []schemaWriter{fresh, duck} {
		if _, err := w.WriteEvents(ctx, app, events); err != nil {
			t.Fatal(err)
		}
		for id, attrs := range users {
			if _, err := w.PutUser(ctx, app, id, attrs); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := w.WriteEvents(ctx, other, []record.Event{{EventID: "o1", UserID: "u1", Name: "secret_event", Time: at(1, 0),
			Properties: map[string]any{"secret_prop": 1.0}}}); err != nil {
			t.Fatal(err)
		}
		if _, err := w.PutUser(ctx, other, "u1", map[string]any{"secret_attr": "x"}); err != nil {
			t.Fatal(err)
		}
	}

	// Trino's copy moves the late events of days before the fresh
	// store's horizon into history as compaction does, and the boundary
	// after them: the split then reads them from history (and leaves them
	// out of the late events, which still hold them).
	overwrite, err := eng.Session(map[string]string{"hive.insert_existing_partitions_behavior": "OVERWRITE"})
	if err != nil {
		t.Fatal(err)
	}
	defer overwrite.Close()
	stores := &trino.Compaction{Overwrite: overwrite, Tables: eng.Tables(), Fresh: fresh}
	if err := stores.CopyDays(ctx, app, boundary, cassandra.Day(at(2, 0))); err != nil {
		t.Fatal(err)
	}
	boundary = cassandra.Day(at(2, 0))
	var inHistory int
	if err := eng.DB().QueryRowContext(ctx, `SELECT count(*) FROM hive.segmentd_test.events_history WHERE app_id = ?`, app).Scan(&inHistory); err != nil || inHistory != 2 {
		t.Fatalf("history holds %d events of the app (%v), want e1 and e4", inHistory, err)
	}

	lim := engine.SchemaLimits{Names: query.SchemaNames, EventsPerName: query.SchemaEventsPerName, Users: query.SchemaUsers, Bytes: query.SchemaSampleBytes}
	dictionary := func(e engine.Engine) string {
		t.Helper()
		start := time.Now()
		s, err := e.SchemaSample(ctx, app, now.Add(time.Hour), lim)
		if err != nil {
			t.Fatalf("%s: %v", e.Dialect().Name, err)
		}
		t.Logf("%s: %s", e.Dialect().Name, time.Since(start))
		b, err := json.MarshalIndent(query.MakeDictionary(app, s), "", " ")
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	got, want := dictionary(eng), dictionary(duck)
	if got != want {
		t.Errorf("Trino's dictionary:\n%s\nDuckDB's:\n%s", got, want)
	}
	for _, s := range []string{`"name": "$buy"`, `"count": 3`, `"path": "items.price"`, `"path": "address.city"`, `"path": "tags"`} {
		if !strings.Contains(got, s) {
			t.Errorf("no %s in\n%s", s, got)
		}
	}
	if strings.Contains(got, "secret") {
		t.Errorf("the other app's data shows:\n%s", got)
	}
	var d query.Dictionary
	if err := json.Unmarshal([]byte(got), &d); err != nil {
		t.Fatal(err)
	}
	if len(d.Events) != 2 || d.Events[0].LastSeen != at(0, -2) || d.Events[1].Sampled != 2 || d.Users.Count != 4 || d.Users.Sampled != 4 {
		t.Errorf("dictionary: %+v", d)
	}
}
