// Package compile turns an expanded segment tree into SQL, in two stages:
// Plan makes a dialect-free plan (fused or naive), and Render writes it in
// a dialect through the templates of templates/<dialect>. Every time in a
// plan is already resolved to an absolute instant, so the SQL carries no
// time zone logic: calendar windows are computed once, in Go.
package compile

import (
	"fmt"
	"time"

	"github.com/segmentd/segmentd/segment"
)

// Strategy selects how a tree becomes SQL.
type Strategy string

const (
	// Fused reads the events once: every event condition becomes a
	// filtered aggregate of one scan grouped by user, and the boolean tree
	// is evaluated over those aggregates with the app's users joined in.
	Fused Strategy = "fused"
	// Naive makes one query per leaf and combines them with INTERSECT,
	// UNION and EXCEPT. It is the baseline that fused is measured against.
	Naive Strategy = "naive"
)

// Options are what a compilation depends on besides the tree.
type Options struct {
	AppID    string
	AsOf     time.Time
	Location *time.Location // the app's time zone; nil is UTC
	Strategy Strategy       // "" is Fused
}

// Plan is a query before rendering: a *Query or a *SetOp.
type Plan interface{ plan() }

// Query selects the app's users that satisfy Cond, with the event
// aggregates of Scan and the funnels' reached steps joined in.
type Query struct {
	Scan    *Scan // nil when no condition reads events
	Funnels []*FunnelPlan
	Cond    Expr
}

// SetOp combines the users of its inputs: INTERSECT, UNION, or EXCEPT
// (the app's users less the one input: Inputs then holds one plan).
type SetOp struct {
	Op     string
	Inputs []Plan
}

func (*Query) plan() {}
func (*SetOp) plan() {}

// Scan is the one pass over the events of the app up to as_of.
type Scan struct {
	// Names are the event names any aggregate reads; the scan reads no
	// other events.
	Names []string
	// From is the earliest instant any aggregate reads (zero: unbounded).
	From time.Time
	Aggs []*Agg
}

// Agg is one filtered aggregate of the scan, a column of its result.
type Agg struct {
	Col    string
	Fn     segment.AggFn
	Source *Source // the aggregated property; nil for count
	Filter Filter
}

// ZeroWhenEmpty reports whether the aggregate is 0, not undefined, for a
// user with no matching events or values.
func (a *Agg) ZeroWhenEmpty() bool { return segment.Aggregate{Fn: a.Fn}.ZeroWhenEmpty() }

// Filter selects the events of one condition or funnel step.
type Filter struct {
	Name   string
	From   time.Time // zero: unbounded
	FromEx bool      // From is exclusive
	Until  time.Time // zero: only as_of
	Where  []*Cond
}

// FunnelPlan computes, per user, the most steps reached.
type FunnelPlan struct {
	Alias  string
	Steps  []Filter // Steps[0] carries the funnel's window
	Within time.Duration // 0 means no bound
}

// Expr is a boolean expression over a user's row.
type Expr interface{ expr() }

// BoolOp is AND or OR of its args.
type BoolOp struct {
	Op   string
	Args []Expr
}

// NotExpr negates its arg. Every leaf is two-valued (never NULL), so NOT is
// exact.
type NotExpr struct{ Arg Expr }

// Cond applies a comparison to a list of values (Source set: a user field
// or an event property) or to one aggregate (Agg set).
type Cond struct {
	Source *Source
	Agg    *Agg
	Cmp    Comparison
}

// FunnelCond tests a funnel's reached steps.
type FunnelCond struct {
	Funnel  *FunnelPlan
	Reached int
	Exact   bool
}

func (*BoolOp) expr()     {}
func (*NotExpr) expr()    {}
func (*Cond) expr()       {}
func (*FunnelCond) expr() {}

// Source names where values come from: a JSON path under a row's
// attributes or properties, or a built-in user field.
type Source struct {
	Root    string   // "attributes" or "properties"
	Path    []string // for Root
	Builtin string   // user_id, first_seen or last_seen
}

// Comparison is an operator with its operands resolved: times are
// absolute, and the operands of in and not_in are split by type.
type Comparison struct {
	Op   segment.Op
	Kind string // number, string, bool or time: the type a value needs
	Args []any  // scalar operands (two for between)
	Strs []any  // in, not_in: the string operands
	Nums []any  // in, not_in: the number operands
}

// MakePlan plans an expanded, valid tree.
func MakePlan(tree segment.Node, opt Options) (Plan, error) {
	if opt.Location == nil {
		opt.Location = time.UTC
	}
	if opt.Strategy == Naive {
		return naive(tree, opt)
	}
	p := &planner{opt: opt}
	cond, err := p.expr(tree)
	if err != nil {
		return nil, err
	}
	return p.query(cond), nil
}

// naive plans one fused query per leaf and combines them with set
// operations.
func naive(n segment.Node, opt Options) (Plan, error) {
	leaf := func(n segment.Node) (Plan, error) {
		p := &planner{opt: opt}
		cond, err := p.expr(n)
		if err != nil {
			return nil, err
		}
		return p.query(cond), nil
	}
	combine := func(op string, ns []segment.Node) (Plan, error) {
		s := &SetOp{Op: op}
		for _, c := range ns {
			in, err := naive(c, opt)
			if err != nil {
				return nil, err
			}
			s.Inputs = append(s.Inputs, in)
		}
		return s, nil
	}
	switch n := n.(type) {
	case *segment.And:
		return combine("INTERSECT", n.Children)
	case *segment.Or:
		return combine("UNION", n.Children)
	case *segment.Not:
		return combine("EXCEPT", []segment.Node{n.Child})
	}
	return leaf(n)
}

// planner builds one Query.
type planner struct {
	opt     Options
	scan    Scan
	funnels []*FunnelPlan
}

func (p *planner) query(cond Expr) *Query {
	q := &Query{Funnels: p.funnels, Cond: cond}
	if len(p.scan.Aggs) > 0 {
		q.Scan = &p.scan
	}
	return q
}

func (p *planner) expr(n segment.Node) (Expr, error) {
	switch n := n.(type) {
	case *segment.And:
		return p.boolOp("AND", n.Children)
	case *segment.Or:
		return p.boolOp("OR", n.Children)
	case *segment.Not:
		arg, err := p.expr(n.Child)
		return &NotExpr{Arg: arg}, err
	case *segment.Attribute:
		src := &Source{Root: "attributes", Path: segment.PathSegments(n.Field)}
		switch n.Field {
		case segment.FieldUserID, segment.FieldFirstSeen, segment.FieldLastSeen:
			src = &Source{Builtin: n.Field}
		}
		return &Cond{Source: src, Cmp: p.comparison(n.Op, n.Value)}, nil
	case *segment.Event:
		return &Cond{Agg: p.agg(n), Cmp: p.comparison(n.Op, n.Value)}, nil
	case *segment.Funnel:
		return p.funnel(n), nil
	default:
		return nil, fmt.Errorf("compile: %T must be expanded before planning", n)
	}
}

func (p *planner) boolOp(op string, ns []segment.Node) (Expr, error) {
	b := &BoolOp{Op: op}
	for _, c := range ns {
		e, err := p.expr(c)
		if err != nil {
			return nil, err
		}
		b.Args = append(b.Args, e)
	}
	return b, nil
}

func (p *planner) filter(name string, where []segment.Predicate, w segment.Window) Filter {
	b := w.Resolve(p.opt.AsOf, p.opt.Location)
	f := Filter{Name: name, From: b.From, FromEx: b.FromExclusive, Until: b.Until}
	for _, pr := range where {
		f.Where = append(f.Where, &Cond{
			Source: &Source{Root: "properties", Path: segment.PathSegments(pr.Property)},
			Cmp:    p.comparison(pr.Op, pr.Value),
		})
	}
	return f
}

func (p *planner) agg(n *segment.Event) *Agg {
	a := &Agg{
		Col:    fmt.Sprintf("a%d", len(p.scan.Aggs)),
		Fn:     n.Aggregate.Fn,
		Filter: p.filter(n.Event, n.Where, n.Window),
	}
	if n.Aggregate.Property != "" {
		a.Source = &Source{Root: "properties", Path: segment.PathSegments(n.Aggregate.Property)}
	}
	s := &p.scan
	if !contains(s.Names, n.Event) {
		s.Names = append(s.Names, n.Event)
	}
	// The scan starts at the earliest bound of all its aggregates; one
	// unbounded aggregate leaves it unbounded.
	switch {
	case len(s.Aggs) == 0:
		s.From = a.Filter.From
	case a.Filter.From.IsZero() || a.Filter.From.Before(s.From):
		s.From = a.Filter.From
	}
	s.Aggs = append(s.Aggs, a)
	return a
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func (p *planner) funnel(n *segment.Funnel) Expr {
	f := &FunnelPlan{Alias: fmt.Sprintf("f%d", len(p.funnels))}
	for i, s := range n.Steps {
		w := segment.Window{Kind: segment.WindowAll}
		if i == 0 {
			w = n.Window
		}
		f.Steps = append(f.Steps, p.filter(s.Event, s.Where, w))
	}
	if n.Within != nil {
		f.Within = n.Within.Std()
	}
	p.funnels = append(p.funnels, f)
	return &FunnelCond{Funnel: f, Reached: n.Reached, Exact: n.Exact}
}

// comparison resolves operands: times to instants at as_of (at microsecond
// precision, the engines' own), the values of in and not_in split by type.
func (p *planner) comparison(op segment.Op, v segment.Value) Comparison {
	c := Comparison{Op: op}
	scalar := func(v segment.Value) any {
		switch v.Kind {
		case segment.KindNumber:
			c.Kind = "number"
			return v.Num
		case segment.KindString:
			c.Kind = "string"
			return v.Str
		case segment.KindBool:
			c.Kind = "bool"
			return v.Bool
		case segment.KindTime:
			c.Kind = "time"
			return v.Instant(p.opt.AsOf).UTC().Truncate(time.Microsecond)
		}
		return nil
	}
	switch {
	case op == segment.OpIn || op == segment.OpNotIn:
		for _, x := range v.List {
			if x.Kind == segment.KindString {
				c.Strs = append(c.Strs, x.Str)
			} else {
				c.Nums = append(c.Nums, x.Num)
			}
		}
	case v.Kind == segment.KindList:
		for _, x := range v.List {
			c.Args = append(c.Args, scalar(x))
		}
	case op.TakesValue():
		c.Args = []any{scalar(v)}
	}
	return c
}
