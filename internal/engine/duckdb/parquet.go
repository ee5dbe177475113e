package duckdb

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/segmentd/segmentd/internal/compile"
)

// LoadParquet loads an app's users and events from Parquet files in bulk:
// Load for data already on disk (segbench's files), which DuckDB reads in
// parallel without the rows passing through Go. The files have the
// columns of the users and events tables without app_id, attributes and
// properties as JSON text; they are read where they are, so a path must
// be readable by this process.
//
// Events are inserted in loadOrder.
//
// As Load, it is one transaction that also advances the app's watermark,
// keeps first_seen and last_seen as given, makes the profiles the files
// do not give of users with events, sends events of days before the
// compaction horizon to the late events, fails on a user or event ID the
// app already has, and holds the write lock while it runs.
func (e *Engine) LoadParquet(ctx context.Context, appID, usersPath, eventsPath string) error {
	e.writeMu.Lock()
	defer e.writeMu.Unlock()
	users, events := `read_parquet(`+compile.Literal(usersPath)+`)`, `read_parquet(`+compile.Literal(eventsPath)+`)`
	// Without history the horizon is the zero time: every event is on time.
	horizon := e.Horizon(e.now())
	err := e.writeOnce(ctx, func(tx *sql.Tx) error {
		cols, values, err := e.propColumns(false)
		if err != nil {
			return fmt.Errorf("duckdb: loading Parquet: %w", err)
		}
		inserts := []struct {
			query string
			args  []any
		}{
			{`INSERT INTO users (app_id, user_id, attributes, first_seen, last_seen)
				SELECT ?, user_id, attributes::JSON, first_seen, last_seen FROM ` + users, []any{appID}},
			{`INSERT INTO events (app_id, event_id, user_id, name, time, properties, clustered` + cols + `)
				SELECT ?, event_id, user_id, name, time, properties, true` + values + `
				FROM (SELECT * REPLACE (properties::JSON AS properties) FROM ` + events + `) AS e WHERE time >= ? ORDER BY ` + loadOrder, []any{appID, horizon}},
			{`INSERT INTO late_events (app_id, event_id, user_id, name, time, properties)
				SELECT ?, event_id, user_id, name, time, properties::JSON FROM ` + events + ` WHERE time < ?`, []any{appID, horizon}},
			{profileEventUsers, []any{appID, appID, appID, appID}},
		}
		for _, in := range inserts {
			if _, err := tx.ExecContext(ctx, in.query, in.args...); err != nil {
				return fmt.Errorf("duckdb: loading Parquet: %w", err)
			}
		}
		if err := e.retypeAll(ctx, tx, "app_id = ?", appID); err != nil {
			return fmt.Errorf("duckdb: loading Parquet: %w", err)
		}
		if err := e.checkLoaded(ctx, tx, appID); err != nil {
			return err
		}
		_, err = e.advance(ctx, tx, appID)
		return err
	})
	if err != nil {
		return err
	}
	e.checkpointLoad(ctx)
	return nil
}
