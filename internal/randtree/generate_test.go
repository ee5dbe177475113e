package randtree_test

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/segmentd/segmentd/internal/corpus"
	"github.com/segmentd/segmentd/internal/randtree"
	"github.com/segmentd/segmentd/segment"
)

func vocabulary(t *testing.T) *randtree.Vocabulary {
	t.Helper()
	v, err := corpus.Vocabulary(corpus.Dataset(), corpus.AsOf, corpus.Lookup())
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// TestTreesAreValid: every generated tree decodes and expands within the
// limits; an invalid one is a bug of the generator. The trees together
// must use every part of the language.
func TestTreesAreValid(t *testing.T) {
	v := vocabulary(t)
	seen := map[string]int{}
	var maxNodes, maxDepth int
	for seed := uint64(0); seed < 3000; seed++ {
		js := randtree.Generate(v, seed)
		if !bytes.Equal(js, randtree.Generate(v, seed)) {
			t.Fatalf("seed %d: two different trees", seed)
		}
		n, err := segment.Decode(js, "")
		if err != nil {
			t.Fatalf("seed %d: %v\n%s", seed, err, js)
		}
		x, err := segment.Expand(context.Background(), n, "", corpus.Lookup())
		if err != nil {
			t.Fatalf("seed %d: %v\n%s", seed, err, js)
		}
		nodes := 0
		segment.Walk(x, "", func(_ segment.Node, _ string, depth int) bool {
			nodes++
			maxDepth = max(maxDepth, depth)
			return true
		})
		maxNodes = max(maxNodes, nodes)
		segment.Walk(n, "", func(c segment.Node, _ string, _ int) bool {
			for _, k := range features(c) {
				seen[k]++
			}
			return true
		})
	}
	if maxNodes < segment.MaxNodes*9/10 || maxDepth != segment.MaxDepth {
		t.Errorf("the largest tree has %d nodes, the deepest %d levels: the limits are %d and %d", maxNodes, maxDepth, segment.MaxNodes, segment.MaxDepth)
	}
	var want []string
	for _, typ := range []string{"and", "or", "not", "attribute", "event", "funnel", "segment"} {
		want = append(want, "node:"+typ)
	}
	for _, op := range []string{"eq", "neq", "lt", "lte", "gt", "gte", "between", "in", "not_in",
		"contains", "not_contains", "starts_with", "ends_with", "exists", "not_exists"} {
		want = append(want, "op:"+op)
	}
	for _, fn := range []string{"count", "sum", "avg", "min", "max", "first", "last", "distinct_count"} {
		want = append(want, "fn:"+fn)
	}
	want = append(want, "window:all", "window:last", "window:calendar", "window:range",
		"funnel:repeated", "funnel:within", "funnel:exact", "funnel:16-steps", "in:1000",
		"value:fraction", "value:ago", "value:micro")
	for _, k := range want {
		if seen[k] == 0 {
			t.Errorf("no tree has %s", k)
		}
	}
}

// features lists what a node uses, as the keys TestTreesAreValid checks.
func features(n segment.Node) []string {
	var out []string
	cmp := func(op segment.Op, v segment.Value) {
		out = append(out, "op:"+string(op))
		if v.Kind == segment.KindList && len(v.List) == segment.MaxInValues {
			out = append(out, "in:1000")
		}
		for _, x := range append([]segment.Value{v}, v.List...) {
			switch {
			case x.Kind == segment.KindNumber && x.Num != float64(int64(x.Num)):
				out = append(out, "value:fraction")
			case x.Kind == segment.KindTime && x.Ago != nil:
				out = append(out, "value:ago")
			case x.Kind == segment.KindTime && x.At.Nanosecond()%1e6 != 0:
				out = append(out, "value:micro")
			}
		}
	}
	window := func(w segment.Window) {
		out = append(out, "window:"+[]string{"all", "last", "calendar", "range"}[w.Kind])
	}
	switch n := n.(type) {
	case *segment.And, *segment.Or, *segment.Not, *segment.SegmentRef:
		typ, _, _ := strings.Cut(strings.TrimPrefix(n.String(), `{"type":"`), `"`)
		out = append(out, "node:"+typ)
	case *segment.Attribute:
		out = append(out, "node:attribute")
		cmp(n.Op, n.Value)
	case *segment.Event:
		out = append(out, "node:event", "fn:"+string(n.Aggregate.Fn))
		cmp(n.Op, n.Value)
		window(n.Window)
		for _, p := range n.Where {
			cmp(p.Op, p.Value)
		}
	case *segment.Funnel:
		out = append(out, "node:funnel")
		window(n.Window)
		for i, s := range n.Steps {
			if i > 0 && s.Event == n.Steps[i-1].Event {
				out = append(out, "funnel:repeated")
			}
			for _, p := range s.Where {
				cmp(p.Op, p.Value)
			}
		}
		if n.Within != nil {
			out = append(out, "funnel:within")
		}
		if n.Exact {
			out = append(out, "funnel:exact")
		}
		if len(n.Steps) == segment.MaxSteps {
			out = append(out, "funnel:16-steps")
		}
	}
	return out
}
