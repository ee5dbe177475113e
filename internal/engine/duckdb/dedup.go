package duckdb

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"maps"
	"slices"
	"sync"
)

// Ingestion is idempotent by (app_id, event_id) without a key on the
// events table (migrations/duckdb/0004): a key is an ART index, which at
// 3M events took half of a bulk load's time and 45% of the database's
// bytes, and ON CONFLICT against it slowed down as the table grew.
// Instead the engine keeps, in memory, the 64-bit hashes (DuckDB's hash)
// of the event IDs each app's events table holds (8 bytes an event, where
// the index took about 44 on disk and as much in memory once used). A new
// event whose hash is not among them is new for certain; the few whose
// hash is (a retry, or a collision) are looked up in the table itself, so
// the check stays exact.
//
// An app's hashes are read from the table at its first write after the
// engine opens (about 0.5 s for 3M events) and grown by every write
// before it commits: a write that then fails leaves hashes of events the
// table lacks, which only cost a lookup. Nothing is ever missing from
// them as long as the engine's writes are serialized (writeMu), which
// they are but in a benchmark of the alternative; there, two writes of
// an app still conflict on its watermark, and the one retried sees the
// other's events.
//
// Deleted events (erasure, compaction, DeleteApp) leave their hashes too,
// for the same cost.

// eventIDs holds the hash sets of the apps that wrote since the engine
// opened.
type eventIDs struct {
	mu   sync.Mutex
	apps map[string]*idSet
}

// idSet is an app's hashes: sorted when read from the table, plus a map of
// those added since, merged into the sorted slice as the map grows.
type idSet struct {
	sorted []uint64
	added  map[uint64]struct{}
}

func (s *idSet) has(h uint64) bool {
	if _, ok := slices.BinarySearch(s.sorted, h); ok {
		return true
	}
	_, ok := s.added[h]
	return ok
}

func (s *idSet) add(hs []uint64) {
	if s.added == nil {
		s.added = map[uint64]struct{}{}
	}
	for _, h := range hs {
		s.added[h] = struct{}{}
	}
	// A map takes about four times the memory of the slice per hash.
	if len(s.added) > 1<<16 && len(s.added) > len(s.sorted)/8 {
		s.sorted = slices.AppendSeq(s.sorted, maps.Keys(s.added))
		slices.Sort(s.sorted)
		s.sorted = slices.Compact(s.sorted)
		clear(s.added)
	}
}

// appHashes reads the hashes of the event IDs of an app's events table,
// sorted, as tx sees them. DuckDB hashes and sorts them on every core, in
// groups by their top 16 bits so that a few rows carry them all.
func appHashes(ctx context.Context, tx *sql.Tx, appID string) ([]uint64, error) {
	rows, err := tx.QueryContext(ctx, `
		SELECT list(h ORDER BY h) FROM (SELECT hash(event_id) AS h FROM events WHERE app_id = ?)
		GROUP BY h >> 48 ORDER BY h >> 48`, appID)
	if err != nil {
		return nil, fmt.Errorf("duckdb: reading event IDs: %w", err)
	}
	defer rows.Close()
	var hs []uint64
	for rows.Next() {
		var l []any
		if err := rows.Scan(&l); err != nil {
			return nil, fmt.Errorf("duckdb: reading event IDs: %w", err)
		}
		for _, v := range l {
			hs = append(hs, v.(uint64))
		}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("duckdb: reading event IDs: %w", err)
	}
	return hs, nil
}

// hashes hashes event IDs as appHashes does.
func hashes(ctx context.Context, tx *sql.Tx, ids []string) ([]uint64, error) {
	var l []any
	if err := tx.QueryRowContext(ctx, `SELECT list_transform(?::VARCHAR[], x -> hash(x))`, ids).Scan(&l); err != nil {
		return nil, fmt.Errorf("duckdb: hashing event IDs: %w", err)
	}
	hs := make([]uint64, len(l))
	for i, v := range l {
		hs[i] = v.(uint64)
	}
	return hs, nil
}

// unstored is c less the events whose ID the app's events table has, and
// adds the hashes of the rest to the app's set (see the top of the file).
func (e *Engine) unstored(ctx context.Context, tx *sql.Tx, appID string, c *columns) (*columns, error) {
	if len(c.ids) == 0 {
		return c, nil
	}
	hs, err := hashes(ctx, tx, c.ids)
	if err != nil {
		return nil, err
	}
	e.ids.mu.Lock()
	defer e.ids.mu.Unlock()
	set := e.ids.apps[appID]
	if set == nil {
		sorted, err := appHashes(ctx, tx, appID)
		if err != nil {
			return nil, err
		}
		set = &idSet{sorted: sorted}
		if e.ids.apps == nil {
			e.ids.apps = map[string]*idSet{}
		}
		e.ids.apps[appID] = set
	}
	var maybe []string
	for i, h := range hs {
		if set.has(h) {
			maybe = append(maybe, c.ids[i])
		}
	}
	if len(maybe) > 0 {
		stored, err := storedIDs(ctx, tx, appID, maybe)
		if err != nil {
			return nil, err
		}
		var out columns
		var kept []uint64
		for i, id := range c.ids {
			if _, ok := stored[id]; !ok {
				out.ids, out.users, out.names, out.props = append(out.ids, id), append(out.users, c.users[i]), append(out.names, c.names[i]), append(out.props, c.props[i])
				out.times = append(out.times, c.times[i])
				kept = append(kept, hs[i])
			}
		}
		c, hs = &out, kept
	}
	set.add(hs)
	return c, nil
}

// storedIDs are those of ids that the app's events table holds: a scan of
// the table (about 0.15 s at 3M events), for a retry only.
func storedIDs(ctx context.Context, tx *sql.Tx, appID string, ids []string) (map[string]struct{}, error) {
	rows, err := tx.QueryContext(ctx, `SELECT DISTINCT event_id FROM events WHERE app_id = ? AND list_contains(?::VARCHAR[], event_id)`, appID, ids)
	if err != nil {
		return nil, fmt.Errorf("duckdb: looking up event IDs: %w", err)
	}
	defer rows.Close()
	stored := map[string]struct{}{}
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, fmt.Errorf("duckdb: looking up event IDs: %w", err)
		}
		stored[id] = struct{}{}
	}
	return stored, rows.Err()
}

// checkLoaded fails a bulk load (Load, LoadParquet) that stored an event
// ID twice in the app's events table, as tx sees it after the load's
// inserts, and otherwise makes the table's hashes the app's set.
func (e *Engine) checkLoaded(ctx context.Context, tx *sql.Tx, appID string) error {
	sorted, err := appHashes(ctx, tx, appID)
	if err != nil {
		return err
	}
	var twice []uint64
	for i := 1; i < len(sorted); i++ {
		if sorted[i] == sorted[i-1] && (len(twice) == 0 || twice[len(twice)-1] != sorted[i]) {
			twice = append(twice, sorted[i])
		}
	}
	if len(twice) > 0 {
		var id string
		err := tx.QueryRowContext(ctx, `SELECT event_id FROM events WHERE app_id = ? AND list_contains(?::UBIGINT[], hash(event_id))
			GROUP BY event_id HAVING count(*) > 1 ORDER BY event_id LIMIT 1`, appID, twice).Scan(&id)
		switch {
		case err == nil:
			return fmt.Errorf("duckdb: loading: event ID %q is stored already or given twice", id)
		case !errors.Is(err, sql.ErrNoRows):
			return fmt.Errorf("duckdb: loading: looking up event IDs: %w", err)
		}
	}
	e.ids.mu.Lock()
	defer e.ids.mu.Unlock()
	if e.ids.apps == nil {
		e.ids.apps = map[string]*idSet{}
	}
	e.ids.apps[appID] = &idSet{sorted: slices.Compact(sorted)}
	return nil
}
