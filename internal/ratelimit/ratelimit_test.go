package ratelimit

import (
	"context"
	"errors"
	"testing"
	"time"
)

func TestLocalBucket(t *testing.T) {
	now := time.Date(2026, 12, 5, 10, 0, 0, 0, time.UTC)
	lo := &Local{Now: func() time.Time { return now }}
	l := Limit{Rate: 2, Burst: 3}
	take := func(bucket string) time.Duration {
		t.Helper()
		wait, err := lo.Take(context.Background(), bucket, l)
		if err != nil {
			t.Fatal(err)
		}
		return wait
	}
	for i := range 3 {
		if w := take("a"); w != 0 {
			t.Fatalf("take %d of a burst of 3 waits %v", i+1, w)
		}
	}
	if w := take("a"); w != 500*time.Millisecond {
		t.Fatalf("over the burst: wait %v, want 500ms (2 a second)", w)
	}
	if w := take("b"); w != 0 {
		t.Fatalf("another bucket waits %v", w)
	}
	now = now.Add(250 * time.Millisecond)
	if w := take("a"); w != 250*time.Millisecond {
		t.Fatalf("a quarter second on: wait %v, want 250ms", w)
	}
	now = now.Add(250 * time.Millisecond)
	if w := take("a"); w != 0 {
		t.Fatalf("a token later: wait %v", w)
	}
	now = now.Add(time.Hour) // refills to the burst, not beyond
	for range 3 {
		take("a")
	}
	if w := take("a"); w == 0 {
		t.Fatal("an idle bucket filled beyond its burst")
	}
	if w, _ := lo.Take(context.Background(), "a", Limit{}); w != 0 {
		t.Fatalf("no limit waits %v", w)
	}
}

func TestParse(t *testing.T) {
	for in, want := range map[string]Limit{"100:200": {100, 200}, "0.5:1": {0.5, 1}, "10": {10, 10}, "0.2": {0.2, 1}, "0": {}, "0:5": {}} {
		got, err := ParseLimit(in)
		if err != nil || got != want {
			t.Errorf("ParseLimit(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "x", "-1:2", "1:0", "1:x", "Inf:1", "NaN"} {
		if _, err := ParseLimit(bad); err == nil {
			t.Errorf("ParseLimit(%q) is no error", bad)
		}
	}
	apps, err := ParseApps("shop.ingest=500:1000, shop.exports=0,blog.queries=5")
	if err != nil {
		t.Fatal(err)
	}
	ls := Limits{Default: map[Class]Limit{Ingest: {1, 1}, Queries: {2, 2}}, Apps: apps}
	for _, c := range []struct {
		app   string
		class Class
		want  Limit
	}{
		{"shop", Ingest, Limit{500, 1000}}, {"shop", Exports, Limit{}}, {"shop", Queries, Limit{2, 2}},
		{"blog", Queries, Limit{5, 5}}, {"other", Ingest, Limit{1, 1}},
	} {
		if got := ls.For(c.app, c.class); got != c.want {
			t.Errorf("For(%s, %s) = %v, want %v", c.app, c.class, got, c.want)
		}
	}
	for _, bad := range []string{"shop=1:1", "shop.bogus=1:1", ".ingest=1", "shop.ingest=x"} {
		if _, err := ParseApps(bad); err == nil {
			t.Errorf("ParseApps(%q) is no error", bad)
		}
	}
}

// failing is a Limiter that is down, counting the calls it fails.
type failing struct{ calls int }

func (f *failing) Take(context.Context, string, Limit) (time.Duration, error) {
	f.calls++
	return 0, errors.New("redis: i/o timeout")
}

// TestFallbackRests: while the primary fails, the secondary limits, and
// the primary is not called again until its cooldown is over.
func TestFallbackRests(t *testing.T) {
	now := time.Date(2026, 12, 5, 10, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	down := &failing{}
	var heard int
	f := &Fallback{Primary: down, Secondary: &Local{Now: clock}, Cooldown: 5 * time.Second, Now: clock,
		OnError: func(error) { heard++ }}
	l := Limit{Rate: 1, Burst: 2}
	for i, want := range []time.Duration{0, 0, time.Second} {
		if w, err := f.Take(context.Background(), "k", l); err != nil || w != want {
			t.Fatalf("take %d: wait %v, %v; want %v from the secondary", i+1, w, err, want)
		}
	}
	if down.calls != 1 || heard != 1 {
		t.Fatalf("the failing primary was called %d times (%d errors heard) within its cooldown, want 1", down.calls, heard)
	}
	now = now.Add(5 * time.Second)
	f.Take(context.Background(), "k", l)
	if down.calls != 2 {
		t.Fatalf("after the cooldown the primary was called %d times in all, want 2", down.calls)
	}
}
