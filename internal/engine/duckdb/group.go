package duckdb

import (
	"context"
	"database/sql"
	"errors"
	"slices"
	"sync"
)

// Group commit. Writes are serialized (see write), and each commit of a
// database file pays for its own write-ahead log flush and fsync, so
// concurrent WriteEvents calls would wait in line for one commit each.
// Instead one goroutine, the committer, takes every batch waiting when it
// is free and writes them in one transaction: the commit, the users'
// upsert and the watermark are paid once for the group. A batch is still
// acknowledged only after the commit that stored it.

// maxGroupEvents bounds the events of one group: a transaction of a few
// thousand events already pays its fixed costs many times over, and a
// bigger one only delays the first batch's acknowledgement.
const maxGroupEvents = 16 * 1000

// errClosed is a batch given to a closed engine.
var errClosed = errors.New("duckdb: the engine is closed")

// eventBatch is a WriteEvents call's batch, validated and split: its
// events without repeated IDs, fresh and late.
type eventBatch struct {
	appID       string
	fresh, late columns
	done        chan batchResult // written once, by the committer
}

type batchResult struct {
	inserted int
	err      error
}

func (b *eventBatch) size() int { return len(b.fresh.ids) + len(b.late.ids) }

// committer is the goroutine that writes the batches: the queue of those
// waiting, and how to wake and to stop it.
type committer struct {
	mu      sync.Mutex
	queue   []*eventBatch
	wake    chan struct{} // one token: the queue may hold batches
	closing chan struct{}
	stopped chan struct{}
	stop    sync.Once
}

func (e *Engine) startCommitter() {
	e.commits.wake, e.commits.closing, e.commits.stopped = make(chan struct{}, 1), make(chan struct{}), make(chan struct{})
	go e.commitLoop()
}

// stopCommitter stops the committer once the group it writes, if any, is
// committed; batches still queued fail with errClosed.
func (e *Engine) stopCommitter() {
	if e.commits.closing == nil {
		return
	}
	e.commits.stop.Do(func() { close(e.commits.closing) })
	<-e.commits.stopped
}

// commitEvents queues b for the committer and returns how many of its
// events were new, once committed. A context done while b waits in the
// queue takes it out (nothing stored); once taken, b's outcome is its
// group's.
func (e *Engine) commitEvents(ctx context.Context, b *eventBatch) (int, error) {
	// A context already done stores nothing. Queued, the batch could be
	// taken by the committer before the select below sees ctx.Done.
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	c := &e.commits
	b.done = make(chan batchResult, 1)
	c.mu.Lock()
	c.queue = append(c.queue, b)
	c.mu.Unlock()
	select {
	case c.wake <- struct{}{}:
	default: // already woken
	}
	var gone error
	select {
	case r := <-b.done:
		return r.inserted, r.err
	case <-ctx.Done():
		gone = ctx.Err()
	case <-c.closing:
		gone = errClosed
	}
	c.mu.Lock()
	i := slices.Index(c.queue, b)
	if i >= 0 {
		c.queue = slices.Delete(c.queue, i, i+1)
	}
	c.mu.Unlock()
	if i >= 0 {
		return 0, gone
	}
	r := <-b.done
	return r.inserted, r.err
}

// pending says whether a batch waits.
func (c *committer) pending() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.queue) > 0
}

// next takes the batches of the next group off the queue: all those
// waiting, up to maxGroupEvents (at least one).
func (c *committer) next() []*eventBatch {
	c.mu.Lock()
	defer c.mu.Unlock()
	n, size := 0, 0
	for n < len(c.queue) && (n == 0 || size+c.queue[n].size() <= maxGroupEvents) {
		size += c.queue[n].size()
		n++
	}
	group := slices.Clone(c.queue[:n])
	c.queue = slices.Delete(c.queue, 0, n)
	return group
}

func (e *Engine) commitLoop() {
	c := &e.commits
	defer close(c.stopped)
	for {
		select {
		case <-c.wake:
		case <-e.reclusterDue():
			e.reclusterIdle()
			continue
		case <-c.closing:
			return // the batches still queued see closing
		}
		for group := c.next(); len(group) > 0; group = c.next() {
			e.commitGroup(group)
			e.reclusterOverdue()
		}
	}
}

// commitGroup writes a group and answers each of its batches. If the
// group fails, each batch is written alone, so that one batch's failure
// is its own.
func (e *Engine) commitGroup(group []*eventBatch) {
	// The write belongs to every batch of the group: no caller's context
	// may cancel it.
	ctx := context.Background()
	counts, err := e.writeGroup(ctx, group)
	if err != nil && len(group) > 1 {
		for _, b := range group {
			counts, err := e.writeGroup(ctx, []*eventBatch{b})
			e.answer(b, counts[0], err)
		}
		return
	}
	for i, b := range group {
		e.answer(b, counts[i], err)
	}
}

// answer gives b its outcome; the events it stored are unclustered
// (recluster.go).
func (e *Engine) answer(b *eventBatch, inserted int, err error) {
	if err == nil {
		e.unclustered.Add(int64(inserted))
	}
	b.done <- batchResult{inserted, err}
}

// writeGroup stores the batches of a group in one transaction, as if each
// had been written after the one before it: an event ID given by two
// batches is the earlier's. It returns how many events of each were new.
//
// Events for the events table are checked against the IDs it holds
// (dedup.go) and stored by a plain INSERT. Late events are stored by a
// plain INSERT too, into late_events, whose key refuses an event ID it
// holds: a group with one (a retry) fails that insert, which stores
// nothing, and is written again with ON CONFLICT DO NOTHING (DuckDB's ON
// CONFLICT check slows down as the table grows; late events are few).
func (e *Engine) writeGroup(ctx context.Context, group []*eventBatch) ([]int, error) {
	apps, owners := mergeByApp(group)
	counts := make([]int, len(group))
	store := func(plain bool) func(tx *sql.Tx) error {
		return func(tx *sql.Tx) error {
			clear(counts)
			for _, a := range apps {
				stored := func(id string) { counts[owners[a.appID][id]]++ }
				if err := e.storeEvents(ctx, tx, a.appID, plain, &a.fresh, &a.late, stored); err != nil {
					return err
				}
				// Each batch that stored something is a write that moves
				// the watermark; a retry that stored nothing is none.
				writes := 0
				for i, b := range group {
					if b.appID == a.appID && counts[i] > 0 {
						writes++
					}
				}
				if writes > 0 {
					if _, err := e.advanceBy(ctx, tx, a.appID, writes); err != nil {
						return err
					}
				}
			}
			return nil
		}
	}
	err := e.write(ctx, store(true))
	if errors.Is(err, errStoredBefore) {
		err = e.write(ctx, store(false))
	}
	if err != nil {
		return make([]int, len(group)), err
	}
	return counts, nil
}

// mergeByApp merges the batches of each app, in order, dropping an event
// ID an earlier batch gave, and returns for each app which batch (its
// index in group) each event ID is from.
func mergeByApp(group []*eventBatch) ([]*eventBatch, map[string]map[string]int) {
	var apps []*eventBatch
	byApp := map[string]*eventBatch{}
	owners := map[string]map[string]int{}
	for i, b := range group {
		a, ok := byApp[b.appID]
		if !ok {
			a = &eventBatch{appID: b.appID}
			byApp[b.appID] = a
			owners[b.appID] = map[string]int{}
			apps = append(apps, a)
		}
		own := owners[b.appID]
		for _, part := range []struct{ from, to *columns }{{&b.fresh, &a.fresh}, {&b.late, &a.late}} {
			for j, id := range part.from.ids {
				if _, dup := own[id]; dup {
					continue
				}
				own[id] = i
				part.to.append(part.from, j)
			}
		}
	}
	return apps, owners
}
