package duckdb

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"time"

	"github.com/segmentd/segmentd/internal/compile"
	"github.com/segmentd/segmentd/internal/record"
)

// history is where the engine keeps events of days past compaction: one
// Parquet file per app and UTC month, dir/app_id=<app>/month=<YYYY-MM>/
// events.parquet, each row with its UTC day, read through the view
// history_events. It is the embedded mirror of the distributed path's
// Parquet on S3 (package compact): the same boundary, late events and
// crash safety. A file a month, not a day, because a query opens every
// file: a year of days made each corpus tree about four times slower.
type history struct {
	dir        string
	compactAge time.Duration
}

// HistoryTables are the tables compile names when history is enabled.
var HistoryTables = compile.Tables{Users: "users", Events: "events", History: "history_events", Late: "late_events"}

// EnableHistory keeps history in Parquet files under dir: from now on,
// events of days before Horizon go to the late events table, and
// compaction (compact.Compactor with the engine as its Stores) moves days
// older than compactAge from the events table into the files. boundary
// gives an app's boundary (compact.Boundary, from the segment store).
func (e *Engine) EnableHistory(ctx context.Context, dir string, compactAge time.Duration,
	boundary func(ctx context.Context, appID string) (time.Time, error)) error {
	if compactAge < 0 {
		return errors.New("duckdb: the compaction age cannot be negative")
	}
	dir, err := filepath.Abs(dir)
	if err != nil {
		return err
	}
	// The view's glob must always match a file: an empty one, of an app
	// that cannot exist, keeps it so.
	empty := filepath.Join(dir, "app_id=_", "month=1970-01", "events.parquet")
	if _, err := os.Stat(empty); errors.Is(err, os.ErrNotExist) {
		if err := e.copyTo(ctx, empty, `SELECT event_id, user_id, name, time, properties, CAST(time AS DATE) AS day FROM events WHERE false`); err != nil {
			return err
		}
	}
	view := `CREATE OR REPLACE VIEW history_events AS SELECT * FROM read_parquet(` +
		compile.Literal(filepath.Join(dir, "*", "*", "*.parquet")) +
		`, hive_partitioning = true, hive_types = {'app_id': VARCHAR, 'month': VARCHAR})`
	if _, err := e.db.ExecContext(ctx, view); err != nil {
		return fmt.Errorf("duckdb: history view: %w", err)
	}
	e.history, e.boundary = &history{dir: dir, compactAge: compactAge}, boundary
	return nil
}

// Horizon implements compact.Stores: the first day the events table takes
// at now.
func (e *Engine) Horizon(now time.Time) time.Time {
	if e.history == nil {
		return time.Time{}
	}
	return day(now.Add(-e.history.compactAge))
}

func day(t time.Time) time.Time {
	y, m, d := t.UTC().Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

// safeApp is what an app ID must be to name a directory (the API's app
// IDs always are).
var safeApp = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]{0,63}$`)

// appDir is the directory of an app's files.
func (h *history) appDir(appID string) (string, error) {
	if !safeApp.MatchString(appID) {
		return "", fmt.Errorf("duckdb: app ID %q cannot name a history directory", appID)
	}
	return filepath.Join(h.dir, "app_id="+appID), nil
}

// monthFile is the file of an app's month (of day d).
func (h *history) monthFile(appID string, d time.Time) (string, error) {
	dir, err := h.appDir(appID)
	if err != nil {
		return "", err
	}
	return filepath.Join(dir, "month="+d.Format("2006-01"), "events.parquet"), nil
}

// copyTo writes the rows of query to a Parquet file, replacing it
// atomically (a reader sees the old file or the new one).
func (e *Engine) copyTo(ctx context.Context, path, query string, args ...any) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	tmp := path + ".tmp"
	if _, err := e.db.ExecContext(ctx, `COPY (`+query+`) TO `+compile.Literal(tmp)+` (FORMAT parquet)`, args...); err != nil {
		return fmt.Errorf("duckdb: writing %s: %w", path, err)
	}
	return os.Rename(tmp, path)
}

// months calls fn for each month that [from, until) touches, with the
// part of the range in it.
func months(from, until time.Time, fn func(lo, hi time.Time) error) error {
	for lo := from; lo.Before(until); {
		hi := time.Date(lo.Year(), lo.Month()+1, 1, 0, 0, 0, 0, time.UTC)
		if hi.After(until) {
			hi = until
		}
		if err := fn(lo, hi); err != nil {
			return err
		}
		lo = hi
	}
	return nil
}

// copyMonth is what a month's file holds after copying the days [lo, hi)
// of it: the days before lo it held, the events table's events of the
// days, and the late events of the days that the events table lacks
// (days after hi that a compaction which died had copied are dropped:
// nothing reads them, and the next run past them copies them again).
// Rows are sorted by user so that Parquet's statistics let a single
// user's read skip the other row groups. Parameters: app, month, lo;
// app, lo, hi; app, lo, hi, app, lo, hi.
const copyMonth = `
	SELECT event_id, user_id, name, time, properties, day FROM history_events
	WHERE app_id = ? AND month = ? AND day < CAST(? AS DATE)
	UNION ALL
	SELECT event_id, user_id, name, time, properties, CAST(timezone('UTC', time) AS DATE) FROM events
	WHERE app_id = ? AND time >= ? AND time < ?
	UNION ALL
	SELECT event_id, user_id, name, time, properties, CAST(timezone('UTC', time) AS DATE) FROM late_events
	WHERE app_id = ? AND time >= ? AND time < ?
	  AND event_id NOT IN (SELECT event_id FROM events WHERE app_id = ? AND time >= ? AND time < ?)
	ORDER BY user_id, time, event_id`

// CopyDays implements compact.Stores, rewriting the file of each month
// the days fall in: overwriting makes a rerun of a compaction that died
// simply redo it.
func (e *Engine) CopyDays(ctx context.Context, appID string, from, until time.Time) error {
	e.historyMu.Lock()
	defer e.historyMu.Unlock()
	return months(from, until, func(lo, hi time.Time) error {
		path, err := e.history.monthFile(appID, lo)
		if err != nil {
			return err
		}
		return e.copyTo(ctx, path, copyMonth, appID, lo.Format("2006-01"), lo, appID, lo, hi, appID, lo, hi, appID, lo, hi)
	})
}

// mergeMonth is a month's file with the late events of [lo, hi) it
// lacks. Parameters: app, month; app, lo, hi, app, month.
const mergeMonth = `
	SELECT event_id, user_id, name, time, properties, day FROM history_events WHERE app_id = ? AND month = ?
	UNION ALL
	SELECT event_id, user_id, name, time, properties, CAST(timezone('UTC', time) AS DATE) FROM late_events
	WHERE app_id = ? AND time >= ? AND time < ?
	  AND event_id NOT IN (SELECT event_id FROM history_events WHERE app_id = ? AND month = ?)
	ORDER BY user_id, time, event_id`

// MergeLate implements compact.Stores: each month's file is rewritten
// with the late events of the days it lacks.
func (e *Engine) MergeLate(ctx context.Context, appID string, days []time.Time) error {
	e.historyMu.Lock()
	defer e.historyMu.Unlock()
	for len(days) > 0 {
		lo := days[0]
		hi := time.Date(lo.Year(), lo.Month()+1, 1, 0, 0, 0, 0, time.UTC)
		for len(days) > 0 && days[0].Before(hi) {
			days = days[1:]
		}
		path, err := e.history.monthFile(appID, lo)
		if err != nil {
			return err
		}
		month := lo.Format("2006-01")
		if err := e.copyTo(ctx, path, mergeMonth, appID, month, appID, lo, hi, appID, month); err != nil {
			return err
		}
	}
	return nil
}

// LateEvents implements compact.Stores.
func (e *Engine) LateEvents(ctx context.Context, appID string) ([]record.LateEvent, error) {
	rows, err := e.db.QueryContext(ctx, `SELECT event_id, time FROM late_events WHERE app_id = ?`, appID)
	if err != nil {
		return nil, fmt.Errorf("duckdb: late events: %w", err)
	}
	defer rows.Close()
	var out []record.LateEvent
	for rows.Next() {
		var le record.LateEvent
		if err := rows.Scan(&le.EventID, &le.Day); err != nil {
			return nil, err
		}
		le.Day = day(le.Day)
		out = append(out, le)
	}
	return out, rows.Err()
}

// DeleteLate implements compact.Stores.
func (e *Engine) DeleteLate(ctx context.Context, appID string, late []record.LateEvent) error {
	ids := make([]string, len(late))
	for i, le := range late {
		ids[i] = le.EventID
	}
	return e.write(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `DELETE FROM late_events WHERE app_id = ? AND list_contains(?::VARCHAR[], event_id)`, appID, ids)
		return err
	})
}

// DeleteDays implements compact.Stores.
func (e *Engine) DeleteDays(ctx context.Context, appID string, from, until time.Time) error {
	return e.write(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `DELETE FROM events WHERE app_id = ? AND time >= ? AND time < ?`, appID, from, until)
		return err
	})
}
