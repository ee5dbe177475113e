package trino

import (
	"context"
	"regexp"

	"github.com/segmentd/segmentd/internal/compile"
)

// fragment starts each fragment of a distributed plan: one per stage.
var fragment = regexp.MustCompile(`(?m)^Fragment \d+ `)

// Stages returns how many stages Trino plans for a compiled query, the
// number its query.max-stage-count limits.
func (e *Engine) Stages(ctx context.Context, q *compile.SQL) (int, error) {
	plan, err := e.explain(ctx, "EXPLAIN (TYPE DISTRIBUTED) ", q)
	return len(fragment.FindAllStringIndex(plan, -1)), err
}
