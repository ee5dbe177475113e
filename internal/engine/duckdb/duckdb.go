// Package duckdb is the embedded engine: DuckDB in the segmentd process,
// over tables of profiles and events kept in a local database file.
package duckdb

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"encoding/json"
	"fmt"
	"io/fs"
	"slices"
	"sort"
	"time"

	duckdb "github.com/duckdb/duckdb-go/v2"

	"github.com/segmentd/segmentd/internal/compile"
	"github.com/segmentd/segmentd/internal/dataset"
	"github.com/segmentd/segmentd/migrations"
)

// Engine is a DuckDB database holding the users and events tables.
type Engine struct {
	db *sql.DB
}

// Open opens (creating if needed) the database at path, "" for an
// in-memory one, and applies the schema.
func Open(ctx context.Context, path string) (*Engine, error) {
	connector, err := duckdb.NewConnector(path, func(c driver.ExecerContext) error {
		// Nothing may reach for the network: extensions are built in.
		_, err := c.ExecContext(ctx, "SET autoinstall_known_extensions = false; SET autoload_known_extensions = true", nil)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("duckdb: open %q: %w", path, err)
	}
	e := &Engine{db: sql.OpenDB(connector)}
	if err := e.migrate(ctx); err != nil {
		e.db.Close()
		return nil, err
	}
	return e, nil
}

func (e *Engine) migrate(ctx context.Context) error {
	files, err := fs.Glob(migrations.FS, "duckdb/*.sql")
	if err != nil {
		return err
	}
	sort.Strings(files)
	for _, f := range files {
		ddl, err := fs.ReadFile(migrations.FS, f)
		if err != nil {
			return err
		}
		if _, err := e.db.ExecContext(ctx, string(ddl)); err != nil {
			return fmt.Errorf("duckdb: applying %s: %w", f, err)
		}
	}
	return nil
}

// Close closes the database.
func (e *Engine) Close() error { return e.db.Close() }

// DB is the underlying database, for the stores that share it.
func (e *Engine) DB() *sql.DB { return e.db }

// Dialect implements engine.Engine.
func (e *Engine) Dialect() *compile.Dialect { return compile.DuckDB }

// Tables implements engine.Engine.
func (e *Engine) Tables() compile.Tables { return compile.DefaultTables }

// Members implements engine.Engine.
func (e *Engine) Members(ctx context.Context, q *compile.SQL) ([]string, error) {
	rows, err := e.db.QueryContext(ctx, q.Text, q.Params...)
	if err != nil {
		return nil, fmt.Errorf("duckdb: %w", err)
	}
	defer rows.Close()
	var ids []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		ids = append(ids, id)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("duckdb: %w", err)
	}
	slices.Sort(ids)
	return ids, nil
}

// Load appends an app's users and events in bulk, through DuckDB's
// appender. It is for generated and imported data; the ingestion API
// writes one batch at a time. The appender would store JSON text as a JSON
// string, so rows go through staging tables with text columns and are
// parsed on the way in.
func (e *Engine) Load(ctx context.Context, appID string, d *dataset.Data) error {
	conn, err := e.db.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	const stage = `
		CREATE OR REPLACE TEMP TABLE users_load (app_id VARCHAR, user_id VARCHAR, attributes VARCHAR, first_seen TIMESTAMPTZ, last_seen TIMESTAMPTZ);
		CREATE OR REPLACE TEMP TABLE events_load (app_id VARCHAR, event_id VARCHAR, user_id VARCHAR, name VARCHAR, time TIMESTAMPTZ, properties VARCHAR)`
	if _, err := conn.ExecContext(ctx, stage); err != nil {
		return fmt.Errorf("duckdb: staging: %w", err)
	}
	err = conn.Raw(func(dc any) error {
		c, ok := dc.(driver.Conn)
		if !ok {
			return fmt.Errorf("duckdb: unexpected connection %T", dc)
		}
		if err := appendAll(c, "users_load", len(d.Users), func(i int) ([]driver.Value, error) {
			u := d.Users[i]
			attrs, err := jsonText(u.Attributes)
			return []driver.Value{appID, u.UserID, attrs, nullTime(u.FirstSeen), nullTime(u.LastSeen)}, err
		}); err != nil {
			return err
		}
		return appendAll(c, "events_load", len(d.Events), func(i int) ([]driver.Value, error) {
			ev := d.Events[i]
			props, err := jsonText(ev.Properties)
			return []driver.Value{appID, ev.EventID, ev.UserID, ev.Name, ev.Time.UTC(), props}, err
		})
	})
	if err != nil {
		return err
	}
	const insert = `
		INSERT INTO users SELECT app_id, user_id, attributes::JSON, first_seen, last_seen FROM users_load;
		INSERT INTO events SELECT app_id, event_id, user_id, name, time, properties::JSON FROM events_load;
		DROP TABLE users_load; DROP TABLE events_load`
	if _, err := conn.ExecContext(ctx, insert); err != nil {
		return fmt.Errorf("duckdb: loading: %w", err)
	}
	return nil
}

func appendAll(c driver.Conn, table string, n int, row func(int) ([]driver.Value, error)) error {
	a, err := duckdb.NewAppenderFromConn(c, "", table)
	if err != nil {
		return fmt.Errorf("duckdb: appender for %s: %w", table, err)
	}
	for i := range n {
		vals, err := row(i)
		if err == nil {
			err = a.AppendRow(vals...)
		}
		if err != nil {
			a.Close()
			return fmt.Errorf("duckdb: loading %s: %w", table, err)
		}
	}
	return a.Close()
}

func jsonText(v map[string]any) (string, error) {
	if v == nil {
		return "{}", nil
	}
	b, err := json.Marshal(v)
	return string(b), err
}

func nullTime(t time.Time) driver.Value {
	if t.IsZero() {
		return nil
	}
	return t.UTC()
}
