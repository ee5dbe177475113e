// Package trino is the distributed engine: compiled segment SQL run on
// Trino (trinodb/trino-go-client) over fresh events and profiles in
// Cassandra and history as Parquet on S3.
package trino

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/trinodb/trino-go-client/trino"

	"github.com/segmentd/segmentd/internal/compile"
	"github.com/segmentd/segmentd/internal/engine"
	"github.com/segmentd/segmentd/migrations"
)

// Config says where Trino is and what it may spend on one query.
type Config struct {
	// DSN is Trino's address as trino-go-client reads it:
	// http://user@host:port (catalog and schema are named in Tables).
	DSN string
	// Tables are the fresh store's users and events (Cassandra), the
	// history of events (hive) and the late events.
	Tables compile.Tables
	// HistoryLocation is the S3 location of the history schema
	// (s3://bucket/prefix/).
	HistoryLocation string
	// QueryTimeout and MaxScanBytes become the session properties
	// query_max_execution_time and query_max_scan_physical_bytes of every
	// query, so that Trino itself stops a runaway query.
	QueryTimeout time.Duration
	MaxScanBytes int64
	// MaxMemory becomes query_max_memory ("1GB"): past it, Trino fails
	// the query as too large rather than let it crowd out the others.
	MaxMemory string
}

// DefaultTables are the tables of deploy/trino's catalogs.
var DefaultTables = compile.Tables{
	Users: "cassandra.segmentd.users", Events: "cassandra.segmentd.events",
	History: "hive.segmentd.events_history", Late: "cassandra.segmentd.late_events",
}

// Engine runs queries on Trino.
type Engine struct {
	db  *sql.DB
	cfg Config
	// boundary and buckets split an app's events (SplitBy).
	boundary func(ctx context.Context, appID string) (time.Time, error)
	buckets  int
}

// Open connects (checking that Trino answers), and creates the history
// schema and table if they are missing.
func Open(ctx context.Context, cfg Config) (*Engine, error) {
	if cfg.Tables.Users == "" {
		cfg.Tables = DefaultTables
	}
	dsn, err := withSession(cfg)
	if err != nil {
		return nil, err
	}
	db, err := sql.Open("trino", dsn)
	if err != nil {
		return nil, fmt.Errorf("trino: %w", err)
	}
	e := &Engine{db: db, cfg: cfg}
	if err := e.Ping(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("trino at %s is unreachable: %w", redact(cfg.DSN), err)
	}
	if err := e.migrate(ctx); err != nil {
		db.Close()
		return nil, err
	}
	return e, nil
}

// Session opens another connection pool whose session also sets props
// (compaction's hive.insert_existing_partitions_behavior, say).
func (e *Engine) Session(props map[string]string) (*sql.DB, error) {
	cfg := e.cfg
	u, err := url.Parse(cfg.DSN)
	if err != nil {
		return nil, err
	}
	q := u.Query()
	var extra []string
	for k, v := range props {
		extra = append(extra, k+":"+v)
	}
	sort.Strings(extra)
	if old := q.Get("session_properties"); old != "" {
		extra = append([]string{old}, extra...)
	}
	q.Set("session_properties", strings.Join(extra, ";"))
	u.RawQuery = q.Encode()
	cfg.DSN = u.String()
	dsn, err := withSession(cfg)
	if err != nil {
		return nil, err
	}
	return sql.Open("trino", dsn)
}

// withSession adds the limits to the DSN as session properties.
func withSession(cfg Config) (string, error) {
	u, err := url.Parse(cfg.DSN)
	if err != nil {
		return "", fmt.Errorf("trino: DSN: %w", err)
	}
	q := u.Query()
	var props []string
	if cfg.QueryTimeout > 0 {
		props = append(props, fmt.Sprintf("query_max_execution_time:%ds", int(cfg.QueryTimeout.Seconds())))
	}
	if cfg.MaxScanBytes > 0 {
		props = append(props, fmt.Sprintf("query_max_scan_physical_bytes:%dB", cfg.MaxScanBytes))
	}
	if cfg.MaxMemory != "" {
		props = append(props, "query_max_memory:"+cfg.MaxMemory)
	}
	if len(props) > 0 {
		if old := q.Get("session_properties"); old != "" {
			props = append([]string{old}, props...)
		}
		q.Set("session_properties", strings.Join(props, ";"))
	}
	u.RawQuery = q.Encode()
	return u.String(), nil
}

func redact(dsn string) string {
	u, err := url.Parse(dsn)
	if err != nil {
		return "(unparsable DSN)"
	}
	return u.Redacted()
}

var nameRE = regexp.MustCompile(`^[a-z_][a-z0-9_]*$`)

// migrate creates the history schema and table in the history's catalog.
func (e *Engine) migrate(ctx context.Context) error {
	parts := strings.Split(e.cfg.Tables.History, ".")
	if len(parts) != 3 || !nameRE.MatchString(parts[0]) || !nameRE.MatchString(parts[1]) {
		return fmt.Errorf("trino: history table %q: want catalog.schema.table", e.cfg.Tables.History)
	}
	if !regexp.MustCompile(`^s3://[a-z0-9.-]+/[A-Za-z0-9_./-]*$`).MatchString(e.cfg.HistoryLocation) {
		return fmt.Errorf("trino: history location %q: want s3://bucket/prefix/", e.cfg.HistoryLocation)
	}
	files, err := fs.Glob(migrations.FS, "trino/*.sql")
	if err != nil {
		return err
	}
	sort.Strings(files)
	r := strings.NewReplacer("{{catalog}}", parts[0], "{{schema}}", parts[1], "{{location}}", e.cfg.HistoryLocation)
	for _, f := range files {
		b, err := fs.ReadFile(migrations.FS, f)
		if err != nil {
			return err
		}
		for _, stmt := range strings.Split(r.Replace(string(b)), ";") {
			if stmt = stripComments(stmt); stmt == "" {
				continue
			}
			if _, err := e.db.ExecContext(ctx, stmt); err != nil {
				return fmt.Errorf("trino: applying %s: %w", f, err)
			}
		}
	}
	return nil
}

func stripComments(stmt string) string {
	var lines []string
	for _, l := range strings.Split(stmt, "\n") {
		if !strings.HasPrefix(strings.TrimSpace(l), "--") {
			lines = append(lines, l)
		}
	}
	return strings.TrimSpace(strings.Join(lines, "\n"))
}

// Close closes the connections.
func (e *Engine) Close() error { return e.db.Close() }

// DB is the connection pool, for compaction.
func (e *Engine) DB() *sql.DB { return e.db }

// Ping checks that Trino answers a query.
func (e *Engine) Ping(ctx context.Context) error {
	var one int
	return e.db.QueryRowContext(ctx, "SELECT 1").Scan(&one)
}

// Dialect implements engine.Engine.
func (e *Engine) Dialect() *compile.Dialect { return compile.Trino }

// Tables implements engine.Engine.
func (e *Engine) Tables() compile.Tables { return e.cfg.Tables }

// progressUpdater passes a query's progress, from 0 to 1, to a function.
type progressUpdater func(fraction float64)

func (p progressUpdater) Update(info trino.QueryProgressInfo) {
	if info.QueryStats.State == "FINISHED" {
		p(1)
		return
	}
	p(min(1, max(0, float64(info.QueryStats.ProgressPercentage)/100)))
}

// args are the query's parameters, with the progress callback when one is
// given.
func args(q *compile.SQL, progress func(float64)) []any {
	a := slices.Clone(q.Params)
	for i, v := range a {
		if f, ok := v.(float64); ok {
			// The client refuses float64 (a decimal literal would not be
			// a double); an exponent makes the literal a DOUBLE, exactly.
			a[i] = trino.Numeric(strconv.FormatFloat(f, 'e', -1, 64))
		}
	}
	if progress != nil {
		a = append(a,
			sql.Named("X-Trino-Progress-Callback", trino.ProgressUpdater(progressUpdater(progress))),
			sql.Named("X-Trino-Progress-Callback-Period", time.Second))
	}
	return a
}

// Stream implements engine.Engine. Canceling ctx cancels the query in
// Trino too (the client sends its DELETE).
func (e *Engine) Stream(ctx context.Context, q *compile.SQL, progress func(float64), fn func(id string) error) error {
	rows, err := e.db.QueryContext(ctx, engine.Sorted(q), args(q, progress)...)
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
	// The client ends the rows quietly when the context is canceled: a
	// partial list must not pass for the answer.
	return ctx.Err()
}

// Members returns every member (tests and tools; the server streams).
func (e *Engine) Members(ctx context.Context, q *compile.SQL) ([]string, error) {
	return engine.Members(ctx, e, q)
}

// Explain returns Trino's plan of a compiled query. EXPLAIN takes no
// parameters here, so the values are written in as literals.
func (e *Engine) Explain(ctx context.Context, q *compile.SQL) (string, error) {
	return e.explain(ctx, "EXPLAIN ", q)
}

// explain runs an EXPLAIN statement (explain, with its options) of q.
func (e *Engine) explain(ctx context.Context, explain string, q *compile.SQL) (string, error) {
	a := args(q, nil)
	text, err := q.Inline(func(i int) (string, error) { return trino.Serial(a[i]) })
	if err != nil {
		return "", err
	}
	rows, err := e.db.QueryContext(ctx, explain+text)
	if err != nil {
		return "", fmt.Errorf("trino: %w", err)
	}
	defer rows.Close()
	var plan strings.Builder
	for rows.Next() {
		var line string
		if err := rows.Scan(&line); err != nil {
			return "", err
		}
		plan.WriteString(line)
	}
	return plan.String(), rows.Err()
}

// Count runs a compiled segment query and returns how many users it
// selects.
func (e *Engine) Count(ctx context.Context, q *compile.SQL) (int64, error) {
	var n int64
	err := e.db.QueryRowContext(ctx, "SELECT count(*) FROM ("+q.Text+") AS segment", args(q, nil)...).Scan(&n)
	if ctx.Err() != nil {
		return 0, ctx.Err()
	}
	if err != nil {
		return 0, queryFailed(err)
	}
	return n, nil
}

// Counts runs an explain query: one row of counts.
func (e *Engine) Counts(ctx context.Context, q *compile.SQL) ([]int64, error) {
	rows, err := e.db.QueryContext(ctx, q.Text, args(q, nil)...)
	if err == nil {
		defer rows.Close()
		var n []int64
		if n, err = engine.ScanCounts(rows); err == nil {
			return n, nil
		}
	}
	if ctx.Err() != nil {
		return nil, ctx.Err()
	}
	return nil, queryFailed(err)
}

// queryFailed tells what a query's failure means (engine.ErrTooLarge,
// engine.ErrTimeout), by Trino's error name and type.
func queryFailed(err error) error {
	var te *trino.ErrTrino
	if errors.As(err, &te) {
		switch {
		case te.ErrorName == "EXCEEDED_TIME_LIMIT":
			return fmt.Errorf("trino: %w: %s", engine.ErrTimeout, te.Message)
		case te.ErrorType == "INSUFFICIENT_RESOURCES", te.ErrorName == "QUERY_HAS_TOO_MANY_STAGES",
			strings.HasPrefix(te.ErrorName, "EXCEEDED_"):
			return fmt.Errorf("trino: %w: %s (%s)", engine.ErrTooLarge, te.Message, te.ErrorName)
		}
	}
	return fmt.Errorf("trino: %w", err)
}

// SplitBy sets where queries read an app's events: history before the
// app's compaction boundary (a UTC day), the fresh store's buckets
// partitions of each day from it. Call it before the first query.
func (e *Engine) SplitBy(boundary func(ctx context.Context, appID string) (time.Time, error), buckets int) {
	e.boundary, e.buckets = boundary, buckets
}

// Split implements engine.Engine (SplitBy).
func (e *Engine) Split(ctx context.Context, appID string, asOf time.Time) (*compile.Split, error) {
	if e.boundary == nil {
		return nil, fmt.Errorf("trino: where app %s's events are split is not set (SplitBy)", appID)
	}
	b, err := e.boundary(ctx, appID)
	if err != nil {
		return nil, err
	}
	return Split(b, asOf, e.buckets), nil
}

// Split returns how a query at asOf reads the events of an app whose
// history ends before boundary (a UTC day): the fresh days from the
// boundary to as_of's day, every bucket of them.
func Split(boundary, asOf time.Time, buckets int) *compile.Split {
	s := &compile.Split{Boundary: boundary.Format(time.DateOnly), Buckets: buckets}
	last := asOf.UTC()
	for d := boundary; !d.After(last); d = d.AddDate(0, 0, 1) {
		s.FreshDays = append(s.FreshDays, d.Format(time.DateOnly))
	}
	return s
}
