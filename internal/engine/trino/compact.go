package trino

import (
	"context"
	"database/sql"
	"fmt"
	"strconv"
	"time"

	"github.com/segmentd/segmentd/internal/cassandra"
	"github.com/segmentd/segmentd/internal/compile"
	"github.com/segmentd/segmentd/internal/record"
	"github.com/segmentd/segmentd/templates"
)

// Compaction is the distributed path's compact.Stores: the fresh store is
// Cassandra, history is Parquet on S3 (Trino's hive catalog), and the
// copying is done by Trino itself (INSERT … SELECT).
type Compaction struct {
	// Overwrite and Append are Trino connections whose sessions set the
	// hive catalog's insert_existing_partitions_behavior to OVERWRITE and
	// APPEND.
	Overwrite, Append *sql.DB
	Tables            compile.Tables
	Fresh             *cassandra.Store
}

var ops = compile.MustStatements(templates.FS, "ops/trino-compact.sql.tmpl")

// maxPartitions bounds the days one statement writes (Trino's
// hive.max-partitions-per-writers is 100 by default).
const maxPartitions = 90

// Horizon is the fresh store's.
func (t *Compaction) Horizon(now time.Time) time.Time { return t.Fresh.Horizon(now) }

// opsData is what the compaction statements read: the quoted tables, and
// the values they bind.
type opsData struct {
	History, Fresh, Late string
	App, User            string
	Days, Buckets        []string
	From, Until          string // days, Until exclusive
}

// CopyDays overwrites history's day partitions, at most maxPartitions days
// a statement.
func (t *Compaction) CopyDays(ctx context.Context, appID string, from, until time.Time) error {
	for ; from.Before(until); from = from.AddDate(0, 0, maxPartitions) {
		end := from.AddDate(0, 0, maxPartitions)
		if end.After(until) {
			end = until
		}
		var days []string
		for d := from; d.Before(end); d = d.AddDate(0, 0, 1) {
			days = append(days, d.Format(time.DateOnly))
		}
		if err := t.exec(ctx, t.Overwrite, "compact_days", appID, days, from, end); err != nil {
			return err
		}
	}
	return nil
}

// MergeLate appends to history, one statement per range of at most
// maxPartitions distinct days.
func (t *Compaction) MergeLate(ctx context.Context, appID string, days []time.Time) error {
	for len(days) > 0 {
		n := min(len(days), maxPartitions)
		from, until := days[0], days[n-1].AddDate(0, 0, 1)
		days = days[n:]
		if err := t.exec(ctx, t.Append, "merge_late", appID, nil, from, until); err != nil {
			return err
		}
	}
	return nil
}

// LateEvents reads Cassandra's late events table.
func (t *Compaction) LateEvents(ctx context.Context, appID string) ([]record.LateEvent, error) {
	keys, err := t.Fresh.LateKeys(ctx, appID)
	out := make([]record.LateEvent, len(keys))
	for i, k := range keys {
		out[i] = record.LateEvent{EventID: k.EventID, Day: k.Day}
	}
	return out, err
}

// DeleteLate deletes from Cassandra.
func (t *Compaction) DeleteLate(ctx context.Context, appID string, late []record.LateEvent) error {
	keys := make([]cassandra.LateKey, len(late))
	for i, e := range late {
		keys[i] = cassandra.LateKey{Bucket: t.Fresh.Bucket(e.EventID), EventID: e.EventID, Day: e.Day}
	}
	return t.Fresh.DeleteLate(ctx, appID, keys)
}

// DeleteDays deletes Cassandra's partitions.
func (t *Compaction) DeleteDays(ctx context.Context, appID string, from, until time.Time) error {
	return t.Fresh.DeleteDays(ctx, appID, from, until)
}

// UserDays are the fresh store's (compact.UserStores).
func (t *Compaction) UserDays(ctx context.Context, appID, userID string) ([]time.Time, error) {
	return t.Fresh.UserDays(ctx, appID, userID)
}

// EraseHistory overwrites history's partitions of the days without the
// user's events, at most maxPartitions days a statement.
func (t *Compaction) EraseHistory(ctx context.Context, appID, userID string, days []time.Time) error {
	for lo := 0; lo < len(days); lo += maxPartitions {
		var ds []string
		for _, d := range days[lo:min(lo+maxPartitions, len(days))] {
			ds = append(ds, d.Format(time.DateOnly))
		}
		if err := t.run(ctx, t.Overwrite, "erase_days", opsData{App: appID, User: userID, Days: ds}); err != nil {
			return err
		}
	}
	return nil
}

// EraseFresh erases the user from Cassandra.
func (t *Compaction) EraseFresh(ctx context.Context, appID, userID string) error {
	return t.Fresh.EraseUser(ctx, appID, userID)
}

// exec runs one of the compaction statements over days.
func (t *Compaction) exec(ctx context.Context, db *sql.DB, name, appID string, days []string, from, until time.Time) error {
	return t.run(ctx, db, name, opsData{App: appID, Days: days, From: from.Format(time.DateOnly), Until: until.Format(time.DateOnly)})
}

// run renders one of the compaction statements and runs it.
func (t *Compaction) run(ctx context.Context, db *sql.DB, name string, data opsData) error {
	for b := range t.Fresh.Config().Buckets {
		data.Buckets = append(data.Buckets, strconv.Itoa(b))
	}
	for _, tb := range []struct {
		to   *string
		name string
	}{{&data.History, t.Tables.History}, {&data.Fresh, t.Tables.Events}, {&data.Late, t.Tables.Late}} {
		q, err := compile.QuoteName(tb.name)
		if err != nil {
			return err
		}
		*tb.to = q
	}
	q, err := ops.Render(name, data)
	if err != nil {
		return err
	}
	if _, err := db.ExecContext(ctx, q.Text, q.Params...); err != nil {
		return fmt.Errorf("compact: %s: %w", name, err)
	}
	return nil
}
