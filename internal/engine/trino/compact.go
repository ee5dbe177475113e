package compact

import (
	"context"
	"database/sql"
	"fmt"
	"strconv"
	"strings"
	"text/template"
	"time"

	"github.com/segmentd/segmentd/internal/cassandra"
	"github.com/segmentd/segmentd/internal/compile"
	"github.com/segmentd/segmentd/templates"
)

// Trino is the distributed path's Stores: the fresh store is Cassandra,
// history is Parquet on S3 (Trino's hive catalog), and the copying is
// done by Trino itself (INSERT … SELECT).
type Trino struct {
	// Overwrite and Append are Trino connections whose sessions set the
	// hive catalog's insert_existing_partitions_behavior to OVERWRITE and
	// APPEND.
	Overwrite, Append *sql.DB
	Tables            compile.Tables
	Fresh             *cassandra.Store
}

var ops = template.Must(template.New("ops").Funcs(template.FuncMap{
	"marks": func(n int) string { return strings.TrimSuffix(strings.Repeat("?, ", n), ", ") },
}).ParseFS(templates.FS, "ops/trino-compact.sql.tmpl"))

// maxPartitions bounds the days one statement writes (Trino's
// hive.max-partitions-per-writers is 100 by default).
const maxPartitions = 90

// Horizon is the fresh store's.
func (t *Trino) Horizon(now time.Time) time.Time { return t.Fresh.Horizon(now) }

// CopyDays overwrites history's day partitions, at most maxPartitions days
// a statement.
func (t *Trino) CopyDays(ctx context.Context, appID string, from, until time.Time) error {
	buckets := t.buckets()
	for ; from.Before(until); from = from.AddDate(0, 0, maxPartitions) {
		end := from.AddDate(0, 0, maxPartitions)
		if end.After(until) {
			end = until
		}
		var days []any
		for d := from; d.Before(end); d = d.AddDate(0, 0, 1) {
			days = append(days, d.Format(time.DateOnly))
		}
		args := []any{appID}
		args = append(append(args, days...), buckets...)
		args = append(append(args, appID), buckets...)
		args = append(args, from.Format(time.DateOnly), end.Format(time.DateOnly), appID)
		args = append(append(args, days...), buckets...)
		if err := t.exec(ctx, t.Overwrite, "compact_days", len(days), len(buckets), args); err != nil {
			return err
		}
	}
	return nil
}

// MergeLate appends to history, one statement per range of at most
// maxPartitions distinct days.
func (t *Trino) MergeLate(ctx context.Context, appID string, days []time.Time) error {
	buckets := t.buckets()
	for len(days) > 0 {
		n := min(len(days), maxPartitions)
		from, until := days[0], days[n-1].AddDate(0, 0, 1)
		days = days[n:]
		args := append(append([]any{appID}, buckets...), from.Format(time.DateOnly), until.Format(time.DateOnly), appID)
		if err := t.exec(ctx, t.Append, "merge_late", 0, len(buckets), args); err != nil {
			return err
		}
	}
	return nil
}

// LateEvents reads Cassandra's late events table.
func (t *Trino) LateEvents(ctx context.Context, appID string) ([]LateEvent, error) {
	keys, err := t.Fresh.LateKeys(ctx, appID)
	out := make([]LateEvent, len(keys))
	for i, k := range keys {
		out[i] = LateEvent{EventID: k.EventID, Day: k.Day}
	}
	return out, err
}

// DeleteLate deletes from Cassandra.
func (t *Trino) DeleteLate(ctx context.Context, appID string, late []LateEvent) error {
	keys := make([]cassandra.LateKey, len(late))
	for i, e := range late {
		keys[i] = cassandra.LateKey{Bucket: t.Fresh.Bucket(e.EventID), EventID: e.EventID, Day: e.Day}
	}
	return t.Fresh.DeleteLate(ctx, appID, keys)
}

// DeleteDays deletes Cassandra's partitions.
func (t *Trino) DeleteDays(ctx context.Context, appID string, from, until time.Time) error {
	return t.Fresh.DeleteDays(ctx, appID, from, until)
}

func (t *Trino) buckets() []any {
	var out []any
	for b := range t.Fresh.Config().Buckets {
		out = append(out, strconv.Itoa(b))
	}
	return out
}

// exec renders one of the compaction statements and runs it.
func (t *Trino) exec(ctx context.Context, db *sql.DB, name string, days, buckets int, args []any) error {
	var names [3]string
	for i, table := range []string{t.Tables.History, t.Tables.Events, t.Tables.Late} {
		q, err := compile.QuoteName(table)
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
