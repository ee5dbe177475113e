// Package engine is what runs compiled segment SQL. Each engine (DuckDB
// embedded, Trino distributed) implements Engine, and the same corpus of
// trees is run against every one of them.
package engine

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/segmentd/segmentd/internal/compile"
	"github.com/segmentd/segmentd/segment"
)

// ErrTooLarge marks a query the engine refused for its size (too many
// stages, more memory or bytes than it may use): the same tree will fail
// again, and the user can act by making it smaller.
var ErrTooLarge = errors.New("the query is too large for the engine")

// ErrTimeout marks a query that ran past its time limit.
var ErrTimeout = errors.New("the query did not finish in time")

// ErrUnavailable marks an engine that failed for its own reasons (down,
// overloaded, a fault of its own): the same query may succeed later.
var ErrUnavailable = errors.New("the engine is unavailable")

// Engine runs the SQL of one dialect over its tables: the query engine
// of a data path (DuckDB embedded, Trino distributed).
type Engine interface {
	// Dialect is the SQL dialect the engine reads.
	Dialect() *compile.Dialect
	// Tables are the tables queries must name.
	Tables() compile.Tables
	// Split says where a query of the app at asOf reads its events when
	// they are kept in two stores (history and the fresh store); nil for
	// one.
	Split(ctx context.Context, appID string, asOf time.Time) (*compile.Split, error)
	// Count runs a compiled segment query and returns how many users it
	// selects.
	Count(ctx context.Context, q *compile.SQL) (int64, error)
	// Counts runs a query that returns one row of counts (an explain
	// query, compile.CompileExplain) and returns them.
	Counts(ctx context.Context, q *compile.SQL) ([]int64, error)
	// Ping checks that the engine answers.
	Ping(ctx context.Context) error
	// Stream runs a compiled segment query and calls fn with each user ID
	// it selects, in ascending byte order, as the engine returns them (so
	// that millions of IDs never sit in memory). progress, when not nil,
	// receives the fraction of the query done, where the engine tells.
	// An error of fn stops the query and is returned.
	Stream(ctx context.Context, q *compile.SQL, progress func(float64), fn func(id string) error) error
	// SchemaSample reads what an app's data dictionary is made from
	// (ReadSchema): its event names counted, a sample of each name's
	// events and of its users, within lim, reading the app's data as a
	// query at asOf does (Split).
	SchemaSample(ctx context.Context, appID string, asOf time.Time, lim SchemaLimits) (*SchemaSample, error)
}

// AttributeTyper is an engine that can keep attribute keys typed beside
// the JSON (DuckDB: a column of users a key), which Tables then names for
// the compiler to read instead of parsing each user's attributes.
type AttributeTyper interface {
	// TypeAttributes keeps the keys typed that are not yet, for every
	// app, and keeps them so on every later write.
	TypeAttributes(ctx context.Context, keys []string) error
}

// PropertyTyper is an engine that can keep the numbers at property paths
// typed beside the JSON, for the events of a name (DuckDB: a column of
// events each), which Tables then names for the numeric conditions to
// read instead of parsing each event's properties.
type PropertyTyper interface {
	// TypeProperties keeps the paths typed that are not yet, for every
	// app.
	TypeProperties(ctx context.Context, props []compile.TypedProperty) error
}

// TypeTrees asks e to keep typed what the expanded trees read: the
// attribute keys (segment.AttributeKeys) when it is an AttributeTyper,
// the properties whose numbers the conditions read
// (compile.NumericProperties) when it is a PropertyTyper.
func TypeTrees(ctx context.Context, e any, trees ...segment.Node) error {
	var keys []string
	var props []compile.TypedProperty
	for _, t := range trees {
		keys = append(keys, segment.AttributeKeys(t)...)
		props = append(props, compile.NumericProperties(t)...)
	}
	var errs []error
	if typer, ok := e.(AttributeTyper); ok && len(keys) > 0 {
		errs = append(errs, typer.TypeAttributes(ctx, keys))
	}
	if typer, ok := e.(PropertyTyper); ok && len(props) > 0 {
		errs = append(errs, typer.TypeProperties(ctx, props))
	}
	return errors.Join(errs...)
}

// Members collects what Stream returns.
func Members(ctx context.Context, e Engine, q *compile.SQL) ([]string, error) {
	ids := []string{}
	err := e.Stream(ctx, q, nil, func(id string) error {
		ids = append(ids, id)
		return nil
	})
	return ids, err
}

// Sorted wraps a compiled segment query so that the engine sorts its
// members: both engines compare VARCHARs by their bytes (UTF-8), which is
// the order snapshots and cursors use.
func Sorted(q *compile.SQL) string {
	text := strings.TrimRight(strings.TrimSpace(q.Text), "; \t\n")
	return "SELECT user_id FROM (\n" + text + "\n) AS members ORDER BY user_id"
}

// ScanCounts reads the one row of counts of an explain query.
func ScanCounts(row interface {
	Columns() ([]string, error)
	Next() bool
	Scan(...any) error
	Err() error
}) ([]int64, error) {
	cols, err := row.Columns()
	if err != nil {
		return nil, err
	}
	out := make([]int64, len(cols))
	ptrs := make([]any, len(cols))
	for i := range out {
		ptrs[i] = &out[i]
	}
	if !row.Next() {
		if err := row.Err(); err != nil {
			return nil, err
		}
		return nil, errors.New("the query returned no row")
	}
	if err := row.Scan(ptrs...); err != nil {
		return nil, err
	}
	return out, row.Err()
}
