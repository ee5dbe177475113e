package duckdb

import (
	"cmp"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	duckdb "github.com/duckdb/duckdb-go/v2"

	"github.com/segmentd/segmentd/internal/compile"
	"github.com/segmentd/segmentd/internal/engine"
	"github.com/segmentd/segmentd/internal/ingest"
	"github.com/segmentd/segmentd/internal/record"
)

// ErrInvalid is returned, wrapped, for a record that cannot be stored (an
// empty ID, a zero time, properties that are no JSON). Records decoded by
// package ingest never are.
var ErrInvalid = errors.New("duckdb: invalid record")

// maxWriteAttempts bounds how often a write is tried when DuckDB reports a
// transaction conflict.
const maxWriteAttempts = 5

// write runs fn in one transaction and commits it: a write is
// acknowledged only once committed, which in a database file means that
// DuckDB has fsynced its write-ahead log.
//
// Writes are serialized by a mutex. Every write advances the app's
// watermark, a single row, so two concurrent write transactions of the
// same app always conflict in DuckDB's optimistic concurrency control (as
// do two batches that create the same user or store the same event_id):
// retrying conflicts instead of taking the lock, writers redo each
// other's work. Measured before group commit: 8 writers of 100-event
// batches stored about half as many events a second without the lock,
// and 2–7% of their batches still failed after maxWriteAttempts. DuckDB
// commits one transaction at a time anyway; group commit (group.go) makes
// that one transaction carry every batch waiting. The bounded retry that
// remains is for writers outside the engine (the same database through
// DB()).
func (e *Engine) write(ctx context.Context, fn func(tx *sql.Tx) error) error {
	e.writeMu.Lock()
	defer e.writeMu.Unlock()
	for attempt := 1; ; attempt++ {
		err := e.writeOnce(ctx, fn)
		if err == nil || !isConflict(err) || attempt == maxWriteAttempts {
			return err
		}
		// Back off, with jitter, before trying again.
		backoff := time.Duration(attempt*attempt) * time.Millisecond
		backoff += rand.N(backoff)
		select {
		case <-time.After(backoff):
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

func (e *Engine) writeOnce(ctx context.Context, fn func(tx *sql.Tx) error) error {
	tx, err := e.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("duckdb: begin: %w", err)
	}
	defer tx.Rollback()
	if err := fn(tx); err != nil {
		return err
	}
	if e.beforeCommit != nil {
		if err := e.beforeCommit(); err != nil {
			return err
		}
	}
	err = tx.Commit()
	e.marks.forget()
	if err != nil {
		return fmt.Errorf("duckdb: commit: %w", err)
	}
	return nil
}

// isConflict reports whether err is DuckDB refusing a transaction because
// a concurrent one changed the same rows ("Conflict on tuple deletion",
// an UPDATE being a deletion and an insertion), or inserted the same key
// first (a constraint error: the writes' own statements never violate a
// key otherwise, as they insert only after looking or with ON CONFLICT).
// Trying again may succeed.
func isConflict(err error) bool {
	var de *duckdb.Error
	return errors.As(err, &de) && (de.Type == duckdb.ErrorTypeTransaction || de.Type == duckdb.ErrorTypeConstraint)
}

// moveWatermark advances the app's watermark to max(now, previous + nµs)
// for a transaction of n writes (several when batches are committed
// together, so that each still moves it by a microsecond): to now, unless
// the clock has not passed that (it stepped back, or writes fell in the
// same microsecond). An app's first write inserts it instead (an UPDATE,
// and an INSERT when it finds nothing, are about three times as fast in
// DuckDB as one INSERT … ON CONFLICT).
const (
	moveWatermark = `UPDATE watermarks SET watermark = greatest(?::TIMESTAMPTZ, watermark + to_microseconds(?::BIGINT))
		WHERE app_id = ? RETURNING watermark`
	insertWatermark = `INSERT INTO watermarks (app_id, watermark) VALUES (?, ?) RETURNING watermark`
)

// statements are the statements of every write, prepared when the engine
// opens: a write then only binds and runs them (preparing the event
// insert costs about as much as running it).
type statements struct {
	insertEvents, insertLate, insertNewLate, upsertSeen, moveWatermark, insertWatermark, getUser, getAttributes *sql.Stmt
}

func (s *statements) all() []**sql.Stmt {
	return []**sql.Stmt{&s.insertEvents, &s.insertLate, &s.insertNewLate, &s.upsertSeen, &s.moveWatermark, &s.insertWatermark, &s.getUser, &s.getAttributes}
}

func (e *Engine) prepare(ctx context.Context) error {
	texts := []string{fmt.Sprintf(insertEvents, "events", ""), fmt.Sprintf(insertEvents, "late_events", onConflict),
		fmt.Sprintf(insertEvents, "late_events", ""), upsertSeen, moveWatermark, insertWatermark, getUser, getAttributes}
	for i, st := range e.stmts.all() {
		var err error
		if *st, err = e.db.PrepareContext(ctx, texts[i]); err != nil {
			return fmt.Errorf("duckdb: preparing: %w", err)
		}
	}
	return nil
}

// advance advances the app's watermark inside the write's transaction tx.
func (e *Engine) advance(ctx context.Context, tx *sql.Tx, appID string) (time.Time, error) {
	return e.advanceBy(ctx, tx, appID, 1)
}

// advanceBy advances the app's watermark inside tx, a transaction of
// writes writes.
func (e *Engine) advanceBy(ctx context.Context, tx *sql.Tx, appID string, writes int) (time.Time, error) {
	var w time.Time
	now := e.now().UTC().Truncate(time.Microsecond)
	err := tx.StmtContext(ctx, e.stmts.moveWatermark).QueryRowContext(ctx, now, writes, appID).Scan(&w)
	if errors.Is(err, sql.ErrNoRows) {
		// The app's first transaction: its writes after the first each
		// take a microsecond too.
		first := now.Add(time.Duration(writes-1) * time.Microsecond)
		err = tx.StmtContext(ctx, e.stmts.insertWatermark).QueryRowContext(ctx, appID, first).Scan(&w)
	}
	if err != nil {
		return time.Time{}, fmt.Errorf("duckdb: watermark: %w", err)
	}
	return w.UTC(), nil
}

// Watermark is the instant of the app's latest acknowledged write (events
// or profiles), zero if the app has no data. Every write that changes data
// advances it in the same transaction, so a query that reads the
// watermark and then the data sees at least what the watermark says.
// It increases strictly, even if the clock steps back: a write sets it
// to max(now, previous + 1µs). A WriteEvents that stores nothing new (a
// retry) leaves it as it is.
func (e *Engine) Watermark(ctx context.Context, appID string) (time.Time, error) {
	if w, ok := e.marks.get(appID); ok {
		return w, nil
	}
	gen := e.marks.generation()
	var w time.Time
	err := e.db.QueryRowContext(ctx, `SELECT watermark FROM watermarks WHERE app_id = ?`, appID).Scan(&w)
	if errors.Is(err, sql.ErrNoRows) {
		return time.Time{}, nil
	}
	if err != nil {
		return time.Time{}, fmt.Errorf("duckdb: watermark: %w", err)
	}
	w = w.UTC()
	e.marks.put(gen, appID, w)
	return w, nil
}

// watermarks caches the apps' watermarks: the engine is their only
// writer, and a cached count needs its app's watermark for the key (the
// query cost more than the rest of a cached count). Every commit forgets
// them all; a value read before a commit is not kept after it (the
// generation changed).
type watermarks struct {
	mu  sync.Mutex
	gen uint64
	m   map[string]time.Time
}

func (c *watermarks) get(appID string) (time.Time, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	w, ok := c.m[appID]
	return w, ok
}

func (c *watermarks) generation() uint64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.gen
}

func (c *watermarks) put(gen uint64, appID string, w time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if gen != c.gen {
		return
	}
	if c.m == nil {
		c.m = map[string]time.Time{}
	}
	c.m[appID] = w
}

func (c *watermarks) forget() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.gen++
	clear(c.m)
}

// insertEvents stores events in a table (events or late_events) and
// returns those it stored. With onConflict it skips the event IDs the app
// already has in late_events; without, it fails on one there (the events
// table has no key: its events are checked before, see dedup.go).
const insertEvents = `
	INSERT INTO %s (app_id, event_id, user_id, name, time, properties)
	SELECT ?, event_id, user_id, name, time, properties::JSON FROM (
		SELECT unnest(?::VARCHAR[]) AS event_id, unnest(?::VARCHAR[]) AS user_id,
			unnest(?::VARCHAR[]) AS name, unnest(?::TIMESTAMPTZ[]) AS time,
			unnest(?::VARCHAR[]) AS properties)
	%s
	RETURNING event_id, user_id, time`

const onConflict = `ON CONFLICT DO NOTHING`

// errStoredBefore is a batch's plain insert of late events failing on an
// event ID that is already stored there.
var errStoredBefore = errors.New("duckdb: an event ID of the batch is stored already")

// upsertSeen creates the users of new events and widens their
// first_seen/last_seen to the new events' times (least and greatest skip
// the NULLs of a user created by a profile write).
const upsertSeen = `
	INSERT INTO users (app_id, user_id, first_seen, last_seen)
	SELECT ?, user_id, first_seen, last_seen FROM (
		SELECT unnest(?::VARCHAR[]) AS user_id, unnest(?::TIMESTAMPTZ[]) AS first_seen,
			unnest(?::TIMESTAMPTZ[]) AS last_seen)
	ON CONFLICT (app_id, user_id) DO UPDATE SET
		first_seen = least(first_seen, excluded.first_seen),
		last_seen = greatest(last_seen, excluded.last_seen)`

// WriteEvents stores a batch of events of an app atomically, in one
// transaction, and returns how many were new. It returns only once the
// transaction has committed: acknowledged means durable.
//
//   - It is idempotent by (app_id, event_id): an event whose event_id the
//     app already has is not stored again (the stored one wins, even if
//     the new one differs), so a retried batch adds nothing. Within a
//     batch, the first event of an event_id wins.
//   - With history (EnableHistory), an event of a day before the horizon
//     goes to the late events table instead, with the same idempotence
//     there; a retry of an event still in the events table that comes
//     after its day passed the horizon is stored there again, and counted
//     as new, but every query reads it once.
//   - It creates the users it does not know (with no attributes), and
//     keeps each user's first_seen/last_seen the least/greatest time of
//     all the user's events, whatever order batches come in.
//   - It advances the app's watermark if it stored anything.
//
// Times are stored in UTC at microsecond precision (truncated). A batch
// that fails, for any reason (an invalid record, a failed commit), stores
// nothing. Concurrent batches are committed together (see commitEvents):
// a context canceled while its batch waits stores nothing; once the batch
// is being written, the call returns the outcome of its commit.
func (e *Engine) WriteEvents(ctx context.Context, appID string, events []record.Event) (inserted int, err error) {
	if len(events) == 0 {
		return 0, nil
	}
	if err := checkText("app_id", appID); err != nil {
		return 0, fmt.Errorf("%w: %v", ErrInvalid, err)
	}
	var horizon time.Time
	if e.history != nil {
		horizon = e.Horizon(e.now())
	}
	var fresh, late columns
	seen := make(map[string]struct{}, len(events))
	for i, ev := range events {
		if err := checkEvent(ev); err != nil {
			return 0, fmt.Errorf("%w: event %d: %v", ErrInvalid, i, err)
		}
		if _, dup := seen[ev.EventID]; dup {
			continue
		}
		seen[ev.EventID] = struct{}{}
		p, err := jsonText(ev.Properties)
		if err != nil {
			return 0, fmt.Errorf("%w: event %d: properties: %v", ErrInvalid, i, err)
		}
		to := &fresh
		if ev.Time.Before(horizon) {
			to = &late
		}
		to.add(ev, p)
	}
	return e.commitEvents(ctx, &eventBatch{appID: appID, fresh: fresh, late: late})
}

// storeEvents stores the events of one app in tx (fresh to the events
// table, late to late_events) by plain inserts or with ON CONFLICT, and
// their users, and calls stored with the ID of each event it stored.
func (e *Engine) storeEvents(ctx context.Context, tx *sql.Tx, appID string, plain bool, fresh, late *columns, stored func(eventID string)) error {
	spans := map[string]*span{}
	var order []string
	fresh, err := e.unstored(ctx, tx, appID, fresh)
	if err != nil {
		return err
	}
	stmtFresh, stmtLate := e.stmts.insertEvents, e.stmts.insertLate
	if plain {
		stmtLate = e.stmts.insertNewLate
	}
	for _, part := range []struct {
		stmt *sql.Stmt
		cols *columns
	}{{stmtFresh, fresh}, {stmtLate, late}} {
		if len(part.cols.ids) == 0 {
			continue
		}
		c := part.cols
		rows, err := tx.StmtContext(ctx, part.stmt).QueryContext(ctx, appID, c.ids, c.users, c.names, c.times, c.props)
		if err == nil {
			err = widen(rows, spans, &order, stored)
		}
		if err != nil {
			var de *duckdb.Error
			if plain && errors.As(err, &de) && de.Type == duckdb.ErrorTypeConstraint {
				return errStoredBefore
			}
			return fmt.Errorf("duckdb: writing events: %w", err)
		}
	}
	if len(order) == 0 {
		return nil // a retry: nothing changes
	}
	firsts, lasts := make([]time.Time, len(order)), make([]time.Time, len(order))
	for i, u := range order {
		firsts[i], lasts[i] = spans[u].first, spans[u].last
	}
	if _, err := tx.StmtContext(ctx, e.stmts.upsertSeen).ExecContext(ctx, appID, order, firsts, lasts); err != nil {
		return fmt.Errorf("duckdb: writing users: %w", err)
	}
	return nil
}

// columns are events as the insert statement binds them.
type columns struct {
	ids, users, names, props []string
	times                    []time.Time
}

func (c *columns) add(ev record.Event, props string) {
	c.ids, c.users, c.names, c.props = append(c.ids, ev.EventID), append(c.users, ev.UserID), append(c.names, ev.Name), append(c.props, props)
	c.times = append(c.times, ev.Time.UTC().Truncate(time.Microsecond))
}

// append adds the j-th event of from.
func (c *columns) append(from *columns, j int) {
	c.ids, c.users, c.names, c.props = append(c.ids, from.ids[j]), append(c.users, from.users[j]), append(c.names, from.names[j]), append(c.props, from.props[j])
	c.times = append(c.times, from.times[j])
}

// span is the least and greatest time of a user's new events.
type span struct{ first, last time.Time }

// widen reads the (event_id, user_id, time) rows an insert returned into
// spans, appending users seen the first time to order, and passes each
// event ID to stored.
func widen(rows *sql.Rows, spans map[string]*span, order *[]string, stored func(eventID string)) error {
	defer rows.Close()
	for rows.Next() {
		var id, u string
		var t time.Time
		if err := rows.Scan(&id, &u, &t); err != nil {
			return err
		}
		stored(id)
		if s, ok := spans[u]; ok {
			if t.Before(s.first) {
				s.first = t
			}
			if t.After(s.last) {
				s.last = t
			}
		} else {
			spans[u] = &span{t, t}
			*order = append(*order, u)
		}
	}
	return rows.Err()
}

func checkEvent(ev record.Event) error {
	if err := checkText("event_id", ev.EventID); err != nil {
		return err
	}
	if err := checkText("user_id", ev.UserID); err != nil {
		return err
	}
	if err := checkText("name", ev.Name); err != nil {
		return err
	}
	if ev.Time.IsZero() {
		return errors.New("no time")
	}
	return nil
}

// checkText checks a string the engine binds as a parameter: DuckDB needs
// valid UTF-8 (the driver crashes binding a list holding anything else).
func checkText(what, s string) error {
	switch {
	case s == "":
		return fmt.Errorf("empty %s", what)
	case !utf8.ValidString(s):
		return fmt.Errorf("%s is not valid UTF-8", what)
	}
	return nil
}

// PutUser replaces a user's attributes, creating the user (with no
// first_seen/last_seen) if the app does not have it, and returns the
// profile as stored: ingest.PutProfile's rules, over ReadProfile and
// SwapProfile. It advances the watermark.
func (e *Engine) PutUser(ctx context.Context, appID, userID string, attrs map[string]any) (record.User, error) {
	return ingest.PutProfile(ctx, e, appID, userID, attrs)
}

// PatchUser merges attrs into a user's attributes, creating the user if
// the app does not have it, and returns the profile as stored:
// ingest.PatchProfile's rules (and limits), over ReadProfile and
// SwapProfile. It advances the watermark.
func (e *Engine) PatchUser(ctx context.Context, appID, userID string, attrs map[string]any) (record.User, error) {
	return ingest.PatchProfile(ctx, e, appID, userID, attrs)
}

// ReadProfile implements ingest.ProfileStore: the version is the
// attributes' stored text.
func (e *Engine) ReadProfile(ctx context.Context, appID, userID string) (map[string]any, ingest.ProfileVersion, error) {
	if err := checkIDs(appID, userID); err != nil {
		return nil, ingest.ProfileVersion{}, err
	}
	var text string
	err := e.stmts.getAttributes.QueryRowContext(ctx, appID, userID).Scan(&text)
	if errors.Is(err, sql.ErrNoRows) {
		return map[string]any{}, ingest.ProfileVersion{}, nil
	}
	if err != nil {
		return nil, ingest.ProfileVersion{}, fmt.Errorf("duckdb: reading user: %w", err)
	}
	var attrs map[string]any
	if err := json.Unmarshal([]byte(text), &attrs); err != nil {
		return nil, ingest.ProfileVersion{}, fmt.Errorf("duckdb: user %q attributes: %w", userID, err)
	}
	return attrs, ingest.ProfileVersion{Exists: true, Text: &text}, nil
}

// errUserExists is SwapProfile's insert finding that a write created the
// user after ReadProfile found none.
var errUserExists = errors.New("duckdb: the user exists already")

// SwapProfile implements ingest.ProfileStore: it updates the user's row
// only if its attributes still have the text read (inserts it only if
// there is still none), and advances the watermark, in one transaction.
func (e *Engine) SwapProfile(ctx context.Context, appID, userID string, attrs map[string]any, v ingest.ProfileVersion) (record.User, bool, error) {
	if err := checkIDs(appID, userID); err != nil {
		return record.User{}, false, err
	}
	text, err := jsonText(attrs)
	if err != nil {
		return record.User{}, false, fmt.Errorf("%w: attributes: %v", ErrInvalid, err)
	}
	var u record.User
	swapped := false
	err = e.write(ctx, func(tx *sql.Tx) error {
		// Read under the write lock, which typing takes too.
		typed := e.typed.get()
		var err error
		if v.Exists {
			u, err = scanUser(typed.row(ctx, tx, typed.swapStmt, typed.swap, text, appID, userID, *v.Text), userID)
		} else {
			u, err = scanUser(typed.row(ctx, tx, typed.insertStmt, typed.insert, appID, userID, text), userID)
			if isConflict(err) {
				return errUserExists
			}
		}
		if errors.Is(err, record.ErrNotFound) {
			return nil // another write came first
		}
		if err != nil {
			return err
		}
		swapped = true
		_, err = e.advance(ctx, tx, appID)
		return err
	})
	if errors.Is(err, errUserExists) {
		return record.User{}, false, nil
	}
	if err != nil {
		return record.User{}, false, err
	}
	return u, swapped, nil
}

func checkIDs(appID, userID string) error {
	if err := cmp.Or(checkText("app_id", appID), checkText("user_id", userID)); err != nil {
		return fmt.Errorf("%w: %v", ErrInvalid, err)
	}
	return nil
}

const (
	getUser       = `SELECT attributes::VARCHAR, first_seen, last_seen FROM users WHERE app_id = ? AND user_id = ?`
	getAttributes = `SELECT attributes::VARCHAR FROM users WHERE app_id = ? AND user_id = ?`
)

// GetUser returns a user's profile: attributes as decoded JSON (numbers
// float64), first_seen and last_seen in UTC (zero for a user without
// events). A user the app does not have is an error wrapping record.ErrNotFound.
func (e *Engine) GetUser(ctx context.Context, appID, userID string) (record.User, error) {
	return scanUser(e.stmts.getUser.QueryRowContext(ctx, appID, userID), userID)
}

// scanUser reads a row of getUser or of a profile write (profileWrites).
func scanUser(row *sql.Row, userID string) (record.User, error) {
	var attrs string
	var first, last sql.NullTime
	err := row.Scan(&attrs, &first, &last)
	if errors.Is(err, sql.ErrNoRows) {
		return record.User{}, fmt.Errorf("user %q %w", userID, record.ErrNotFound)
	}
	if err != nil {
		return record.User{}, fmt.Errorf("duckdb: reading user: %w", err)
	}
	u := record.User{UserID: userID}
	if err := json.Unmarshal([]byte(attrs), &u.Attributes); err != nil {
		return record.User{}, fmt.Errorf("duckdb: user %q attributes: %w", userID, err)
	}
	if first.Valid {
		u.FirstSeen = first.Time.UTC()
	}
	if last.Valid {
		u.LastSeen = last.Time.UTC()
	}
	return u, nil
}

// UserData returns one user's profile and the events reads selects,
// ordered by time and then event_id, read from one snapshot (a write
// cannot fall between the two). It is what a single-user membership check
// evaluates. A user the app does not have is an error wrapping
// record.ErrNotFound.
func (e *Engine) UserData(ctx context.Context, appID, userID string, reads record.Reads) (record.User, []record.Event, error) {
	tx, err := e.db.BeginTx(ctx, nil)
	if err != nil {
		return record.User{}, nil, fmt.Errorf("duckdb: begin: %w", err)
	}
	defer tx.Rollback()
	u, err := scanUser(tx.StmtContext(ctx, e.stmts.getUser).QueryRowContext(ctx, appID, userID), userID)
	if err != nil || (!reads.All && len(reads.Names) == 0) {
		return u, nil, err
	}
	filter, props, args := readFilter(reads, appID, userID)
	// The user's events are found by the row groups' user_id ranges
	// (loadOrder), and by their names' too when reads has names.
	query := `SELECT event_id, name, time, ` + props + ` FROM events
		WHERE app_id = $1 AND user_id = $2` + filter + ` ORDER BY time, event_id`
	if e.history != nil {
		// Every event is in one of the three, or in more (a retry, or a
		// compaction that has not cleaned up yet): one copy of each.
		query = `SELECT event_id, name, time, ` + props + ` FROM (
			SELECT DISTINCT ON (event_id) * FROM (
				SELECT event_id, name, time, properties FROM history_events WHERE app_id = $1 AND user_id = $2` + filter + `
				UNION ALL SELECT event_id, name, time, properties FROM events WHERE app_id = $1 AND user_id = $2` + filter + `
				UNION ALL SELECT event_id, name, time, properties FROM late_events WHERE app_id = $1 AND user_id = $2` + filter + `))
			ORDER BY time, event_id`
	}
	rows, err := tx.QueryContext(ctx, query, args...)
	if err != nil {
		return record.User{}, nil, fmt.Errorf("duckdb: reading events: %w", err)
	}
	defer rows.Close()
	var events []record.Event
	for rows.Next() {
		ev := record.Event{UserID: userID}
		var props sql.NullString
		if err := rows.Scan(&ev.EventID, &ev.Name, &ev.Time, &props); err != nil {
			return record.User{}, nil, fmt.Errorf("duckdb: reading events: %w", err)
		}
		ev.Time = ev.Time.UTC()
		if props.Valid {
			if err := json.Unmarshal([]byte(props.String), &ev.Properties); err != nil {
				return record.User{}, nil, fmt.Errorf("duckdb: event %q properties: %w", ev.EventID, err)
			}
		}
		events = append(events, ev)
	}
	if err := rows.Err(); err != nil {
		return record.User{}, nil, fmt.Errorf("duckdb: reading events: %w", err)
	}
	return u, events, nil
}

// readFilter is UserData's condition on the names of reads (after the
// user's) and its column of properties, NULL for the names whose
// properties are not read, with the parameters of both: $1 the app, $2
// the user, then the names.
func readFilter(reads record.Reads, appID, userID string) (filter, props string, args []any) {
	args = []any{appID, userID}
	if reads.All {
		return "", "properties::VARCHAR", args
	}
	var all, withProps []string
	for _, name := range slices.Sorted(maps.Keys(reads.Names)) {
		args = append(args, name)
		all = append(all, fmt.Sprintf("$%d", len(args)))
		if reads.Names[name] {
			withProps = append(withProps, fmt.Sprintf("$%d", len(args)))
		}
	}
	filter = " AND name IN (" + strings.Join(all, ", ") + ")"
	switch len(withProps) {
	case len(all):
		props = "properties::VARCHAR"
	case 0:
		props = "NULL::VARCHAR"
	default:
		props = "CASE WHEN name IN (" + strings.Join(withProps, ", ") + ") THEN properties::VARCHAR END"
	}
	return filter, props, args
}

// Count runs a compiled segment query and returns how many users it
// selects, counted by DuckDB (SELECT count(*) FROM (query)) rather than
// by fetching the IDs.
func (e *Engine) Count(ctx context.Context, q *compile.SQL) (int64, error) {
	text := strings.TrimRight(strings.TrimSpace(q.Text), "; \t\n")
	var n int64
	if err := e.db.QueryRowContext(ctx, "SELECT count(*) FROM (\n"+text+"\n) AS members", q.Params...).Scan(&n); err != nil {
		return 0, queryFailed(err)
	}
	return n, nil
}

// Counts runs an explain query: one row of counts.
func (e *Engine) Counts(ctx context.Context, q *compile.SQL) ([]int64, error) {
	rows, err := e.db.QueryContext(ctx, q.Text, q.Params...)
	if err != nil {
		return nil, queryFailed(err)
	}
	defer rows.Close()
	n, err := engine.ScanCounts(rows)
	if err != nil {
		return nil, queryFailed(err)
	}
	return n, nil
}

// Ping checks that the database answers.
func (e *Engine) Ping(ctx context.Context) error {
	if err := e.db.PingContext(ctx); err != nil {
		return fmt.Errorf("duckdb: %w", err)
	}
	return nil
}

// DeleteApp deletes every event and user of an app, in one transaction
// (the demo reloads its app with it). If it deleted anything, it advances
// the app's watermark, as the data changed: a watermark is zero only for
// an app that never had data, and never goes back.
func (e *Engine) DeleteApp(ctx context.Context, appID string) error {
	return e.write(ctx, func(tx *sql.Tx) error {
		deleted := int64(0)
		for _, table := range []string{"events", "late_events", "users"} {
			res, err := tx.ExecContext(ctx, `DELETE FROM `+table+` WHERE app_id = ?`, appID)
			if err != nil {
				return fmt.Errorf("duckdb: deleting %s: %w", table, err)
			}
			n, _ := res.RowsAffected()
			deleted += n
		}
		if e.history != nil {
			path, err := e.history.monthFile(appID, time.Time{})
			if err != nil {
				return err
			}
			if err := os.RemoveAll(filepath.Dir(filepath.Dir(path))); err != nil {
				return err
			}
		}
		if deleted == 0 {
			return nil
		}
		_, err := e.advance(ctx, tx, appID)
		return err
	})
}
