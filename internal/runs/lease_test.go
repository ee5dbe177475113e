package runs

import (
	"context"
	"testing"
	"time"

	"github.com/segmentd/segmentd/internal/store"
)

// TestLeaseRecovery: two Schedulers share one store. A run the first is
// running, whose lease it stops renewing (it died), is taken by the
// second's sweep once the lease has passed, and not before.
func TestLeaseRecovery(t *testing.T) {
	st := openStore(t)
	clk := newClock()
	const lease = time.Hour // the loop's ticker never fires: Sweep is called
	ga, gb := newGate(), newGate()
	a := start(t, st, Config{Exec: ga.exec, Lease: lease}, clk)
	b := start(t, st, Config{Exec: gb.exec, Lease: lease}, clk)

	r, _ := a.submit(t, "a", "k1")
	if got := ga.next(t); got.ID != r.ID {
		t.Fatalf("a started %s, want %s", got.ID, r.ID)
	}
	if lu := a.get(t, r).LeaseUntil; !lu.Equal(clk.now().Add(lease).UTC().Truncate(time.Microsecond)) {
		t.Fatalf("lease until %v", lu)
	}
	// Within the lease (renewed by a's sweep): b takes nothing.
	clk.advance(40 * time.Minute)
	if err := a.Sweep(context.Background()); err != nil {
		t.Fatal(err)
	}
	clk.advance(40 * time.Minute)
	if err := b.Sweep(context.Background()); err != nil {
		t.Fatal(err)
	}
	select {
	case got := <-gb.started:
		t.Fatalf("b started %s within a's lease", got.ID)
	default:
	}
	// a stops renewing: after the lease, b's sweep takes the run.
	clk.advance(lease)
	if err := b.Sweep(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got := gb.next(t); got.ID != r.ID {
		t.Fatalf("b started %s, want %s", got.ID, r.ID)
	}
	gb.open(r.ID)
	if done := recv(t, b.done, "b done"); done.ID != r.ID || done.State != store.RunSucceeded {
		t.Fatalf("b done %+v", done)
	}
	// The first attempt ending late changes nothing: the first end wins.
	ga.open(r.ID)
	recv(t, a.done, "a done")
	if got := a.get(t, r); got.State != store.RunSucceeded || got.Snapshot != "snap/"+r.ID {
		t.Fatalf("run %+v", got)
	}
	if gb.calls.Load() != 1 || ga.calls.Load() != 1 {
		t.Fatalf("calls a %d, b %d", ga.calls.Load(), gb.calls.Load())
	}
}

// TestLeaseQueueOnce: a run queued by one Scheduler (Submit) or created
// for it (Queue) runs once, although both Schedulers sweep.
func TestLeaseQueueOnce(t *testing.T) {
	st := openStore(t)
	clk := newClock()
	ga, gb := newGate(), newGate()
	a := start(t, st, Config{Exec: ga.exec, Lease: time.Hour, Workers: 1}, clk)
	b := start(t, st, Config{Exec: gb.exec, Lease: time.Hour, Workers: 1}, clk)
	r1, _ := a.submit(t, "a", "k1")
	stored, err := st.CreateRun(context.Background(), store.Run{AppID: "b", SegmentID: "seg", Version: 1, AsOf: asOf, Key: "k2", LeaseUntil: a.LeaseUntil()})
	if err != nil {
		t.Fatal(err)
	}
	if err := a.Queue(stored); err != nil {
		t.Fatal(err)
	}
	for _, s := range []*harness{a, b, a, b} {
		if err := s.Sweep(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	for _, id := range []string{r1.ID, stored.ID} {
		got := ga.next(t)
		ga.open(got.ID)
		if d := recv(t, a.done, "done"); d.State != store.RunSucceeded {
			t.Fatalf("%s: %+v", id, d)
		}
	}
	if gb.calls.Load() != 0 || ga.calls.Load() != 2 {
		t.Fatalf("calls a %d, b %d", ga.calls.Load(), gb.calls.Load())
	}
}
