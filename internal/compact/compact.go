// Package compact moves events from the fresh store (Cassandra) into
// history (Parquet on S3) through Trino, and advances each app's boundary,
// so that every event is read exactly once: from history for the days
// before the boundary, from the fresh store from it on, and from the late
// events table (less what history or the fresh store holds) in between.
//
// A run, for one app at now:
//
//  1. the days from the boundary b to t = day(now - CompactAge - Margin)
//     are copied, with their late events, into history, overwriting those
//     days' partitions;
//  2. late events of days before b that history lacks are appended to it;
//  3. the boundary moves to t (in the segment store, never back);
//  4. the fresh partitions before t and the late events before t are
//     deleted, and the cleaned day recorded.
//
// A run that dies anywhere is correct to read and to run again: before 3,
// queries ignore what 1 wrote (they read those days from the fresh store);
// after 2 or 3, late events already in history are excluded by the query;
// step 1 overwrites, step 2 appends only what is missing, and deleting is
// idempotent. Writers send an event to the late table when its day is
// before day(now - CompactAge), and compaction stops Margin earlier, so a
// write in flight never lands in a day being compacted.
package compact

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"text/template"
	"time"

	"github.com/segmentd/segmentd/internal/cassandra"
	"github.com/segmentd/segmentd/internal/compile"
	"github.com/segmentd/segmentd/internal/store"
	"github.com/segmentd/segmentd/templates"
)

// State keeps each app's compaction state (internal/store).
type State interface {
	GetApp(ctx context.Context, appID string) (store.App, error)
	GetCompaction(ctx context.Context, appID string) (store.Compaction, error)
	SetCompaction(ctx context.Context, c store.Compaction) error
}

// Compactor runs compactions.
type Compactor struct {
	// Overwrite and Append are Trino connections whose sessions set the
	// hive catalog's insert_existing_partitions_behavior to OVERWRITE and
	// APPEND.
	Overwrite, Append *sql.DB
	Tables            compile.Tables
	Fresh             *cassandra.Store
	State             State
	// Margin is how long a write may take: compaction stays that far
	// behind the writers' horizon.
	Margin time.Duration
	Now    func() time.Time
}

var ops = template.Must(template.New("ops").Funcs(template.FuncMap{
	"marks": func(n int) string { return strings.TrimSuffix(strings.Repeat("?, ", n), ", ") },
}).ParseFS(templates.FS, "ops/trino-compact.sql.tmpl"))

// Boundary is the app's boundary: the first day not in history. Before the
// first compaction it is the horizon of the app's creation, before which
// no fresh event can exist.
func Boundary(ctx context.Context, st State, fresh *cassandra.Store, appID string) (store.Compaction, error) {
	c, err := st.GetCompaction(ctx, appID)
	if errors.Is(err, store.ErrNotFound) {
		app, err := st.GetApp(ctx, appID)
		if err != nil {
			return c, err
		}
		b := fresh.Horizon(app.CreatedAt)
		return store.Compaction{AppID: appID, Boundary: b, Cleaned: b}, nil
	}
	return c, err
}

// Result says what a run did.
type Result struct {
	Days         int       // days copied into history
	Late         int       // late events merged and deleted
	Boundary     time.Time // the boundary after the run
	CopyDuration time.Duration
}

// Run compacts one app.
func (c *Compactor) Run(ctx context.Context, appID string) (Result, error) {
	cfg := c.Fresh.Config()
	state, err := Boundary(ctx, c.State, c.Fresh, appID)
	if err != nil {
		return Result{}, err
	}
	target := cassandra.Day(c.Now().Add(-cfg.CompactAge - c.Margin))
	start := time.Now()
	res := Result{Boundary: state.Boundary}
	late, err := c.Fresh.LateKeys(ctx, appID)
	if err != nil {
		return res, err
	}
	var buckets []any
	for b := range cfg.Buckets {
		buckets = append(buckets, strconv.Itoa(b))
	}
	// A statement writes at most maxPartitions days' partitions (Trino's
	// hive.max-partitions-per-writers is 100 by default).
	for from := state.Boundary; from.Before(target); from = from.AddDate(0, 0, maxPartitions) {
		until := from.AddDate(0, 0, maxPartitions)
		if until.After(target) {
			until = target
		}
		var days []any
		for d := from; d.Before(until); d = d.AddDate(0, 0, 1) {
			days = append(days, d.Format(time.DateOnly))
		}
		args := []any{appID}
		args = append(append(args, days...), buckets...)
		args = append(append(args, appID), buckets...)
		args = append(args, from.Format(time.DateOnly), until.Format(time.DateOnly), appID)
		args = append(append(args, days...), buckets...)
		if err := c.exec(ctx, c.Overwrite, "compact_days", len(days), len(buckets), args); err != nil {
			return res, err
		}
		res.Days += len(days)
	}
	for _, r := range lateRanges(late, state.Boundary) {
		args := append(append([]any{appID}, buckets...), r[0].Format(time.DateOnly), r[1].Format(time.DateOnly), appID)
		if err := c.exec(ctx, c.Append, "merge_late", 0, len(buckets), args); err != nil {
			return res, err
		}
	}
	if target.After(state.Boundary) {
		state.Boundary = target
	}
	if err := c.State.SetCompaction(ctx, state); err != nil {
		return res, err
	}
	res.Boundary = state.Boundary
	res.CopyDuration = time.Since(start)
	// History holds everything before the boundary now: clean up.
	var merged []cassandra.LateKey
	for _, k := range late {
		if k.Day.Before(state.Boundary) {
			merged = append(merged, k)
		}
	}
	if err := c.Fresh.DeleteLate(ctx, appID, merged); err != nil {
		return res, err
	}
	res.Late = len(merged)
	if err := c.Fresh.DeleteDays(ctx, appID, state.Cleaned, state.Boundary); err != nil {
		return res, err
	}
	state.Cleaned = state.Boundary
	return res, c.State.SetCompaction(ctx, state)
}

// maxPartitions bounds the days one statement writes.
const maxPartitions = 90

// lateRanges groups the days of late events before the boundary into
// ranges [from, until) of at most maxPartitions distinct days.
func lateRanges(late []cassandra.LateKey, boundary time.Time) [][2]time.Time {
	var days []time.Time
	for _, k := range late {
		if k.Day.Before(boundary) && !slices.ContainsFunc(days, k.Day.Equal) {
			days = append(days, k.Day)
		}
	}
	slices.SortFunc(days, time.Time.Compare)
	var out [][2]time.Time
	for len(days) > 0 {
		n := min(len(days), maxPartitions)
		out = append(out, [2]time.Time{days[0], days[n-1].AddDate(0, 0, 1)})
		days = days[n:]
	}
	return out
}

// exec renders one of the compaction statements and runs it.
func (c *Compactor) exec(ctx context.Context, db *sql.DB, name string, days, buckets int, args []any) error {
	var names [3]string
	for i, t := range []string{c.Tables.History, c.Tables.Events, c.Tables.Late} {
		q, err := compile.QuoteName(t)
		if err != nil {
			return err
		}
		names[i] = q
	}
	var b strings.Builder
	data := map[string]any{"History": names[0], "Fresh": names[1], "Late": names[2], "Days": days, "Buckets": buckets}
	if err := ops.ExecuteTemplate(&b, name, data); err != nil {
		return err
	}
	if _, err := db.ExecContext(ctx, b.String(), args...); err != nil {
		return fmt.Errorf("compact: %s: %w", name, err)
	}
	return nil
}
