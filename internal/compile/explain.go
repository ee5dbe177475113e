package compile

import (
	"fmt"
	"slices"

	"github.com/segmentd/segmentd/segment"
)

// Column is what a column of an explain query counts: the users that
// satisfy all (Op "AND") or any (Op "OR") of Nodes, or the one node's.
type Column struct {
	Op    string
	Nodes []segment.Node
}

// Explain is a query that counts the app's users, and those of each of
// Columns, in one pass: the fused query's scan and funnels, with the
// truth of each leaf condition a column of every user's row (l0, l1, …)
// and each answer column a count over those rows. No node is evaluated by
// a second pass over the events.
type Explain struct {
	Query   *Query
	Leaves  []Expr // the conditions (Cond, FunnelCond) the columns read
	Columns []Expr // boolean formulas over LeafRef
	// AttrKeys are the first keys of the attribute paths the leaves read,
	// extracted from each user's attributes at once (one parse of the
	// JSON a user, where the leaves would parse it once each: explain
	// evaluates every leaf for every user, a count only until its and or
	// or is decided). Each such Source's Pre is its key's place here.
	AttrKeys []string
	// ScanOnly: every leaf is an aggregate of the scan, and every event's
	// user has a profile (Tables.EventsProfiled). The rows are then the
	// scan's users, and the app's users without a row, alike in every
	// leaf (no events), are counted by their number: the users are not
	// joined to the scan, which costs explain as much as the aggregates
	// it adds to the count (a fused count joins only the users its
	// filter leaves).
	ScanOnly bool
	// OnUsers[i]: Leaves[i] reads only the user's profile. Such leaves are
	// computed below the join with the scan, which then carries their
	// truths instead of the columns they read (the typed attributes,
	// their JSON text): 8–18% of explain on segbench's trees that read
	// attributes.
	OnUsers []bool
}

func (*Explain) relation() {}

// LeafRef is the truth of Explain.Leaves[Leaf] in a user's row.
type LeafRef struct{ Leaf int }

func (*LeafRef) expr() {}

// MakeExplain plans the explain query of an expanded, valid tree whose
// Columns' nodes are nodes of tree. The query returns one row: the number
// of the app's users, then each column's count.
func MakeExplain(tree segment.Node, cols []Column, opt Options) (*Plan, error) {
	pl := newPlan(&opt)
	p := newPlanner(opt, pl)
	p.exprs = map[segment.Node]Expr{}
	cond, err := p.expr(tree)
	if err != nil {
		return nil, err
	}
	x := &Explain{Query: p.query(cond)}
	leaves := map[Expr]int{}
	var formula func(e Expr) Expr
	formula = func(e Expr) Expr {
		switch e := e.(type) {
		case *BoolOp:
			f := &BoolOp{Op: e.Op}
			for _, a := range e.Args {
				f.Args = append(f.Args, formula(a))
			}
			return f
		case *NotExpr:
			return &NotExpr{Arg: formula(e.Arg)}
		}
		i, ok := leaves[e]
		if !ok {
			i = len(x.Leaves)
			leaves[e] = i
			x.Leaves = append(x.Leaves, e)
		}
		return &LeafRef{Leaf: i}
	}
	for _, c := range cols {
		f := &BoolOp{Op: c.Op}
		for _, n := range c.Nodes {
			e, ok := p.exprs[n]
			if !ok {
				return nil, fmt.Errorf("compile: explain: a column's node (%T) is not in the tree", n)
			}
			f.Args = append(f.Args, formula(e))
		}
		if len(f.Args) == 1 {
			x.Columns = append(x.Columns, f.Args[0])
		} else {
			x.Columns = append(x.Columns, f)
		}
	}
	x.preExtract()
	for _, l := range x.Leaves {
		c, ok := l.(*Cond)
		x.OnUsers = append(x.OnUsers, ok && c.Source != nil && (c.Source.Root == "attributes" || c.Source.Builtin != ""))
	}
	x.ScanOnly = opt.profiled && x.Query.Scan != nil && len(x.Query.Funnels) == 0 && !slices.ContainsFunc(x.Leaves, func(l Expr) bool {
		c, ok := l.(*Cond)
		return !ok || c.Agg == nil
	})
	pl.Root = x
	return pl, nil
}

// preExtract fills AttrKeys and the attribute sources' Pre.
func (x *Explain) preExtract() {
	for _, l := range x.Leaves {
		c, ok := l.(*Cond)
		if !ok || c.Source == nil || c.Source.Root != "attributes" || c.Source.Typed != "" {
			continue
		}
		i := slices.Index(x.AttrKeys, c.Source.Path[0])
		if i < 0 {
			i = len(x.AttrKeys)
			x.AttrKeys = append(x.AttrKeys, c.Source.Path[0])
		}
		c.Source.Pre = i + 1
	}
}

// CompileExplain plans and renders an explain query.
func CompileExplain(tree segment.Node, cols []Column, d *Dialect, opt Options, tables Tables) (*SQL, error) {
	opt.typed, opt.numbers, opt.profiled = tables.Typed, tables.Numbers, tables.EventsProfiled
	p, err := MakeExplain(tree, cols, opt)
	if err != nil {
		return nil, err
	}
	return Render(p, d, tables)
}
