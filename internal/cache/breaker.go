package cache

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"
)

// Breaker guards a Store that can go away (Redis): after a failure, every
// call fails at once for Cooldown, with the failure that opened it,
// instead of each request waiting out the store's timeouts. The first call
// after the cooldown tries the store again. A miss is no failure.
type Breaker struct {
	Store
	Cooldown time.Duration
	Now      func() time.Time // nil: time.Now

	mu        sync.Mutex
	openUntil time.Time
	last      error
}

// NewBreaker guards store with a cooldown.
func NewBreaker(store Store, cooldown time.Duration) *Breaker {
	return &Breaker{Store: store, Cooldown: cooldown}
}

func (b *Breaker) now() time.Time {
	if b.Now != nil {
		return b.Now()
	}
	return time.Now()
}

// ErrDown is returned (wrapped) by a Breaker while it is open.
var ErrDown = errors.New("cache down")

// check fails while the breaker is open. The failure that opened it is
// told, not wrapped: it may be another caller's deadline.
func (b *Breaker) check() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.now().Before(b.openUntil) {
		return fmt.Errorf("%w (left alone for %s) after: %v", ErrDown, b.Cooldown, b.last)
	}
	return nil
}

// record opens the breaker on a failure.
func (b *Breaker) record(err error) error {
	if err != nil && !errors.Is(err, ErrMiss) {
		b.mu.Lock()
		b.openUntil, b.last = b.now().Add(b.Cooldown), err
		b.mu.Unlock()
	}
	return err
}

// Get implements Store.
func (b *Breaker) Get(ctx context.Context, key string) ([]byte, error) {
	if err := b.check(); err != nil {
		return nil, err
	}
	v, err := b.Store.Get(ctx, key)
	return v, b.record(err)
}

// Set implements Store.
func (b *Breaker) Set(ctx context.Context, key string, value []byte, ttl time.Duration) error {
	if err := b.check(); err != nil {
		return err
	}
	return b.record(b.Store.Set(ctx, key, value, ttl))
}

// Delete implements Store.
func (b *Breaker) Delete(ctx context.Context, key string) error {
	if err := b.check(); err != nil {
		return err
	}
	return b.record(b.Store.Delete(ctx, key))
}

// Ping implements Store.
func (b *Breaker) Ping(ctx context.Context) error {
	if err := b.check(); err != nil {
		return err
	}
	return b.record(b.Store.Ping(ctx))
}
