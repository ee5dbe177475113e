package compile_test

import (
	"context"
	"strings"
	"testing"

	"github.com/segmentd/segmentd/internal/compile"
	"github.com/segmentd/segmentd/internal/corpus"
	"github.com/segmentd/segmentd/segment"
)

// TestTrinoReadsEventsOnce: on Trino, the largest trees the limits allow
// read the split's events (history, fresh days and late events) as often
// as a tree of one condition does, so the plan's stages do not grow with
// funnels, steps or references (Trino inlines a common table expression at
// each reference).
func TestTrinoReadsEventsOnce(t *testing.T) {
	split := &compile.Split{Boundary: "2026-10-20", FreshDays: []string{"2026-10-20", "2026-10-21"}, Buckets: 2}
	reads := func(t *testing.T, tree segment.Node) int {
		t.Helper()
		opt := compile.Options{AppID: "corpus", AsOf: corpus.AsOf, Location: corpus.Location(), Split: split}
		q, err := compile.Compile(tree, compile.Trino, opt, TrinoSplitTables)
		if err != nil {
			t.Fatal(err)
		}
		history, err := compile.QuoteName(TrinoSplitTables.History)
		if err != nil {
			t.Fatal(err)
		}
		return strings.Count(q.Text, history)
	}
	one := reads(t, decode(t, `{"type":"event","event":"$buy"}`, nil))
	if one == 0 {
		t.Fatal("a tree of one condition does not read history")
	}
	for _, c := range corpus.Largest() {
		t.Run(c.Name, func(t *testing.T) {
			if n := reads(t, decode(t, string(c.JSON), corpus.LargestLookup())); n != one {
				t.Errorf("the SQL reads history %d times, a tree of one condition %d", n, one)
			}
		})
	}
}

// TestSharedConditions: conditions on the same events share one column of
// the scan, however often a tree (or the segments it references) repeats
// them, and a funnel tested twice is computed once.
func TestSharedConditions(t *testing.T) {
	funnel := func(rest string) string {
		return `{"type":"funnel","steps":[{"event":"view_item"},{"event":"$buy","where":[{"property":"total","op":"gt","value":0}]}],` + rest + `}`
	}
	tree := decode(t, `{"type":"or","children":[
		{"type":"event","event":"$buy","window":{"last":"7d"},"op":"gte","value":1},
		{"type":"not","child":{"type":"event","event":"$buy","window":{"last":"168h"},"op":"gte","value":3}},
		{"type":"event","event":"$buy","window":{"last":"30d"},"op":"gte","value":1},
		{"type":"event","event":"$buy","aggregate":{"fn":"sum","property":"total"},"window":{"last":"7d"},"op":"gt","value":10},
		`+funnel(`"within":"1d","reached":1`)+`,
		`+funnel(`"within":"24h","reached":2,"exact":true`)+`,
		`+funnel(`"within":"1h"`)+`]}`, nil)
	q := plan(t, tree)
	if len(q.Scan.Aggs) != 3 || len(q.Funnels) != 2 {
		t.Errorf("%d aggregates and %d funnels, want 3 (count of 7 days, of 30 days, sum of 7 days) and 2 (within 1d, 1h)", len(q.Scan.Aggs), len(q.Funnels))
	}

	// The largest tree of references repeats each of its conditions up
	// to 32 times; it has 11 distinct leaves.
	for _, c := range corpus.Largest() {
		if c.Name == "references" {
			q := plan(t, decode(t, string(c.JSON), corpus.LargestLookup()))
			if n := len(q.Scan.Aggs) + len(q.Funnels); n > 11 {
				t.Errorf("the references tree plans %d aggregates and funnels for at most 11 distinct conditions", n)
			}
		}
	}
}

func decode(t *testing.T, s string, lookup segment.Lookup) segment.Node {
	t.Helper()
	n, err := segment.Decode([]byte(s), "")
	if err != nil {
		t.Fatal(err)
	}
	if n, err = segment.Expand(context.Background(), n, "", lookup); err != nil {
		t.Fatal(err)
	}
	return n
}

func plan(t *testing.T, tree segment.Node) *compile.Query {
	t.Helper()
	p, err := compile.MakePlan(tree, compile.Options{AppID: "a", AsOf: corpus.AsOf})
	if err != nil {
		t.Fatal(err)
	}
	return p.Root.(*compile.Query)
}
