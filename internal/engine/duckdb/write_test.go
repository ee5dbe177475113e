package duckdb_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"reflect"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/segmentd/segmentd/internal/compile"
	"github.com/segmentd/segmentd/internal/corpus"
	"github.com/segmentd/segmentd/internal/dataset"
	"github.com/segmentd/segmentd/internal/engine/duckdb"
	"github.com/segmentd/segmentd/internal/enginetest"
	"github.com/segmentd/segmentd/internal/ingest/ingesttest"
	"github.com/segmentd/segmentd/internal/record"
	"github.com/segmentd/segmentd/segment"
)

var t0 = time.Date(2026, 2, 1, 12, 0, 0, 0, time.UTC)

func open(t testing.TB) *duckdb.Engine {
	t.Helper()
	eng, err := duckdb.Open(context.Background(), "")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { eng.Close() })
	return eng
}

// event makes an event minutes after t0.
func event(id, user string, minutes int) record.Event {
	return record.Event{EventID: id, UserID: user, Name: "$buy", Time: t0.Add(time.Duration(minutes) * time.Minute),
		Properties: map[string]any{"total": float64(minutes), "items": []any{map[string]any{"price": 1000.0}}}}
}

func write(t testing.TB, eng *duckdb.Engine, app string, events ...record.Event) int {
	t.Helper()
	n, err := eng.WriteEvents(context.Background(), app, events)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// counts returns how many events and users an app has.
func counts(t testing.TB, eng *duckdb.Engine, app string) (events, users int) {
	t.Helper()
	db := eng.DB()
	if err := db.QueryRow(`SELECT count(*) FROM events WHERE app_id = ?`, app).Scan(&events); err != nil {
		t.Fatal(err)
	}
	if err := db.QueryRow(`SELECT count(*) FROM users WHERE app_id = ?`, app).Scan(&users); err != nil {
		t.Fatal(err)
	}
	return events, users
}

func user(t testing.TB, eng *duckdb.Engine, app, id string) record.User {
	t.Helper()
	u, err := eng.GetUser(context.Background(), app, id)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

func seen(t testing.TB, eng *duckdb.Engine, app, id string, first, last int) {
	t.Helper()
	u := user(t, eng, app, id)
	wantFirst, wantLast := t0.Add(time.Duration(first)*time.Minute), t0.Add(time.Duration(last)*time.Minute)
	if !u.FirstSeen.Equal(wantFirst) || !u.LastSeen.Equal(wantLast) {
		t.Errorf("%s: first_seen %v, last_seen %v; want %v, %v", id, u.FirstSeen, u.LastSeen, wantFirst, wantLast)
	}
}

func TestWriteEventsIdempotent(t *testing.T) {
	eng := open(t)
	ctx := context.Background()
	batch := []record.Event{event("e1", "u1", 0), event("e2", "u1", 5), event("e3", "u2", 3)}
	if n := write(t, eng, "a", batch...); n != 3 {
		t.Fatalf("inserted %d, want 3", n)
	}
	w1, _ := eng.Watermark(ctx, "a")
	if n := write(t, eng, "a", batch...); n != 0 {
		t.Errorf("retry inserted %d, want 0", n)
	}
	if ev, us := counts(t, eng, "a"); ev != 3 || us != 2 {
		t.Errorf("%d events, %d users after a retry; want 3, 2", ev, us)
	}
	if w2, _ := eng.Watermark(ctx, "a"); !w2.Equal(w1) {
		t.Errorf("a retry moved the watermark from %v to %v", w1, w2)
	}
	// A retry that differs (a client bug) changes nothing either: the
	// stored event wins, and so do the first/last_seen it gave.
	changed := event("e1", "u3", -100)
	partly := []record.Event{changed, event("e4", "u1", 1)}
	if n := write(t, eng, "a", partly...); n != 1 {
		t.Errorf("inserted %d, want 1", n)
	}
	seen(t, eng, "a", "u1", 0, 5)
	if _, err := eng.GetUser(ctx, "a", "u3"); !errors.Is(err, record.ErrNotFound) {
		t.Errorf("the rejected duplicate created its user: %v", err)
	}
	_, events, err := eng.UserData(ctx, "a", "u1", record.AllEvents)
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, e := range events {
		ids = append(ids, e.EventID)
	}
	if !slices.Equal(ids, []string{"e1", "e4", "e2"}) {
		t.Errorf("u1's events %v", ids)
	}
}

func TestWriteEventsDuplicateInBatch(t *testing.T) {
	eng := open(t)
	first, second := event("e1", "u1", 10), event("e1", "u2", 20)
	second.Name = "other"
	if n := write(t, eng, "a", event("e0", "u1", 0), first, second, event("e2", "u1", 15)); n != 3 {
		t.Fatalf("inserted %d, want 3", n)
	}
	if ev, us := counts(t, eng, "a"); ev != 3 || us != 1 {
		t.Errorf("%d events, %d users; want 3, 1", ev, us)
	}
	_, events, err := eng.UserData(context.Background(), "a", "u1", record.AllEvents)
	if err != nil {
		t.Fatal(err)
	}
	if len(events) != 3 || events[1].EventID != "e1" || events[1].Name != "$buy" || !events[1].Time.Equal(first.Time) {
		t.Errorf("events %+v: the first e1 should win", events)
	}
	seen(t, eng, "a", "u1", 0, 15)
}

func TestFirstLastSeenOutOfOrder(t *testing.T) {
	eng := open(t)
	write(t, eng, "a", event("e1", "u1", 100), event("e2", "u1", 50), event("e3", "u2", 70))
	seen(t, eng, "a", "u1", 50, 100)
	write(t, eng, "a", event("e4", "u1", 10)) // earlier
	seen(t, eng, "a", "u1", 10, 100)
	write(t, eng, "a", event("e5", "u1", 60), event("e6", "u2", 80)) // inside, later
	seen(t, eng, "a", "u1", 10, 100)
	seen(t, eng, "a", "u2", 70, 80)
	write(t, eng, "a", event("e7", "u1", 500), event("e8", "u1", 5)) // both ends at once
	seen(t, eng, "a", "u1", 5, 500)
	// A user created by a profile write has no first/last_seen until
	// events come.
	ctx := context.Background()
	if _, err := eng.PutUser(ctx, "a", "u3", map[string]any{"plan": "pro"}); err != nil {
		t.Fatal(err)
	}
	if u := user(t, eng, "a", "u3"); !u.FirstSeen.IsZero() || !u.LastSeen.IsZero() {
		t.Errorf("u3 without events: %v %v", u.FirstSeen, u.LastSeen)
	}
	write(t, eng, "a", event("e9", "u3", 42))
	seen(t, eng, "a", "u3", 42, 42)
	if u := user(t, eng, "a", "u3"); u.Attributes["plan"] != "pro" {
		t.Errorf("events changed u3's attributes: %v", u.Attributes)
	}
	// Microseconds are kept, nanoseconds truncated.
	ev := event("e10", "u4", 0)
	ev.Time = ev.Time.Add(123456789 * time.Nanosecond).In(time.FixedZone("JST", 9*3600))
	write(t, eng, "a", ev)
	if u := user(t, eng, "a", "u4"); !u.FirstSeen.Equal(t0.Add(123456*time.Microsecond)) || u.FirstSeen.Location() != time.UTC {
		t.Errorf("first_seen %v", u.FirstSeen)
	}
}

func TestWatermark(t *testing.T) {
	eng := open(t)
	ctx := context.Background()
	clock := t0
	duckdb.SetClock(eng, func() time.Time { return clock })
	wm := func(app string) time.Time {
		t.Helper()
		w, err := eng.Watermark(ctx, app)
		if err != nil {
			t.Fatal(err)
		}
		return w
	}
	if w := wm("a"); !w.IsZero() {
		t.Fatalf("an app without data has watermark %v", w)
	}
	write(t, eng, "a", event("e1", "u1", 0))
	if w := wm("a"); !w.Equal(t0) {
		t.Errorf("watermark %v, want %v", w, t0)
	}
	// The same instant again, then a clock that steps back: 1µs later
	// each time.
	write(t, eng, "a", event("e2", "u1", 0))
	if w := wm("a"); !w.Equal(t0.Add(time.Microsecond)) {
		t.Errorf("watermark %v, want %v", w, t0.Add(time.Microsecond))
	}
	clock = t0.Add(-time.Hour)
	if _, err := eng.PutUser(ctx, "a", "u1", map[string]any{"x": 1.0}); err != nil {
		t.Fatal(err)
	}
	if w := wm("a"); !w.Equal(t0.Add(2 * time.Microsecond)) {
		t.Errorf("watermark %v, want %v", w, t0.Add(2*time.Microsecond))
	}
	clock = t0.Add(time.Hour + 500*time.Nanosecond)
	if _, err := eng.PatchUser(ctx, "a", "u1", map[string]any{"x": nil}); err != nil {
		t.Fatal(err)
	}
	if w := wm("a"); !w.Equal(t0.Add(time.Hour)) {
		t.Errorf("watermark %v, want %v", w, t0.Add(time.Hour))
	}
	// A retry stores nothing and leaves the watermark; another app's
	// writes leave it too.
	clock = t0.Add(2 * time.Hour)
	write(t, eng, "a", event("e2", "u1", 0))
	write(t, eng, "b", event("e9", "u1", 0))
	if w := wm("a"); !w.Equal(t0.Add(time.Hour)) {
		t.Errorf("watermark %v, want %v", w, t0.Add(time.Hour))
	}
	if w := wm("b"); !w.Equal(t0.Add(2 * time.Hour)) {
		t.Errorf("b's watermark %v", w)
	}
	// Strictly increasing under a fast stream of writes at real time.
	duckdb.SetClock(eng, time.Now)
	prev := wm("a")
	for i := range 20 {
		write(t, eng, "a", event(fmt.Sprint("s", i), "u1", i))
		w := wm("a")
		if !w.After(prev) {
			t.Fatalf("watermark %v after %v", w, prev)
		}
		prev = w
	}
}

func TestLoadSetsWatermarkAndIsAtomic(t *testing.T) {
	eng := open(t)
	ctx := context.Background()
	d := &dataset.Data{
		Users:  []record.User{{UserID: "u1", Attributes: map[string]any{"a": 1.0}, FirstSeen: t0, LastSeen: t0}},
		Events: []record.Event{event("e1", "u1", 0)},
	}
	if err := eng.Load(ctx, "a", d); err != nil {
		t.Fatal(err)
	}
	if w, _ := eng.Watermark(ctx, "a"); w.IsZero() {
		t.Error("Load left no watermark")
	}
	w1, _ := eng.Watermark(ctx, "a")
	// Loading again fails on the keys and stores nothing.
	d.Users = append(d.Users, record.User{UserID: "u2"})
	d.Events = append(d.Events, event("e2", "u2", 0))
	if err := eng.Load(ctx, "a", d); err == nil {
		t.Fatal("a second Load of the same IDs succeeded")
	}
	if ev, us := counts(t, eng, "a"); ev != 1 || us != 1 {
		t.Errorf("%d events, %d users after a failed load", ev, us)
	}
	if w2, _ := eng.Watermark(ctx, "a"); !w2.Equal(w1) {
		t.Error("a failed load moved the watermark")
	}
	// Ingestion continues from a load.
	if n := write(t, eng, "a", event("e1", "u1", 0), event("e3", "u1", -5)); n != 1 {
		t.Errorf("inserted %d", n)
	}
	seen(t, eng, "a", "u1", -5, 0)
}

func TestUserProfiles(t *testing.T) {
	eng := open(t)
	ctx := context.Background()
	if _, err := eng.GetUser(ctx, "a", "u1"); !errors.Is(err, record.ErrNotFound) {
		t.Fatalf("missing user: %v", err)
	}
	check := func(u record.User, err error, want map[string]any) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		if u.UserID != "u1" || !reflect.DeepEqual(u.Attributes, want) {
			t.Errorf("user %+v, want attributes %v", u, want)
		}
		got := user(t, eng, "a", "u1")
		if !reflect.DeepEqual(got.Attributes, want) {
			t.Errorf("GET %v, want %v", got.Attributes, want)
		}
	}
	// PUT creates and replaces; nulls are dropped.
	u, err := eng.PutUser(ctx, "a", "u1", map[string]any{"country": "JP", "age": 31.0, "vip": nil,
		"address": map[string]any{"city": "Tokyo", "zip": nil}, "tags": []any{"a", 2.0}})
	check(u, err, map[string]any{"country": "JP", "age": 31.0, "address": map[string]any{"city": "Tokyo", "zip": nil}, "tags": []any{"a", 2.0}})
	u, err = eng.PutUser(ctx, "a", "u1", map[string]any{"plan": "pro"})
	check(u, err, map[string]any{"plan": "pro"})
	// PATCH merges shallowly; null deletes; deleting a missing key is fine.
	u, err = eng.PatchUser(ctx, "a", "u1", map[string]any{"country": "KR", "plan": nil, "gone": nil, "address": map[string]any{"city": "Seoul"}})
	check(u, err, map[string]any{"country": "KR", "address": map[string]any{"city": "Seoul"}})
	u, err = eng.PatchUser(ctx, "a", "u1", map[string]any{"address": map[string]any{"zip": "04524"}})
	check(u, err, map[string]any{"country": "KR", "address": map[string]any{"zip": "04524"}})
	u, err = eng.PatchUser(ctx, "a", "u1", map[string]any{})
	check(u, err, map[string]any{"country": "KR", "address": map[string]any{"zip": "04524"}})
	u, err = eng.PutUser(ctx, "a", "u1", map[string]any{})
	check(u, err, map[string]any{})
	// PATCH creates a missing user.
	u, err = eng.PatchUser(ctx, "a", "u2", map[string]any{"x": true, "y": nil})
	if err != nil || !reflect.DeepEqual(u.Attributes, map[string]any{"x": true}) {
		t.Errorf("PATCH of a new user: %+v, %v", u, err)
	}
	// Profile writes keep first/last_seen; events keep attributes.
	write(t, eng, "a", event("e1", "u1", 3))
	u, err = eng.PutUser(ctx, "a", "u1", map[string]any{"k": "v"})
	if err != nil || !u.FirstSeen.Equal(t0.Add(3*time.Minute)) || !u.LastSeen.Equal(t0.Add(3*time.Minute)) {
		t.Errorf("PUT after events: %+v %v", u, err)
	}
	// A PATCH that would make the profile too large changes nothing.
	big := map[string]any{}
	for i := range 256 {
		big[fmt.Sprint("k", i)] = float64(i)
	}
	if _, err := eng.PatchUser(ctx, "a", "u1", big); err == nil {
		t.Error("a profile of 257 attributes was stored")
	} else {
		var se *segment.Error
		if !errors.As(err, &se) || se.Problems[0].Path != "/attributes" {
			t.Errorf("error %v", err)
		}
	}
	if got := user(t, eng, "a", "u1"); !reflect.DeepEqual(got.Attributes, map[string]any{"k": "v"}) {
		t.Errorf("after a refused PATCH: %v", got.Attributes)
	}
	// Values that are no JSON are refused before anything is stored.
	if _, err := eng.PutUser(ctx, "a", "u1", map[string]any{"x": func() {}}); err == nil {
		t.Error("a function was stored")
	}
}

// compileTree compiles a tree for the engine.
func compileTree(t testing.TB, eng *duckdb.Engine, app, tree string) *compile.SQL {
	t.Helper()
	n, err := segment.Decode([]byte(tree), "")
	if err != nil {
		t.Fatal(err)
	}
	q, err := compile.Compile(n, eng.Dialect(), compile.Options{AppID: app, AsOf: t0.Add(24 * time.Hour), Location: time.UTC}, eng.Tables())
	if err != nil {
		t.Fatal(err)
	}
	return q
}

func members(t testing.TB, eng *duckdb.Engine, app, tree string) []string {
	t.Helper()
	ids, err := eng.Members(context.Background(), compileTree(t, eng, app, tree))
	if err != nil {
		t.Fatal(err)
	}
	return ids
}

// TestWrittenDataIsQueryable checks that attributes and properties are
// stored as JSON objects the compiled SQL reads, not as JSON strings.
func TestWrittenDataIsQueryable(t *testing.T) {
	eng := open(t)
	ctx := context.Background()
	for id, attrs := range map[string]map[string]any{
		"u1": {"country": "JP", "age": 31.0, "address": map[string]any{"city": "Tokyo"}},
		"u2": {"country": "KR", "age": 20.0},
		"u3": {"country": "JP"},
	} {
		if _, err := eng.PutUser(ctx, "a", id, attrs); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := eng.PatchUser(ctx, "a", "u3", map[string]any{"country": nil, "age": 40.0}); err != nil {
		t.Fatal(err)
	}
	write(t, eng, "a", event("e1", "u1", 0), event("e2", "u2", 1), event("e3", "u2", 2), event("e4", "u4", 3))
	cases := []struct {
		tree string
		want []string
	}{
		{`{"type":"attribute","field":"country","op":"eq","value":"JP"}`, []string{"u1"}},
		{`{"type":"attribute","field":"age","op":"gte","value":30}`, []string{"u1", "u3"}},
		{`{"type":"attribute","field":"address.city","op":"eq","value":"Tokyo"}`, []string{"u1"}},
		{`{"type":"attribute","field":"country","op":"not_exists"}`, []string{"u3", "u4"}},
		{`{"type":"event","event":"$buy","op":"gte","value":2}`, []string{"u2"}},
		{`{"type":"event","event":"$buy","aggregate":{"fn":"sum","property":"items.price"},"op":"eq","value":1000}`, []string{"u1", "u4"}},
		{`{"type":"attribute","field":"first_seen","op":"gte","value":"2026-02-01T12:01:00Z"}`, []string{"u2", "u4"}},
		{`{"type":"not","child":{"type":"attribute","field":"user_id","op":"eq","value":"u1"}}`, []string{"u2", "u3", "u4"}},
	}
	for _, c := range cases {
		if got := members(t, eng, "a", c.tree); !slices.Equal(got, c.want) {
			t.Errorf("%s: %v, want %v", c.tree, got, c.want)
		}
		n, err := eng.Count(ctx, compileTree(t, eng, "a", c.tree))
		if err != nil || n != int64(len(c.want)) {
			t.Errorf("%s: count %d, %v; want %d", c.tree, n, err, len(c.want))
		}
	}
}

func TestTenantIsolation(t *testing.T) {
	eng := open(t)
	ctx := context.Background()
	// The same event and user IDs in two apps are different records.
	if n := write(t, eng, "a", event("e1", "u1", 0), event("e2", "u1", 10)); n != 2 {
		t.Fatal(n)
	}
	if n := write(t, eng, "b", event("e1", "u1", 100)); n != 1 {
		t.Errorf("app b's e1 was taken for app a's: inserted %d", n)
	}
	seen(t, eng, "a", "u1", 0, 10)
	seen(t, eng, "b", "u1", 100, 100)
	if _, err := eng.PutUser(ctx, "a", "u1", map[string]any{"app": "a"}); err != nil {
		t.Fatal(err)
	}
	if _, err := eng.PatchUser(ctx, "b", "u1", map[string]any{"app": "b"}); err != nil {
		t.Fatal(err)
	}
	if u := user(t, eng, "a", "u1"); u.Attributes["app"] != "a" {
		t.Errorf("a's u1: %v", u.Attributes)
	}
	if u := user(t, eng, "b", "u1"); u.Attributes["app"] != "b" {
		t.Errorf("b's u1: %v", u.Attributes)
	}
	if _, err := eng.PutUser(ctx, "b", "only-b", nil); err != nil {
		t.Fatal(err)
	}
	if _, err := eng.GetUser(ctx, "a", "only-b"); !errors.Is(err, record.ErrNotFound) {
		t.Errorf("a sees b's user: %v", err)
	}
	if _, _, err := eng.UserData(ctx, "a", "only-b", record.AllEvents); !errors.Is(err, record.ErrNotFound) {
		t.Errorf("a sees b's user: %v", err)
	}
	_, events, err := eng.UserData(ctx, "b", "u1", record.AllEvents)
	if err != nil || len(events) != 1 {
		t.Errorf("b's u1 has %d events, %v", len(events), err)
	}
	if got := members(t, eng, "a", `{"type":"event","event":"$buy","op":"gte","value":1}`); !slices.Equal(got, []string{"u1"}) {
		t.Errorf("a: %v", got)
	}
	n, err := eng.Count(ctx, compileTree(t, eng, "b", `{"type":"attribute","field":"user_id","op":"exists"}`))
	if err != nil || n != 2 {
		t.Errorf("b counts %d users, %v", n, err)
	}
}

// concurrentBatches makes writers×batches batches of size events over a
// small set of users, with event IDs shared between writers (as when
// clients retry on different connections), and the set of distinct events.
func concurrentBatches(writers, batches, size int) ([][][]record.Event, map[string]record.Event) {
	rng := rand.New(rand.NewPCG(1, 2))
	distinct := map[string]record.Event{}
	out := make([][][]record.Event, writers)
	for w := range writers {
		out[w] = make([][]record.Event, batches)
		for b := range batches {
			batch := make([]record.Event, size)
			for i := range batch {
				// Half the IDs are shared by all writers' b-th batches.
				id := fmt.Sprintf("w%d-b%d-%d", w, b, i)
				if i%2 == 0 {
					id = fmt.Sprintf("shared-b%d-%d", b, i)
				}
				ev, ok := distinct[id]
				if !ok {
					ev = event(id, fmt.Sprint("u", rng.IntN(40)), rng.IntN(100000)-50000)
					distinct[id] = ev
				}
				batch[i] = ev
			}
			out[w][b] = batch
		}
	}
	return out, distinct
}

func TestConcurrentWriters(t *testing.T) {
	t.Parallel()
	eng := open(t)
	ctx := context.Background()
	const writers, batches, size = 8, 50, 20
	work, distinct := concurrentBatches(writers, batches, size)
	var inserted atomic.Int64
	var wg sync.WaitGroup
	errs := make(chan error, writers)
	for w := range writers {
		wg.Go(func() {
			for _, batch := range work[w] {
				n, err := eng.WriteEvents(ctx, "a", batch)
				if err != nil {
					errs <- err
					return
				}
				inserted.Add(int64(n))
			}
		})
	}
	// Profile writes at the same time.
	wg.Go(func() {
		for i := range 100 {
			if _, err := eng.PatchUser(ctx, "a", fmt.Sprint("u", i%40), map[string]any{"i": float64(i)}); err != nil {
				errs <- err
				return
			}
		}
	})
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	if int(inserted.Load()) != len(distinct) {
		t.Errorf("inserted %d in all, want %d", inserted.Load(), len(distinct))
	}
	ev, _ := counts(t, eng, "a")
	if ev != len(distinct) {
		t.Errorf("%d events stored, want %d", ev, len(distinct))
	}
	span := map[string][2]time.Time{}
	for _, e := range distinct {
		s, ok := span[e.UserID]
		if !ok {
			s = [2]time.Time{e.Time, e.Time}
		}
		if e.Time.Before(s[0]) {
			s[0] = e.Time
		}
		if e.Time.After(s[1]) {
			s[1] = e.Time
		}
		span[e.UserID] = s
	}
	for id, s := range span {
		u := user(t, eng, "a", id)
		if !u.FirstSeen.Equal(s[0]) || !u.LastSeen.Equal(s[1]) {
			t.Errorf("%s: first/last_seen %v %v, want %v %v", id, u.FirstSeen, u.LastSeen, s[0], s[1])
		}
	}
}

// errInjected fails a write just before it commits.
var errInjected = errors.New("injected")

func TestFailedBatchStoresNothing(t *testing.T) {
	ctx := context.Background()
	batch := make([]record.Event, 1000)
	for i := range batch {
		batch[i] = event(fmt.Sprint("e", i), fmt.Sprint("u", i%10), i)
	}
	cases := []struct {
		name  string
		setup func(eng *duckdb.Engine) (context.Context, []record.Event)
		is    error
	}{
		{"failure before commit", func(eng *duckdb.Engine) (context.Context, []record.Event) {
			duckdb.SetBeforeCommit(eng, func() error { return errInjected })
			return ctx, batch
		}, errInjected},
		{"context canceled before the write", func(eng *duckdb.Engine) (context.Context, []record.Event) {
			cctx, cancel := context.WithCancel(ctx)
			cancel()
			return cctx, batch
		}, context.Canceled},
		{"invalid record in the middle", func(eng *duckdb.Engine) (context.Context, []record.Event) {
			bad := slices.Clone(batch)
			bad[500].UserID = ""
			return ctx, bad
		}, duckdb.ErrInvalid},
		{"properties that are no JSON", func(eng *duckdb.Engine) (context.Context, []record.Event) {
			bad := slices.Clone(batch)
			bad[700].Properties = map[string]any{"x": make(chan int)}
			return ctx, bad
		}, duckdb.ErrInvalid},
		{"a user_id that is no UTF-8", func(eng *duckdb.Engine) (context.Context, []record.Event) {
			bad := slices.Clone(batch)
			bad[999].UserID = "u\xff"
			return ctx, bad
		}, duckdb.ErrInvalid},
		{"a row DuckDB refuses", func(eng *duckdb.Engine) (context.Context, []record.Event) {
			bad := slices.Clone(batch)
			bad[998].Time = time.Date(300000, 1, 1, 0, 0, 0, 0, time.UTC) // beyond TIMESTAMPTZ
			return ctx, bad
		}, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			eng := open(t)
			write(t, eng, "a", event("before", "u0", -1))
			w1, _ := eng.Watermark(ctx, "a")
			cctx, events := c.setup(eng)
			n, err := eng.WriteEvents(cctx, "a", events)
			if err == nil || n != 0 {
				t.Fatalf("WriteEvents = %d, %v", n, err)
			}
			t.Logf("error: %v", err)
			if c.is != nil && !errors.Is(err, c.is) {
				t.Errorf("error %v, want %v", err, c.is)
			}
			if ev, us := counts(t, eng, "a"); ev != 1 || us != 1 {
				t.Errorf("%d events, %d users stored after a failed batch", ev, us)
			}
			seen(t, eng, "a", "u0", -1, -1)
			if w2, _ := eng.Watermark(ctx, "a"); !w2.Equal(w1) {
				t.Error("a failed batch moved the watermark")
			}
			// The engine still works.
			duckdb.SetBeforeCommit(eng, nil)
			if n := write(t, eng, "a", batch...); n != len(batch) {
				t.Errorf("after the failure, inserted %d", n)
			}
		})
	}
}

func TestUserData(t *testing.T) {
	eng := open(t)
	ctx := context.Background()
	a, b, c := event("b", "u1", 5), event("a", "u1", 5), event("c", "u1", -5)
	c.Properties = map[string]any{"nested": map[string]any{"list": []any{1.0, "x", nil, true}}}
	write(t, eng, "app", a, b, c, event("x", "u2", 0))
	if _, err := eng.PatchUser(ctx, "app", "u1", map[string]any{"plan": "pro"}); err != nil {
		t.Fatal(err)
	}
	u, events, err := eng.UserData(ctx, "app", "u1", record.AllEvents)
	if err != nil {
		t.Fatal(err)
	}
	if u.Attributes["plan"] != "pro" || !u.FirstSeen.Equal(c.Time) || !u.LastSeen.Equal(a.Time) {
		t.Errorf("user %+v", u)
	}
	want := []record.Event{c, b, a} // by time, then event_id
	if !reflect.DeepEqual(events, want) {
		t.Errorf("events\n%+v\nwant\n%+v", events, want)
	}
	// Only the names read, with properties only where they are read.
	session, view := event("d", "u1", 1), event("e", "u1", -1)
	session.Name, view.Name = "$session", "view"
	write(t, eng, "app", session, view)
	view.Properties = nil
	_, events, err = eng.UserData(ctx, "app", "u1", record.Reads{Names: map[string]bool{"$buy": true, "view": false, "never": true}})
	if want := []record.Event{c, view, b, a}; err != nil || !reflect.DeepEqual(events, want) {
		t.Errorf("events read of $buy and view: %v\n%+v\nwant\n%+v", err, events, want)
	}
	if u, events, err := eng.UserData(ctx, "app", "u1", record.Reads{}); err != nil || events != nil || u.Attributes["plan"] != "pro" {
		t.Errorf("no events read: %+v %v %v", u, events, err)
	}
	// A user without events.
	if _, err := eng.PutUser(ctx, "app", "u3", nil); err != nil {
		t.Fatal(err)
	}
	if u, events, err := eng.UserData(ctx, "app", "u3", record.AllEvents); err != nil || len(events) != 0 || !reflect.DeepEqual(u.Attributes, map[string]any{}) {
		t.Errorf("u3: %+v %v %v", u, events, err)
	}
}

// TestIngestedCorpusAgreement writes the corpus data through the
// ingestion path (event batches and profile writes, in shuffled order)
// instead of Load, and runs the corpus on it: the SQL must read what
// WriteEvents and PutUser store as the reference evaluator reads the same
// records.
func TestIngestedCorpusAgreement(t *testing.T) {
	if testing.Short() {
		t.Skip("short")
	}
	t.Parallel()
	eng := open(t)
	ctx := context.Background()
	data := corpus.Dataset()
	events := slices.Clone(data.Events)
	rand.New(rand.NewPCG(3, 4)).Shuffle(len(events), func(i, j int) { events[i], events[j] = events[j], events[i] })
	for lo := 0; lo < len(events); lo += 1000 {
		write(t, eng, "corpus", events[lo:min(lo+1000, len(events))]...)
	}
	// Every batch again: nothing changes.
	for lo := 0; lo < len(events); lo += 1000 {
		if n := write(t, eng, "corpus", events[lo:min(lo+1000, len(events))]...); n != 0 {
			t.Fatalf("a retried batch inserted %d", n)
		}
	}
	stored := &dataset.Data{Events: data.Events}
	for _, u := range data.Users {
		got, err := eng.PutUser(ctx, "corpus", u.UserID, u.Attributes)
		if err != nil {
			t.Fatal(err)
		}
		stored.Users = append(stored.Users, got)
	}
	// first/last_seen are the extremes of each user's events.
	byUser := data.EventsByUser()
	for _, u := range stored.Users {
		evs := byUser[u.UserID]
		if len(evs) == 0 {
			if !u.FirstSeen.IsZero() {
				t.Errorf("%s has no events but first_seen %v", u.UserID, u.FirstSeen)
			}
			continue
		}
		first := slices.MinFunc(evs, func(a, b record.Event) int { return a.Time.Compare(b.Time) }).Time
		last := slices.MaxFunc(evs, func(a, b record.Event) int { return a.Time.Compare(b.Time) }).Time
		if !u.FirstSeen.Equal(first) || !u.LastSeen.Equal(last) {
			t.Errorf("%s: first/last_seen %v %v, want %v %v", u.UserID, u.FirstSeen, u.LastSeen, first, last)
		}
	}
	var cases []enginetest.Case
	for _, c := range corpus.Cases() {
		cases = append(cases, enginetest.Case{Name: c.Name, JSON: c.JSON})
	}
	s := enginetest.Setup{AppID: "corpus", Data: stored, AsOf: corpus.AsOf, Location: corpus.Location(), Lookup: corpus.Lookup()}
	enginetest.Agreement(t, eng, s, cases, compile.Fused)
}

// TestCountAgreesWithMembers runs the corpus's trees through Count.
func TestCountAgreesWithMembers(t *testing.T) {
	t.Parallel()
	eng := open(t)
	ctx := context.Background()
	if err := eng.Load(ctx, "corpus", corpus.Dataset()); err != nil {
		t.Fatal(err)
	}
	for _, c := range corpus.Cases() {
		tree, err := segment.Decode(c.JSON, "")
		if err != nil {
			t.Fatal(err)
		}
		if tree, err = segment.Expand(ctx, tree, "", corpus.Lookup()); err != nil {
			t.Fatal(err)
		}
		q, err := compile.Compile(tree, eng.Dialect(), compile.Options{AppID: "corpus", AsOf: corpus.AsOf, Location: corpus.Location()}, eng.Tables())
		if err != nil {
			t.Fatal(err)
		}
		ids, err := eng.Members(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		n, err := eng.Count(ctx, q)
		if err != nil {
			t.Fatalf("%s: %v", c.Name, err)
		}
		if n != int64(len(ids)) {
			t.Errorf("%s: count %d, members %d", c.Name, n, len(ids))
		}
	}
}

// TestDeleteApp runs on a database file, which it also reopens: the keys
// that make ingestion idempotent must survive a restart.
func TestDeleteApp(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "events.duckdb")
	eng, err := duckdb.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { eng.Close() }()
	d := corpus.Dataset()
	if err := eng.Load(ctx, "a", d); err != nil {
		t.Fatal(err)
	}
	write(t, eng, "b", event("e1", "u1", 0))
	w1, _ := eng.Watermark(ctx, "a")
	if err := eng.DeleteApp(ctx, "a"); err != nil {
		t.Fatal(err)
	}
	if ev, us := counts(t, eng, "a"); ev != 0 || us != 0 {
		t.Errorf("%d events, %d users left", ev, us)
	}
	if ev, us := counts(t, eng, "b"); ev != 1 || us != 1 {
		t.Errorf("another app lost data: %d events, %d users", ev, us)
	}
	if w2, _ := eng.Watermark(ctx, "a"); !w2.After(w1) {
		t.Errorf("watermark %v after deleting, was %v", w2, w1)
	}
	// The same IDs load again, and ingestion goes on.
	if err := eng.Load(ctx, "a", d); err != nil {
		t.Fatal(err)
	}
	if ev, us := counts(t, eng, "a"); ev != len(d.Events) || us != len(d.Users) {
		t.Errorf("reloaded %d events, %d users", ev, us)
	}
	if n := write(t, eng, "a", d.Events[:10]...); n != 0 {
		t.Errorf("a retry after the reload inserted %d", n)
	}
	// Deleting an app without data is fine, and leaves it without a
	// watermark.
	if err := eng.DeleteApp(ctx, "none"); err != nil {
		t.Fatal(err)
	}
	if w, _ := eng.Watermark(ctx, "none"); !w.IsZero() {
		t.Errorf("watermark %v", w)
	}
	// After a restart, everything is there and retries still add nothing.
	w3, _ := eng.Watermark(ctx, "a")
	if err := eng.Close(); err != nil {
		t.Fatal(err)
	}
	if eng, err = duckdb.Open(ctx, path); err != nil {
		t.Fatal(err)
	}
	if ev, us := counts(t, eng, "a"); ev != len(d.Events) || us != len(d.Users) {
		t.Errorf("after reopening, %d events, %d users", ev, us)
	}
	if n := write(t, eng, "a", d.Events[100:200]...); n != 0 {
		t.Errorf("a retry after reopening inserted %d", n)
	}
	if w4, _ := eng.Watermark(ctx, "a"); !w4.Equal(w3) {
		t.Errorf("watermark %v after reopening, was %v", w4, w3)
	}
}

func TestProfileRules(t *testing.T) {
	ingesttest.ProfileRules(t, open(t), "a")
}

func TestEventRules(t *testing.T) {
	ingesttest.EventRules(t, open(t), "a", time.Now())
}

// TestWatermarkConcurrentWrites: every kind of write, from concurrent
// writers in the same instant, moves the watermark.
func TestWatermarkConcurrentWrites(t *testing.T) {
	eng := open(t)
	duckdb.SetClock(eng, func() time.Time { return t0 })
	ingesttest.WatermarkRules(t, []ingesttest.Writer{eng}, "a", t0)
}
