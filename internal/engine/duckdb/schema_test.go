package duckdb_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/segmentd/segmentd/internal/engine"
	"github.com/segmentd/segmentd/internal/engine/duckdb"
	"github.com/segmentd/segmentd/internal/record"
)

// TestSchemaSample: the sample is each name's most recent events by time,
// then event_id, descending (ties at the cutoff's time decided by
// event_id), the first of every name, then the second; names the most
// frequent first; users the most recently seen first; and only the app's.
func TestSchemaSample(t *testing.T) {
	ctx := context.Background()
	e, err := duckdb.Open(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	ev := func(id, user, name string, min int) record.Event {
		return record.Event{EventID: id, UserID: user, Name: name, Time: t0.Add(time.Duration(min) * time.Minute),
			Properties: map[string]any{"id": id}}
	}
	if _, err := e.WriteEvents(ctx, "app", []record.Event{
		ev("a1", "u1", "a", 1), ev("a2", "u1", "a", 2), ev("a4", "u2", "a", 2), ev("a3", "u3", "a", 2),
		ev("b1", "u1", "b", 5), ev("b2", "u2", "b", 0),
		ev("c1", "u3", "c", 9),
	}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.WriteEvents(ctx, "other", []record.Event{ev("x1", "u1", "x", 1), ev("x2", "u1", "x", 2), ev("x3", "u1", "x", 3),
		ev("x4", "u1", "x", 4)}); err != nil {
		t.Fatal(err)
	}
	s, err := e.SchemaSample(ctx, "app", t0, engine.SchemaLimits{Names: 2, EventsPerName: 2, Users: 2, Bytes: 1 << 20})
	if err != nil {
		t.Fatal(err)
	}
	got := fmt.Sprint(s.Names, s.MoreNames, s.Events, s.Users, s.Attributes, s.Truncated)
	want := fmt.Sprint([]engine.EventName{{Name: "a", Count: 4, LastSeen: t0.Add(2 * time.Minute)}, {Name: "b", Count: 2, LastSeen: t0.Add(5 * time.Minute)}}, true,
		[]engine.Sampled{{Name: "a", JSON: `{"id":"a4"}`}, {Name: "b", JSON: `{"id":"b1"}`}, {Name: "a", JSON: `{"id":"a3"}`}, {Name: "b", JSON: `{"id":"b2"}`}},
		3, []engine.Sampled{{JSON: `{}`}, {JSON: `{}`}}, false)
	if got != want {
		t.Errorf("sample:\n got %s\nwant %s", got, want)
	}
	// The byte bound stops the sample.
	s, err = e.SchemaSample(ctx, "app", t0, engine.SchemaLimits{Names: 2, EventsPerName: 2, Users: 2, Bytes: 30})
	if err != nil || len(s.Events) != 2 || !s.Truncated || len(s.Attributes) != 0 {
		t.Errorf("bounded: %+v, %v", s, err)
	}
}
