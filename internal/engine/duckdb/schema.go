package duckdb

import (
	"context"
	"time"

	"github.com/segmentd/segmentd/internal/compile"
	"github.com/segmentd/segmentd/internal/engine"
	"github.com/segmentd/segmentd/templates"
)

var schemaStmts = compile.MustStatements(templates.FS, "ops/duckdb-schema.sql.tmpl")

// SchemaSample implements engine.Engine: the data dictionary's
// statements (templates/ops/duckdb-schema.sql.tmpl) over the events as a
// query reads them (with history, its split).
func (e *Engine) SchemaSample(ctx context.Context, appID string, asOf time.Time, lim engine.SchemaLimits) (*engine.SchemaSample, error) {
	split, err := e.Split(ctx, appID, asOf)
	if err != nil {
		return nil, err
	}
	s, err := engine.ReadSchema(ctx, e.db, schemaStmts, e.Dialect(), e.Tables(), split, appID, lim,
		func(q *compile.SQL) []any { return q.Params })
	if err != nil {
		return nil, queryFailed(err)
	}
	return s, nil
}
