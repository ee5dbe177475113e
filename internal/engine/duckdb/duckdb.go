// Package duckdb is the embedded engine: DuckDB in the segmentd process,
// over tables of profiles and events kept in a local database file.
package duckdb

import (
	"cmp"
	"context"
	"database/sql"
	"database/sql/driver"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"path"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	duckdb "github.com/duckdb/duckdb-go/v2"

	"github.com/segmentd/segmentd/internal/compile"
	"github.com/segmentd/segmentd/internal/dataset"
	"github.com/segmentd/segmentd/internal/engine"
	"github.com/segmentd/segmentd/migrations"
)

// Engine is a DuckDB database holding the users and events tables.
type Engine struct {
	db *sql.DB

	// writeMu serializes the engine's writes (see write).
	writeMu sync.Mutex
	// now is the clock of watermarks.
	now func() time.Time
	// beforeCommit, when set by a test, runs just before a write commits;
	// an error fails the write.
	beforeCommit func() error
	// The statements of every write, prepared once (see prepare).
	stmts statements
	// history, when enabled, keeps compacted days in Parquet files.
	history *history
	// historyMu keeps an erasure and the compaction's copies into
	// history files apart (EraseUser).
	historyMu sync.Mutex
	// marks caches the watermarks.
	marks watermarks
	// commits writes the batches of WriteEvents (group.go).
	commits committer
	// ids are the hashes of the event IDs of each app's events table
	// (dedup.go).
	ids eventIDs
	// typed is the attribute keys kept typed (typed.go).
	typed typedColumns
	// props is the property paths kept typed (typedprops.go).
	props typedProps
	// boundary is each app's compaction boundary (with history).
	boundary func(ctx context.Context, appID string) (time.Time, error)
	// unclustered is about how many events ingestion appended since the
	// last recluster, and recluster when the committer sorts them
	// (recluster.go).
	unclustered atomic.Int64
	recluster   reclusterPolicy
	// reclusterAfter, after a recluster failed, is when the committer
	// tries again; only the committer reads and writes it.
	reclusterAfter time.Time
}

// Open opens (creating if needed) the database at path, "" for an
// in-memory one, and applies the schema.
func Open(ctx context.Context, path string) (*Engine, error) {
	// Nothing may reach for the network: extensions are built in.
	setup := "SET autoinstall_known_extensions = false; SET autoload_known_extensions = true"
	if path != "" {
		// A file is attached to an in-memory instance, the one way to
		// give it RowGroupSize; every connection then uses it.
		setup += "; ATTACH IF NOT EXISTS " + compile.Literal(path) + " AS segmentd (ROW_GROUP_SIZE " + strconv.Itoa(RowGroupSize) + "); USE segmentd"
	}
	connector, err := duckdb.NewConnector("", func(c driver.ExecerContext) error {
		_, err := c.ExecContext(ctx, setup, nil)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("duckdb: open %q: %w", path, err)
	}
	e := &Engine{db: sql.OpenDB(connector), now: time.Now, recluster: defaultRecluster}
	if path != "" {
		// Spills go beside the file, as they would had DuckDB opened it:
		// an in-memory instance spills to .tmp in the working directory.
		// Set once: DuckDB refuses to set it again after a spill.
		if _, err := e.db.ExecContext(ctx, "SET GLOBAL temp_directory = "+compile.Literal(path+".tmp")); err != nil {
			e.db.Close()
			return nil, fmt.Errorf("duckdb: temp directory: %w", err)
		}
	}
	if err := cmp.Or(e.setCheckpointThreshold(ctx), e.migrate(ctx), e.loadTyped(ctx), e.loadTypedProps(ctx), e.countUnclustered(ctx)); err != nil {
		e.db.Close()
		return nil, err
	}
	if err := e.prepare(ctx); err != nil {
		e.Close()
		return nil, err
	}
	e.startCommitter()
	return e, nil
}

// RowGroupSize is the rows of a row group of a database file, against
// DuckDB's default of 122,880. A single-user read (UserData) scans, for
// each event name, the row groups whose user_id range holds the user
// (loadOrder): smaller row groups make that scan smaller. Segment queries
// read whole names and windows and took the same time in a test with
// the segbench trees; the file grew by about a quarter.
const RowGroupSize = 16384

// CheckpointThreshold is how much write-ahead log DuckDB gathers before
// it checkpoints (its default is 16 MB). It was chosen when a checkpoint
// also wrote the events' user_id index anew (dropped by migration 0006):
// in the 30M-event database of segbench, four clients posting batches of
// 1,000 events wrote 22,844 events/s with checkpoints every 16 MB and
// 33,631 with 256 MB (36,177 with 1 GB). A larger log takes longer to
// replay when the database opens, so it stays bounded; every commit is
// durable in the log either way.
const CheckpointThreshold = "256MB"

func (e *Engine) setCheckpointThreshold(ctx context.Context) error {
	if _, err := e.db.ExecContext(ctx, "SET GLOBAL checkpoint_threshold = '"+CheckpointThreshold+"'"); err != nil {
		return fmt.Errorf("duckdb: checkpoint threshold: %w", err)
	}
	return nil
}

// migrate applies the files of migrations/duckdb that the database has
// not had, in name order, each in a transaction that records it in
// engine_migrations. The first three are older than that table and
// idempotent (IF NOT EXISTS): a database made before it has them applied
// again, harmlessly, and then the rest.
func (e *Engine) migrate(ctx context.Context) error {
	files, err := fs.Glob(migrations.FS, "duckdb/*.sql")
	if err != nil {
		return err
	}
	sort.Strings(files)
	if _, err := e.db.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS engine_migrations (
		name VARCHAR PRIMARY KEY, applied_at TIMESTAMPTZ NOT NULL)`); err != nil {
		return fmt.Errorf("duckdb: migrations: %w", err)
	}
	for _, f := range files {
		ddl, err := fs.ReadFile(migrations.FS, f)
		if err != nil {
			return err
		}
		name := path.Base(f)
		err = e.writeOnce(ctx, func(tx *sql.Tx) error {
			var done bool
			if err := tx.QueryRowContext(ctx, `SELECT count(*) > 0 FROM engine_migrations WHERE name = ?`, name).Scan(&done); err != nil || done {
				return err
			}
			if _, err := tx.ExecContext(ctx, string(ddl)); err != nil {
				return err
			}
			_, err := tx.ExecContext(ctx, `INSERT INTO engine_migrations VALUES (?, now())`, name)
			return err
		})
		if err != nil {
			return fmt.Errorf("duckdb: applying %s: %w", f, err)
		}
	}
	return nil
}

// Close closes the database.
func (e *Engine) Close() error {
	e.stopCommitter()
	e.typed.get().close()
	for _, st := range e.stmts.all() {
		if *st != nil {
			(*st).Close()
		}
	}
	return e.db.Close()
}

// DB is the underlying database, for the stores that share it.
func (e *Engine) DB() *sql.DB { return e.db }

// Dialect implements engine.Engine.
func (e *Engine) Dialect() *compile.Dialect { return compile.DuckDB }

// Tables implements engine.Engine.
func (e *Engine) Tables() compile.Tables {
	t := compile.DefaultTables
	if e.history != nil {
		t = HistoryTables
	}
	t.Typed = e.typed.get().cols
	if e.history == nil {
		// History's Parquet files have no typed columns.
		t.Numbers = e.props.get()
	}
	// Ingestion and loads make a profile for every user with events
	// (upsertSeen, profileEventUsers), and erasure deletes both.
	t.EventsProfiled = true
	return t
}

// loadOrder is the order in which bulk loads store events (and migration
// 0006 stored those before it): by name, so that a segment query, which
// reads the events of a few names, skips the row groups of the others; then
// by user, so that a single user's events are in a few row groups that
// their user_id statistics point to (UserData, without an index), and the
// queries' aggregation by user meets each user's rows together. Events
// ingested later are appended in arrival order.
const loadOrder = "name, user_id, time"

// profileEventUsers makes a profile, as ingestion does, for each user of
// the app's events who has none: no attributes, first_seen and last_seen
// the user's earliest and latest event times. Without it, a load given
// events of a user it does not give would leave events of no one's, and
// every explain would have to join the users to find them out.
const profileEventUsers = `
	INSERT INTO users (app_id, user_id, first_seen, last_seen)
	SELECT ?, e.user_id, min(e.time), max(e.time)
	FROM (SELECT user_id, time FROM events WHERE app_id = ?
		UNION ALL SELECT user_id, time FROM late_events WHERE app_id = ?) AS e
	ANTI JOIN (SELECT user_id FROM users WHERE app_id = ?) AS u ON u.user_id = e.user_id
	GROUP BY e.user_id`

// Split implements api.Data: without history, events are in one table;
// with it, the query reads history before the app's boundary.
func (e *Engine) Split(ctx context.Context, appID string, _ time.Time) (*compile.Split, error) {
	if e.history == nil {
		return nil, nil
	}
	b, err := e.boundary(ctx, appID)
	if err != nil {
		return nil, err
	}
	return &compile.Split{Boundary: b.Format(time.DateOnly)}, nil
}

// Limits bound what the engine's queries may use: without them DuckDB
// takes 80% of the machine's memory and every core.
type Limits struct {
	// Memory is DuckDB's memory_limit ("4GB"); past it, queries spill to
	// TempDir or fail as too large.
	Memory string
	// Threads is how many threads queries use (0: one a core).
	Threads int
	// TempDir is where queries spill; "" keeps DuckDB's default (beside
	// the database file).
	TempDir string
}

// SetLimits applies limits to the whole database (DuckDB's global
// settings, on every connection of the pool).
func (e *Engine) SetLimits(ctx context.Context, l Limits) error {
	var stmts []string
	if l.Memory != "" {
		stmts = append(stmts, "SET GLOBAL memory_limit = "+quote(l.Memory))
	}
	if l.Threads > 0 {
		stmts = append(stmts, fmt.Sprintf("SET GLOBAL threads = %d", l.Threads))
	}
	if l.TempDir != "" {
		stmts = append(stmts, "SET GLOBAL temp_directory = "+quote(l.TempDir))
	}
	for _, st := range stmts {
		if _, err := e.db.ExecContext(ctx, st); err != nil {
			return fmt.Errorf("duckdb: %s: %w", st, err)
		}
	}
	return nil
}

// quote is a SQL string literal.
func quote(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }

// queryFailed tells what a query's failure means: DuckDB's out of memory
// is a query too large for the configured limit.
func queryFailed(err error) error {
	var de *duckdb.Error
	if errors.As(err, &de) && de.Type == duckdb.ErrorTypeOutOfMemory {
		return fmt.Errorf("duckdb: %w: %s", engine.ErrTooLarge, de.Msg)
	}
	return fmt.Errorf("duckdb: %w", err)
}

// Stream implements engine.Engine. DuckDB tells no progress.
func (e *Engine) Stream(ctx context.Context, q *compile.SQL, _ func(float64), fn func(id string) error) error {
	rows, err := e.db.QueryContext(ctx, engine.Sorted(q), q.Params...)
	if err != nil {
		return queryFailed(err)
	}
	defer rows.Close()
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return err
		}
		if err := fn(id); err != nil {
			return err
		}
	}
	if err := rows.Err(); err != nil {
		return queryFailed(err)
	}
	return ctx.Err()
}

// Members returns every member (tests and tools; the server streams).
func (e *Engine) Members(ctx context.Context, q *compile.SQL) ([]string, error) {
	return engine.Members(ctx, e, q)
}

// Load appends an app's users and events in bulk, through DuckDB's
// appender. It is for an app's initial, generated or imported data; the
// ingestion API writes one batch at a time (WriteEvents). The appender
// would store JSON text as a JSON string, so rows go through staging
// tables with text columns and are parsed on the way in.
//
// Load is one transaction, which also advances the app's watermark: it
// stores everything or nothing. Users keep the first_seen and last_seen
// of d as given. A user or event ID already stored in the app (or given
// twice in d) fails the whole load: use WriteEvents to add to an app.
// A user with events whom d does not give gets a profile as ingestion
// makes one (profileEventUsers). Load holds the write lock while it runs,
// so ingestion waits for it.
func (e *Engine) Load(ctx context.Context, appID string, d *dataset.Data) error {
	e.writeMu.Lock()
	defer e.writeMu.Unlock()
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
	defer conn.ExecContext(context.WithoutCancel(ctx), "DROP TABLE IF EXISTS users_load; DROP TABLE IF EXISTS events_load")
	err = conn.Raw(func(dc any) error {
		c, ok := dc.(driver.Conn)
		if !ok {
			return fmt.Errorf("duckdb: unexpected connection %T", dc)
		}
		if err := appendAll(ctx, c, "users_load", len(d.Users), func(i int) ([]driver.Value, error) {
			u := d.Users[i]
			attrs, err := jsonText(u.Attributes)
			return []driver.Value{appID, u.UserID, attrs, nullTime(u.FirstSeen), nullTime(u.LastSeen)}, err
		}); err != nil {
			return err
		}
		return appendAll(ctx, c, "events_load", len(d.Events), func(i int) ([]driver.Value, error) {
			ev := d.Events[i]
			props, err := jsonText(ev.Properties)
			return []driver.Value{appID, ev.EventID, ev.UserID, ev.Name, ev.Time.UTC(), props}, err
		})
	})
	if err != nil {
		return err
	}
	tx, err := conn.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("duckdb: loading: %w", err)
	}
	defer tx.Rollback()
	// With history, events of days before the horizon are late, as in
	// WriteEvents.
	horizon := time.Date(1, 1, 1, 0, 0, 0, 0, time.UTC)
	if e.history != nil {
		horizon = e.Horizon(e.now())
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO users (app_id, user_id, attributes, first_seen, last_seen)
		SELECT app_id, user_id, attributes::JSON, first_seen, last_seen FROM users_load`); err != nil {
		return fmt.Errorf("duckdb: loading: %w", err)
	}
	cols, values, err := e.propColumns(false)
	if err != nil {
		return fmt.Errorf("duckdb: loading: %w", err)
	}
	for _, insert := range []string{
		`INSERT INTO events (app_id, event_id, user_id, name, time, properties, clustered` + cols + `)
			SELECT app_id, event_id, user_id, name, time, properties, true` + values + `
			FROM (SELECT * REPLACE (properties::JSON AS properties) FROM events_load) AS e WHERE time >= ? ORDER BY ` + loadOrder,
		`INSERT INTO late_events SELECT app_id, event_id, user_id, name, time, properties::JSON FROM events_load WHERE time < ?`,
	} {
		if _, err := tx.ExecContext(ctx, insert, horizon); err != nil {
			return fmt.Errorf("duckdb: loading: %w", err)
		}
	}
	if _, err := tx.ExecContext(ctx, profileEventUsers, appID, appID, appID, appID); err != nil {
		return fmt.Errorf("duckdb: loading: %w", err)
	}
	if err := e.retypeAll(ctx, tx, "app_id = ?", appID); err != nil {
		return fmt.Errorf("duckdb: loading: %w", err)
	}
	if err := e.checkLoaded(ctx, tx, appID); err != nil {
		return err
	}
	if _, err := e.advance(ctx, tx, appID); err != nil {
		return err
	}
	err = tx.Commit()
	e.marks.forget()
	if err != nil {
		return fmt.Errorf("duckdb: loading: %w", err)
	}
	e.checkpointLoad(ctx)
	return nil
}

// checkpointLoad writes a committed bulk load into the database file.
// Under CheckpointThreshold a load stays in the log until later writes
// pass the threshold: it would be replayed on a restart, and the next
// write would pay for the checkpoint (segbench: typing six keys after a
// load took 16.1 s instead of 2.9 s). The load is committed either way,
// so a failed checkpoint does not fail it.
func (e *Engine) checkpointLoad(ctx context.Context) {
	if _, err := e.db.ExecContext(ctx, "CHECKPOINT"); err != nil {
		slog.Warn("duckdb: checkpoint after a load", "err", err)
	}
}

// appendAll appends n rows to table. The rows are made in chunks on every
// CPU (marshaling JSON is most of the work) while the appender, which is
// single-threaded, takes the chunks in order.
func appendAll(ctx context.Context, c driver.Conn, table string, n int, row func(int) ([]driver.Value, error)) error {
	a, err := duckdb.NewAppenderFromConn(c, "", table)
	if err != nil {
		return fmt.Errorf("duckdb: appender for %s: %w", table, err)
	}
	const chunk = 8192
	type result struct {
		rows [][]driver.Value
		err  error
	}
	chunks := (n + chunk - 1) / chunk
	results := make([]chan result, chunks)
	for k := range results {
		results[k] = make(chan result, 1)
	}
	// Chunks being made or made and not yet appended, at most.
	ahead := make(chan struct{}, 2*runtime.GOMAXPROCS(0))
	stop := make(chan struct{})
	defer close(stop)
	go func() {
		for k := range chunks {
			select {
			case ahead <- struct{}{}:
			case <-stop:
				return
			}
			go func() {
				lo, hi := k*chunk, min((k+1)*chunk, n)
				rows := make([][]driver.Value, 0, hi-lo)
				for i := lo; i < hi; i++ {
					vals, err := row(i)
					if err != nil {
						results[k] <- result{err: err}
						return
					}
					rows = append(rows, vals)
				}
				results[k] <- result{rows: rows}
			}()
		}
	}()
	for k := range chunks {
		r := <-results[k]
		<-ahead
		err := r.err
		if err == nil {
			err = ctx.Err()
		}
		for _, vals := range r.rows {
			if err != nil {
				break
			}
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
