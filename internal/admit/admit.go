// Package admit bounds the engine queries a server runs at once. A
// server that let every request reach the engine ran 200 concurrent heavy
// counts side by side until all of them timed out, its memory growing
// without bound; with a gate, a few run at full speed, a bounded number
// wait their turn, and the rest are told at once when to come back.
package admit

import (
	"context"
	"errors"
	"fmt"
	"math"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Config bounds a Gate.
type Config struct {
	// Slots is how many queries run at once.
	Slots int
	// PerApp is how many of them one app may hold, so that a flood from
	// one app leaves room for the others (default: half the slots, at
	// least one).
	PerApp int
	// Queue is how many requests may wait in all, QueuePerApp for one
	// app (default: 16 a slot, and half of that).
	Queue, QueuePerApp int
	// MaxWait is the longest a request waits for a slot before it is
	// refused (default 10 s).
	MaxWait time.Duration
}

func (c *Config) defaults() {
	if c.Slots < 1 {
		c.Slots = 1
	}
	if c.PerApp < 1 {
		c.PerApp = max(1, c.Slots/2)
	}
	if c.Queue < 1 {
		c.Queue = 16 * c.Slots
	}
	if c.QueuePerApp < 1 {
		c.QueuePerApp = max(1, c.Queue/2)
	}
	if c.MaxWait <= 0 {
		c.MaxWait = 10 * time.Second
	}
}

// BusyError is a request the gate refused: the queue was full, or no
// slot freed up within the longest wait. RetryAfter is when a slot is
// likely free, from the queries' recent durations.
type BusyError struct {
	Reason     string
	RetryAfter time.Duration
}

func (e *BusyError) Error() string {
	return fmt.Sprintf("the engine is busy (%s): retry in %s", e.Reason, e.RetryAfter.Round(time.Second))
}

// ErrBusy matches every BusyError (errors.Is).
var ErrBusy = errors.New("the engine is busy")

func (e *BusyError) Is(target error) bool { return target == ErrBusy }

// Gate hands out the slots. A freed slot goes to the waiting app that
// holds the fewest slots, the longest-waiting of those first, and an app
// never holds more than PerApp: one app's burst queues behind itself.
type Gate struct {
	cfg Config

	mu      sync.Mutex
	running map[string]int       // slots held, by app
	queues  map[string][]*waiter // waiting requests, by app, oldest first
	total   int                  // slots held in all
	queued  int                  // requests waiting in all
	service time.Duration        // a moving average of how long a slot is held

	admitted, refusedFull, refusedWait prometheus.Counter
	depth                              prometheus.GaugeFunc
	inUse                              prometheus.GaugeFunc
	wait                               prometheus.Histogram
}

type waiter struct {
	ready    chan struct{}
	since    time.Time
	admitted bool
}

// New makes a gate.
func New(cfg Config) *Gate {
	cfg.defaults()
	g := &Gate{cfg: cfg, running: map[string]int{}, queues: map[string][]*waiter{}, service: time.Second}
	g.admitted = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "segmentd_engine_admitted_total", Help: "Engine queries admitted by the gate.",
	})
	refused := func(reason string) prometheus.Counter {
		return prometheus.NewCounter(prometheus.CounterOpts{
			Name: "segmentd_engine_refused_total", Help: "Engine queries refused by the gate, by reason.",
			ConstLabels: prometheus.Labels{"reason": reason},
		})
	}
	g.refusedFull, g.refusedWait = refused("queue_full"), refused("wait")
	g.depth = prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "segmentd_engine_queue_depth", Help: "Requests waiting for an engine slot.",
	}, func() float64 { return float64(g.stat(func() int { return g.queued })) })
	g.inUse = prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "segmentd_engine_running", Help: "Engine queries running.",
	}, func() float64 { return float64(g.stat(func() int { return g.total })) })
	g.wait = prometheus.NewHistogram(prometheus.HistogramOpts{
		Name: "segmentd_engine_wait_seconds", Help: "Time admitted requests waited for an engine slot.",
		Buckets: []float64{.001, .01, .05, .1, .25, .5, 1, 2.5, 5, 10, 30},
	})
	return g
}

// Config is the gate's configuration, defaults filled in.
func (g *Gate) Config() Config { return g.cfg }

// Collectors are the gate's metrics, to register where /metrics reads.
func (g *Gate) Collectors() []prometheus.Collector {
	return []prometheus.Collector{g.admitted, g.refusedFull, g.refusedWait, g.depth, g.inUse, g.wait}
}

func (g *Gate) stat(f func() int) int {
	g.mu.Lock()
	defer g.mu.Unlock()
	return f()
}

// Acquire waits for a slot for app, at most MaxWait and as long as ctx
// lasts. The slot is held until release is called (once). A request
// that cannot be admitted in time gets a *BusyError; one whose ctx ends
// first gets ctx's error.
func (g *Gate) Acquire(ctx context.Context, app string) (release func(), err error) {
	return g.acquire(ctx, app, g.cfg.MaxWait)
}

// AcquireWait is Acquire without MaxWait and the queue bounds: for work
// that is queued elsewhere already (runs), which waits its turn as long
// as its ctx lasts.
func (g *Gate) AcquireWait(ctx context.Context, app string) (release func(), err error) {
	return g.acquire(ctx, app, 0)
}

func (g *Gate) acquire(ctx context.Context, app string, maxWait time.Duration) (func(), error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	start := time.Now()
	g.mu.Lock()
	// Waiters are only those that could not take a slot (dispatch runs
	// on every release), so a request with none of its app's ahead of it
	// takes a free slot at once.
	if len(g.queues[app]) == 0 && g.free(app) {
		g.take(app)
		g.mu.Unlock()
		g.admitted.Inc()
		g.wait.Observe(0)
		return g.releaser(app, start), nil
	}
	if maxWait > 0 && (g.queued >= g.cfg.Queue || len(g.queues[app]) >= g.cfg.QueuePerApp) {
		err := g.busy("the queue is full")
		g.mu.Unlock()
		g.refusedFull.Inc()
		return nil, err
	}
	w := &waiter{ready: make(chan struct{}), since: start}
	g.queues[app] = append(g.queues[app], w)
	g.queued++
	g.mu.Unlock()

	var timeout <-chan time.Time
	if maxWait > 0 {
		t := time.NewTimer(maxWait)
		defer t.Stop()
		timeout = t.C
	}
	select {
	case <-w.ready:
		g.admitted.Inc()
		g.wait.Observe(time.Since(start).Seconds())
		return g.releaser(app, time.Now()), nil
	case <-ctx.Done():
		err := ctx.Err()
		if g.leave(app, w) {
			return nil, err
		}
	case <-timeout:
		if g.leave(app, w) {
			g.refusedWait.Inc()
			g.mu.Lock()
			defer g.mu.Unlock()
			return nil, g.busy(fmt.Sprintf("no slot within %s", maxWait))
		}
	}
	// Admitted just as it gave up: hand the slot on.
	g.releaser(app, time.Time{})()
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return nil, &BusyError{Reason: "no slot in time", RetryAfter: time.Second}
}

// free reports whether app may take a slot now (g.mu held).
func (g *Gate) free(app string) bool {
	return g.total < g.cfg.Slots && g.running[app] < g.cfg.PerApp
}

func (g *Gate) take(app string) {
	g.total++
	g.running[app]++
}

// leave takes a waiter out of its queue; false if it was admitted first.
func (g *Gate) leave(app string, w *waiter) bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	if w.admitted {
		return false
	}
	q := g.queues[app]
	for i, x := range q {
		if x == w {
			g.queues[app] = append(q[:i:i], q[i+1:]...)
			break
		}
	}
	if len(g.queues[app]) == 0 {
		delete(g.queues, app)
	}
	g.queued--
	return true
}

func (g *Gate) releaser(app string, since time.Time) func() {
	var once sync.Once
	return func() {
		once.Do(func() {
			g.mu.Lock()
			defer g.mu.Unlock()
			// The average holding time sets Retry-After.
			if !since.IsZero() {
				g.service = (g.service*7 + time.Since(since)) / 8
			}
			g.total--
			if g.running[app]--; g.running[app] == 0 {
				delete(g.running, app)
			}
			g.dispatch()
		})
	}
}

// dispatch gives free slots to waiters (g.mu held): each time to the
// app with the fewest slots, then the longest wait, that may take one.
func (g *Gate) dispatch() {
	for g.total < g.cfg.Slots && g.queued > 0 {
		var best string
		var bestW *waiter
		for app, q := range g.queues {
			if !g.free(app) {
				continue
			}
			w := q[0]
			if bestW == nil || g.running[app] < g.running[best] ||
				(g.running[app] == g.running[best] && w.since.Before(bestW.since)) {
				best, bestW = app, w
			}
		}
		if bestW == nil {
			return // every waiting app holds its share
		}
		g.queues[best] = g.queues[best][1:]
		if len(g.queues[best]) == 0 {
			delete(g.queues, best)
		}
		g.queued--
		g.take(best)
		bestW.admitted = true
		close(bestW.ready)
	}
}

// busy is a refusal (g.mu held). The client may come back when its
// app's queue is likely to have room again: after one of the app's
// queries, at least a second (Retry-After counts whole seconds). The
// queue holds more work than that, so the engine does not idle while
// refused clients wait to come back.
func (g *Gate) busy(reason string) *BusyError {
	per := float64(g.service) / float64(g.cfg.PerApp)
	return &BusyError{Reason: reason, RetryAfter: time.Duration(math.Max(per, float64(time.Second)))}
}
