package ingesttest

import (
	"context"
	"errors"
	"reflect"
	"testing"
	"time"

	"github.com/segmentd/segmentd/internal/ingest"
	"github.com/segmentd/segmentd/internal/record"
)

// EventRules checks, on an app of f with no data yet, what every fresh
// store keeps the same way for events: a batch moves the watermark
// before it is acknowledged; a retried batch, whole or in part, stores
// nothing twice; a user's data (the single-user membership check) is the
// profile and every event, oldest first, properties as written; a user
// the app never saw is not found. at is a recent instant of the store's
// clock: the events fall on the days before it, which every store keeps
// as fresh.
func EventRules(t *testing.T, f ingest.Fresh, appID string, at time.Time) {
	ctx := context.Background()
	if _, _, err := f.UserData(ctx, appID, "u1", record.AllEvents); !errors.Is(err, record.ErrNotFound) {
		t.Fatalf("the data of a user the app does not have: %v", err)
	}
	base := at.Add(-2 * time.Hour).UTC().Truncate(time.Millisecond)
	events := []record.Event{
		{EventID: "e3", UserID: "u1", Name: "$buy", Time: base.Add(2 * time.Minute),
			Properties: map[string]any{"items": []any{map[string]any{"price": 1200.5}}, "coupon": nil}},
		{EventID: "e1", UserID: "u1", Name: "view_item", Time: base, Properties: map[string]any{"price": "12"}},
		{EventID: "e2", UserID: "u1", Name: "view_item", Time: base.Add(time.Minute), Properties: map[string]any{}},
		{EventID: "e4", UserID: "u2", Name: "view_item", Time: base},
	}
	before, err := f.Watermark(ctx, appID)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteEvents(ctx, appID, events); err != nil {
		t.Fatal(err)
	}
	after, err := f.Watermark(ctx, appID)
	if err != nil {
		t.Fatal(err)
	}
	if !after.After(before) {
		t.Errorf("the watermark was %v before an acknowledged batch and %v after", before, after)
	}
	// A retry, whole and in part with a new event.
	retry := append(events[:2:2], record.Event{EventID: "e5", UserID: "u1", Name: "signup", Time: base.Add(-time.Hour)})
	for _, batch := range [][]record.Event{events, retry} {
		if _, err := f.WriteEvents(ctx, appID, batch); err != nil {
			t.Fatal(err)
		}
	}
	_, got, err := f.UserData(ctx, appID, "u1", record.AllEvents)
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, e := range got {
		ids = append(ids, e.EventID)
	}
	if want := []string{"e5", "e1", "e2", "e3"}; !reflect.DeepEqual(ids, want) {
		t.Fatalf("u1's events %v, want %v (each once, oldest first)", ids, want)
	}
	for _, e := range got {
		for _, w := range events {
			if w.EventID == e.EventID && (!e.Time.Equal(w.Time) || e.Name != w.Name || !sameProperties(e.Properties, w.Properties)) {
				t.Errorf("event %s read back as %+v, written as %+v", e.EventID, e, w)
			}
		}
	}
	// Events alone make a user, whose profile the single-user check reads.
	u, _, err := f.UserData(ctx, appID, "u2", record.AllEvents)
	if err != nil || u.UserID != "u2" {
		t.Fatalf("u2, who only sent events: %+v %v", u, err)
	}
}

// sameProperties compares properties as JSON would carry them: no
// properties and an empty object are the same.
func sameProperties(a, b map[string]any) bool {
	if len(a) == 0 && len(b) == 0 {
		return true
	}
	return reflect.DeepEqual(a, b)
}
