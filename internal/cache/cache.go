// Package cache keeps byte values under string keys for a while. It holds
// the run snapshots that push delivery pages through (see
// internal/snapshot): in process for tests, on disk for the embedded
// default, in Redis when several servers must share them.
package cache

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// ErrMiss is returned (wrapped) by Get for a key that was never set, was
// deleted, expired or was evicted: callers recompute or report "not found"
// rather than treat it as a failure of the store.
var ErrMiss = errors.New("cache miss")

// Store is what the snapshots need of a key/value store, small enough that
// a process map, a directory and Redis all implement it.
type Store interface {
	// Get returns the value of key, or an error wrapping ErrMiss. The
	// caller must not modify the slice.
	Get(ctx context.Context, key string) ([]byte, error)
	// Set stores value under key, replacing any value, for ttl (0: until
	// deleted). The store does not keep value: the caller may reuse it.
	Set(ctx context.Context, key string, value []byte, ttl time.Duration) error
	// Delete removes key; deleting an absent key is not an error.
	Delete(ctx context.Context, key string) error
	// Ping reports whether the store answers, for readiness checks.
	Ping(ctx context.Context) error
	// Close releases the store's resources; it is not usable afterwards.
	Close() error
}

// Option tunes a Memory or Disk store.
type Option func(*options)

type options struct {
	now func() time.Time
}

// WithClock makes the store read the time from now instead of time.Now, so
// that tests move the clock past a TTL instead of sleeping.
func WithClock(now func() time.Time) Option {
	return func(o *options) { o.now = now }
}

func buildOptions(opts []Option) options {
	o := options{now: time.Now}
	for _, opt := range opts {
		opt(&o)
	}
	return o
}

// checkTTL refuses a negative ttl: no store has a meaning for it (Redis
// would read -1 as "keep the old TTL").
func checkTTL(store, key string, ttl time.Duration) error {
	if ttl < 0 {
		return fmt.Errorf("cache %s: set %q: negative ttl %v", store, key, ttl)
	}
	return nil
}

// expiry is the instant a value set at now for ttl expires; zero for never.
func expiry(now time.Time, ttl time.Duration) time.Time {
	if ttl == 0 {
		return time.Time{}
	}
	return now.Add(ttl)
}

// expired says whether a value expiring at exp is gone at now.
func expired(exp, now time.Time) bool {
	return !exp.IsZero() && !now.Before(exp)
}
