package cache

import (
	"context"
	"errors"
	"testing"
	"time"
)

// failing is a Store whose calls fail while down, counting them.
type failing struct {
	Store
	down  bool
	calls int
}

var errDown = errors.New("down")

func (f *failing) Get(ctx context.Context, key string) ([]byte, error) {
	f.calls++
	if f.down {
		return nil, errDown
	}
	return f.Store.Get(ctx, key)
}

func TestBreaker(t *testing.T) {
	ctx := context.Background()
	now := time.Unix(0, 0)
	inner := &failing{Store: NewMemory(1 << 20)}
	b := NewBreaker(inner, 5*time.Second)
	b.Now = func() time.Time { return now }

	// A miss is no failure: the breaker stays closed.
	for range 2 {
		if _, err := b.Get(ctx, "k"); !errors.Is(err, ErrMiss) {
			t.Fatalf("get: %v", err)
		}
	}
	inner.down = true
	if _, err := b.Get(ctx, "k"); !errors.Is(err, errDown) {
		t.Fatalf("get of a down store: %v", err)
	}
	// Open: calls fail at once with the failure, without the store.
	calls := inner.calls
	for range 3 {
		if _, err := b.Get(ctx, "k"); !errors.Is(err, ErrDown) {
			t.Fatalf("get while open: %v", err)
		}
		if err := b.Ping(ctx); !errors.Is(err, ErrDown) {
			t.Fatalf("ping while open: %v", err)
		}
	}
	if inner.calls != calls {
		t.Fatalf("the store was called %d times while the breaker was open", inner.calls-calls)
	}
	// After the cooldown the store is tried again.
	now = now.Add(5 * time.Second)
	inner.down = false
	if _, err := b.Get(ctx, "k"); !errors.Is(err, ErrMiss) || inner.calls != calls+1 {
		t.Fatalf("after the cooldown: %v, %d calls", err, inner.calls-calls)
	}
}
