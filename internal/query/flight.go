package query

import (
	"context"
	"sync"
	"time"
)

// flights shares one piece of work among the callers that ask for the
// same key while it runs. Unlike singleflight, the work stops when the
// last caller waiting for it leaves: a count nobody waits for any more
// would only slow down the counts after it.
type flights struct {
	mu    sync.Mutex
	calls map[string]*call
}

type call struct {
	done    chan struct{}
	val     int64
	err     error
	waiters int
	cancel  context.CancelFunc
}

// do runs fn once for key among concurrent callers, each waiting as long
// as its own ctx lasts. fn's context ends when every caller has left, or
// after timeout.
func (f *flights) do(ctx context.Context, key string, timeout time.Duration, fn func(context.Context) (int64, error)) (int64, error) {
	f.mu.Lock()
	if f.calls == nil {
		f.calls = map[string]*call{}
	}
	c, ok := f.calls[key]
	if !ok {
		// The work is apart from any one caller: canceled by the last.
		wctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), timeout)
		c = &call{done: make(chan struct{}), cancel: cancel}
		f.calls[key] = c
		go func() {
			c.val, c.err = fn(wctx)
			cancel()
			f.mu.Lock()
			if f.calls[key] == c {
				delete(f.calls, key)
			}
			f.mu.Unlock()
			close(c.done)
		}()
	}
	c.waiters++
	f.mu.Unlock()

	select {
	case <-c.done:
		return c.val, c.err
	case <-ctx.Done():
		f.mu.Lock()
		if c.waiters--; c.waiters == 0 {
			c.cancel()
			// A caller that comes now starts afresh rather than join
			// work that is being canceled.
			if f.calls[key] == c {
				delete(f.calls, key)
			}
		}
		f.mu.Unlock()
		return 0, ctx.Err()
	}
}
