package enginetest

import (
	"encoding/json"
	"time"

	"github.com/segmentd/segmentd/internal/dataset"
	"github.com/segmentd/segmentd/internal/randtree"
)

// TotalsCases are trees that compare sums and averages with the exact
// values some users have (randtree's Totals: over all their events, as
// the evaluator adds them): for each numeric property path, one tree
// "sum eq one of the sums" and one "avg eq one of the averages". An
// engine that adds in another order than the language's misses users
// whose values are inexact in binary (tenths, as the data's weights are).
func TotalsCases(data *dataset.Data, asOf time.Time) []Case {
	v := randtree.FromData(data, asOf)
	var cases []Case
	for _, ev := range v.Events {
		for _, p := range ev.Properties {
			for k, fn := range []string{"sum", "avg"} {
				var or []any
				for i := k; i < len(p.Totals); i += 2 {
					or = append(or, map[string]any{"type": "event", "event": ev.Name,
						"aggregate": map[string]any{"fn": fn, "property": p.Path}, "op": "eq", "value": p.Totals[i]})
				}
				if len(or) == 0 {
					continue
				}
				b, err := json.Marshal(map[string]any{"type": "or", "children": or})
				if err != nil {
					panic("enginetest: " + err.Error()) // maps of JSON values: cannot happen
				}
				cases = append(cases, Case{Name: "totals-" + fn + "-" + ev.Name + "-" + p.Path, JSON: b})
			}
		}
	}
	return cases
}
