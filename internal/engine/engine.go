// Package engine is what runs compiled segment SQL. Each engine (DuckDB
// embedded, Trino distributed) implements Engine, and the same corpus of
// trees is run against every one of them.
package engine

import (
	"context"

	"github.com/segmentd/segmentd/internal/compile"
)

// Engine runs the SQL of one dialect over its tables.
type Engine interface {
	// Dialect is the SQL dialect the engine reads.
	Dialect() *compile.Dialect
	// Tables are the tables queries must name.
	Tables() compile.Tables
	// Members runs a compiled segment query and returns the user IDs it
	// selects, in ascending byte order.
	Members(ctx context.Context, q *compile.SQL) ([]string, error)
}
