package api

import (
	"context"
	"fmt"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/segmentd/segmentd/internal/corpus"
	"github.com/segmentd/segmentd/internal/store"
)

const scheduleTree = `{"type":"attribute","field":"country","op":"in","value":["JP","KR"]}`

// TestSegmentSchedule: a segment's schedule is saved with it, returned by
// GET (null for none), replaced by PUT, and refused with a 400 at its
// JSON Pointer.
func TestSegmentSchedule(t *testing.T) {
	e := newRunEnv(t, nil, RunConfig{})
	body := func(sched string) string {
		return fmt.Sprintf(`{"name":"s","tree":%s,"schedule":%s}`, scheduleTree, sched)
	}
	created := e.want(e.do("POST", "/v1/apps/corpus/segments", adminKey, body(`{"cron":"0  6 * * *"}`)), 201, "", "")
	id := created["id"].(string)
	if got := fmt.Sprint(created["schedule"]); got != "map[cron:0 6 * * *]" {
		t.Fatalf("created schedule %s", got)
	}
	got := e.want(e.do("GET", "/v1/apps/corpus/segments/"+id, adminKey, nil), 200, "", "")
	if fmt.Sprint(got["schedule"]) != "map[cron:0 6 * * *]" {
		t.Fatalf("GET schedule %v", got["schedule"])
	}
	put := e.want(e.do("PUT", "/v1/apps/corpus/segments/"+id, adminKey, body(`{"every":"90m"}`)), 200, "", "")
	if fmt.Sprint(put["schedule"]) != "map[every:90m]" {
		t.Fatalf("PUT schedule %v", put["schedule"])
	}
	none := e.want(e.do("PUT", "/v1/apps/corpus/segments/"+id, adminKey, fmt.Sprintf(`{"name":"s","tree":%s}`, scheduleTree)), 200, "", "")
	if sched, ok := none["schedule"]; !ok || sched != nil {
		t.Fatalf("PUT without a schedule: %v (present %v), want null", sched, ok)
	}
	if v := e.want(e.do("GET", "/v1/apps/corpus/segments/"+id+"/versions/2", adminKey, nil), 200, "", ""); fmt.Sprint(v["schedule"]) != "map[every:90m]" {
		t.Fatalf("version 2 schedule %v", v["schedule"])
	}
	for sched, path := range map[string]string{
		`{"every":"1m"}`:                    "/schedule/every",
		`{"every":"1s"}`:                    "/schedule/every",
		`{"cron":"61 6 * * *"}`:             "/schedule/cron",
		`{"cron":"0 6 * *"}`:                "/schedule/cron",
		`{"cron":"0 6 * * *","tz":"x"}`:     "/schedule/tz",
		`{}`:                                "/schedule",
		`"hourly"`:                          "/schedule",
		`{"every":"1h","cron":"* * * * *"}`: "/schedule/cron",
	} {
		e.want(e.do("POST", "/v1/apps/corpus/segments", adminKey, body(sched)), 400, "invalid_argument", path)
	}
	e.want(e.do("POST", "/v1/apps/corpus/segments", adminKey, body(`null`)), 201, "", "")
}

// TestScheduledRuns: the server creates the due runs of its schedules
// (with a fake clock): referenced segments first, each an ordinary run
// with as_of the slot and scheduled true, listed in the run history.
func TestScheduledRuns(t *testing.T) {
	ctx := context.Background()
	st, eng := embedded(t)
	if _, err := st.CreateApp(ctx, store.App{ID: "corpus", TimeZone: corpus.TimeZone}); err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	now := time.Now()
	clock := func() time.Time {
		mu.Lock()
		defer mu.Unlock()
		return now
	}
	done := make(chan store.Run, 16)
	s := New(Config{Store: st, Engine: eng, Fresh: eng, AdminKey: adminKey, Now: clock,
		Runs:      RunConfig{OnDone: func(r store.Run) { done <- r }},
		Schedules: ScheduleConfig{Tick: time.Hour}})
	srv := httptest.NewServer(s)
	t.Cleanup(srv.Close)
	e := runEnv{client: client{t: t, base: srv.URL}, srv: s, st: st, eng: eng, done: done}
	e.start()

	base := e.want(e.do("POST", "/v1/apps/corpus/segments", adminKey,
		fmt.Sprintf(`{"name":"base","tree":%s,"schedule":{"every":"1h"}}`, scheduleTree)), 201, "", "")["id"].(string)
	top := e.want(e.do("POST", "/v1/apps/corpus/segments", adminKey,
		fmt.Sprintf(`{"name":"top","tree":{"type":"segment","segment_id":%q},"schedule":{"every":"1h"}}`, base)), 201, "", "")["id"].(string)

	mu.Lock()
	now = now.Add(3*time.Hour + time.Minute) // three slots missed: one run each
	slot := now.UTC().Truncate(time.Hour)
	mu.Unlock()
	if err := s.sched.Tick(ctx); err != nil {
		t.Fatal(err)
	}
	first, second := e.wait(), e.wait() // the second is created when the first ends
	if first.SegmentID != base || second.SegmentID != top {
		t.Fatalf("runs of %s then %s, want %s (referenced) then %s", first.SegmentID, second.SegmentID, base, top)
	}
	for _, r := range []store.Run{first, second} {
		if r.State != store.RunSucceeded || !r.Scheduled || !r.AsOf.Equal(slot) {
			t.Fatalf("run %+v: want succeeded, scheduled, as_of %v", r, slot)
		}
	}
	if err := s.sched.Tick(ctx); err != nil {
		t.Fatal(err)
	}
	history := e.want(e.do("GET", "/v1/apps/corpus/segments/"+top+"/runs", adminKey, nil), 200, "", "")
	list := history["runs"].([]any)
	if len(list) != 1 {
		t.Fatalf("history %v: want one run", list)
	}
	run := list[0].(map[string]any)
	if run["scheduled"] != true || run["as_of"] != slot.Format(time.RFC3339) || run["state"] != "succeeded" {
		t.Fatalf("history run %v", run)
	}
}
