package trino

import (
	"context"
	"time"

	"github.com/segmentd/segmentd/internal/compile"
	"github.com/segmentd/segmentd/internal/engine"
	"github.com/segmentd/segmentd/templates"
)

var schemaStmts = compile.MustStatements(templates.FS, "ops/trino-schema.sql.tmpl")

// SchemaSample implements engine.Engine: the data dictionary's
// statements (templates/ops/trino-schema.sql.tmpl) over the app's split
// (history before the boundary, the fresh partitions up to asOf's day,
// late events), as a segment query reads it.
func (e *Engine) SchemaSample(ctx context.Context, appID string, asOf time.Time, lim engine.SchemaLimits) (*engine.SchemaSample, error) {
	split, err := e.Split(ctx, appID, asOf)
	if err != nil {
		return nil, err
	}
	s, err := engine.ReadSchema(ctx, e.db, schemaStmts, e.Dialect(), e.Tables(), split, appID, lim,
		func(q *compile.SQL) []any { return args(q, nil) })
	if ctx.Err() != nil {
		return nil, ctx.Err()
	}
	if err != nil {
		return nil, queryFailed(err)
	}
	return s, nil
}
