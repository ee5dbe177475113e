package api

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/segmentd/segmentd/internal/cache"
	"github.com/segmentd/segmentd/internal/corpus"
	"github.com/segmentd/segmentd/internal/enginetest"
	"github.com/segmentd/segmentd/internal/query"
	"github.com/segmentd/segmentd/internal/snapshot"
	"github.com/segmentd/segmentd/internal/store"
	"github.com/segmentd/segmentd/segment"
)

// minus is the set difference of two sorted lists.
func minus(a, b []string) []string {
	out := []string{}
	for _, id := range a {
		if _, in := slices.BinarySearch(b, id); !in {
			out = append(out, id)
		}
	}
	return out
}

// runAt runs a segment at asOf and waits for it to succeed; it returns the
// run's ID.
func (e runEnv) runAt(segID string, asOf time.Time) string {
	e.t.Helper()
	run := e.want(e.do("POST", "/v1/apps/corpus/segments/"+segID+"/runs", adminKey, map[string]any{"as_of": asOf.Format(time.RFC3339)}), 202, "", "")
	if r := e.wait(); r.ID != run["id"] || r.State != store.RunSucceeded {
		e.t.Fatalf("run %s ended %s: %s", r.ID, r.State, r.Error)
	}
	return run["id"].(string)
}

// message is an error answer's message.
func message(m map[string]any) string { return m["error"].(map[string]any)["message"].(string) }

// TestRunDiff runs a segment over the corpus at two as_of ten days apart
// (users enter and exit a seven-day window) and checks the diff's counts
// and both streams (whole and resumed with after) against the difference
// of the reference evaluator's member sets at the two as_of, and of the
// runs' own members; then previous (by creation, skipping purged runs),
// a new version, and the refusals: 404 (no run, no previous run, another
// app's run or key, purged or expired members), 409 (a run not
// succeeded), 400 (a run of another segment, a bad against).
func TestRunDiff(t *testing.T) {
	local := cache.NewMemory(64 << 20)
	testRunDiff(t, RunConfig{Local: local}, local)
}

// testRunDiff is TestRunDiff with cfg, whose snapshots are in snaps.
func testRunDiff(t *testing.T, cfg RunConfig, snaps cache.Store) {
	ctx := context.Background()
	e := newRunEnv(t, nil, cfg)
	e.start()
	data := corpus.Dataset()
	if err := e.eng.Load(ctx, "corpus", data); err != nil {
		t.Fatal(err)
	}
	setup := enginetest.Setup{AppID: "corpus", Data: data, Location: corpus.Location(), Lookup: corpus.Lookup()}
	expected := func(tree json.RawMessage, asOf time.Time) []string {
		n, err := segment.Decode(tree, "")
		if err != nil {
			t.Fatal(err)
		}
		s := setup
		s.AsOf = asOf
		return append([]string{}, enginetest.Expected(n, s)...)
	}
	tree := json.RawMessage(`{"type": "event", "event": "$buy", "window": {"last": "7d"}}`)
	seg := e.want(e.do("POST", "/v1/apps/corpus/segments", adminKey, map[string]any{"name": "buyers this week", "tree": tree}), 201, "", "")
	segID := seg["id"].(string)
	before, after := corpus.AsOf.AddDate(0, 0, -10), corpus.AsOf
	want1, want2 := expected(tree, before), expected(tree, after)
	entered, exited := minus(want2, want1), minus(want1, want2)
	if len(entered) < 3 || len(exited) < 3 {
		t.Fatalf("the corpus moves too little: %d entered, %d exited", len(entered), len(exited))
	}
	run1 := e.runAt(segID, before)
	run2 := e.runAt(segID, after)
	// The engine's members agree with the reference, so the difference of
	// the runs' members is the reference's.
	m1, m2 := e.members(run1, 1000), e.members(run2, 1000)
	if !slices.Equal(m1, want1) || !slices.Equal(m2, want2) {
		t.Fatalf("members: %d and %d, the reference %d and %d", len(m1), len(m2), len(want1), len(want2))
	}
	if !slices.Equal(minus(m2, m1), entered) || !slices.Equal(minus(m1, m2), exited) {
		t.Fatal("the runs' members differ otherwise than the reference's")
	}

	base := "/v1/apps/corpus/runs/"
	diff := func(path string) map[string]any { return e.want(e.do("GET", base+path, adminKey, nil), 200, "", "") }
	want := map[string]any{"run": run2, "against": run1, "entered": float64(len(entered)), "exited": float64(len(exited)), "version_changed": false}
	for _, q := range []string{"", "?against=previous", "?against=" + run1, "?against=" + run1} { // the last from the cache
		if got := diff(run2 + "/diff" + q); fmt.Sprint(got) != fmt.Sprint(want) {
			t.Fatalf("diff%s = %v, want %v", q, got, want)
		}
	}
	back := map[string]any{"run": run1, "against": run2, "entered": float64(len(exited)), "exited": float64(len(entered)), "version_changed": false}
	if got := diff(run1 + "/diff?against=" + run2); fmt.Sprint(got) != fmt.Sprint(back) {
		t.Fatalf("the diff the other way = %v, want %v", got, back)
	}
	if got := diff(run2 + "/diff?against=" + run2); got["entered"] != 0.0 || got["exited"] != 0.0 {
		t.Fatalf("a run against itself: %v", got)
	}
	for _, s := range []struct {
		name string
		want []string
	}{{"entered", entered}, {"exited", exited}} {
		for _, q := range []string{"", "?against=" + run1} {
			r := e.do("GET", base+run2+"/diff/"+s.name+".txt"+q, adminKey, nil)
			if r.status != 200 || string(r.body) != lines(s.want) || r.header.Get("X-Segmentd-Against") != run1 ||
				!strings.HasPrefix(r.header.Get("Content-Type"), "text/plain") {
				t.Fatalf("%s.txt%s: %d %q, want %q", s.name, q, r.status, r.body, lines(s.want))
			}
		}
		k := len(s.want) / 2
		// After the last line received, between two IDs, from the start,
		// at the end, and after an ID of the other run.
		for _, after := range []string{s.want[k], s.want[k] + "\x00", "", s.want[len(s.want)-1], want1[0]} {
			r := e.do("GET", base+run2+"/diff/"+s.name+".txt?after="+url.QueryEscape(after), adminKey, nil)
			rest := slices.DeleteFunc(slices.Clone(s.want), func(id string) bool { return id <= after })
			if r.status != 200 || string(r.body) != lines(rest) {
				t.Fatalf("%s.txt after %q: %d %q, want %q", s.name, after, r.status, r.body, lines(rest))
			}
		}
	}
	r := e.do("GET", base+run1+"/diff/exited.txt?against="+run2, adminKey, nil)
	if r.status != 200 || string(r.body) != lines(entered) {
		t.Fatalf("exited.txt of the first run against the second: %d %q", r.status, r.body)
	}

	// No run before the first.
	for _, p := range []string{"/diff", "/diff/entered.txt", "/diff/exited.txt?against=previous"} {
		if m := e.want(e.do("GET", base+run1+p, adminKey, nil), 404, CodeNotFound, ""); !strings.Contains(message(m), "no previous run") {
			t.Fatalf("%s of the first run: %q", p, message(m))
		}
	}

	// A new version: previous is the run created last before (run2, whose
	// as_of is later), and the version changed.
	tree2 := json.RawMessage(`{"type": "event", "event": "$buy", "window": {"last": "14d"}}`)
	e.want(e.do("PUT", "/v1/apps/corpus/segments/"+segID, adminKey, map[string]any{"name": "buyers these two weeks", "tree": tree2}), 200, "", "")
	mid := corpus.AsOf.AddDate(0, 0, -3)
	run3 := e.runAt(segID, mid)
	want3 := expected(tree2, mid)
	want = map[string]any{"run": run3, "against": run2, "entered": float64(len(minus(want3, want2))), "exited": float64(len(minus(want2, want3))), "version_changed": true}
	if got := diff(run3 + "/diff"); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("diff of version 2 = %v, want %v", got, want)
	}
	if r := e.do("GET", base+run3+"/diff/exited.txt", adminKey, nil); string(r.body) != lines(minus(want2, want3)) {
		t.Fatalf("exited.txt of version 2: %d %q", r.status, r.body)
	}

	// Refusals. A run not succeeded (queued, never submitted), either way.
	queued, err := e.st.CreateRun(ctx, store.Run{AppID: "corpus", SegmentID: segID, Version: 2, AsOf: mid, Key: "never-run"})
	if err != nil {
		t.Fatal(err)
	}
	e.want(e.do("GET", base+run2+"/diff?against="+queued.ID, adminKey, nil), 409, CodeConflict, "")
	e.want(e.do("GET", base+queued.ID+"/diff?against="+run2, adminKey, nil), 409, CodeConflict, "")
	e.want(e.do("GET", base+queued.ID+"/diff/entered.txt", adminKey, nil), 409, CodeConflict, "")
	// Unknown runs; a bad against.
	e.want(e.do("GET", base+"run_nope/diff", adminKey, nil), 404, CodeNotFound, "")
	e.want(e.do("GET", base+run2+"/diff?against=run_nope", adminKey, nil), 404, CodeNotFound, "")
	e.want(e.do("GET", base+run2+"/diff/exited.txt?against=run_nope", adminKey, nil), 404, CodeNotFound, "")
	e.want(e.do("GET", base+run2+"/diff?against=", adminKey, nil), 400, CodeInvalidArgument, "/against")
	// A run of another segment.
	other := e.want(e.do("POST", "/v1/apps/corpus/segments", adminKey, map[string]any{"name": "x", "tree": attrTree}), 201, "", "")
	otherRun := e.runAt(other["id"].(string), after)
	e.want(e.do("GET", base+run2+"/diff?against="+otherRun, adminKey, nil), 400, CodeInvalidArgument, "/against")
	e.want(e.do("GET", base+run2+"/diff/entered.txt?against="+otherRun, adminKey, nil), 400, CodeInvalidArgument, "/against")
	// Another app's key gets 404 through either app; a run of another app
	// is not found from this one.
	key := e.want(e.do("POST", "/v1/apps", adminKey, map[string]any{"app_id": "other"}), 201, "", "")["api_key"].(string)
	for _, p := range []string{"/diff", "/diff/entered.txt", "/diff/exited.txt"} {
		e.want(e.do("GET", base+run2+p, key, nil), 404, CodeNotFound, "")
		e.want(e.do("GET", "/v1/apps/other/runs/"+run2+p, key, nil), 404, CodeNotFound, "")
	}
	oseg := e.want(e.do("POST", "/v1/apps/other/segments", key, map[string]any{"name": "x", "tree": tree}), 201, "", "")
	orun := e.want(e.do("POST", "/v1/apps/other/segments/"+oseg["id"].(string)+"/runs", key, nil), 202, "", "")
	if r := e.wait(); r.ID != orun["id"] || r.State != store.RunSucceeded {
		t.Fatalf("the other app's run: %s %s", r.State, r.Error)
	}
	e.want(e.do("GET", base+run2+"/diff?against="+orun["id"].(string), adminKey, nil), 404, CodeNotFound, "")
	e.want(e.do("GET", "/v1/apps/other/runs/"+orun["id"].(string)+"/diff?against="+run2, key, nil), 404, CodeNotFound, "")

	// Purged runs answer as the members routes do; previous skips them.
	e.want(e.do("DELETE", base+run1, adminKey, nil), 202, "", "")
	for _, p := range []string{run2 + "/diff?against=" + run1, run1 + "/diff?against=" + run2, run2 + "/diff/entered.txt?against=" + run1} {
		if m := e.want(e.do("GET", base+p, adminKey, nil), 404, CodeNotFound, ""); !strings.Contains(message(m), "purged") {
			t.Fatalf("%s with a purged run: %q", p, message(m))
		}
	}
	if m := e.want(e.do("GET", base+run2+"/diff", adminKey, nil), 404, CodeNotFound, ""); !strings.Contains(message(m), "no previous run") {
		t.Fatalf("previous of the second run once the first is purged: %q", message(m))
	}
	// Expired members.
	if err := snapshot.Delete(ctx, snaps, query.SnapshotKey("corpus", run2)); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{run3 + "/diff", run3 + "/diff/exited.txt"} {
		if m := e.want(e.do("GET", base+p, adminKey, nil), 404, CodeNotFound, ""); !strings.Contains(message(m), "expired") {
			t.Fatalf("%s against an expired run: %q", p, message(m))
		}
	}
}

// TestRunHistory pages through a segment's runs newest first and checks
// each run's fields (timings, purged_at, scheduled), the cursor and limit
// refusals, a segment without runs or that does not exist, and another
// app's key.
func TestRunHistory(t *testing.T) {
	e := newRunEnv(t, nil, RunConfig{Local: cache.NewMemory(64 << 20)})
	e.start()
	seg := e.want(e.do("POST", "/v1/apps/corpus/segments", adminKey, map[string]any{"name": "x", "tree": attrTree}), 201, "", "")
	segID := seg["id"].(string)
	var ids []string
	for i := range 5 {
		ids = append(ids, e.runAt(segID, corpus.AsOf.Add(-time.Duration(i)*time.Hour)))
	}
	e.want(e.do("DELETE", "/v1/apps/corpus/runs/"+ids[1], adminKey, nil), 202, "", "")
	queued, err := e.st.CreateRun(context.Background(), store.Run{AppID: "corpus", SegmentID: segID, Version: 1, AsOf: corpus.AsOf, Key: "never-run"})
	if err != nil {
		t.Fatal(err)
	}
	ids = append(ids, queued.ID)
	slices.Reverse(ids) // newest first

	path := "/v1/apps/corpus/segments/" + segID + "/runs"
	var got []map[string]any
	cursor := ""
	for pages := 1; ; pages++ {
		m := e.want(e.do("GET", path+"?limit=4&cursor="+url.QueryEscape(cursor), adminKey, nil), 200, "", "")
		for _, r := range m["runs"].([]any) {
			got = append(got, r.(map[string]any))
		}
		next, ok := m["next_cursor"].(string)
		if !ok {
			if pages != 2 {
				t.Fatalf("%d pages of 4 for %d runs", pages, len(ids))
			}
			break
		}
		cursor = next
	}
	var gotIDs []string
	for _, r := range got {
		gotIDs = append(gotIDs, r["id"].(string))
	}
	if !slices.Equal(gotIDs, ids) {
		t.Fatalf("runs %v, want %v", gotIDs, ids)
	}
	for i, r := range got {
		_, purged := r["purged_at"]
		switch {
		case r["scheduled"] != false || r["segment_id"] != segID || r["version"] != 1.0 || r["created_at"] == nil:
			t.Fatalf("run %d: %v", i, r)
		case i == 0 && (r["state"] != "queued" || r["started_at"] != nil || r["finished_at"] != nil || r["count"] != nil || purged):
			t.Fatalf("the queued run: %v", r)
		case i > 0 && (r["state"] != "succeeded" || r["started_at"] == nil || r["finished_at"] == nil || r["count"] != 0.0 ||
			r["as_of"] != corpus.AsOf.Add(-time.Duration(5-i)*time.Hour).Format(time.RFC3339)):
			t.Fatalf("run %d: %v", i, r)
		case purged != (r["id"] == ids[4]):
			t.Fatalf("run %d: purged_at %v", i, r["purged_at"])
		}
	}
	if m := e.want(e.do("GET", path, adminKey, nil), 200, "", ""); len(m["runs"].([]any)) != 6 || m["next_cursor"] != nil {
		t.Fatalf("the default limit: %v", m)
	}
	if m := e.want(e.do("GET", path+"?limit=6", adminKey, nil), 200, "", ""); m["next_cursor"] != nil {
		t.Fatalf("a page of exactly every run has a next cursor: %v", m)
	}
	for _, q := range []string{"limit=0", "limit=1001", "limit="} {
		e.want(e.do("GET", path+"?"+q, adminKey, nil), 400, CodeInvalidArgument, "/limit")
	}
	members := encodeCursor(cursorMembers, "u1")
	for _, c := range []string{"!!", members, encodeCursor(cursorRuns, "yesterday run_x"), encodeCursor(cursorRuns, corpus.AsOf.Format(time.RFC3339)),
		base64.RawURLEncoding.EncodeToString([]byte("runs:"))} {
		e.want(e.do("GET", path+"?cursor="+url.QueryEscape(c), adminKey, nil), 400, CodeInvalidArgument, "/cursor")
	}
	// A segment without runs has none; one that does not exist is 404,
	// and so is another app's key.
	empty := e.want(e.do("POST", "/v1/apps/corpus/segments", adminKey, map[string]any{"name": "y", "tree": attrTree}), 201, "", "")
	if m := e.want(e.do("GET", "/v1/apps/corpus/segments/"+empty["id"].(string)+"/runs", adminKey, nil), 200, "", ""); len(m["runs"].([]any)) != 0 {
		t.Fatalf("a segment without runs: %v", m)
	}
	e.want(e.do("GET", "/v1/apps/corpus/segments/nope/runs", adminKey, nil), 404, CodeNotFound, "")
	key := e.want(e.do("POST", "/v1/apps", adminKey, map[string]any{"app_id": "other"}), 201, "", "")["api_key"].(string)
	e.want(e.do("GET", path, key, nil), 404, CodeNotFound, "")
	e.want(e.do("GET", "/v1/apps/other/segments/"+segID+"/runs", key, nil), 404, CodeNotFound, "")
	// A deleted segment's runs are still listed (a run outlives its
	// segment).
	e.want(e.do("DELETE", "/v1/apps/corpus/segments/"+segID, adminKey, nil), 204, "", "")
	if m := e.want(e.do("GET", path, adminKey, nil), 200, "", ""); len(m["runs"].([]any)) != 6 {
		t.Fatalf("the runs of a deleted segment: %v", m)
	}
}
