package duckdb

import (
	"context"
	"database/sql"
	"fmt"
	"log/slog"
	"time"
)

// Reclustering. Bulk loads store events in loadOrder, and a single-user
// read (UserData) finds a user's events by the row groups' user_id
// ranges. Ingestion appends events in arrival order, so that read scans
// every one of them (about 8 ms per million). When ingestion pauses, the
// committer sorts them: it copies a chunk of the unclustered events in
// loadOrder and deletes the originals, in one transaction, so a reader
// sees either and no event is lost or counted twice. The events do not
// change, so neither does the watermark. A batch that arrives meanwhile
// waits for the chunk in progress at most. A steady stream never lets
// the committer pause: past max unclustered events it sorts a chunk
// between two groups of batches anyway, so the unsorted tail, and a
// single-user read's scan of it, stay bounded. A failed recluster is not
// tried again before reclusterRetry has passed.

// reclusterPolicy says when the committer reclusters.
type reclusterPolicy struct {
	// min is the unclustered events that make a recluster worth it: fewer
	// cost a read less than a millisecond.
	min int64
	// idle is how long the committer waits without a batch first.
	idle time.Duration
	// chunk bounds the events sorted in one transaction, and so the wait
	// of a batch that arrives meanwhile (about a second at 500,000).
	chunk int
	// max is the unclustered events past which a chunk is sorted without
	// waiting for a pause.
	max int64
}

var defaultRecluster = reclusterPolicy{min: 100_000, idle: time.Second, chunk: 500_000, max: 2_000_000}

// reclusterRetry is how long the committer leaves events unsorted after a
// recluster failed, instead of failing (and logging) at every pause.
const reclusterRetry = time.Minute

// countUnclustered reads how many events are unclustered, at Open.
func (e *Engine) countUnclustered(ctx context.Context) error {
	var n int64
	if err := e.db.QueryRowContext(ctx, `SELECT count(*) FROM events WHERE NOT clustered`).Scan(&n); err != nil {
		return fmt.Errorf("duckdb: counting unclustered events: %w", err)
	}
	e.unclustered.Store(n)
	return nil
}

// reclusterDue is a channel that fires once the committer has been idle
// long enough with enough unclustered events, or nil.
func (e *Engine) reclusterDue() <-chan time.Time {
	if e.unclustered.Load() < e.recluster.min || time.Now().Before(e.reclusterAfter) {
		return nil
	}
	return time.After(e.recluster.idle)
}

// reclusterIdle sorts unclustered events chunk by chunk until none is
// left or a batch or Close is waiting. It runs on the committer.
func (e *Engine) reclusterIdle() {
	c := &e.commits
	for {
		select {
		case <-c.closing:
			return
		default:
		}
		if c.pending() || !e.reclusterStep() {
			return
		}
	}
}

// reclusterOverdue sorts one chunk when the unclustered events are past
// max, whatever waits. It runs on the committer, between groups.
func (e *Engine) reclusterOverdue() {
	if e.unclustered.Load() >= e.recluster.max && !time.Now().Before(e.reclusterAfter) {
		e.reclusterStep()
	}
}

// reclusterStep sorts a chunk and says whether unclustered events may be
// left.
func (e *Engine) reclusterStep() bool {
	n, err := e.reclusterChunk(context.Background())
	if err != nil {
		// The events stay as they were, and are tried again later.
		e.reclusterAfter = time.Now().Add(reclusterRetry)
		slog.Warn("duckdb: reclustering events failed; trying again later", "err", err, "retry", reclusterRetry)
		return false
	}
	if n < e.recluster.chunk {
		e.unclustered.Store(0)
		return false
	}
	e.unclustered.Add(-int64(n))
	return true
}

// reclusterChunk sorts up to a chunk of unclustered events and returns
// how many it sorted.
func (e *Engine) reclusterChunk(ctx context.Context) (int, error) {
	var n int
	err := e.write(ctx, func(tx *sql.Tx) error {
		// The copy computes the typed properties the events lack.
		cols, values, err := e.propColumns(true)
		if err != nil {
			return err
		}
		// The chunk's rows, by rowid: the copy and the delete take the
		// same ones, in this transaction.
		steps := [...]struct {
			query string
			args  []any
		}{
			{`CREATE OR REPLACE TEMP TABLE recluster_chunk AS SELECT rowid AS r FROM events WHERE NOT clustered LIMIT ?`, []any{e.recluster.chunk}},
			{`INSERT INTO events (app_id, event_id, user_id, name, time, properties, clustered` + cols + `)
				SELECT app_id, event_id, user_id, name, time, properties, true` + values + ` FROM events AS e
				WHERE NOT clustered AND rowid IN (SELECT r FROM recluster_chunk)
				ORDER BY app_id, ` + loadOrder, nil},
			{`DELETE FROM events WHERE NOT clustered AND rowid IN (SELECT r FROM recluster_chunk)`, nil},
			{`DROP TABLE recluster_chunk`, nil},
		}
		var moved [len(steps)]int64
		for i, s := range steps {
			res, err := tx.ExecContext(ctx, s.query, s.args...)
			if err != nil {
				return err
			}
			if moved[i], err = res.RowsAffected(); err != nil {
				return err
			}
		}
		if moved[1] != moved[2] {
			return fmt.Errorf("copied %d events and deleted %d", moved[1], moved[2])
		}
		n = int(moved[1])
		return nil
	})
	return n, err
}
