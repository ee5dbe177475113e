package corpus

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"

	"github.com/segmentd/segmentd/segment"
)

// Largest returns trees at the language's limits, over the names and
// properties of the corpus data: 64 children, depth 16, 256 nodes once
// references are expanded, funnels of 16 steps, and references that
// expand one segment many times (LargestLookup resolves them). They are the
// trees whose plans grow the most, made the same on every call.
func Largest() []Case {
	g := &largest{r: rand.New(rand.NewPCG(11, 6))}
	cases := []Case{
		{Name: "wide-events", JSON: g.json(g.wide("or", g.event))},
		{Name: "wide-funnels", JSON: g.json(g.wide("or", g.funnel))},
		{Name: "deep", JSON: g.json(g.deep(1, segment.MaxNodes))},
	}
	// A reference to seg_limit_r5 expands to 252 nodes; the rest of the
	// tree takes the count to the limit.
	refs := []any{obj{"type": "segment", "segment_id": fmt.Sprintf("seg_limit_r%d", limitLevels-1)}}
	for range segment.MaxNodes - 1 - limitNodes(limitLevels-1) {
		refs = append(refs, g.leaf())
	}
	cases = append(cases, Case{Name: "references", JSON: g.json(obj{"type": "and", "children": refs})})
	return cases
}

// LargestFunnels returns 16-step funnels, each with the number of steps
// to test exactly, to check a funnel's reached steps one at a time.
func LargestFunnels(n int) []Case {
	g := &largest{r: rand.New(rand.NewPCG(12, 7))}
	var out []Case
	for i := range n {
		f := g.funnel()
		f["reached"], f["exact"] = 1+i%4, true
		out = append(out, Case{Name: fmt.Sprintf("funnel-%d", i), JSON: g.json(f)})
	}
	return out
}

// limitLevels is how many segments reference each other: seg_limit_rK
// refers to seg_limit_r(K-1) twice, so the last expands the first 32 times.
const limitLevels = 6

// limitNodes is the size of seg_limit_rK expanded: an or of an and of the
// reference and a leaf, and a not of the reference.
func limitNodes(k int) int {
	if k == 0 {
		return 4
	}
	return 2*limitNodes(k-1) + 4
}

// LargestLookup resolves the segments of Largest's references.
func LargestLookup() segment.Lookup {
	g := &largest{r: rand.New(rand.NewPCG(13, 8))}
	base := obj{"type": "and", "children": []any{g.event(), g.funnel(), g.attribute()}}
	segs := map[string][]byte{"seg_limit_r0": g.json(base)}
	for k := 1; k < limitLevels; k++ {
		ref := func() obj { return obj{"type": "segment", "segment_id": fmt.Sprintf("seg_limit_r%d", k-1)} }
		segs[fmt.Sprintf("seg_limit_r%d", k)] = g.json(obj{"type": "or", "children": []any{
			obj{"type": "and", "children": []any{ref(), g.leaf()}}, obj{"type": "not", "child": ref()}}})
	}
	return segment.LookupFunc(func(_ context.Context, id string) (segment.Node, error) {
		data, ok := segs[id]
		if !ok {
			return nil, segment.ErrNotFound
		}
		return segment.Decode(data, "")
	})
}

type largest struct{ r *rand.Rand }

func (g *largest) json(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic("corpus: " + err.Error()) // maps of JSON values: cannot happen
	}
	return b
}

func (g *largest) pick(xs ...any) any { return xs[g.r.IntN(len(xs))] }

// wide is a node of 64 children: three of the other kind, with 64, 64 and
// 63 children, and 61 leaves, 256 nodes in all.
func (g *largest) wide(kind string, leaf func() obj) obj {
	other := map[string]string{"or": "and", "and": "or"}[kind]
	var children []any
	for _, n := range []int{64, 64, 63} {
		var inner []any
		for range n {
			inner = append(inner, leaf())
		}
		children = append(children, obj{"type": other, "children": inner})
	}
	for range segment.MaxChildren - 3 {
		children = append(children, leaf())
	}
	return obj{"type": kind, "children": children}
}

// deep nests or, and and not down to depth 16 with budget nodes in all:
// each or and and holds leaves and the next level.
func (g *largest) deep(depth, budget int) obj {
	if depth == segment.MaxDepth {
		return g.leaf()
	}
	inner := segment.MaxDepth - depth // the levels below, each a node, the last a leaf
	switch depth % 3 {
	case 0:
		return obj{"type": "not", "child": g.deep(depth+1, budget-1)}
	default:
		// Of the 10 and/or levels from here down, this one takes its
		// share of the leaves.
		levels := 0
		for d := depth; d < segment.MaxDepth; d++ {
			if d%3 != 0 {
				levels++
			}
		}
		leaves := (budget - inner - 1) / levels
		children := []any{}
		for range leaves {
			children = append(children, g.leaf())
		}
		children = append(children, g.deep(depth+1, budget-1-leaves))
		return obj{"type": map[int]string{1: "or", 2: "and"}[depth%3], "children": children}
	}
}

type obj = map[string]any

func (g *largest) leaf() obj {
	switch g.r.IntN(5) {
	case 0:
		return g.attribute()
	case 1, 2:
		return g.event()
	default:
		return g.funnel()
	}
}

func (g *largest) attribute() obj {
	return g.pick(
		obj{"type": "attribute", "field": "country", "op": "in", "value": []any{"JP", "KR", "US"}},
		obj{"type": "attribute", "field": "age", "op": "gte", "value": 20 + g.r.IntN(40)},
		obj{"type": "attribute", "field": "score", "op": "lt", "value": g.r.IntN(1000)},
		obj{"type": "attribute", "field": "last_seen", "op": "gte", "value": obj{"ago": "7d"}},
	).(obj)
}

// window is one of the window forms.
func (g *largest) window() obj {
	return g.pick(
		obj{"all": true}, obj{"last": "30d"}, obj{"last": "7d"}, obj{"last": "36h"},
		obj{"calendar": "week", "offset": -1}, obj{"calendar": "month", "offset": 0},
		obj{"since": "2026-10-01T00:00:00Z", "until": "2026-10-27T12:00:00Z"},
	).(obj)
}

// step is an event name with, sometimes, a predicate on its properties.
func (g *largest) step() obj {
	return g.pick(
		obj{"event": "view_item"},
		obj{"event": "view_item", "where": []any{obj{"property": "price", "op": "gt", "value": g.r.IntN(100)}}},
		obj{"event": "add_to_cart"},
		obj{"event": "$buy", "where": []any{obj{"property": "total", "op": "gt", "value": 0}}},
		obj{"event": "$buy"},
		obj{"event": "$session", "where": []any{obj{"property": "platform", "op": "in", "value": []any{"ios", "web"}}}},
		obj{"event": "$session"},
		obj{"event": "$meta"},
	).(obj)
}

func (g *largest) event() obj {
	s := g.step()
	e := obj{"type": "event", "event": s["event"], "window": g.window()}
	if w, ok := s["where"]; ok {
		e["where"] = w
	}
	prop := map[any]string{"view_item": "price", "add_to_cart": "price", "$buy": "items.price", "$session": "duration_s", "$meta": "plan"}[s["event"]]
	switch fn := g.pick("count", "count", "sum", "avg", "min", "max", "first", "last", "distinct_count").(string); fn {
	case "count":
		e["op"], e["value"] = "gte", 1+g.r.IntN(4)
	case "first", "last", "distinct_count":
		e["aggregate"] = obj{"fn": fn, "property": prop}
		if fn == "distinct_count" {
			e["op"], e["value"] = "gte", 2
		} else {
			e["op"] = "exists"
		}
	default:
		if prop == "plan" {
			prop = "isMember"
		}
		e["aggregate"] = obj{"fn": fn, "property": prop}
		e["op"], e["value"] = "gt", g.r.IntN(60)
	}
	return e
}

// funnel is a funnel of 16 steps (names repeat), most often tested for a
// few steps, which the data reaches.
func (g *largest) funnel() obj {
	var steps []any
	for range segment.MaxSteps {
		steps = append(steps, g.step())
	}
	f := obj{"type": "funnel", "steps": steps, "window": g.window(), "reached": 1 + g.r.IntN(5), "exact": g.r.IntN(4) == 0}
	if within := g.pick("", "1h", "1d", "7d").(string); within != "" {
		f["within"] = within
	}
	return f
}
