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
// waits for the chunk in progress at most; under a steady stream the
// committer never pauses and the events stay as they are.

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
}

var defaultRecluster = reclusterPolicy{min: 100_000, idle: time.Second, chunk: 500_000}

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
	if e.unclustered.Load() < e.recluster.min {
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
		if c.pending() {
			return
		}
		n, err := e.reclusterChunk(context.Background())
		if err != nil {
			// The events stay as they were; the next pause tries again.
			slog.Warn("duckdb: reclustering events", "err", err)
			return
		}
		if n < e.recluster.chunk {
			e.unclustered.Store(0)
			return
		}
		e.unclustered.Add(-int64(n))
	}
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
