package sqlstore

import (
	"errors"
	"fmt"
	"math"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/segmentd/segmentd/internal/record"
	"github.com/segmentd/segmentd/internal/store"
)

// Runs tests are part of the conformance suite (runSuite).

var asOf = time.Date(2026, 3, 1, 9, 30, 0, 123456000, time.UTC)

func mkRun(t *testing.T, s *SQL, app, key string) store.Run {
	t.Helper()
	return must(s.CreateRun(ctxT(t), store.Run{AppID: app, SegmentID: "seg", Version: 2, AsOf: asOf, Key: key}))
}

// applied is must for transitions: it also fails the test when the
// transition did not apply.
func applied(r store.Run, ok bool, err error) store.Run {
	if err == nil && !ok {
		err = fmt.Errorf("run %s: the transition from %s did not apply", r.ID, r.State)
	}
	return must(r, err)
}

// sameRun compares runs field by field, counts by value.
func sameRun(a, b store.Run) bool {
	if (a.Count == nil) != (b.Count == nil) || a.Count != nil && *a.Count != *b.Count {
		return false
	}
	a.Count, b.Count = nil, nil
	return a == b
}

func runIDs(runs []store.Run) []string {
	ids := make([]string, len(runs))
	for i, r := range runs {
		ids[i] = r.ID
	}
	return ids
}

func testCreateGetRun(t *testing.T, s *SQL) {
	ctx := ctxT(t)
	mkApp(t, s, "shop")
	mkApp(t, s, "bakery")
	before := time.Now().Add(-time.Second)
	r := mkRun(t, s, "shop", "k1")
	if !regexp.MustCompile(`^run_[a-z2-7]{20}$`).MatchString(r.ID) {
		t.Errorf("run ID %q", r.ID)
	}
	if r.AppID != "shop" || r.SegmentID != "seg" || r.Version != 2 || r.State != store.RunQueued || r.Progress != 0 ||
		r.Count != nil || r.AsOf != asOf || !r.Watermark.IsZero() || r.Error != "" || r.Key != "k1" || r.Snapshot != "" ||
		r.CreatedAt.Before(before) || !r.StartedAt.IsZero() || !r.FinishedAt.IsZero() {
		t.Fatalf("created %+v", r)
	}
	if got := must(s.GetRun(ctx, "shop", r.ID)); !sameRun(got, r) {
		t.Fatalf("GetRun:\n got  %+v\n want %+v", got, r)
	}
	if other := mkRun(t, s, "shop", "k1"); other.ID == r.ID {
		t.Fatal("two runs with one ID")
	}
	_, err := s.GetRun(ctx, "bakery", r.ID)
	wantErr(t, err, record.ErrNotFound, "GetRun of another app")
	_, err = s.GetRun(ctx, "shop", "run_nope")
	wantErr(t, err, record.ErrNotFound, "GetRun missing")
	_, err = s.CreateRun(ctx, store.Run{AppID: "nope", SegmentID: "seg", Version: 1, AsOf: asOf, Key: "k"})
	wantErr(t, err, record.ErrNotFound, "CreateRun of a missing app")
	for name, bad := range map[string]store.Run{
		"empty key":    {AppID: "shop", SegmentID: "seg", Version: 1, AsOf: asOf},
		"long key":     {AppID: "shop", SegmentID: "seg", Version: 1, AsOf: asOf, Key: strings.Repeat("k", store.MaxRunKeyLen+1)},
		"no segment":   {AppID: "shop", Version: 1, AsOf: asOf, Key: "k"},
		"no version":   {AppID: "shop", SegmentID: "seg", AsOf: asOf, Key: "k"},
		"no as_of":     {AppID: "shop", SegmentID: "seg", Version: 1, Key: "k"},
		"empty app ID": {SegmentID: "seg", Version: 1, AsOf: asOf, Key: "k"},
	} {
		_, err := s.CreateRun(ctx, bad)
		wantErr(t, err, store.ErrInvalid, name)
	}
}

// testRunTransitions walks runs through their states: every step says
// whether it applies and the state the run is in afterwards. A final state
// is never left.
func testRunTransitions(t *testing.T, s *SQL) {
	ctx := ctxT(t)
	mkApp(t, s, "shop")
	mkApp(t, s, "bakery")
	count := int64(0) // a valid count
	watermark := asOf.Add(-time.Minute)
	type step struct {
		op     string
		ok     bool
		state  store.RunState
		expect func(r store.Run) bool // more to check, if any
	}
	do := func(r store.Run, op string) (store.Run, bool, error) {
		switch op {
		case "start":
			return s.StartRun(ctx, r.AppID, r.ID)
		case "requeue":
			return s.RequeueRun(ctx, r.AppID, r.ID)
		case "progress":
			ok, err := s.SetRunProgress(ctx, r.AppID, r.ID, 0.5)
			r, _ = s.GetRun(ctx, r.AppID, r.ID)
			return r, ok, err
		case "succeed":
			return s.FinishRun(ctx, store.Run{AppID: r.AppID, ID: r.ID, State: store.RunSucceeded, Count: &count, Watermark: watermark, Snapshot: "snap/1"})
		case "fail":
			return s.FinishRun(ctx, store.Run{AppID: r.AppID, ID: r.ID, State: store.RunFailed, Error: "engine unavailable"})
		case "cancel":
			return s.FinishRun(ctx, store.Run{AppID: r.AppID, ID: r.ID, State: store.RunCanceled})
		}
		panic(op)
	}
	started := func(r store.Run) bool { return !r.StartedAt.IsZero() && r.FinishedAt.IsZero() && r.Progress == 0 }
	fresh := func(r store.Run) bool { return r.StartedAt.IsZero() && r.Progress == 0 }
	succeeded := func(r store.Run) bool {
		return r.Count != nil && *r.Count == 0 && r.Watermark == watermark && r.Snapshot == "snap/1" && r.Progress == 1 &&
			!r.FinishedAt.Before(r.StartedAt) && r.Error == ""
	}
	failed := func(r store.Run) bool {
		return r.Error == "engine unavailable" && r.Count == nil && !r.FinishedAt.IsZero()
	}
	unfinished := func(r store.Run) bool { return r.Count == nil && r.Snapshot == "" && !r.FinishedAt.IsZero() }
	for _, tc := range []struct {
		name  string
		steps []step
	}{
		{"succeeds", []step{
			{"progress", false, store.RunQueued, fresh}, {"start", true, store.RunRunning, started}, {"start", false, store.RunRunning, nil},
			{"progress", true, store.RunRunning, func(r store.Run) bool { return r.Progress == 0.5 }},
			{"succeed", true, store.RunSucceeded, succeeded}, {"cancel", false, store.RunSucceeded, succeeded},
			{"fail", false, store.RunSucceeded, succeeded}, {"progress", false, store.RunSucceeded, succeeded},
			{"requeue", false, store.RunSucceeded, succeeded}, {"start", false, store.RunSucceeded, succeeded}}},
		{"fails", []step{{"start", true, store.RunRunning, nil}, {"fail", true, store.RunFailed, failed}, {"succeed", false, store.RunFailed, failed}}},
		{"canceled while queued", []step{
			{"requeue", false, store.RunQueued, fresh}, {"cancel", true, store.RunCanceled, unfinished}, {"start", false, store.RunCanceled, unfinished}}},
		{"canceled while running", []step{
			{"start", true, store.RunRunning, nil}, {"cancel", true, store.RunCanceled, unfinished},
			{"succeed", false, store.RunCanceled, unfinished}, {"progress", false, store.RunCanceled, unfinished}}},
		{"requeued", []step{
			{"start", true, store.RunRunning, nil}, {"progress", true, store.RunRunning, nil}, {"requeue", true, store.RunQueued, fresh},
			{"start", true, store.RunRunning, started}, {"succeed", true, store.RunSucceeded, succeeded}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			defer catchMust(t)
			r := mkRun(t, s, "shop", "k")
			for i, st := range tc.steps {
				got, ok, err := do(r, st.op)
				if err != nil {
					t.Fatalf("step %d %s: %v", i, st.op, err)
				}
				if ok != st.ok || got.State != st.state || got.ID != r.ID || (st.expect != nil && !st.expect(got)) {
					t.Fatalf("step %d %s: ok %v, run %+v; want ok %v, state %s", i, st.op, ok, got, st.ok, st.state)
				}
				if read := must(s.GetRun(ctx, "shop", r.ID)); !sameRun(read, got) {
					t.Fatalf("step %d %s: returned %+v, read %+v", i, st.op, got, read)
				}
			}
		})
	}
	t.Run("errors", func(t *testing.T) {
		defer catchMust(t)
		r := mkRun(t, s, "shop", "k")
		_, _, err := s.StartRun(ctx, "bakery", r.ID)
		wantErr(t, err, record.ErrNotFound, "StartRun of another app")
		_, _, err = s.FinishRun(ctx, store.Run{AppID: "shop", ID: "run_nope", State: store.RunCanceled})
		wantErr(t, err, record.ErrNotFound, "FinishRun missing")
		_, err = s.SetRunProgress(ctx, "shop", "run_nope", 0.1)
		wantErr(t, err, record.ErrNotFound, "SetRunProgress missing")
		for name, end := range map[string]store.Run{
			"not final":               {AppID: "shop", ID: r.ID, State: store.RunRunning},
			"succeeded without count": {AppID: "shop", ID: r.ID, State: store.RunSucceeded},
			"failed with a count":     {AppID: "shop", ID: r.ID, State: store.RunFailed, Count: &count},
			"long snapshot":           {AppID: "shop", ID: r.ID, State: store.RunSucceeded, Count: &count, Snapshot: strings.Repeat("s", store.MaxSnapshotLen+1)},
		} {
			_, _, err := s.FinishRun(ctx, end)
			wantErr(t, err, store.ErrInvalid, name)
		}
		_, err = s.SetRunProgress(ctx, "shop", r.ID, math.NaN())
		wantErr(t, err, store.ErrInvalid, "progress NaN")
		applied(s.StartRun(ctx, "shop", r.ID))
		for p, want := range map[float64]float64{-1: 0, 2: 1} {
			if _, err := s.SetRunProgress(ctx, "shop", r.ID, p); err != nil {
				t.Fatal(err)
			}
			if got := must(s.GetRun(ctx, "shop", r.ID)).Progress; got != want {
				t.Errorf("progress %v kept as %v, want %v", p, got, want)
			}
		}
	})
}

func testRunQueries(t *testing.T, s *SQL) {
	ctx := ctxT(t)
	mkApp(t, s, "shop")
	mkApp(t, s, "bakery")
	var runs []store.Run
	for i, app := range []string{"shop", "bakery", "shop", "shop", "shop", "bakery"} {
		runs = append(runs, mkRun(t, s, app, fmt.Sprintf("k%d", i%2)))
	}
	// runs: 0 shop k0 queued, 1 bakery k1 running, 2 shop k0 running,
	// 3 shop k1 succeeded, 4 shop k0 failed, 5 bakery k1 queued.
	for _, i := range []int{1, 2, 3, 4} {
		applied(s.StartRun(ctx, runs[i].AppID, runs[i].ID))
	}
	count := int64(7)
	applied(s.FinishRun(ctx, store.Run{AppID: "shop", ID: runs[3].ID, State: store.RunSucceeded, Count: &count}))
	applied(s.FinishRun(ctx, store.Run{AppID: "shop", ID: runs[4].ID, State: store.RunFailed}))
	ids := func(is ...int) []string {
		var out []string
		for _, i := range is {
			out = append(out, runs[i].ID)
		}
		return out
	}
	for _, tc := range []struct {
		states []store.RunState
		want   []string
	}{
		{[]store.RunState{store.RunQueued, store.RunRunning}, ids(0, 1, 2, 5)},
		{[]store.RunState{store.RunQueued}, ids(0, 5)},
		{[]store.RunState{store.RunSucceeded, store.RunFailed, store.RunCanceled}, ids(3, 4)},
		{nil, nil},
	} {
		got := runIDs(must(s.ListRunsByState(ctx, tc.states...)))
		if !slices.Equal(got, tc.want) {
			t.Errorf("ListRunsByState(%v) = %v, want %v", tc.states, got, tc.want)
		}
	}
	finished := must(s.GetRun(ctx, "shop", runs[3].ID)).FinishedAt
	for _, tc := range []struct {
		app, key string
		since    time.Time
		want     []string
	}{
		{"shop", "k0", finished, ids(2, 0)}, // the failed run is not reusable
		{"shop", "k1", finished, ids(3)},
		{"shop", "k1", finished.Add(time.Microsecond), nil}, // too old
		{"bakery", "k1", finished, ids(5, 1)},
		{"bakery", "k0", finished, nil},
		{"nope", "k0", finished, nil},
	} {
		got := runIDs(must(s.ReusableRuns(ctx, tc.app, tc.key, tc.since)))
		if !slices.Equal(got, tc.want) {
			t.Errorf("ReusableRuns(%s, %s, %v) = %v, want %v", tc.app, tc.key, tc.since, got, tc.want)
		}
	}
}

// testConcurrentFinish: of concurrent ends of one run, exactly one applies,
// and the run keeps that one.
func testConcurrentFinish(t *testing.T, s *SQL) {
	ctx := ctxT(t)
	mkApp(t, s, "shop")
	for range 5 {
		r := mkRun(t, s, "shop", "k")
		applied(s.StartRun(ctx, "shop", r.ID))
		const n = 6
		var wg sync.WaitGroup
		oks := make([]bool, n)
		errs := make([]error, n)
		for i := range n {
			wg.Go(func() {
				end := store.Run{AppID: "shop", ID: r.ID, State: store.RunCanceled, Error: fmt.Sprint(i)}
				if i%2 == 0 {
					c := int64(i)
					end = store.Run{AppID: "shop", ID: r.ID, State: store.RunSucceeded, Count: &c, Snapshot: fmt.Sprint(i)}
				}
				_, oks[i], errs[i] = s.FinishRun(ctx, end)
			})
		}
		wg.Wait()
		winner := -1
		for i := range n {
			if errs[i] != nil {
				t.Fatal(errs[i])
			}
			if oks[i] {
				if winner >= 0 {
					t.Fatalf("ends %d and %d both applied", winner, i)
				}
				winner = i
			}
		}
		got := must(s.GetRun(ctx, "shop", r.ID))
		if winner < 0 || got.Error+got.Snapshot != fmt.Sprint(winner) {
			t.Fatalf("winner %d, run %+v", winner, got)
		}
	}
}

// testPurgeRun: PurgeRun records the purge of a final run once (a second
// keeps the first time), refuses a run that is not final, is scoped to
// the app, and takes the run out of ReusableRuns.
func testPurgeRun(t *testing.T, s *SQL) {
	ctx := ctxT(t)
	mkApp(t, s, "shop")
	mkApp(t, s, "bakery")
	queued := mkRun(t, s, "shop", "k")
	if r, ok, err := s.PurgeRun(ctx, "shop", queued.ID); err != nil || ok || !r.PurgedAt.IsZero() || r.State != store.RunQueued {
		t.Fatalf("PurgeRun of a queued run: %+v %v %v", r, ok, err)
	}
	done := mkRun(t, s, "shop", "k")
	applied(s.StartRun(ctx, "shop", done.ID))
	count := int64(3)
	done = applied(s.FinishRun(ctx, store.Run{AppID: "shop", ID: done.ID, State: store.RunSucceeded, Count: &count, Snapshot: "cache:x"}))
	since := done.FinishedAt
	if got := runIDs(must(s.ReusableRuns(ctx, "shop", "k", since))); !slices.Equal(got, []string{done.ID, queued.ID}) {
		t.Fatalf("ReusableRuns before the purge: %v", got)
	}
	if _, _, err := s.PurgeRun(ctx, "bakery", done.ID); !errors.Is(err, record.ErrNotFound) {
		t.Fatalf("PurgeRun of another app's run: %v", err)
	}
	before := time.Now().Add(-time.Second)
	purged := applied(s.PurgeRun(ctx, "shop", done.ID))
	if purged.PurgedAt.Before(before) || purged.PurgedAt.After(time.Now().Add(time.Second)) ||
		purged.State != store.RunSucceeded || *purged.Count != 3 || purged.Snapshot != "cache:x" {
		t.Fatalf("purged run %+v", purged)
	}
	if got := must(s.GetRun(ctx, "shop", done.ID)); !sameRun(got, purged) {
		t.Fatalf("GetRun after the purge: %+v, want %+v", got, purged)
	}
	if again := applied(s.PurgeRun(ctx, "shop", done.ID)); !sameRun(again, purged) {
		t.Fatalf("a second purge changed the run: %+v, want %+v", again, purged)
	}
	if got := runIDs(must(s.ReusableRuns(ctx, "shop", "k", since))); !slices.Equal(got, []string{queued.ID}) {
		t.Fatalf("ReusableRuns after the purge: %v", got)
	}
	failed := applied(s.FinishRun(ctx, store.Run{AppID: "shop", ID: queued.ID, State: store.RunCanceled}))
	if r := applied(s.PurgeRun(ctx, "shop", failed.ID)); r.PurgedAt.IsZero() || r.State != store.RunCanceled {
		t.Fatalf("purged canceled run %+v", r)
	}
}

// testListRuns: ListRuns pages through one segment's runs newest first,
// continues after the last run of a page, keeps to the app and the
// segment, and with Succeeded returns only the succeeded runs not purged.
func testListRuns(t *testing.T, s *SQL) {
	ctx := ctxT(t)
	mkApp(t, s, "shop")
	mkApp(t, s, "bakery")
	var runs []store.Run
	for i := range 7 {
		runs = append(runs, mkRun(t, s, "shop", fmt.Sprint("k", i)))
	}
	mkRun(t, s, "bakery", "k")
	must(s.CreateRun(ctx, store.Run{AppID: "shop", SegmentID: "other", Version: 1, AsOf: asOf, Key: "k"}))
	want := slices.Clone(runs)
	slices.SortFunc(want, func(a, b store.Run) int {
		if c := b.CreatedAt.Compare(a.CreatedAt); c != 0 {
			return c
		}
		return strings.Compare(b.ID, a.ID)
	})
	page := func(p store.RunPage) []string {
		return runIDs(must(s.ListRuns(ctx, "shop", "seg", p)))
	}
	var got []string
	p := store.RunPage{Limit: 3}
	for {
		rs := must(s.ListRuns(ctx, "shop", "seg", p))
		got = append(got, runIDs(rs)...)
		if len(rs) < p.Limit {
			break
		}
		last := rs[len(rs)-1]
		p.BeforeCreatedAt, p.BeforeID = last.CreatedAt, last.ID
	}
	if !slices.Equal(got, runIDs(want)) {
		t.Fatalf("pages of 3: %v, want %v", got, runIDs(want))
	}
	if got := page(store.RunPage{Limit: 0}); len(got) != 0 {
		t.Fatalf("limit 0: %v", got)
	}
	if got := runIDs(must(s.ListRuns(ctx, "bakery", "nope", store.RunPage{Limit: 10}))); len(got) != 0 {
		t.Fatalf("a segment without runs: %v", got)
	}
	// Succeeded: runs 1, 3 and 5 succeed, 5 is purged, 2 fails.
	count := int64(1)
	for _, i := range []int{1, 3, 5} {
		applied(s.FinishRun(ctx, store.Run{AppID: "shop", ID: runs[i].ID, State: store.RunSucceeded, Count: &count, Snapshot: "local:x"}))
	}
	applied(s.FinishRun(ctx, store.Run{AppID: "shop", ID: runs[2].ID, State: store.RunFailed, Error: "no"}))
	applied(s.PurgeRun(ctx, "shop", runs[5].ID))
	if got := page(store.RunPage{Limit: 10, Succeeded: true}); !slices.Equal(got, []string{runs[3].ID, runs[1].ID}) {
		t.Fatalf("succeeded: %v, want %v", got, []string{runs[3].ID, runs[1].ID})
	}
	if got := page(store.RunPage{Limit: 1, Succeeded: true, BeforeCreatedAt: runs[3].CreatedAt, BeforeID: runs[3].ID}); !slices.Equal(got, []string{runs[1].ID}) {
		t.Fatalf("succeeded before run 3: %v", got)
	}
	if got := page(store.RunPage{Limit: 1, Succeeded: true, BeforeCreatedAt: runs[1].CreatedAt, BeforeID: runs[1].ID}); len(got) != 0 {
		t.Fatalf("succeeded before run 1: %v", got)
	}
}
