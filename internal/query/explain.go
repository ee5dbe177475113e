package query

import (
	"context"
	"slices"
	"time"

	"github.com/segmentd/segmentd/internal/compile"
	"github.com/segmentd/segmentd/segment"
)

// NodeCount is what explain reports of one node of a tree.
type NodeCount struct {
	// Pointer addresses the node in the tree as given ("" for the root);
	// the nodes of an expanded reference's tree are under the
	// reference's pointer followed by /tree.
	Pointer   string `json:"pointer"`
	Type      string `json:"type"`
	SegmentID string `json:"segment_id,omitempty"`
	// Count is how many of the app's users satisfy the node alone.
	Count int64 `json:"count"`
	// Cumulative, for an and (or), is how many users satisfy its first
	// k+1 children all (any): the attrition in the children's order.
	Cumulative []int64 `json:"cumulative,omitempty"`
}

// Explanation is the size of every node of a tree.
type Explanation struct {
	Count     int64 // the tree's members
	Users     int64 // the app's users
	Watermark time.Time
	Nodes     []NodeCount
}

// Explain counts the users of every node of the tree, and the attrition
// of every and and or, in one engine query (compile.MakeExplain), once
// the gate admits it. It is not cached: a marketer explains a tree while
// editing it.
func (s *Service) Explain(ctx context.Context, req Request, expandRefs bool) (Explanation, error) {
	wm, err := s.cfg.Fresh.Watermark(ctx, req.App.ID)
	if err != nil {
		return Explanation{}, unavailable(err)
	}
	ex := NewExplainer(req.Given, req.Tree, expandRefs)
	release, err := s.cfg.Gate.Acquire(ctx, req.App.ID)
	if err != nil {
		return Explanation{}, err
	}
	defer release()
	ctx, cancel := context.WithTimeout(ctx, s.cfg.QueryTimeout)
	defer cancel()
	split, err := s.cfg.Engine.Split(ctx, req.App.ID, req.AsOf)
	if err != nil {
		return Explanation{}, unavailable(err)
	}
	opt := compile.Options{AppID: req.App.ID, AsOf: req.AsOf, Location: req.Loc, Split: split}
	q, err := compile.CompileExplain(req.Tree, ex.Columns, s.Dialect(), opt, s.cfg.Engine.Tables())
	if err != nil {
		return Explanation{}, err
	}
	counts, err := s.cfg.Engine.Counts(ctx, q)
	if err != nil {
		return Explanation{}, classify(ctx, s.cfg.QueryTimeout, err)
	}
	x := Explanation{Users: counts[0], Watermark: wm, Nodes: ex.Nodes(counts[1:])}
	x.Count = x.Nodes[0].Count
	return x, nil
}

// Explainer is the columns of a tree's explain query, and how their
// counts fill the tree's nodes.
type Explainer struct {
	Columns []compile.Column
	e       *explained
}

// NewExplainer lists the nodes of the tree as given (and of expanded
// references' trees, with expandRefs) and the columns that count them.
func NewExplainer(given, expanded segment.Node, expandRefs bool) *Explainer {
	e, cols := explainColumns(given, expanded, expandRefs)
	return &Explainer{Columns: cols, e: e}
}

// Nodes are the nodes with their counts: counts holds one per column (the
// explain query's row after the app's users).
func (x *Explainer) Nodes(counts []int64) []NodeCount { return x.e.fill(counts) }

// explained are the nodes reported and, for each, the indexes of its
// columns: its own count, then its cumulative counts from the second
// child on (the first is the first child's own).
type explained struct {
	nodes []NodeCount
	own   []int
	cum   [][]int // column indexes of the cumulative counts after the first
	first []int   // the node index of an and's or or's first child
}

func (e *explained) fill(counts []int64) []NodeCount {
	nodes := slices.Clone(e.nodes)
	for i := range nodes {
		nodes[i].Count = counts[e.own[i]]
	}
	for i, cols := range e.cum {
		if cols == nil {
			continue
		}
		cum := []int64{nodes[e.first[i]].Count}
		for _, c := range cols {
			cum = append(cum, counts[c])
		}
		nodes[i].Cumulative = cum
	}
	return nodes
}

// explainColumns lists the nodes of the tree as given (and of expanded
// references' trees, with expandRefs) and the columns that count them,
// over the nodes of the expanded tree: the two trees have the same shape
// but where a reference stands, so a pointer finds a node in both.
func explainColumns(given, expanded segment.Node, expandRefs bool) (*explained, []compile.Column) {
	byPtr := map[string]segment.Node{}
	segment.Walk(expanded, "", func(n segment.Node, ptr string, _ int) bool {
		byPtr[ptr] = n
		return true
	})
	e := &explained{}
	var cols []compile.Column
	index := map[string]int{} // node index by pointer in the expanded tree
	add := func(n segment.Node, ptr, at, segmentID string) {
		index[at] = len(e.nodes)
		e.nodes = append(e.nodes, NodeCount{Pointer: ptr, Type: segment.TypeName(n), SegmentID: segmentID})
		e.own = append(e.own, len(cols))
		cols = append(cols, compile.Column{Nodes: []segment.Node{byPtr[at]}})
		e.cum = append(e.cum, nil)
		e.first = append(e.first, 0)
	}
	// cumulative adds the attrition columns of the and/or at node index i.
	cumulative := func(i int, x segment.Node, at string) {
		op := "AND"
		switch x.(type) {
		case *segment.And:
		case *segment.Or:
			op = "OR"
		default:
			return
		}
		children := segment.Children(x)
		col := compile.Column{Op: op}
		var idx []int
		for k, c := range children {
			col.Nodes = append(col.Nodes[:k:k], c)
			if k > 0 {
				idx = append(idx, len(cols))
				cols = append(cols, compile.Column{Op: op, Nodes: col.Nodes})
			}
		}
		e.cum[i] = idx
		e.first[i] = index[at+"/children/0"]
	}
	var ops []func()
	segment.Walk(given, "", func(n segment.Node, ptr string, _ int) bool {
		ref, isRef := n.(*segment.SegmentRef)
		if !isRef {
			add(n, ptr, ptr, "")
			i, x := len(e.nodes)-1, byPtr[ptr]
			ops = append(ops, func() { cumulative(i, x, ptr) })
			return true
		}
		add(n, ptr, ptr, ref.SegmentID)
		if expandRefs {
			segment.Walk(byPtr[ptr], ptr, func(x segment.Node, at string, _ int) bool {
				add(x, ptr+"/tree"+at[len(ptr):], at, "")
				i := len(e.nodes) - 1
				ops = append(ops, func() { cumulative(i, x, at) })
				return true
			})
		}
		return true
	})
	// The attrition columns come after every node's own, whose indexes
	// they read for the first child.
	for _, op := range ops {
		op()
	}
	return e, cols
}
