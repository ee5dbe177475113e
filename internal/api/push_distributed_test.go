//go:build distributed

package api

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http/httptest"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/segmentd/segmentd/internal/cache"
	"github.com/segmentd/segmentd/internal/cache/cachetest"
	"github.com/segmentd/segmentd/internal/dataset"
	"github.com/segmentd/segmentd/internal/enginetest"
	"github.com/segmentd/segmentd/internal/record"
	"github.com/segmentd/segmentd/internal/store"
	"github.com/segmentd/segmentd/internal/store/sqlstore"
	"github.com/segmentd/segmentd/internal/store/storetest"
	"github.com/segmentd/segmentd/internal/webhook"
	"github.com/segmentd/segmentd/internal/webhook/webhooktest"
	"github.com/segmentd/segmentd/segment"
)

// TestPushDeliveryDistributed is push delivery on the distributed path:
// Trino for the runs, Cassandra as the fresh store (events ingested
// through the API), the segment store on MariaDB
// (SEGMENTD_TEST_MYSQL_DSN) and the snapshots in Redis
// (SEGMENTD_TEST_REDIS). A segment scheduled every 5 minutes runs at two
// slots (a fake clock drives the scheduler), the events from the first
// slot on (some after the second) ingested in between: both runs'
// members, the diff's counts
// and entered.txt and exited.txt are the reference evaluator's at the two
// slots, and the webhook's signed delivery of the second run carries the
// same counts.
func TestPushDeliveryDistributed(t *testing.T) {
	ctx := context.Background()
	st, err := sqlstore.Open(ctx, storetest.MySQL(t)(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	eng, fresh := openDistributed(t, st)
	redis, _ := cachetest.Redis(t)
	// The keyspace outlives the test: the app is new on every run.
	app := fmt.Sprint("push", time.Now().UnixNano())
	if _, err := st.CreateApp(ctx, store.App{ID: app, TimeZone: "UTC"}); err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	now := time.Now()
	clock := func() time.Time {
		mu.Lock()
		defer mu.Unlock()
		return now
	}
	setClock := func(t time.Time) {
		mu.Lock()
		now = t
		mu.Unlock()
	}
	done := make(chan store.Run, 4)
	s := New(Config{Store: st, Engine: eng, Fresh: fresh, AdminKey: adminKey, Now: clock, Webhooks: fastHooks,
		// Snapshot keys are not under the test's prefix: they expire.
		Runs:      RunConfig{Cache: redis, Local: cache.NewMemory(64 << 20), SnapshotTTL: 10 * time.Minute, OnDone: func(r store.Run) { done <- r }},
		Schedules: ScheduleConfig{Tick: time.Hour}}) // ticked by the test
	srv := httptest.NewServer(s)
	t.Cleanup(srv.Close)
	e := runEnv{client: client{t: t, base: srv.URL}, srv: s, st: st, done: done}
	e.start()
	rc := webhooktest.New(t, 0)
	h := e.want(e.do("POST", "/v1/apps/"+app+"/webhooks", adminKey, map[string]any{"url": rc.URL, "events": []string{"run.succeeded"}}), 201, "", "")
	rc.SetSecret(h["secret"].(string))

	tree := json.RawMessage(`{"type":"event","event":"view_item","window":{"last":"10m"}}`)
	seg := e.want(e.do("POST", "/v1/apps/"+app+"/segments", adminKey, map[string]any{"name": "browsing now", "tree": tree, "schedule": map[string]any{"every": "5m"}}), 201, "", "")["id"].(string)
	// The first slot after the segment was saved, and the next. Events are
	// at most an hour ahead of the server's clock (ingest.MaxFutureSkew)
	// and all within Cassandra's fresh days (its horizon is 48 hours).
	slot1 := time.Now().UTC().Truncate(5 * time.Minute).Add(5 * time.Minute)
	slot2 := slot1.Add(5 * time.Minute)
	data := dataset.Generate(dataset.Config{Users: 300, Events: 10000, Seed: 16,
		Start: slot2.Add(-36 * time.Hour), End: slot2.Add(10 * time.Minute), AsOf: slot2})
	early := &dataset.Data{Users: data.Users}
	for _, ev := range data.Events {
		if ev.Time.Before(slot1) {
			early.Events = append(early.Events, ev)
		}
	}
	n, err := segment.Decode(tree, "")
	if err != nil {
		t.Fatal(err)
	}
	want1 := enginetest.Expected(n, enginetest.Setup{Data: early, AsOf: slot1, Location: time.UTC})
	want2 := enginetest.Expected(n, enginetest.Setup{Data: data, AsOf: slot2, Location: time.UTC})
	entered, exited := minus(want2, want1), minus(want1, want2)
	if len(entered) < 3 || len(exited) < 3 {
		t.Fatalf("the data moves too little: %d entered, %d exited", len(entered), len(exited))
	}

	ingest := func(events []record.Event) {
		for batch := range slices.Chunk(events, 1000) {
			body := make([]map[string]any, len(batch))
			for i, ev := range batch {
				body[i] = event(ev.EventID, ev.UserID, ev.Name, ev.Time.Format(time.RFC3339Nano), ev.Properties)
			}
			e.want(e.do("POST", "/v1/apps/"+app+"/events", adminKey, eventsBody(body...)), 202, "", "")
		}
	}
	tick := func(slot time.Time) string {
		setClock(slot)
		if err := s.sched.Tick(ctx); err != nil {
			t.Fatal(err)
		}
		r := e.wait()
		if r.State != store.RunSucceeded || !r.Scheduled || !r.AsOf.Equal(slot) {
			t.Fatalf("run %+v: want succeeded, scheduled, as_of %v", r, slot)
		}
		return r.ID
	}
	ingest(early.Events)
	run1 := tick(slot1)
	ingest(data.Events[len(early.Events):])
	run2 := tick(slot2)

	base := "/v1/apps/" + app + "/runs/"
	text := func(path string) string {
		r := e.do("GET", base+path, adminKey, nil)
		if r.status != 200 {
			t.Fatalf("%s: %d %s", path, r.status, r.body)
		}
		return string(r.body)
	}
	if text(run1+"/members.txt") != lines(want1) || text(run2+"/members.txt") != lines(want2) {
		t.Fatalf("members differ from the reference's %d and %d", len(want1), len(want2))
	}
	diff := e.want(e.do("GET", base+run2+"/diff", adminKey, nil), 200, "", "")
	wantDiff := map[string]any{"run": run2, "against": run1, "entered": float64(len(entered)), "exited": float64(len(exited)), "version_changed": false}
	if fmt.Sprint(diff) != fmt.Sprint(wantDiff) {
		t.Fatalf("diff %v, want %v", diff, wantDiff)
	}
	if got := text(run2 + "/diff/entered.txt"); got != lines(entered) {
		t.Fatalf("entered.txt %q, want %q", got, lines(entered))
	}
	if got := text(run2 + "/diff/exited.txt"); got != lines(exited) {
		t.Fatalf("exited.txt %q, want %q", got, lines(exited))
	}

	// Both runs delivered, signed (the receiver checks each signature).
	deliveries(e.client, adminKey, app, h["id"].(string), 2)
	byRun := map[string]webhook.Payload{}
	for _, ps := range rc.Delivered() {
		byRun[ps[0].Run] = ps[0]
	}
	p := byRun[run2]
	if p.Entered == nil || *p.Entered != int64(len(entered)) || p.Exited == nil || *p.Exited != int64(len(exited)) ||
		p.Count == nil || *p.Count != int64(len(want2)) || !p.AsOf.Equal(slot2) || p.SegmentID != seg {
		t.Fatalf("the second run's delivery %+v, want %d entered, %d exited, %d members", p, len(entered), len(exited), len(want2))
	}
	if p := byRun[run1]; p.Run != run1 || p.Entered != nil || p.Exited != nil {
		t.Fatalf("the first run's delivery %+v", p)
	}
	t.Logf("%d and %d members; %d entered, %d exited", len(want1), len(want2), len(entered), len(exited))
}
