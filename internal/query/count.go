package query

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"time"

	"github.com/segmentd/segmentd/internal/admit"
	"github.com/segmentd/segmentd/internal/cache"
	"github.com/segmentd/segmentd/internal/compile"
	"github.com/segmentd/segmentd/internal/engine"
)

// Counter is what counts run on: an engine's count.
type Counter interface {
	Count(ctx context.Context, q *compile.SQL) (int64, error)
}

// Counts answers counts: from the cache when the answer is there, or by
// one engine query shared among the identical counts in flight and
// admitted by the gate.
type Counts struct {
	Engine Counter
	// Cache keeps counts for TTL.
	Cache cache.Store
	TTL   time.Duration
	Gate  *admit.Gate
	// Timeout bounds one engine query.
	Timeout time.Duration
	Log     *slog.Logger

	flights flights
}

// Cached returns the answer's count if the cache holds it. A cache that
// fails is logged and counts go uncached.
func (c *Counts) Cached(ctx context.Context, a Answer) (int64, bool) {
	b, err := c.Cache.Get(ctx, a.CountKey())
	if err != nil {
		if !errors.Is(err, cache.ErrMiss) {
			c.Log.WarnContext(ctx, "the count cache failed: counting uncached", "error", err)
		}
		return 0, false
	}
	n, err := strconv.ParseInt(string(b), 10, 64)
	return n, err == nil
}

// Count counts the answer a on the engine, compiled by q once the gate
// admits it (a refused count costs no compilation), and caches the
// count. Identical counts in flight share one query, which stops when
// the last request waiting for it leaves; each request waits as long as
// its own ctx lasts.
func (c *Counts) Count(ctx context.Context, a Answer, q func(context.Context) (*compile.SQL, error)) (int64, error) {
	return c.flights.do(ctx, a.CountKey(), c.Timeout, func(ctx context.Context) (int64, error) {
		release, err := c.Gate.Acquire(ctx, a.App())
		if err != nil {
			return 0, err
		}
		defer release()
		sql, err := q(ctx)
		if err != nil {
			return 0, err
		}
		n, err := c.Engine.Count(ctx, sql)
		if err != nil {
			return 0, classify(ctx, c.Timeout, err)
		}
		if err := c.Cache.Set(ctx, a.CountKey(), []byte(strconv.FormatInt(n, 10)), c.TTL); err != nil {
			c.Log.WarnContext(ctx, "the count cache failed: the count is not cached", "error", err)
		}
		return n, nil
	})
}

// classify tells what an engine's failure means to the client: a query
// past its time, one too large for the engine, a canceled one, or an
// engine failing for its own reasons (which a retry may cure).
func classify(ctx context.Context, timeout time.Duration, err error) error {
	switch {
	case errors.Is(ctx.Err(), context.DeadlineExceeded):
		return fmt.Errorf("%w: it took longer than %s", engine.ErrTimeout, timeout)
	case ctx.Err() != nil:
		return ctx.Err()
	case errors.Is(err, engine.ErrTooLarge), errors.Is(err, engine.ErrTimeout):
		return err
	}
	return fmt.Errorf("%w: %w", engine.ErrUnavailable, err)
}
