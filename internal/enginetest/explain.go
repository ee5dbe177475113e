package enginetest

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/segmentd/segmentd/internal/compile"
	"github.com/segmentd/segmentd/internal/engine"
	"github.com/segmentd/segmentd/internal/evaluate"
	"github.com/segmentd/segmentd/internal/query"
	"github.com/segmentd/segmentd/segment"
)

// ExplainAgreement runs each case's explain query (query.NewExplainer,
// with references expanded) on the engine: the number of users, and every
// column's count (each node's own and each and's and or's attrition), must
// be the reference evaluator's over the same users.
func ExplainAgreement(t *testing.T, eng engine.Engine, s Setup, cases []Case) {
	t.Helper()
	ctx := context.Background()
	byUser := s.Data.EventsByUser()
	for _, c := range cases {
		t.Run(c.Name, func(t *testing.T) {
			given, expanded, loc := c.trees(t, s)
			ex := query.NewExplainer(given, expanded, true)
			opt := compile.Options{AppID: s.AppID, AsOf: s.AsOf, Location: loc, Split: s.Split}
			q, err := compile.CompileExplain(expanded, ex.Columns, eng.Dialect(), opt, eng.Tables())
			if err != nil {
				t.Fatal(err)
			}
			got, err := eng.Counts(ctx, q)
			if err != nil {
				t.Fatalf("%v\n%s", err, q.Text)
			}
			want := make([]int64, 1+len(ex.Columns))
			want[0] = int64(len(s.Data.Users))
			eval := evaluate.Options{AsOf: s.AsOf, Location: loc}
			for _, u := range s.Data.Users {
				for i, col := range ex.Columns {
					if evaluate.Member(columnTree(col), u, byUser[u.UserID], eval) {
						want[i+1]++
					}
				}
			}
			if fmt.Sprint(got) != fmt.Sprint(want) {
				for i := range want {
					if i < len(got) && got[i] != want[i] {
						t.Errorf("column %d of %d: %d users, the reference %d", i, len(want)-1, got[i], want[i])
					}
				}
				t.Fatalf("counts %v, the reference %v\n%s\n%s", got, want, c.JSON, q.Text)
			}
		})
	}
}

// columnTree is the tree a column counts.
func columnTree(c compile.Column) segment.Node {
	switch {
	case len(c.Nodes) == 1:
		return c.Nodes[0]
	case c.Op == "OR":
		return &segment.Or{Children: c.Nodes}
	}
	return &segment.And{Children: c.Nodes}
}

// trees decodes the case's tree, expands it with s.Lookup, and gives the
// app's time zone for it.
func (c Case) trees(t *testing.T, s Setup) (given, expanded segment.Node, loc *time.Location) {
	t.Helper()
	given, err := segment.Decode(c.JSON, "")
	if err != nil {
		t.Fatal(err)
	}
	if expanded, err = segment.Expand(context.Background(), given, "", s.Lookup); err != nil {
		t.Fatal(err)
	}
	if loc = s.Location; c.Location != nil {
		loc = c.Location
	}
	return given, expanded, loc
}
