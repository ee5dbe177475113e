package runs

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/segmentd/segmentd/internal/record"
	"github.com/segmentd/segmentd/internal/store"
	"github.com/segmentd/segmentd/internal/store/sqlstore"
)

var asOf = time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)

// openStore opens a fresh SQLite store with the apps a, b and c.
func openStore(t *testing.T) *sqlstore.SQL {
	t.Helper()
	ctx := context.Background()
	st, err := sqlstore.Open(ctx, "sqlite:"+filepath.Join(t.TempDir(), "segmentd.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	for _, app := range []string{"a", "b", "c"} {
		if _, err := st.CreateApp(ctx, store.App{ID: app, TimeZone: "UTC"}); err != nil {
			t.Fatal(err)
		}
	}
	return st
}

// clock is a test clock that moves only when told.
type clock struct{ t atomic.Int64 }

func newClock() *clock {
	c := &clock{}
	c.t.Store(time.Now().UnixNano())
	return c
}

func (c *clock) now() time.Time          { return time.Unix(0, c.t.Load()) }
func (c *clock) advance(d time.Duration) { c.t.Add(int64(d)) }

// harness is a started Scheduler whose OnDone reports on done.
type harness struct {
	*Scheduler
	st    *sqlstore.SQL
	clock *clock
	done  chan store.Run
}

// start starts a Scheduler on st; Shutdown when the test ends.
func start(t *testing.T, st *sqlstore.SQL, cfg Config, clk *clock) *harness {
	t.Helper()
	h := &harness{st: st, clock: clk, done: make(chan store.Run, 256)}
	if h.clock == nil {
		h.clock = newClock()
	}
	cfg.OnDone = func(r store.Run) { h.done <- r }
	h.Scheduler = New(st, cfg)
	h.now = h.clock.now
	if err := h.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := h.Shutdown(ctx); err != nil {
			t.Error(err)
		}
	})
	return h
}

func (h *harness) submit(t *testing.T, app, key string) (store.Run, bool) {
	t.Helper()
	r, reused, err := h.Submit(context.Background(), store.Run{AppID: app, SegmentID: "seg", Version: 1, AsOf: asOf, Key: key})
	if err != nil {
		t.Fatal(err)
	}
	return r, reused
}

func (h *harness) get(t *testing.T, r store.Run) store.Run {
	t.Helper()
	got, err := h.st.GetRun(context.Background(), r.AppID, r.ID)
	if err != nil {
		t.Fatal(err)
	}
	return got
}

// recv receives from ch, failing the test if nothing comes for long.
func recv[T any](t *testing.T, ch <-chan T, what string) T {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(20 * time.Second):
		t.Fatalf("no %s", what)
		panic("unreachable")
	}
}

// gate is an Exec that reports each run it starts on started, then waits
// until the test opens the run's gate (and succeeds) or its context ends.
type gate struct {
	started chan store.Run
	calls   atomic.Int64
	mu      sync.Mutex
	gates   map[string]chan struct{}
}

func newGate() *gate {
	return &gate{started: make(chan store.Run), gates: map[string]chan struct{}{}}
}

func (g *gate) ch(runID string) chan struct{} {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.gates[runID] == nil {
		g.gates[runID] = make(chan struct{})
	}
	return g.gates[runID]
}

func (g *gate) open(runID string) { close(g.ch(runID)) }

func (g *gate) exec(ctx context.Context, r store.Run, _ func(float64)) (Result, error) {
	g.calls.Add(1)
	select {
	case g.started <- r:
	case <-ctx.Done():
		return Result{}, ctx.Err()
	}
	select {
	case <-g.ch(r.ID):
		return Result{Count: 42, Watermark: asOf.Add(-time.Minute), Snapshot: "snap/" + r.ID}, nil
	case <-ctx.Done():
		return Result{}, ctx.Err()
	}
}

func (g *gate) next(t *testing.T) store.Run {
	t.Helper()
	return recv(t, g.started, "run started")
}

// TestFairness: one app's hundred queued runs hold another app's run back
// by at most one run: the first worker to finish takes it.
func TestFairness(t *testing.T) {
	for _, workers := range []int{1, 2} {
		t.Run(fmt.Sprintf("%d workers", workers), func(t *testing.T) {
			g := newGate()
			h := start(t, openStore(t), Config{Exec: g.exec, Workers: workers}, nil)
			for i := range 100 {
				h.submit(t, "a", fmt.Sprint(i))
			}
			var running []store.Run
			for range workers {
				running = append(running, g.next(t))
			}
			b, _ := h.submit(t, "b", "0")
			g.open(running[0].ID)
			if got := g.next(t); got.ID != b.ID {
				t.Fatalf("after one run of a, started %s, want b's run %s", got.ID, b.ID)
			}
		})
	}
}

// TestPerAppCap: an app never has more than PerApp runs executing; a free
// worker takes another app's run instead.
func TestPerAppCap(t *testing.T) {
	for _, perApp := range []int{1, 2} {
		t.Run(fmt.Sprintf("cap %d", perApp), func(t *testing.T) {
			g := newGate()
			h := start(t, openStore(t), Config{Exec: g.exec, Workers: perApp + 2, PerApp: perApp}, nil)
			var a []store.Run
			for i := range perApp + 1 {
				r, _ := h.submit(t, "a", fmt.Sprint(i))
				a = append(a, r)
			}
			h.submit(t, "b", "0")
			startedApps := map[string]int{}
			for range perApp + 1 {
				startedApps[g.next(t).AppID]++
			}
			if startedApps["a"] != perApp || startedApps["b"] != 1 {
				t.Fatalf("started %v, want a: %d, b: 1", startedApps, perApp)
			}
			// A worker is free, but a is at its cap: c's run goes first.
			c, _ := h.submit(t, "c", "0")
			if got := g.next(t); got.ID != c.ID {
				t.Fatalf("started %s of %s, want c's run", got.ID, got.AppID)
			}
			g.open(a[0].ID)
			if got := g.next(t); got.ID != a[perApp].ID {
				t.Fatalf("started %s, want a's last run %s", got.ID, a[perApp].ID)
			}
		})
	}
}

// TestDedupeConcurrent: identical Submits at once create one run, executed
// once.
func TestDedupeConcurrent(t *testing.T) {
	g := newGate()
	h := start(t, openStore(t), Config{Exec: g.exec}, nil)
	const n = 16
	runs := make([]store.Run, n)
	reused := make([]bool, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() { runs[i], reused[i] = h.submit(t, "a", "same") })
	}
	wg.Wait()
	created := 0
	for i := range n {
		if runs[i].ID != runs[0].ID {
			t.Fatalf("runs %s and %s for one key", runs[0].ID, runs[i].ID)
		}
		if !reused[i] {
			created++
		}
	}
	if created != 1 {
		t.Fatalf("%d Submits created a run, want 1", created)
	}
	g.open(g.next(t).ID)
	if r := recv(t, h.done, "run done"); r.State != store.RunSucceeded || g.calls.Load() != 1 {
		t.Fatalf("run %+v after %d Execs", r, g.calls.Load())
	}
	// Another key, or another app with the same key, is another run.
	if r, reused := h.submit(t, "a", "other"); reused || r.ID == runs[0].ID {
		t.Fatal("another key reused the run")
	}
	if r, reused := h.submit(t, "b", "same"); reused || r.ID == runs[0].ID {
		t.Fatal("another app reused the run")
	}
}

// TestReuseSucceeded: a succeeded run is reused while it is young enough
// and its snapshot exists.
func TestReuseSucceeded(t *testing.T) {
	exists := func(context.Context, store.Run) bool { return true }
	gone := func(context.Context, store.Run) bool { return false }
	for _, tc := range []struct {
		name   string
		maxAge time.Duration
		exists func(context.Context, store.Run) bool
		later  time.Duration
		reused bool
	}{
		{"fresh", time.Hour, exists, 59 * time.Minute, true},
		{"too old", time.Hour, exists, 61 * time.Minute, false},
		{"snapshot gone", time.Hour, gone, 0, false},
		{"no max age", 0, exists, 0, false},
		{"no snapshot check", time.Hour, nil, 0, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			exec := func(context.Context, store.Run, func(float64)) (Result, error) { return Result{Snapshot: "s"}, nil }
			h := start(t, openStore(t), Config{Exec: exec, ReuseMaxAge: tc.maxAge, SnapshotExists: tc.exists}, nil)
			first, _ := h.submit(t, "a", "k")
			recv(t, h.done, "run done")
			h.clock.advance(tc.later)
			again, reused := h.submit(t, "a", "k")
			if reused != tc.reused || (again.ID == first.ID) != tc.reused {
				t.Fatalf("reused %v (run %s, first %s), want %v", reused, again.ID, first.ID, tc.reused)
			}
		})
	}
}

func TestCancelQueued(t *testing.T) {
	g := newGate()
	h := start(t, openStore(t), Config{Exec: g.exec, Workers: 1}, nil)
	first, _ := h.submit(t, "a", "1")
	queued, _ := h.submit(t, "a", "2")
	g.next(t) // the only worker is busy with first
	r, err := h.Cancel(context.Background(), "a", queued.ID)
	if err != nil || r.State != store.RunCanceled {
		t.Fatalf("Cancel = %+v, %v", r, err)
	}
	g.open(first.ID)
	for _, want := range []store.RunState{store.RunSucceeded, store.RunCanceled} {
		if r := recv(t, h.done, "run done"); r.State != want {
			t.Fatalf("run %+v, want %s", r, want)
		}
	}
	if n := g.calls.Load(); n != 1 {
		t.Fatalf("%d Execs, want 1: the canceled run was executed", n)
	}
	// A final run is returned as it is; unknown runs are not found.
	if r, err := h.Cancel(context.Background(), "a", first.ID); err != nil || r.State != store.RunSucceeded {
		t.Fatalf("Cancel of a succeeded run = %+v, %v", r, err)
	}
	for _, c := range [][2]string{{"a", "run_nope"}, {"b", first.ID}} {
		if _, err := h.Cancel(context.Background(), c[0], c[1]); !errors.Is(err, record.ErrNotFound) {
			t.Fatalf("Cancel(%s, %s) = %v, want ErrNotFound", c[0], c[1], err)
		}
	}
}

func TestCancelRunning(t *testing.T) {
	started, sawDone := make(chan struct{}, 1), make(chan error, 1)
	exec := func(ctx context.Context, r store.Run, _ func(float64)) (Result, error) {
		started <- struct{}{}
		<-ctx.Done()
		sawDone <- context.Cause(ctx)
		return Result{}, fmt.Errorf("engine: query interrupted: %w", ctx.Err())
	}
	h := start(t, openStore(t), Config{Exec: exec}, nil)
	run, _ := h.submit(t, "a", "k")
	recv(t, started, "run started")
	r, err := h.Cancel(context.Background(), "a", run.ID)
	if err != nil || r.State != store.RunCanceled {
		t.Fatalf("Cancel = %+v, %v", r, err)
	}
	if cause := recv(t, sawDone, "Exec canceled"); !errors.Is(cause, errCanceled) {
		t.Fatalf("Exec's context ended with %v", cause)
	}
	if r := recv(t, h.done, "run done"); r.State != store.RunCanceled || r.Count != nil || r.Error != "" || r.FinishedAt.IsZero() {
		t.Fatalf("run %+v", r)
	}
}

// TestFailureReasons: what a failed run tells the user.
func TestFailureReasons(t *testing.T) {
	errs := map[string]error{
		"public":  &Error{Reason: "engine unavailable: try again in a minute", Err: errors.New("dial tcp 10.0.0.7:8080: refused")},
		"wrapped": fmt.Errorf("count: %w", &Error{Reason: "segment too complex"}),
		"other":   errors.New("dial tcp 10.0.0.7:8080: refused"),
		"timeout": fmt.Errorf("query: %w", context.DeadlineExceeded),
	}
	exec := func(_ context.Context, r store.Run, _ func(float64)) (Result, error) {
		if r.Key == "panic" {
			panic("boom")
		}
		return Result{}, errs[r.Key]
	}
	h := start(t, openStore(t), Config{Exec: exec}, nil)
	for _, tc := range []struct{ key, reason string }{
		{"public", "engine unavailable: try again in a minute"},
		{"wrapped", "segment too complex"},
		{"other", ReasonInternal},
		{"timeout", ReasonTimeout},
		{"panic", ReasonInternal},
	} {
		t.Run(tc.key, func(t *testing.T) {
			run, _ := h.submit(t, "a", tc.key)
			if r := recv(t, h.done, "run done"); r.ID != run.ID || r.State != store.RunFailed || r.Error != tc.reason || r.Count != nil {
				t.Fatalf("run %+v, want failed with %q", r, tc.reason)
			}
		})
	}
}

// TestProgress: progress is written when it changed, at most every
// ProgressEvery, and the result's fields on success.
func TestProgress(t *testing.T) {
	step, next := make(chan float64), make(chan time.Duration)
	clk := newClock()
	exec := func(_ context.Context, r store.Run, progress func(float64)) (Result, error) {
		for _, p := range []float64{0.25, 0.5, 0.5, 0.75, 2} {
			progress(p)
			step <- p
			clk.advance(<-next)
		}
		return Result{Count: 7, Watermark: asOf.Add(-time.Hour), Snapshot: "snap/1"}, nil
	}
	h := start(t, openStore(t), Config{Exec: exec, ProgressEvery: time.Second}, clk)
	run, _ := h.submit(t, "a", "k")
	for _, tc := range []struct {
		want  float64       // in the store after the step
		later time.Duration // before the next step
	}{
		{0.25, 999 * time.Millisecond},
		{0.25, time.Millisecond}, // too soon
		{0.5, 0},                 // a second later: the last value
		{0.5, time.Hour},         // too soon
		{1, 0},                   // clamped
	} {
		p := recv(t, step, "progress")
		if r := h.get(t, run); r.State != store.RunRunning || r.Progress != tc.want {
			t.Fatalf("after progress %v: %s at %v, want running at %v", p, r.State, r.Progress, tc.want)
		}
		next <- tc.later
	}
	r := recv(t, h.done, "run done")
	if r.State != store.RunSucceeded || r.Progress != 1 || *r.Count != 7 || !r.Watermark.Equal(asOf.Add(-time.Hour)) ||
		r.Snapshot != "snap/1" || r.Error != "" || r.StartedAt.IsZero() || r.FinishedAt.Before(r.StartedAt) {
		t.Fatalf("run %+v", r)
	}
}

// TestRecovery: a new Scheduler picks up what a crashed one left: queued
// and running runs run again in creation order from progress 0, unless
// they are older than RecoverMaxAge; final runs are left alone.
func TestRecovery(t *testing.T) {
	for _, tc := range []struct {
		name  string
		later time.Duration // between the crash and the start
		state store.RunState
	}{
		{"requeued", 59 * time.Minute, store.RunSucceeded},
		{"too old", 61 * time.Minute, store.RunFailed},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			st := openStore(t)
			create := func(app string, running bool) store.Run {
				r, err := st.CreateRun(ctx, store.Run{AppID: app, SegmentID: "seg", Version: 1, AsOf: asOf, Key: "k"})
				if err == nil && running {
					_, _, err = st.StartRun(ctx, app, r.ID)
				}
				if err == nil && running {
					_, err = st.SetRunProgress(ctx, app, r.ID, 0.5)
				}
				if err != nil {
					t.Fatal(err)
				}
				return r
			}
			// What a crash left: runs in every state.
			runs := []store.Run{create("a", false), create("b", true), create("a", true)}
			final := create("a", true)
			count := int64(1)
			if _, _, err := st.FinishRun(ctx, store.Run{AppID: "a", ID: final.ID, State: store.RunSucceeded, Count: &count}); err != nil {
				t.Fatal(err)
			}
			clk := newClock()
			clk.advance(tc.later)
			g := newGate()
			h := start(t, st, Config{Exec: g.exec, Workers: 1, RecoverMaxAge: time.Hour}, clk)
			for _, want := range runs {
				if tc.state == store.RunFailed {
					break
				}
				r := g.next(t)
				if r.ID != want.ID || r.Progress != 0 {
					t.Fatalf("started %s at %v, want %s at 0", r.ID, r.Progress, want.ID)
				}
				g.open(r.ID)
				recv(t, h.done, "run done")
			}
			for _, r := range runs {
				if got := h.get(t, r); got.State != tc.state || (tc.state == store.RunFailed && got.Error != ReasonInterrupted) {
					t.Fatalf("run %+v, want %s", got, tc.state)
				}
			}
			if got := h.get(t, final); got.State != store.RunSucceeded || *got.Count != 1 {
				t.Fatalf("final run changed: %+v", got)
			}
			if n := g.calls.Load(); tc.state == store.RunFailed && n != 0 {
				t.Fatalf("%d stale runs executed", n)
			}
		})
	}
}

// TestShutdown: running runs go back to queued, queued ones stay, and the
// next Start runs them all.
func TestShutdown(t *testing.T) {
	ctx := context.Background()
	st := openStore(t)
	g := newGate()
	s := New(st, Config{Exec: g.exec, Workers: 1})
	if _, _, err := s.Submit(ctx, store.Run{AppID: "a", SegmentID: "seg", Version: 1, AsOf: asOf, Key: "k"}); !errors.Is(err, ErrNotRunning) {
		t.Fatalf("Submit before Start: %v", err)
	}
	if err := s.Start(ctx); err != nil {
		t.Fatal(err)
	}
	if err := s.Start(ctx); err == nil {
		t.Fatal("second Start succeeded")
	}
	h := &harness{Scheduler: s, st: st}
	running, _ := h.submit(t, "a", "1")
	queued, _ := h.submit(t, "a", "2")
	g.next(t)
	if err := s.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.Submit(ctx, store.Run{AppID: "a", SegmentID: "seg", Version: 1, AsOf: asOf, Key: "3"}); !errors.Is(err, ErrNotRunning) {
		t.Fatalf("Submit after Shutdown: %v", err)
	}
	for _, r := range []store.Run{running, queued} {
		if got := h.get(t, r); got.State != store.RunQueued || got.Progress != 0 || !got.StartedAt.IsZero() {
			t.Fatalf("after Shutdown: %+v", got)
		}
	}
	// The next process runs both, in order.
	h = start(t, st, Config{Exec: g.exec, Workers: 1}, nil)
	for _, want := range []store.Run{running, queued} {
		r := g.next(t)
		if r.ID != want.ID {
			t.Fatalf("started %s, want %s", r.ID, want.ID)
		}
		g.open(r.ID)
		if r := recv(t, h.done, "run done"); r.State != store.RunSucceeded {
			t.Fatalf("run %+v", r)
		}
	}
}

// TestShutdownTimeout: an Exec that ignores its context outlives Shutdown's
// deadline; its run stays running in the store (the next Start recovers
// it) until it ends.
func TestShutdownTimeout(t *testing.T) {
	started, release, done := make(chan struct{}, 1), make(chan struct{}), make(chan store.Run, 1)
	exec := func(context.Context, store.Run, func(float64)) (Result, error) {
		started <- struct{}{}
		<-release
		return Result{Count: 1}, nil
	}
	st := openStore(t)
	s := New(st, Config{Exec: exec, OnDone: func(r store.Run) { done <- r }})
	if err := s.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	h := &harness{Scheduler: s, st: st}
	run, _ := h.submit(t, "a", "k")
	recv(t, started, "run started")
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := s.Shutdown(ctx); !errors.Is(err, context.Canceled) {
		t.Fatalf("Shutdown = %v, want its context's error", err)
	}
	if r := h.get(t, run); r.State != store.RunRunning {
		t.Fatalf("run %+v, want running", r)
	}
	close(release)
	// A result that came in spite of the shutdown is kept.
	if r := recv(t, done, "run done"); r.State != store.RunSucceeded {
		t.Fatalf("run %+v", r)
	}
	if err := s.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
}
