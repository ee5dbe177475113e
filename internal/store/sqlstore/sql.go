// Package sqlstore keeps the segment store's records (internal/store) in
// SQL: SQLite in the embedded default, MySQL in production, both through
// jmoiron/sqlx with schemas in migrations/.
package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/go-sql-driver/mysql"
	"github.com/jmoiron/sqlx"
	"github.com/segmentd/segmentd/internal/store"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// SQL is the store on SQLite or MySQL/MariaDB. It is safe for concurrent use.
type SQL struct {
	d dialect
	// w runs every write transaction. On SQLite it has a single connection
	// (one writer at a time in this process) and its transactions begin
	// IMMEDIATE (one writer at a time across processes); on MySQL it is the
	// same pool as r.
	w *sqlx.DB
	// r runs reads, each in a read-only transaction (one snapshot).
	r *sqlx.DB
	// historyLocks are LockHistory's locks on SQLite.
	historyLocks appLocks
}

type dialect struct {
	name string // "sqlite" or "mysql"
	// Suffixes of SELECTs in write transactions that must lock what they
	// read. Empty on SQLite, where the write transaction already excludes
	// every other writer.
	forUpdate string
	forShare  string
	// Options of write transactions.
	writeTx *sql.TxOptions
}

var (
	sqliteDialect = dialect{name: "sqlite", writeTx: &sql.TxOptions{}}
	// MySQL write transactions read committed data: a statement after a
	// lock wait sees what the lock holder committed, not an older snapshot.
	mysqlDialect = dialect{
		name:      "mysql",
		forUpdate: " FOR UPDATE",
		forShare:  " LOCK IN SHARE MODE",
		writeTx:   &sql.TxOptions{Isolation: sql.LevelReadCommitted},
	}
)

// sqliteBusyTimeout is how long a SQLite writer waits for another process's
// write transaction before failing with SQLITE_BUSY.
const sqliteBusyTimeout = 10 * time.Second

// Open connects to the store and applies the pending migrations.
//
//	sqlite:<path>                                   file created if missing (and its folder)
//	mysql://user:pass@tcp(127.0.0.1:3307)/segmentd  any go-sql-driver/mysql DSN after mysql://
func Open(ctx context.Context, dsn string) (*SQL, error) {
	s, err := open(ctx, dsn)
	if err != nil {
		return nil, err
	}
	if err := s.migrate(ctx); err != nil {
		s.Close()
		return nil, err
	}
	return s, nil
}

// Migrate applies the pending migrations of the store at dsn and closes it.
func Migrate(ctx context.Context, dsn string) error {
	s, err := Open(ctx, dsn)
	if err != nil {
		return err
	}
	return s.Close()
}

func open(ctx context.Context, dsn string) (*SQL, error) {
	switch {
	case strings.HasPrefix(dsn, "sqlite:"):
		return openSQLite(ctx, strings.TrimPrefix(dsn, "sqlite:"))
	case strings.HasPrefix(dsn, "mysql://"):
		return openMySQL(ctx, strings.TrimPrefix(dsn, "mysql://"))
	default:
		return nil, fmt.Errorf("store: unsupported DSN %q: want sqlite:<path> or mysql://user:pass@tcp(host:port)/db", redact(dsn))
	}
}

func openSQLite(ctx context.Context, path string) (*SQL, error) {
	path = strings.TrimPrefix(path, "//")
	if path == "" || strings.ContainsAny(path, "?#") || path == ":memory:" {
		return nil, fmt.Errorf("store: sqlite: want a file path, got %q", path)
	}
	if dir := filepath.Dir(path); dir != "" {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return nil, fmt.Errorf("store: sqlite: %w", err)
		}
	}
	// journal_mode is not among the connection pragmas: switching a new file
	// to WAL needs a lock that SQLite may refuse at once (SQLITE_BUSY, no
	// busy wait) while another process does the same; setWAL retries it.
	params := fmt.Sprintf("_pragma=busy_timeout(%d)&_pragma=foreign_keys(1)&_pragma=synchronous(FULL)&_txlock=immediate",
		sqliteBusyTimeout.Milliseconds())
	w, err := sqlx.Open("sqlite", path+"?"+params)
	if err != nil {
		return nil, fmt.Errorf("store: sqlite: %w", err)
	}
	w.SetMaxOpenConns(1)
	w.SetMaxIdleConns(1)
	w.SetConnMaxLifetime(0)
	w.SetConnMaxIdleTime(0)
	// Readers only ever read (query_only), each in a deferred transaction;
	// in WAL mode they do not block the writer nor wait for it.
	r, err := sqlx.Open("sqlite", path+"?"+params+"&_pragma=query_only(1)")
	if err != nil {
		w.Close()
		return nil, fmt.Errorf("store: sqlite: %w", err)
	}
	r.SetMaxOpenConns(4)
	r.SetMaxIdleConns(4)
	s := &SQL{d: sqliteDialect, w: w, r: r}
	// The writer first: it creates the file and switches it to WAL (which
	// the file keeps).
	if err := setWAL(ctx, w); err != nil {
		s.Close()
		return nil, fmt.Errorf("store: sqlite %s: %w", path, err)
	}
	if err := r.PingContext(ctx); err != nil {
		s.Close()
		return nil, fmt.Errorf("store: sqlite %s: %w", path, err)
	}
	return s, nil
}

// setWAL switches the database to WAL mode, retrying while another
// connection holds a lock, for up to sqliteBusyTimeout.
func setWAL(ctx context.Context, db *sqlx.DB) error {
	deadline := time.Now().Add(sqliteBusyTimeout)
	for {
		var mode string
		err := db.GetContext(ctx, &mode, `PRAGMA journal_mode = WAL`)
		if err == nil {
			if !strings.EqualFold(mode, "wal") {
				return fmt.Errorf("journal_mode is %q, not wal", mode)
			}
			return nil
		}
		if !isBusy(err) || time.Now().After(deadline) {
			return err
		}
		select {
		case <-ctx.Done():
			return err
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// mysqlConfig parses a go-sql-driver DSN and sets what the store relies on:
// times as time.Time in UTC, the session in UTC and strict mode.
func mysqlConfig(dsn string) (*mysql.Config, error) {
	cfg, err := mysql.ParseDSN(dsn)
	if err != nil {
		return nil, fmt.Errorf("store: mysql DSN: %w", err)
	}
	if cfg.DBName == "" {
		return nil, errors.New("store: mysql DSN names no database (…/dbname)")
	}
	cfg.ParseTime = true
	cfg.Loc = time.UTC
	cfg.MultiStatements = false
	if cfg.Timeout == 0 {
		cfg.Timeout = 5 * time.Second
	}
	if cfg.Params == nil {
		cfg.Params = map[string]string{}
	}
	if _, ok := cfg.Params["time_zone"]; !ok {
		cfg.Params["time_zone"] = "'+00:00'"
	}
	if _, ok := cfg.Params["sql_mode"]; !ok {
		cfg.Params["sql_mode"] = "'STRICT_ALL_TABLES,NO_ZERO_IN_DATE,NO_ZERO_DATE,ERROR_FOR_DIVISION_BY_ZERO,NO_ENGINE_SUBSTITUTION'"
	}
	if cfg.Collation == "" {
		cfg.Collation = "utf8mb4_unicode_ci"
	}
	return cfg, nil
}

func openMySQL(ctx context.Context, dsn string) (*SQL, error) {
	cfg, err := mysqlConfig(dsn)
	if err != nil {
		return nil, err
	}
	conn, err := mysql.NewConnector(cfg)
	if err != nil {
		return nil, fmt.Errorf("store: mysql: %w", err)
	}
	db := sqlx.NewDb(sql.OpenDB(conn), "mysql")
	db.SetMaxOpenConns(32)
	db.SetMaxIdleConns(8)
	db.SetConnMaxLifetime(5 * time.Minute)
	db.SetConnMaxIdleTime(time.Minute)
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("store: mysql %s@%s/%s: %w", cfg.User, cfg.Addr, cfg.DBName, err)
	}
	return &SQL{d: mysqlDialect, w: db, r: db}, nil
}

// redact hides a password in a DSN for error messages.
func redact(dsn string) string {
	at := strings.LastIndex(dsn, "@")
	if at < 0 {
		return dsn
	}
	head := dsn[:at]
	if i := strings.Index(head, "://"); i >= 0 {
		head = head[i+3:]
	}
	if c := strings.Index(head, ":"); c >= 0 {
		return strings.Replace(dsn, head, head[:c]+":***", 1)
	}
	return dsn
}

// Ping checks that the database answers.
func (s *SQL) Ping(ctx context.Context) error {
	if err := s.w.PingContext(ctx); err != nil {
		return fmt.Errorf("store: ping: %w", err)
	}
	if s.r != s.w {
		if err := s.r.PingContext(ctx); err != nil {
			return fmt.Errorf("store: ping: %w", err)
		}
	}
	return nil
}

// Close closes the connections.
func (s *SQL) Close() error {
	err := s.w.Close()
	if s.r != s.w {
		if e := s.r.Close(); err == nil {
			err = e
		}
	}
	return err
}

// write runs fn in a write transaction and commits it. On MySQL a
// transaction chosen as a deadlock victim is run again from the start (fn
// must not keep state between calls).
func (s *SQL) write(ctx context.Context, fn func(tx *sqlx.Tx) error) error {
	const attempts = 8
	for i := 1; ; i++ {
		err := s.writeOnce(ctx, fn)
		if err == nil || i == attempts || !s.retryable(err) {
			return err
		}
		backoff := time.Duration(i*i) * 2 * time.Millisecond
		select {
		case <-ctx.Done():
			return err
		case <-time.After(backoff):
		}
	}
}

func (s *SQL) writeOnce(ctx context.Context, fn func(tx *sqlx.Tx) error) error {
	tx, err := s.w.BeginTxx(ctx, s.d.writeTx)
	if err != nil {
		return fmt.Errorf("store: begin: %w", err)
	}
	if err := fn(tx); err != nil {
		tx.Rollback()
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("store: commit: %w", err)
	}
	return nil
}

// read runs fn in a read-only transaction: every query of fn sees the same
// snapshot.
func (s *SQL) read(ctx context.Context, fn func(tx *sqlx.Tx) error) error {
	tx, err := s.r.BeginTxx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return fmt.Errorf("store: begin: %w", err)
	}
	defer tx.Rollback()
	if err := fn(tx); err != nil {
		return err
	}
	return tx.Commit()
}

// retryable: MySQL deadlock victim (1213), which InnoDB has rolled back.
func (s *SQL) retryable(err error) bool {
	var me *mysql.MySQLError
	return errors.As(err, &me) && me.Number == 1213
}

// isDuplicate: a primary key or unique constraint was violated.
func isDuplicate(err error) bool {
	var me *mysql.MySQLError
	if errors.As(err, &me) {
		return me.Number == 1062
	}
	var se *sqlite.Error
	if errors.As(err, &se) {
		return se.Code() == sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY || se.Code() == sqlite3.SQLITE_CONSTRAINT_UNIQUE
	}
	return false
}

// isBusy: SQLite refused a lock (SQLITE_BUSY or SQLITE_LOCKED, any
// extended code).
func isBusy(err error) bool {
	var se *sqlite.Error
	if errors.As(err, &se) {
		c := se.Code() & 0xff
		return c == sqlite3.SQLITE_BUSY || c == sqlite3.SQLITE_LOCKED
	}
	return false
}

// isForeignKey: a foreign key constraint was violated (the parent is gone).
func isForeignKey(err error) bool {
	var me *mysql.MySQLError
	if errors.As(err, &me) {
		return me.Number == 1452 || me.Number == 1216
	}
	var se *sqlite.Error
	if errors.As(err, &se) {
		return se.Code() == sqlite3.SQLITE_CONSTRAINT_FOREIGNKEY
	}
	return false
}

// now is the store's clock: UTC, microsecond precision (what both
// databases keep), no monotonic reading.
func now() time.Time { return time.Now().UTC().Truncate(time.Microsecond) }

// sqliteTime is how times are kept in SQLite: fixed width, so that text
// order is time order.
const sqliteTime = "2006-01-02T15:04:05.000000Z"

// timeArg converts a time for the database.
func (s *SQL) timeArg(t time.Time) any {
	t = t.UTC().Truncate(time.Microsecond)
	if s.d.name == "sqlite" {
		return t.Format(sqliteTime)
	}
	return t
}

// dbTime scans a time as either database returns it.
type dbTime struct{ time.Time }

func (d *dbTime) Scan(v any) error {
	switch x := v.(type) {
	case time.Time:
		d.Time = x.UTC()
		return nil
	case string:
		return d.parse(x)
	case []byte:
		return d.parse(string(x))
	case nil:
		d.Time = time.Time{}
		return nil
	}
	return fmt.Errorf("store: cannot scan %T into a time", v)
}

func (d *dbTime) parse(s string) error {
	for _, layout := range []string{sqliteTime, time.RFC3339Nano, "2006-01-02 15:04:05.999999999"} {
		if t, err := time.Parse(layout, s); err == nil {
			d.Time = t.UTC()
			return nil
		}
	}
	return fmt.Errorf("store: cannot parse time %q", s)
}

func checkID(what, id string, max int) error {
	if id == "" {
		return fmt.Errorf("store: empty %s: %w", what, store.ErrInvalid)
	}
	if len(id) > max {
		return fmt.Errorf("store: %s longer than %d bytes: %w", what, max, store.ErrInvalid)
	}
	return nil
}
