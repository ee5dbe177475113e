package query

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"
)

func TestFlightsShareOneRun(t *testing.T) {
	var f flights
	var runs atomic.Int32
	release := make(chan struct{})
	started := make(chan struct{}, 1)
	fn := func(ctx context.Context) (int64, error) {
		runs.Add(1)
		started <- struct{}{}
		<-release
		return 42, nil
	}
	res := make(chan int64, 3)
	go func() { n, _ := f.do(context.Background(), "k", time.Minute, fn); res <- n }()
	<-started
	for range 2 {
		go func() { n, _ := f.do(context.Background(), "k", time.Minute, fn); res <- n }()
	}
	waitWaiters(t, &f, "k", 3)
	close(release)
	for range 3 {
		if n := <-res; n != 42 {
			t.Fatalf("n = %d, want 42", n)
		}
	}
	if runs.Load() != 1 {
		t.Fatalf("fn ran %d times, want once", runs.Load())
	}
}

func TestFlightStopsWhenTheLastCallerLeaves(t *testing.T) {
	var f flights
	stopped := make(chan error, 1)
	started := make(chan struct{})
	fn := func(ctx context.Context) (int64, error) {
		close(started)
		<-ctx.Done()
		stopped <- ctx.Err()
		return 0, ctx.Err()
	}
	ctx1, cancel1 := context.WithCancel(context.Background())
	ctx2, cancel2 := context.WithCancel(context.Background())
	errs := make(chan error, 2)
	go func() { _, err := f.do(ctx1, "k", time.Minute, fn); errs <- err }()
	<-started
	go func() { _, err := f.do(ctx2, "k", time.Minute, fn); errs <- err }()
	waitWaiters(t, &f, "k", 2)
	cancel1()
	if err := <-errs; !errors.Is(err, context.Canceled) {
		t.Fatalf("first caller: %v", err)
	}
	select {
	case <-stopped:
		t.Fatal("the work stopped while a caller still waited")
	default:
	}
	cancel2()
	<-errs
	if err := <-stopped; !errors.Is(err, context.Canceled) {
		t.Fatalf("the work ended with %v, want canceled", err)
	}
}

func waitWaiters(t *testing.T, f *flights, key string, n int) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		f.mu.Lock()
		c := f.calls[key]
		got := 0
		if c != nil {
			got = c.waiters
		}
		f.mu.Unlock()
		if got == n {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("waiters = %d, want %d", got, n)
		}
		time.Sleep(time.Millisecond)
	}
}
