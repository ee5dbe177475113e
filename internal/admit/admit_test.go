package admit

import (
	"context"
	"errors"
	"testing"
	"time"
)

// acquired runs Acquire in the background; the channel yields its result.
func acquired(g *Gate, ctx context.Context, app string) chan result {
	ch := make(chan result, 1)
	go func() {
		rel, err := g.Acquire(ctx, app)
		ch <- result{rel, err}
	}()
	return ch
}

type result struct {
	release func()
	err     error
}

func mustAcquire(t *testing.T, g *Gate, app string) func() {
	t.Helper()
	rel, err := g.Acquire(context.Background(), app)
	if err != nil {
		t.Fatalf("Acquire(%s): %v", app, err)
	}
	return rel
}

// waitQueued waits until n requests are queued (they enqueue in their
// own goroutines).
func waitQueued(t *testing.T, g *Gate, n int) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for g.stat(func() int { return g.queued }) != n {
		if time.Now().After(deadline) {
			t.Fatalf("queued = %d, want %d", g.stat(func() int { return g.queued }), n)
		}
		time.Sleep(time.Millisecond)
	}
}

func TestGateBoundsSlotsAndShares(t *testing.T) {
	g := New(Config{Slots: 2, PerApp: 1, MaxWait: time.Minute})
	relA := mustAcquire(t, g, "a")
	// a holds its share: its second request waits though a slot is free.
	a2 := acquired(g, context.Background(), "a")
	waitQueued(t, g, 1)
	// b takes the free slot at once.
	relB := mustAcquire(t, g, "b")
	if got := g.stat(func() int { return g.total }); got != 2 {
		t.Fatalf("running = %d, want 2", got)
	}
	relB()
	select {
	case <-a2:
		t.Fatal("a got a second slot beyond its share")
	default:
	}
	relA()
	r := <-a2
	if r.err != nil {
		t.Fatal(r.err)
	}
	r.release()
	r.release() // twice is once
	if got := g.stat(func() int { return g.total }); got != 0 {
		t.Fatalf("running = %d after every release, want 0", got)
	}
}

func TestGateServesTheAppWithFewestSlotsFirst(t *testing.T) {
	g := New(Config{Slots: 2, PerApp: 2, MaxWait: time.Minute})
	relA1, relA2 := mustAcquire(t, g, "a"), mustAcquire(t, g, "a")
	a3 := acquired(g, context.Background(), "a")
	waitQueued(t, g, 1)
	b1 := acquired(g, context.Background(), "b")
	waitQueued(t, g, 2)
	// a waited longer, but b holds no slot: b goes first.
	relA1()
	r := <-b1
	if r.err != nil {
		t.Fatal(r.err)
	}
	select {
	case <-a3:
		t.Fatal("a's third request was admitted before b's first")
	default:
	}
	relA2()
	if r := <-a3; r.err != nil {
		t.Fatal(r.err)
	}
}

func TestGateRefusesAFullQueue(t *testing.T) {
	g := New(Config{Slots: 1, Queue: 2, QueuePerApp: 1, MaxWait: time.Minute})
	rel := mustAcquire(t, g, "a")
	a2 := acquired(g, context.Background(), "a")
	waitQueued(t, g, 1)
	_, err := g.Acquire(context.Background(), "a")
	var busy *BusyError
	if !errors.As(err, &busy) || !errors.Is(err, ErrBusy) || busy.RetryAfter < time.Second {
		t.Fatalf("third request of a = %v, want a BusyError with RetryAfter ≥ 1s", err)
	}
	// Another app still has its place in the queue.
	b := acquired(g, context.Background(), "b")
	waitQueued(t, g, 2)
	rel()
	(<-a2).release()
	if r := <-b; r.err != nil {
		t.Fatal(r.err)
	}
}

func TestGateRefusesAfterMaxWait(t *testing.T) {
	g := New(Config{Slots: 1, MaxWait: 20 * time.Millisecond})
	rel := mustAcquire(t, g, "a")
	defer rel()
	_, err := g.Acquire(context.Background(), "b")
	if !errors.Is(err, ErrBusy) {
		t.Fatalf("err = %v, want busy after the longest wait", err)
	}
	if q := g.stat(func() int { return g.queued }); q != 0 {
		t.Fatalf("queued = %d after the refusal, want 0", q)
	}
}

func TestGateLeavesTheQueueWhenTheCallerLeaves(t *testing.T) {
	g := New(Config{Slots: 1, MaxWait: time.Minute})
	rel := mustAcquire(t, g, "a")
	ctx, cancel := context.WithCancel(context.Background())
	b := acquired(g, ctx, "b")
	waitQueued(t, g, 1)
	cancel()
	if r := <-b; !errors.Is(r.err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", r.err)
	}
	rel()
	// The slot is free, not held by the request that left.
	mustAcquire(t, g, "c")()
}

func TestAcquireWaitIgnoresQueueBounds(t *testing.T) {
	g := New(Config{Slots: 1, Queue: 1, QueuePerApp: 1, MaxWait: time.Millisecond})
	rel := mustAcquire(t, g, "a")
	w1 := make(chan result, 2)
	for range 2 {
		go func() {
			r, err := g.AcquireWait(context.Background(), "a")
			w1 <- result{r, err}
		}()
	}
	waitQueued(t, g, 2)
	rel()
	r := <-w1
	r.release()
	r = <-w1
	if r.err != nil {
		t.Fatal(r.err)
	}
	r.release()
}
