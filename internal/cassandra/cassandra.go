// Package cassandra is the fresh store of the distributed path: events
// and profiles written by the ingestion API into Cassandra (gocql), read
// by Trino for segments and directly for one user. The schema is
// migrations/cassandra.
package cassandra

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"io/fs"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	gocql "github.com/apache/cassandra-gocql-driver/v2"

	"github.com/segmentd/segmentd/internal/ingest"
	"github.com/segmentd/segmentd/internal/record"
	"github.com/segmentd/segmentd/migrations"
)

// Config says where the store is and how it partitions.
type Config struct {
	Hosts    []string
	Keyspace string
	// Replication is the keyspace's replication map, used only when
	// segmentd creates the keyspace; empty is SimpleStrategy with one
	// replica (a single local node).
	Replication string
	// Buckets is the number of partitions per app and day (events) and per
	// app (profiles). It is fixed for the life of the data.
	Buckets int
	// CompactAge is the age past which days are compacted into history:
	// an event for an older day is a late event.
	CompactAge time.Duration
	// Timeout bounds each statement.
	Timeout time.Duration
}

// Defaults of Config.
const (
	DefaultKeyspace   = "segmentd"
	DefaultBuckets    = 16
	DefaultCompactAge = 48 * time.Hour
)

// Store is the fresh store.
type Store struct {
	s   *gocql.Session
	cfg Config
	now func() time.Time
	// rounds gathers the watermark moves of concurrent writes.
	rounds rounds
}

var keyspaceRE = regexp.MustCompile(`^[a-z][a-z0-9_]{0,47}$`)

// Open connects, creates the keyspace if it is missing and applies the
// schema.
func Open(ctx context.Context, cfg Config) (*Store, error) {
	if cfg.Keyspace == "" {
		cfg.Keyspace = DefaultKeyspace
	}
	if !keyspaceRE.MatchString(cfg.Keyspace) {
		return nil, fmt.Errorf("cassandra: keyspace %q: want %s", cfg.Keyspace, keyspaceRE)
	}
	if cfg.Buckets <= 0 {
		cfg.Buckets = DefaultBuckets
	}
	if cfg.CompactAge <= 0 {
		cfg.CompactAge = DefaultCompactAge
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = 10 * time.Second
	}
	if cfg.Replication == "" {
		cfg.Replication = "{'class': 'SimpleStrategy', 'replication_factor': 1}"
	}
	cluster := gocql.NewCluster(cfg.Hosts...)
	cluster.Timeout = cfg.Timeout
	cluster.ConnectTimeout = cfg.Timeout
	cluster.Consistency = gocql.Quorum
	session, err := cluster.CreateSession()
	if err != nil {
		return nil, fmt.Errorf("cassandra at %s is unreachable: %w", strings.Join(cfg.Hosts, ","), err)
	}
	st := &Store{s: session, cfg: cfg, now: time.Now}
	if err := st.migrate(ctx); err != nil {
		session.Close()
		return nil, err
	}
	return st, nil
}

func (st *Store) migrate(ctx context.Context) error {
	ks := "CREATE KEYSPACE IF NOT EXISTS " + st.cfg.Keyspace + " WITH replication = " + st.cfg.Replication
	if err := st.s.Query(ks).ExecContext(ctx); err != nil {
		return fmt.Errorf("cassandra: creating keyspace: %w", err)
	}
	files, err := fs.Glob(migrations.FS, "cassandra/*.cql")
	if err != nil {
		return err
	}
	sort.Strings(files)
	for _, f := range files {
		b, err := fs.ReadFile(migrations.FS, f)
		if err != nil {
			return err
		}
		for _, stmt := range statements(string(b)) {
			stmt = strings.ReplaceAll(stmt, "{{keyspace}}", st.cfg.Keyspace)
			if err := st.s.Query(stmt).ExecContext(ctx); err != nil {
				return fmt.Errorf("cassandra: applying %s: %w", f, err)
			}
		}
	}
	return nil
}

// statements splits a CQL file at semicolons, dropping comment lines.
func statements(cql string) []string {
	var lines []string
	for _, l := range strings.Split(cql, "\n") {
		if !strings.HasPrefix(strings.TrimSpace(l), "--") {
			lines = append(lines, l)
		}
	}
	var out []string
	for _, s := range strings.Split(strings.Join(lines, "\n"), ";") {
		if s = strings.TrimSpace(s); s != "" {
			out = append(out, s)
		}
	}
	return out
}

// SetNow replaces the clock (tests and tools that replay history).
func (st *Store) SetNow(now func() time.Time) { st.now = now }

// Close closes the session.
func (st *Store) Close() { st.s.Close() }

// Ping checks that the cluster answers.
func (st *Store) Ping(ctx context.Context) error {
	return st.s.Query("SELECT release_version FROM system.local").ExecContext(ctx)
}

// Config returns the configuration in force (defaults filled in).
func (st *Store) Config() Config { return st.cfg }

// Bucket is the partition of a key (an event_id, or a user_id): "0" to
// Buckets-1, as text (see the schema).
func (st *Store) Bucket(key string) string {
	h := fnv.New32a()
	_, _ = h.Write([]byte(key))
	return strconv.Itoa(int(h.Sum32() % uint32(st.cfg.Buckets)))
}

// Horizon is the first day that is not compacted yet at now: an event of
// an earlier day is late.
func (st *Store) Horizon(now time.Time) time.Time {
	return Day(now.Add(-st.cfg.CompactAge))
}

// Day is the UTC day of t, at midnight.
func Day(t time.Time) time.Time {
	y, m, d := t.UTC().Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

// maxTimestamp inverts first_seen's write timestamp: the earliest event
// gets the largest timestamp and so wins.
const maxTimestamp = int64(1) << 62

// WriteEvents stores a batch and acknowledges it only when every write has
// succeeded (at QUORUM). Each event goes to its day's partition (or, for a
// day older than the horizon, to late_events) and to its user's
// partition; retrying writes the same rows, so it adds nothing. It returns
// the number of events stored, retries included: Cassandra's upserts do
// not tell a new row from a rewritten one.
func (st *Store) WriteEvents(ctx context.Context, appID string, events []record.Event) (int, error) {
	ks := st.cfg.Keyspace
	horizon := st.Horizon(st.now())
	type span struct{ first, last time.Time }
	users := map[string]span{}
	var stmts []*gocql.Query
	for _, ev := range events {
		props, err := json.Marshal(ev.Properties)
		if err != nil {
			return 0, err
		}
		if ev.Properties == nil {
			props = []byte("{}")
		}
		t := ev.Time.UTC().Truncate(time.Millisecond)
		day := Day(t)
		if day.Before(horizon) {
			stmts = append(stmts, st.s.Query("INSERT INTO "+ks+".late_events (app_id, bucket, event_id, day, time, user_id, name, properties) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
				appID, st.Bucket(ev.EventID), ev.EventID, day.Format(time.DateOnly), t, ev.UserID, ev.Name, string(props)))
		} else {
			stmts = append(stmts, st.s.Query("INSERT INTO "+ks+".events (app_id, day, bucket, time, event_id, user_id, name, properties) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
				appID, day.Format(time.DateOnly), st.Bucket(ev.EventID), t, ev.EventID, ev.UserID, ev.Name, string(props)))
		}
		stmts = append(stmts, st.s.Query("INSERT INTO "+ks+".events_by_user (app_id, user_id, time, event_id, name, properties) VALUES (?, ?, ?, ?, ?, ?)",
			appID, ev.UserID, t, ev.EventID, ev.Name, string(props)))
		sp, ok := users[ev.UserID]
		if !ok || t.Before(sp.first) {
			sp.first = t
		}
		if !ok || t.After(sp.last) {
			sp.last = t
		}
		users[ev.UserID] = sp
	}
	ids := make([]string, 0, len(users))
	for user := range users {
		ids = append(ids, user)
	}
	gens, err := st.gens(ctx, appID, ids)
	if err != nil {
		return 0, err
	}
	for user, sp := range users {
		b := st.Bucket(user)
		last, _ := seenStamps(sp.last, gens[user])
		_, first := seenStamps(sp.first, gens[user])
		stmts = append(stmts,
			st.s.Query("UPDATE "+ks+".users SET last_seen = ? WHERE app_id = ? AND bucket = ? AND user_id = ?", sp.last, appID, b, user).
				WithTimestamp(last),
			st.s.Query("UPDATE "+ks+".users SET first_seen = ? WHERE app_id = ? AND bucket = ? AND user_id = ?", sp.first, appID, b, user).
				WithTimestamp(first))
	}
	if err := st.execAll(ctx, stmts); err != nil {
		return 0, err
	}
	if _, err := st.advance(ctx, appID); err != nil {
		return 0, err
	}
	return len(events), nil
}

// execAll runs statements concurrently, a bounded number at a time, and
// returns the first error.
func (st *Store) execAll(ctx context.Context, stmts []*gocql.Query) error {
	const inFlight = 64
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	sem := make(chan struct{}, inFlight)
	var wg sync.WaitGroup
	var once sync.Once
	var first error
	for _, q := range stmts {
		select {
		case sem <- struct{}{}:
		case <-ctx.Done():
		}
		if ctx.Err() != nil {
			break
		}
		wg.Add(1)
		go func(q *gocql.Query) {
			defer wg.Done()
			defer func() { <-sem }()
			if err := q.ExecContext(ctx); err != nil {
				once.Do(func() { first = err; cancel() })
			}
		}(q)
	}
	wg.Wait()
	if first != nil {
		return fmt.Errorf("cassandra: write: %w", first)
	}
	return ctx.Err()
}

// GetUser returns a profile.
func (st *Store) GetUser(ctx context.Context, appID, userID string) (record.User, error) {
	var attrs *string
	var first, last *time.Time
	err := st.s.Query("SELECT attributes, first_seen, last_seen FROM "+st.cfg.Keyspace+".users WHERE app_id = ? AND bucket = ? AND user_id = ?",
		appID, st.Bucket(userID), userID).ScanContext(ctx, &attrs, &first, &last)
	if errors.Is(err, gocql.ErrNotFound) {
		return record.User{}, fmt.Errorf("user %q: %w", userID, record.ErrNotFound)
	}
	if err != nil {
		return record.User{}, err
	}
	u := record.User{UserID: userID}
	if u.Attributes, err = decodeAttributes(userID, attrs); err != nil {
		return record.User{}, err
	}
	if first != nil {
		u.FirstSeen = first.UTC()
	}
	if last != nil {
		u.LastSeen = last.UTC()
	}
	return u, nil
}

// decodeAttributes decodes a user's stored attributes, {} for none (a
// user made by events).
func decodeAttributes(userID string, text *string) (map[string]any, error) {
	attrs := map[string]any{}
	if text != nil {
		if err := json.Unmarshal([]byte(*text), &attrs); err != nil {
			return nil, fmt.Errorf("cassandra: user %q: attributes: %w", userID, err)
		}
	}
	return attrs, nil
}

// PutUser replaces a profile's attributes, creating the user:
// ingest.PutProfile's rules, over ReadProfile and SwapProfile.
func (st *Store) PutUser(ctx context.Context, appID, userID string, attrs map[string]any) (record.User, error) {
	return ingest.PutProfile(ctx, st, appID, userID, attrs)
}

// PatchUser merges attributes into a profile, creating the user:
// ingest.PatchProfile's rules and limits, over ReadProfile and
// SwapProfile, so that concurrent patches keep each other's keys.
func (st *Store) PatchUser(ctx context.Context, appID, userID string, attrs map[string]any) (record.User, error) {
	return ingest.PatchProfile(ctx, st, appID, userID, attrs)
}

// ReadProfile implements ingest.ProfileStore: the version is the
// attributes' stored text.
func (st *Store) ReadProfile(ctx context.Context, appID, userID string) (map[string]any, ingest.ProfileVersion, error) {
	var text *string
	err := st.s.Query("SELECT attributes FROM "+st.cfg.Keyspace+".users WHERE app_id = ? AND bucket = ? AND user_id = ?",
		appID, st.Bucket(userID), userID).ScanContext(ctx, &text)
	if errors.Is(err, gocql.ErrNotFound) {
		return map[string]any{}, ingest.ProfileVersion{}, nil
	}
	if err != nil {
		return nil, ingest.ProfileVersion{}, err
	}
	attrs, err := decodeAttributes(userID, text)
	return attrs, ingest.ProfileVersion{Exists: true, Text: text}, err
}

// SwapProfile implements ingest.ProfileStore by a lightweight
// transaction on the attributes cell, which creates the row if there is
// none (a missing row's attributes are null too). Every write of
// attributes goes through it: a plain write mixed with lightweight
// transactions on the same cell could be lost. The watermark moves once
// the transaction has landed.
func (st *Store) SwapProfile(ctx context.Context, appID, userID string, attrs map[string]any, v ingest.ProfileVersion) (record.User, bool, error) {
	text, err := json.Marshal(attrs)
	if err != nil {
		return record.User{}, false, err
	}
	applied, err := st.s.Query("UPDATE "+st.cfg.Keyspace+".users SET attributes = ? WHERE app_id = ? AND bucket = ? AND user_id = ? IF attributes = ?",
		string(text), appID, st.Bucket(userID), userID, v.Text).MapScanCASContext(ctx, map[string]any{})
	if err != nil || !applied {
		return record.User{}, false, err
	}
	if _, err := st.advance(ctx, appID); err != nil {
		return record.User{}, false, err
	}
	u, err := st.GetUser(ctx, appID, userID)
	return u, true, err
}

// UserData returns a profile and the events of the user that reads
// selects, oldest first, from the user's own partition (which holds every
// name: the others are skipped undecoded).
func (st *Store) UserData(ctx context.Context, appID, userID string, reads record.Reads) (record.User, []record.Event, error) {
	u, err := st.GetUser(ctx, appID, userID)
	if err != nil || (!reads.All && len(reads.Names) == 0) {
		return u, nil, err
	}
	iter := st.s.Query("SELECT time, event_id, name, properties FROM "+st.cfg.Keyspace+".events_by_user WHERE app_id = ? AND user_id = ?",
		appID, userID).IterContext(ctx)
	var events []record.Event
	var t time.Time
	var id, name, props string
	for iter.Scan(&t, &id, &name, &props) {
		read, withProps := reads.Of(name)
		if !read {
			continue
		}
		ev := record.Event{EventID: id, UserID: userID, Name: name, Time: t.UTC()}
		if withProps {
			if err := json.Unmarshal([]byte(props), &ev.Properties); err != nil {
				iter.Close()
				return u, nil, fmt.Errorf("cassandra: event %q: properties: %w", id, err)
			}
		}
		events = append(events, ev)
	}
	return u, events, iter.Close()
}

// LateKey identifies a late event.
type LateKey struct {
	Bucket  string
	EventID string
	Day     time.Time
}

// LateKeys lists the app's late events.
func (st *Store) LateKeys(ctx context.Context, appID string) ([]LateKey, error) {
	iter := st.s.Query("SELECT bucket, event_id, day FROM "+st.cfg.Keyspace+".late_events WHERE app_id = ? AND bucket IN ?",
		appID, st.buckets()).IterContext(ctx)
	var out []LateKey
	var k LateKey
	var day string
	for iter.Scan(&k.Bucket, &k.EventID, &day) {
		var err error
		if k.Day, err = time.Parse(time.DateOnly, day); err != nil {
			iter.Close()
			return nil, fmt.Errorf("cassandra: late event %q: day %q", k.EventID, day)
		}
		out = append(out, k)
	}
	return out, iter.Close()
}

// DeleteLate deletes late events (compaction, once history holds them).
func (st *Store) DeleteLate(ctx context.Context, appID string, keys []LateKey) error {
	var stmts []*gocql.Query
	for _, k := range keys {
		stmts = append(stmts, st.s.Query("DELETE FROM "+st.cfg.Keyspace+".late_events WHERE app_id = ? AND bucket = ? AND event_id = ?",
			appID, k.Bucket, k.EventID))
	}
	return st.execAll(ctx, stmts)
}

// DeleteDays deletes the app's fresh partitions of the days from from
// (inclusive) to until (exclusive), once history holds them.
func (st *Store) DeleteDays(ctx context.Context, appID string, from, until time.Time) error {
	var stmts []*gocql.Query
	for d := Day(from); d.Before(until); d = d.AddDate(0, 0, 1) {
		stmts = append(stmts, st.s.Query("DELETE FROM "+st.cfg.Keyspace+".events WHERE app_id = ? AND day = ? AND bucket IN ?",
			appID, d.Format(time.DateOnly), st.buckets()))
	}
	return st.execAll(ctx, stmts)
}

func (st *Store) buckets() []string {
	b := make([]string, st.cfg.Buckets)
	for i := range b {
		b[i] = strconv.Itoa(i)
	}
	return b
}
