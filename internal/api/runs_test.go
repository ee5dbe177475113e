package api

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/segmentd/segmentd/internal/cache"
	"github.com/segmentd/segmentd/internal/compile"
	"github.com/segmentd/segmentd/internal/corpus"
	"github.com/segmentd/segmentd/internal/engine/duckdb"
	"github.com/segmentd/segmentd/internal/enginetest"
	"github.com/segmentd/segmentd/internal/query"
	"github.com/segmentd/segmentd/internal/record"
	"github.com/segmentd/segmentd/internal/store"
	"github.com/segmentd/segmentd/internal/store/sqlstore"
	"github.com/segmentd/segmentd/segment"
)

// runEnv is a server of the app "corpus" (with its saved segments), its
// clock at the corpus's as_of, and a channel of finished runs.
type runEnv struct {
	client
	srv  *Server
	st   *sqlstore.SQL
	eng  *duckdb.Engine
	done chan store.Run
}

// start starts the runs.
func (e runEnv) start() {
	e.t.Helper()
	if err := e.srv.Start(context.Background()); err != nil {
		e.t.Fatal(err)
	}
	e.t.Cleanup(func() { e.srv.Shutdown(context.Background()) })
}

func newRunEnv(t *testing.T, data dataPath, cfg RunConfig) runEnv {
	t.Helper()
	ctx := context.Background()
	st, eng := embedded(t)
	if data == nil {
		data = eng
	}
	if _, err := st.CreateApp(ctx, store.App{ID: "corpus", TimeZone: corpus.TimeZone}); err != nil {
		t.Fatal(err)
	}
	createSaved(t, st)
	done := make(chan store.Run, 100)
	cfg.OnDone = func(r store.Run) { done <- r }
	s := New(Config{Store: st, Engine: data, Fresh: data, AdminKey: adminKey, Now: func() time.Time { return corpus.AsOf }, Runs: cfg})
	srv := httptest.NewServer(s)
	t.Cleanup(srv.Close)
	return runEnv{client: client{t: t, base: srv.URL}, srv: s, st: st, eng: eng, done: done}
}

// createSaved stores the corpus's saved segments under their IDs, each
// after those it refers to.
func createSaved(t *testing.T, st *sqlstore.SQL) {
	t.Helper()
	pending := corpus.SavedSegments()
	for len(pending) > 0 {
		var left []corpus.Saved
		for _, sv := range pending {
			var body segmentBody
			if err := json.Unmarshal(sv.JSON, &body); err != nil {
				t.Fatal(err)
			}
			tree, err := segment.Decode(body.Tree, "")
			if err != nil {
				t.Fatal(err)
			}
			_, err = st.CreateSegment(context.Background(), store.Segment{AppID: "corpus", ID: sv.ID, Name: body.Name,
				Tree: string(body.Tree), Refs: segment.References(tree)})
			if errors.Is(err, record.ErrNotFound) {
				left = append(left, sv) // a segment it refers to comes later
				continue
			}
			if err != nil {
				t.Fatal(err)
			}
		}
		if len(left) == len(pending) {
			t.Fatalf("saved segments refer to missing ones: %v", left)
		}
		pending = left
	}
}

// wait returns the next run a worker finished.
func (e runEnv) wait() store.Run {
	e.t.Helper()
	select {
	case r := <-e.done:
		return r
	case <-time.After(time.Minute):
		e.t.Fatal("no run finished within a minute")
		return store.Run{}
	}
}

// members reads a run's members page by page.
func (e runEnv) members(runID string, limit int) []string {
	e.t.Helper()
	ids := []string{}
	cursor := ""
	for pages := 0; ; pages++ {
		m := e.want(e.do("GET", fmt.Sprintf("/v1/apps/corpus/runs/%s/members?limit=%d&cursor=%s", runID, limit, cursor), adminKey, nil), 200, "", "")
		for _, id := range m["user_ids"].([]any) {
			ids = append(ids, id.(string))
		}
		next, ok := m["next_cursor"].(string)
		if !ok {
			return ids
		}
		cursor = url.QueryEscape(next)
	}
}

// TestRunsAgree runs a sample of the corpus trees as saved segments and
// checks every way of reading the members against the reference
// evaluator: pages, the text and CSV streams (whole, and resumed), and
// the single-user membership of users picked at random (the differential
// test of the two paths, at the same as_of).
func TestRunsAgree(t *testing.T) {
	e := newRunEnv(t, nil, RunConfig{Workers: 2, Local: cache.NewMemory(64 << 20)})
	e.start()
	data := corpus.Dataset()
	if err := e.eng.Load(context.Background(), "corpus", data); err != nil {
		t.Fatal(err)
	}
	setup := enginetest.Setup{AppID: "corpus", Data: data, AsOf: corpus.AsOf, Location: corpus.Location(), Lookup: corpus.Lookup()}
	rng := rand.New(rand.NewPCG(7, 8))
	cases := corpus.Cases()
	for i := 0; i < len(cases); i += 6 {
		c := cases[i]
		t.Run(c.Name, func(t *testing.T) {
			e.t = t
			tree, err := segment.Decode(c.JSON, "")
			if err != nil {
				t.Fatal(err)
			}
			expanded, err := segment.Expand(context.Background(), tree, "", corpus.Lookup())
			if err != nil {
				t.Fatal(err)
			}
			want := enginetest.Expected(expanded, setup)
			seg := e.want(e.do("POST", "/v1/apps/corpus/segments", adminKey, map[string]any{"name": c.Name, "tree": json.RawMessage(c.JSON)}), 201, "", "")
			segID := seg["id"].(string)
			run := e.want(e.do("POST", "/v1/apps/corpus/segments/"+segID+"/runs", adminKey, nil), 202, "", "")
			if run["state"] != "queued" {
				t.Fatalf("a new run is %v", run["state"])
			}
			runID := run["id"].(string)
			if r := e.wait(); r.ID != runID || r.State != store.RunSucceeded {
				t.Fatalf("run %s ended %s: %s", r.ID, r.State, r.Error)
			}
			got := e.want(e.do("GET", "/v1/apps/corpus/runs/"+runID, adminKey, nil), 200, "", "")
			if got["state"] != "succeeded" || got["count"] != float64(len(want)) || got["progress"] != 1.0 || got["as_of"] != corpus.AsOf.Format(time.RFC3339) {
				t.Fatalf("run %v, want %d members", got, len(want))
			}
			// An identical run is the same run.
			again := e.want(e.do("POST", "/v1/apps/corpus/segments/"+segID+"/runs", adminKey, map[string]any{}), 200, "", "")
			if again["id"] != runID {
				t.Fatalf("an identical run was not reused: %v", again)
			}
			if ids := e.members(runID, 1+len(want)/3); !slices.Equal(ids, want) {
				t.Fatalf("pages: %d IDs, want %d", len(ids), len(want))
			}
			if r := e.do("GET", "/v1/apps/corpus/runs/"+runID+"/members.txt", adminKey, nil); r.status != 200 || string(r.body) != lines(want) {
				t.Fatalf("members.txt: %d, %d bytes", r.status, len(r.body))
			}
			if len(want) > 2 {
				k := len(want) / 2
				r := e.do("GET", "/v1/apps/corpus/runs/"+runID+"/members.csv?after="+url.QueryEscape(want[k]), adminKey, nil)
				if r.status != 200 || string(r.body) != "user_id\n"+lines(want[k+1:]) || r.header.Get("X-Segmentd-Count") != fmt.Sprint(len(want)) {
					t.Fatalf("members.csv after %q: %d %q", want[k], r.status, r.body)
				}
			}
			for range 8 {
				u := data.Users[rng.IntN(len(data.Users))].UserID
				m := e.want(e.do("GET", "/v1/apps/corpus/segments/"+segID+"/members/"+url.PathEscape(u), adminKey, nil), 200, "", "")
				if _, in := slices.BinarySearch(want, u); m["member"] != in || m["segment_version"] != 1.0 {
					t.Fatalf("user %s: %v, want member %v", u, m, in)
				}
			}
		})
	}
	e.t = t
	seg := e.want(e.do("POST", "/v1/apps/corpus/segments", adminKey, map[string]any{"name": "x", "tree": attrTree}), 201, "", "")
	m := e.want(e.do("GET", "/v1/apps/corpus/segments/"+seg["id"].(string)+"/members/nobody-at-all", adminKey, nil), 200, "", "")
	if m["member"] != false {
		t.Fatalf("an unknown user: %v", m)
	}
	e.want(e.do("GET", "/v1/apps/corpus/segments/nope/members/u1", adminKey, nil), 404, CodeNotFound, "")
	e.want(e.do("POST", "/v1/apps/corpus/segments/nope/runs", adminKey, nil), 404, CodeNotFound, "")
	e.want(e.do("POST", "/v1/apps/corpus/segments/"+seg["id"].(string)+"/runs", adminKey, map[string]any{"as_of": "yesterday"}), 400, CodeInvalidArgument, "/as_of")
	e.want(e.do("GET", "/v1/apps/corpus/runs/run_nope", adminKey, nil), 404, CodeNotFound, "")
	e.want(e.do("DELETE", "/v1/apps/corpus/runs/run_nope", adminKey, nil), 404, CodeNotFound, "")
	run := e.want(e.do("POST", "/v1/apps/corpus/segments/"+seg["id"].(string)+"/runs", adminKey, nil), 202, "", "")
	e.wait()
	id := run["id"].(string)
	e.want(e.do("GET", "/v1/apps/corpus/runs/"+id+"/members?limit=0", adminKey, nil), 400, CodeInvalidArgument, "")
	e.want(e.do("GET", "/v1/apps/corpus/runs/"+id+"/members?cursor=!!", adminKey, nil), 400, CodeInvalidArgument, "")
	// Deleting a finished run purges it: it stays succeeded.
	if m := e.want(e.do("DELETE", "/v1/apps/corpus/runs/"+id, adminKey, nil), 202, "", ""); m["state"] != "succeeded" || m["purged_at"] == nil {
		t.Fatalf("deleting a finished run: %v", m)
	}
}

// TestRunPurge: DELETE of a succeeded run deletes its snapshot at once
// (the members of an erased user need not wait for the TTL); the run
// keeps its record with purged_at, its members answer 404, a second
// DELETE is 202 and keeps the first purged_at, an identical run request
// starts a new run instead of returning the purged one, and another app's
// key cannot purge it.
func TestRunPurge(t *testing.T) {
	local := cache.NewMemory(64 << 20)
	testRunPurge(t, RunConfig{Local: local}, local)
}

// testRunPurge is TestRunPurge with cfg, whose snapshots are in snaps.
func testRunPurge(t *testing.T, cfg RunConfig, snaps cache.Store) {
	e := newRunEnv(t, nil, cfg)
	e.start()
	var events []any
	for i, u := range []string{"u1", "u2", "u3"} {
		events = append(events, event(fmt.Sprint("e", i), u, "purchase", "2026-10-27T10:00:00Z", nil))
	}
	e.want(e.do("POST", "/v1/apps/corpus/events", adminKey, map[string]any{"events": events}), 202, "", "")
	seg := e.want(e.do("POST", "/v1/apps/corpus/segments", adminKey, map[string]any{"name": "buyers",
		"tree": map[string]any{"type": "event", "event": "purchase", "window": map[string]any{"all": true}}}), 201, "", "")
	runs := "/v1/apps/corpus/segments/" + seg["id"].(string) + "/runs"
	run := e.want(e.do("POST", runs, adminKey, nil), 202, "", "")
	id := run["id"].(string)
	if r := e.wait(); r.ID != id || r.State != store.RunSucceeded {
		t.Fatalf("run %s: %s", r.State, r.Error)
	}
	base := "/v1/apps/corpus/runs/" + id
	if got := e.want(e.do("GET", base, adminKey, nil), 200, "", ""); got["purged_at"] != nil {
		t.Fatalf("a run never deleted has purged_at: %v", got)
	}
	if _, err := snaps.Get(context.Background(), query.SnapshotKey("corpus", id)); err != nil {
		t.Fatalf("the snapshot before the purge: %v", err)
	}

	// Another app's key gets 404, through its own app or this one, and
	// the run is left as it was.
	other := e.want(e.do("POST", "/v1/apps", adminKey, map[string]any{"app_id": "other"}), 201, "", "")["api_key"].(string)
	e.want(e.do("DELETE", base, other, nil), 404, CodeNotFound, "")
	e.want(e.do("DELETE", "/v1/apps/other/runs/"+id, other, nil), 404, CodeNotFound, "")
	if ids := e.members(id, 10); !slices.Equal(ids, []string{"u1", "u2", "u3"}) {
		t.Fatalf("members after another app's DELETE: %v", ids)
	}

	purged := e.want(e.do("DELETE", base, adminKey, nil), 202, "", "")
	at, err := time.Parse(time.RFC3339, fmt.Sprint(purged["purged_at"]))
	if err != nil || purged["state"] != "succeeded" || purged["count"] != 3.0 || purged["id"] != id {
		t.Fatalf("DELETE of a succeeded run: %v (purged_at: %v)", purged, err)
	}
	if _, err := snaps.Get(context.Background(), query.SnapshotKey("corpus", id)); !errors.Is(err, cache.ErrMiss) {
		t.Fatalf("the snapshot after the purge: %v, want a miss", err)
	}
	got := e.want(e.do("GET", base, adminKey, nil), 200, "", "")
	if got["purged_at"] != purged["purged_at"] || got["state"] != "succeeded" || got["count"] != 3.0 {
		t.Fatalf("GET of a purged run: %v", got)
	}
	for _, p := range []string{"/members", "/members.txt", "/members.csv"} {
		m := e.want(e.do("GET", base+p, adminKey, nil), 404, CodeNotFound, "")
		if msg := m["error"].(map[string]any)["message"].(string); !strings.Contains(msg, "purged") {
			t.Fatalf("%s of a purged run: %q", p, msg)
		}
	}

	// Idempotent: the second DELETE is 202 and keeps the first purged_at.
	again := e.want(e.do("DELETE", base, adminKey, nil), 202, "", "")
	if again["purged_at"] != purged["purged_at"] || again["state"] != "succeeded" {
		t.Fatalf("a second DELETE: %v, first purged at %v", again, at)
	}

	// An identical run request (same segment version, as_of and
	// watermark) starts a new run: a purged run is never reused.
	fresh := e.want(e.do("POST", runs, adminKey, nil), 202, "", "")
	if fresh["id"] == id || fresh["state"] != "queued" {
		t.Fatalf("an identical run after the purge: %v", fresh)
	}
	if r := e.wait(); r.ID != fresh["id"] || r.State != store.RunSucceeded {
		t.Fatalf("run %s: %s", r.State, r.Error)
	}
	if reused := e.want(e.do("POST", runs, adminKey, nil), 200, "", ""); reused["id"] != fresh["id"] {
		t.Fatalf("the new run is not reused: %v", reused)
	}
	if ids := e.members(fresh["id"].(string), 10); !slices.Equal(ids, []string{"u1", "u2", "u3"}) {
		t.Fatalf("members of the new run: %v", ids)
	}
}

func lines(ids []string) string {
	if len(ids) == 0 {
		return ""
	}
	return strings.Join(ids, "\n") + "\n"
}

// blockingData is the engine with a Stream that waits for its context to
// end, as a query that runs long does.
type blockingData struct {
	dataPath
	started chan struct{}
}

func (b blockingData) Stream(ctx context.Context, q *compile.SQL, progress func(float64), fn func(string) error) error {
	close(b.started)
	<-ctx.Done()
	return ctx.Err()
}

// TestRunCancelAndFailure cancels a running run, and runs on an engine
// that is down: both end with a state and a reason, and their members
// answer 409; a run cannot even be asked for while the engine is down.
func TestRunCancelAndFailure(t *testing.T) {
	started := make(chan struct{})
	e := newRunEnv(t, nil, RunConfig{})
	blocked := newRunEnv(t, blockingData{dataPath: e.eng, started: started}, RunConfig{})
	blocked.start()
	seg := blocked.want(blocked.do("POST", "/v1/apps/corpus/segments", adminKey, map[string]any{"name": "x", "tree": attrTree}), 201, "", "")
	run := blocked.want(blocked.do("POST", "/v1/apps/corpus/segments/"+seg["id"].(string)+"/runs", adminKey, nil), 202, "", "")
	<-started
	// The first DELETE cancels the running run, without purging it.
	if m := blocked.want(blocked.do("DELETE", "/v1/apps/corpus/runs/"+run["id"].(string), adminKey, nil), 202, "", ""); m["state"] != "canceled" || m["purged_at"] != nil {
		t.Fatalf("DELETE of a running run: %v", m)
	}
	if r := blocked.wait(); r.State != store.RunCanceled {
		t.Fatalf("a canceled run ended %s", r.State)
	}
	blocked.want(blocked.do("GET", "/v1/apps/corpus/runs/"+run["id"].(string)+"/members", adminKey, nil), 409, CodeConflict, "")
	// The second, on the canceled (finished) run, purges it.
	if m := blocked.want(blocked.do("DELETE", "/v1/apps/corpus/runs/"+run["id"].(string), adminKey, nil), 202, "", ""); m["state"] != "canceled" || m["purged_at"] == nil {
		t.Fatalf("DELETE of a canceled run: %v", m)
	}
	blocked.want(blocked.do("GET", "/v1/apps/corpus/runs/"+run["id"].(string)+"/members", adminKey, nil), 404, CodeNotFound, "")

	// A run queued before the engine went down (left by a previous
	// process) fails when it executes, saying why.
	seg = e.want(e.do("POST", "/v1/apps/corpus/segments", adminKey, map[string]any{"name": "x", "tree": attrTree}), 201, "", "")
	queued, err := e.st.CreateRun(context.Background(), store.Run{AppID: "corpus", SegmentID: seg["id"].(string), Version: 1, AsOf: corpus.AsOf, Key: "k"})
	if err != nil {
		t.Fatal(err)
	}
	e.eng.Close()
	e.start()
	if r := e.wait(); r.ID != queued.ID || r.State != store.RunFailed || !strings.HasPrefix(r.Error, "unavailable: the engine cannot be reached") {
		t.Fatalf("a run on an engine that is down ended %s: %q", r.State, r.Error)
	}
	m := e.want(e.do("GET", "/v1/apps/corpus/runs/"+queued.ID, adminKey, nil), 200, "", "")
	if m["state"] != "failed" || !strings.HasPrefix(m["error"].(string), "unavailable:") {
		t.Fatalf("%v", m)
	}
	e.want(e.do("GET", "/v1/apps/corpus/runs/"+queued.ID+"/members.txt", adminKey, nil), 409, CodeConflict, "")
	e.want(e.do("POST", "/v1/apps/corpus/segments/"+seg["id"].(string)+"/runs", adminKey, nil), 503, CodeUnavailable, "")
}

// TestCountCache: a count is cached under its expanded tree, as_of and
// watermark, so a new event or a new version of a segment it refers to
// is never answered from the cache.
func TestCountCache(t *testing.T) {
	e := newRunEnv(t, nil, RunConfig{})
	count := func(body map[string]any) (float64, bool) {
		m := e.want(e.do("POST", "/v1/apps/corpus/count", adminKey, body), 200, "", "")
		return m["count"].(float64), m["cached"].(bool)
	}
	e.want(e.do("POST", "/v1/apps/corpus/events", adminKey, map[string]any{"events": []any{
		event("e1", "u1", "purchase", "2026-10-27T10:00:00Z", nil)}}), 202, "", "")
	ref := e.want(e.do("POST", "/v1/apps/corpus/segments", adminKey, map[string]any{"name": "buyers",
		"tree": map[string]any{"type": "event", "event": "purchase", "op": "gte", "value": 1, "window": map[string]any{"all": true}}}), 201, "", "")
	body := map[string]any{"tree": map[string]any{"type": "segment", "segment_id": ref["id"]}, "as_of": "2026-10-28T00:00:00Z"}
	for i, want := range []struct {
		n      float64
		cached bool
	}{{1, false}, {1, true}} {
		if n, cached := count(body); n != want.n || cached != want.cached {
			t.Fatalf("count %d: %v cached %v, want %v", i, n, cached, want)
		}
	}
	e.want(e.do("POST", "/v1/apps/corpus/events", adminKey, map[string]any{"events": []any{
		event("e2", "u2", "purchase", "2026-10-27T11:00:00Z", nil)}}), 202, "", "")
	if n, cached := count(body); n != 2 || cached {
		t.Fatalf("after an event: %v cached %v", n, cached)
	}
	e.want(e.do("PUT", "/v1/apps/corpus/segments/"+ref["id"].(string), adminKey, map[string]any{"name": "buyers",
		"tree": map[string]any{"type": "event", "event": "purchase", "op": "gte", "value": 2, "window": map[string]any{"all": true}}}), 200, "", "")
	if n, cached := count(body); n != 0 || cached {
		t.Fatalf("after a new version: %v cached %v", n, cached)
	}
}

// TestMembersCSVQuoting: an ID with a comma, a quote or a newline is
// quoted in members.csv (RFC 4180), and written as it is in members.txt.
func TestMembersCSVQuoting(t *testing.T) {
	e := newRunEnv(t, nil, RunConfig{})
	e.start()
	var events []any
	for i, u := range []string{"plain", "a,b", `c"d`} {
		events = append(events, event(fmt.Sprint("e", i), u, "purchase", "2026-10-27T10:00:00Z", nil))
	}
	e.want(e.do("POST", "/v1/apps/corpus/events", adminKey, map[string]any{"events": events}), 202, "", "")
	seg := e.want(e.do("POST", "/v1/apps/corpus/segments", adminKey, map[string]any{"name": "buyers",
		"tree": map[string]any{"type": "event", "event": "purchase", "window": map[string]any{"all": true}}}), 201, "", "")
	run := e.want(e.do("POST", "/v1/apps/corpus/segments/"+seg["id"].(string)+"/runs", adminKey, nil), 202, "", "")
	if r := e.wait(); r.State != store.RunSucceeded {
		t.Fatalf("run %s: %s", r.State, r.Error)
	}
	base := "/v1/apps/corpus/runs/" + run["id"].(string)
	if r := e.do("GET", base+"/members.csv", adminKey, nil); string(r.body) != "user_id\n\"a,b\"\n\"c\"\"d\"\nplain\n" {
		t.Fatalf("members.csv: %q", r.body)
	}
	if r := e.do("GET", base+"/members.txt", adminKey, nil); string(r.body) != "a,b\nc\"d\nplain\n" {
		t.Fatalf("members.txt: %q", r.body)
	}
}
