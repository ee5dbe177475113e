package duckdb

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"

	"github.com/segmentd/segmentd/internal/compile"
)

// EraseUser deletes a user of the app: the profile and every event, from
// the tables and from every history file of the app, and advances the
// app's watermark so that no count cached before it is served after.
//
// The files first, the tables last, under historyMu (compaction holds it
// too, so no compaction copies the user's events into a file meanwhile):
// a call that dies part way has deleted nothing yet from the tables, and
// its retry does it all again. Once it returns, nothing in the engine
// holds the user, so no compaction, retried or not, can bring an event
// back. Erasing a user who is not there is no error.
func (e *Engine) EraseUser(ctx context.Context, appID, userID string) error {
	if err := checkIDs(appID, userID); err != nil {
		return err
	}
	e.historyMu.Lock()
	defer e.historyMu.Unlock()
	if e.history != nil {
		if err := e.eraseFromHistory(ctx, appID, userID); err != nil {
			return err
		}
	}
	return e.write(ctx, func(tx *sql.Tx) error {
		for _, table := range []string{"users", "events", "late_events"} {
			if _, err := tx.ExecContext(ctx, `DELETE FROM `+table+` WHERE app_id = ? AND user_id = ?`, appID, userID); err != nil {
				return fmt.Errorf("duckdb: erasing a user from %s: %w", table, err)
			}
		}
		_, err := e.advance(ctx, tx, appID)
		return err
	})
}

// eraseFromHistory rewrites each of the app's month files that holds an
// event of the user, without them (atomically, as compaction does).
func (e *Engine) eraseFromHistory(ctx context.Context, appID, userID string) error {
	dir, err := e.history.appDir(appID)
	if err != nil {
		return err
	}
	files, err := filepath.Glob(filepath.Join(dir, "month=*", "events.parquet"))
	if err != nil {
		return err
	}
	for _, f := range files {
		var n int
		if err := e.db.QueryRowContext(ctx, `SELECT count(*) FROM read_parquet(`+compile.Literal(f)+`) WHERE user_id = ?`, userID).Scan(&n); err != nil {
			return fmt.Errorf("duckdb: reading %s: %w", f, err)
		}
		if n == 0 {
			continue
		}
		if err := e.copyTo(ctx, f, `SELECT event_id, user_id, name, time, properties, day FROM read_parquet(`+compile.Literal(f)+`)
			WHERE user_id <> ? ORDER BY user_id, time, event_id`, userID); err != nil {
			return err
		}
	}
	return nil
}
