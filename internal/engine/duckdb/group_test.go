package duckdb_test

import (
	"context"
	"errors"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/segmentd/segmentd/internal/engine/duckdb"
	"github.com/segmentd/segmentd/internal/record"
)

// holdCommits makes commits wait until release is called, so that the
// batches written meanwhile queue up and commit as one group; entered is
// closed when the first commit waits.
func holdCommits(eng *duckdb.Engine) (entered <-chan struct{}, release func()) {
	in, held := make(chan struct{}), make(chan struct{})
	var once sync.Once
	duckdb.SetBeforeCommit(eng, func() error {
		once.Do(func() { close(in) })
		<-held
		return nil
	})
	return in, func() { close(held) }
}

// waitQueued waits until n batches wait for the committer.
func waitQueued(t *testing.T, eng *duckdb.Engine, n int) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for duckdb.Queued(eng) < n {
		if time.Now().After(deadline) {
			t.Fatalf("%d batches queued, want %d", duckdb.Queued(eng), n)
		}
		runtime.Gosched()
	}
}

type outcome struct {
	n   int
	err error
}

// batch is a WriteEvents call of a test and what it should return.
type batch struct {
	app    string
	events []record.Event
	want   int
	fails  bool
}

// writeHeld writes batches[0], holds its commit until every other batch
// waits in the queue, in order, then lets them all go: batches[1:] commit
// as one group. It checks each batch's outcome.
func writeHeld(t *testing.T, eng *duckdb.Engine, batches []batch) {
	t.Helper()
	entered, release := holdCommits(eng)
	got := make([]outcome, len(batches))
	var wg sync.WaitGroup
	for i, b := range batches {
		wg.Go(func() {
			n, err := eng.WriteEvents(context.Background(), b.app, b.events)
			got[i] = outcome{n, err}
		})
		if i == 0 {
			<-entered
		} else {
			waitQueued(t, eng, i)
		}
	}
	release()
	wg.Wait()
	duckdb.SetBeforeCommit(eng, nil)
	for i, b := range batches {
		if b.fails != (got[i].err != nil) || got[i].n != b.want {
			t.Errorf("batch %d: %d, %v; want %d (fails %v)", i, got[i].n, got[i].err, b.want, b.fails)
		}
	}
}

// TestGroupCommit writes batches that queue behind a held commit and so
// commit together: each is answered as if written after the ones queued
// before it (an event ID two give is the earlier's), one app's batch does
// not mix with another's, the watermark moves a microsecond for each
// batch that stored something, and a batch that fails fails alone.
func TestGroupCommit(t *testing.T) {
	ctx := context.Background()
	eng := open(t)
	at := time.Date(2026, 2, 1, 12, 0, 0, 0, time.UTC)
	duckdb.SetClock(eng, func() time.Time { return at })
	write(t, eng, "a", event("first", "u0", 0))
	w0, _ := eng.Watermark(ctx, "a")

	writeHeld(t, eng, []batch{
		{"a", []record.Event{event("h", "u0", 1)}, 1, false},
		{"a", []record.Event{event("b1", "u1", 2), event("b2", "u1", 3), event("first", "u9", 4)}, 2, false},
		{"a", []record.Event{event("b2", "u2", 5), event("c1", "u2", 6)}, 1, false},
		{"b", []record.Event{event("b1", "u1", 7)}, 1, false},
		{"a", []record.Event{event("b1", "u3", 8)}, 0, false}, // a retry: stores nothing
		{"n", []record.Event{event("n1", "u1", 1)}, 1, false}, // a new app's first two writes
		{"n", []record.Event{event("n2", "u1", 2)}, 1, false},
	})
	if ev, _ := counts(t, eng, "a"); ev != 5 {
		t.Errorf("app a holds %d events, want 5", ev)
	}
	if ev, _ := counts(t, eng, "b"); ev != 1 {
		t.Errorf("app b holds %d events, want 1", ev)
	}
	seen(t, eng, "a", "u1", 2, 3)
	seen(t, eng, "a", "u2", 6, 6)
	// Three batches of app a stored something: the held one, then two in
	// one group.
	if w, _ := eng.Watermark(ctx, "a"); !w.Equal(w0.Add(3 * time.Microsecond)) {
		t.Errorf("watermark %v after three writes, want %v", w, w0.Add(3*time.Microsecond))
	}

	if w, _ := eng.Watermark(ctx, "n"); !w.Equal(at.Add(time.Microsecond)) {
		t.Errorf("a new app's watermark %v after two writes in one commit, want %v", w, at.Add(time.Microsecond))
	}

	beyond := time.Date(300000, 1, 1, 0, 0, 0, 0, time.UTC) // past TIMESTAMPTZ
	writeHeld(t, eng, []batch{
		{"a", []record.Event{event("h2", "u0", 1)}, 1, false},
		{"a", []record.Event{event("d1", "u4", 9), {EventID: "d2", UserID: "u4", Name: "n", Time: beyond}}, 0, true},
		{"a", []record.Event{event("d1", "u5", 10), event("d3", "u5", 11)}, 2, false},
	})
	if ev, _ := counts(t, eng, "a"); ev != 8 {
		t.Errorf("app a holds %d events, want 8", ev)
	}
	seen(t, eng, "a", "u5", 10, 11)
}

// TestCanceledBatch: a batch whose context ends while it waits in the
// queue stores nothing; one whose context ends while it is being
// committed is stored and acknowledged.
func TestCanceledBatch(t *testing.T) {
	ctx := context.Background()
	eng := open(t)
	entered, release := holdCommits(eng)
	held := make(chan outcome)
	go func() {
		n, err := eng.WriteEvents(ctx, "a", []record.Event{event("h", "u0", 0)})
		held <- outcome{n, err}
	}()
	<-entered
	cctx, cancel := context.WithCancel(ctx)
	waiting := make(chan outcome)
	go func() {
		n, err := eng.WriteEvents(cctx, "a", []record.Event{event("w", "u1", 0)})
		waiting <- outcome{n, err}
	}()
	waitQueued(t, eng, 1)
	cancel()
	if o := <-waiting; o.n != 0 || !errors.Is(o.err, context.Canceled) {
		t.Errorf("a batch canceled in the queue: %d, %v", o.n, o.err)
	}
	release()
	if o := <-held; o.n != 1 || o.err != nil {
		t.Errorf("the held batch: %d, %v", o.n, o.err)
	}
	if ev, _ := counts(t, eng, "a"); ev != 1 {
		t.Errorf("%d events stored, want the held one", ev)
	}

	cctx, cancel = context.WithCancel(ctx)
	duckdb.SetBeforeCommit(eng, func() error { cancel(); return nil })
	if n, err := eng.WriteEvents(cctx, "a", []record.Event{event("c", "u2", 0)}); n != 1 || err != nil {
		t.Errorf("a batch canceled while committed: %d, %v", n, err)
	}
	if ev, _ := counts(t, eng, "a"); ev != 2 {
		t.Errorf("%d events stored, want 2", ev)
	}
}
