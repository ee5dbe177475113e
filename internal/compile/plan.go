// Package compile turns an expanded segment tree into SQL, in two stages:
// Plan makes a dialect-free plan (fused or naive), and Render writes it in
// a dialect through the templates of templates/<dialect>. Every time in a
// plan is already resolved to an absolute instant, so the SQL carries no
// time zone logic: calendar windows are computed once, in Go.
package compile

import (
	"encoding/binary"
	"fmt"
	"slices"
	"strconv"
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
	// Split, for an engine that keeps events in two stores (Trino over
	// Parquet history and fresh Cassandra partitions), says which part is
	// read where. nil: one events table.
	Split *Split
	// typed is Tables.Typed of the tables the plan is rendered for.
	typed map[string]string
	// numbers is their Tables.Numbers.
	numbers map[TypedProperty]string
	// profiled is their EventsProfiled.
	profiled bool
}

// Split describes events kept in two stores with an exact boundary, so that
// every event is read once: events of days before Boundary from history,
// events of the fresh days from the fresh store, read by their partition
// keys (app, day, bucket) so that the fresh store is never scanned whole,
// and late events (which arrived for days already past the boundary) from
// their own table, less those history or the fresh store already hold.
type Split struct {
	Boundary  string   // YYYY-MM-DD, UTC: the first day not in history
	FreshDays []string // YYYY-MM-DD, UTC: the fresh store's days to read
	Buckets   int      // partitions per app and day (and per app for users), named "0"…
}

// Plan is a query before rendering. Values never appear in it: each is a
// Param, a slot of Params, which the SQL reads as a positional parameter.
type Plan struct {
	Root   Relation
	Params []any
	// Split holds the slots of Options.Split, rendered where the query
	// names its events and users.
	Split *SplitPlan
}

// SplitPlan is Options.Split in parameter slots.
type SplitPlan struct {
	Boundary Param
	Days     []Param
	Buckets  []Param
}

// Param is a slot of Plan.Params.
type Param int

// The first two slots of every plan.
const (
	ParamApp  Param = 0 // the app ID
	ParamAsOf Param = 1 // as_of
)

// Relation is a set of users: a *Query or a *SetOp.
type Relation interface{ relation() }

// Query selects the app's users that satisfy Cond, with the event
// aggregates of Scan and the funnels' reached steps joined in.
type Query struct {
	Scan    *Scan // nil when no condition reads events
	Funnels []*FunnelPlan
	// StepEvents are the distinct events (a name and predicates, no
	// window) of the funnels' steps, and Reads the events of the scan's
	// branches and of the funnels' steps, one branch per name, for a
	// dialect that reads them all in the scan.
	StepEvents []Filter
	Reads      []*Branch
	Cond       Expr
}

// SetOp combines the users of its inputs: INTERSECT, UNION, or EXCEPT
// (the app's users less the one input: Inputs then holds one plan).
type SetOp struct {
	Op     string
	Inputs []Relation
}

func (*Query) relation() {}
func (*SetOp) relation() {}

// Scan is the one pass over the events of the app up to as_of.
type Scan struct {
	// Branches are the events the aggregates read, one per event name;
	// the scan reads no other events (but those of Query.Reads where the
	// funnels are computed in the scan too).
	Branches []*Branch
	Aggs     []*Agg
}

// Branch bounds the events of one name that a scan reads: the smallest
// window holding the windows of every aggregate of that name.
type Branch struct {
	Name  Param
	From  *Param // nil: unbounded
	Until *Param // nil: only as_of
	// Ordered: an aggregate of the branch is first or last, so its rows
	// carry their time and event ID.
	Ordered bool

	from, until time.Time // the bounds' values; zero: unbounded
}

// Agg is one filtered aggregate of the scan, a column of its result.
type Agg struct {
	Col    string
	Fn     segment.AggFn
	Source *Source // the aggregated property; nil for count
	Filter Filter
	Branch int // the index of the scan's branch of Filter's event name
}

// ZeroWhenEmpty reports whether the aggregate is 0, not undefined, for a
// user with no matching events or values.
func (a *Agg) ZeroWhenEmpty() bool { return segment.Aggregate{Fn: a.Fn}.ZeroWhenEmpty() }

// Filter selects the events of one condition or funnel step.
type Filter struct {
	Name   Param
	From   *Param // nil: unbounded
	FromEx bool   // From is exclusive
	Until  *Param // nil: only as_of
	Where  []*Cond

	from, until time.Time // From's and Until's values, for the scan's bounds
}

// FunnelPlan computes, per user, the most steps reached.
type FunnelPlan struct {
	Alias  string
	Steps  []Filter // Steps[0] carries the funnel's window
	Events []int    // Events[k]: the index of step k's events in Query.StepEvents
	Within *Param   // milliseconds; nil means no bound
	// Partial: a condition reads a number of steps reached below all of
	// them. Without it only the users who reach every step matter, and
	// an engine may leave the others out early (DuckDB: only the users
	// with an event of the last step are walked).
	Partial bool
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
	Reached Param
	Exact   bool
}

// Guard is Guarded for a user with a row in the scan, false for any
// other (see narrow). Its field's name keeps its shape apart from a
// NotExpr's for the render cache.
type Guard struct{ Guarded Expr }

func (*BoolOp) expr()     {}
func (*NotExpr) expr()    {}
func (*Cond) expr()       {}
func (*FunnelCond) expr() {}
func (*Guard) expr()      {}

// Source names where values come from: a JSON path under a row's
// attributes or properties, or a built-in user field.
type Source struct {
	Root    string   // "attributes" or "properties"
	Path    []string // for Root
	Builtin string   // user_id, first_seen or last_seen
	// Pre, in an explain query, is where the value of the path's first
	// key sits (1-based) in the list Explain.AttrKeys extracted from each
	// user's attributes; 0: not extracted before.
	Pre int `json:",omitempty"`
	// Typed is the users' column that keeps the path's first key typed
	// (Tables.Typed), read instead of the JSON; "": none.
	Typed string `json:",omitempty"`
	// Numbers, for a property of which a numeric aggregate or predicate
	// reads only the numbers, is the events' column that keeps them for
	// the events of the condition's name (Tables.Numbers); "": none.
	Numbers string `json:",omitempty"`
}

// Comparison is an operator with its operands resolved: times are
// absolute, and the operands of in and not_in are split by type.
type Comparison struct {
	Op   segment.Op
	Kind string  // number, string, bool or time: the type a value needs
	Args []Param // scalar operands (two for between)
	Strs []Param // in, not_in: the string operands
	Nums []Param // in, not_in: the number operands
}

// MakePlan plans an expanded, valid tree.
func MakePlan(tree segment.Node, opt Options) (*Plan, error) {
	pl := newPlan(&opt)
	var root Relation
	var err error
	if opt.Strategy == Naive {
		root, err = naive(tree, opt, pl)
	} else {
		root, err = query(tree, opt, pl)
	}
	if err != nil {
		return nil, err
	}
	pl.Root = root
	return pl, nil
}

// newPlan is a plan with the slots of every plan: the app, as_of, and
// the split's values. It defaults opt's Location to UTC.
func newPlan(opt *Options) *Plan {
	if opt.Location == nil {
		opt.Location = time.UTC
	}
	pl := &Plan{Params: []any{opt.AppID, opt.AsOf.UTC()}}
	if sp := opt.Split; sp != nil {
		slot := func(v any) Param {
			pl.Params = append(pl.Params, v)
			return Param(len(pl.Params) - 1)
		}
		pl.Split = &SplitPlan{Boundary: slot(sp.Boundary)}
		for _, d := range sp.FreshDays {
			pl.Split.Days = append(pl.Split.Days, slot(d))
		}
		for b := range sp.Buckets {
			pl.Split.Buckets = append(pl.Split.Buckets, slot(strconv.Itoa(b)))
		}
	}
	return pl
}

// query plans the fused query of a tree.
func query(n segment.Node, opt Options, pl *Plan) (*Query, error) {
	p := newPlanner(opt, pl)
	cond, err := p.expr(n)
	if err != nil {
		return nil, err
	}
	q := p.query(cond)
	if q.Scan != nil {
		q.Cond = narrow(q.Cond, pl.Params)
	}
	return q, nil
}

// narrow lets a query evaluate its attribute conditions only for the
// users its event conditions leave, where the tree allows it: an AND one
// of whose args is false for every user without events in the scan (a
// user with no row: count gte 1, sum gt 0, any comparison of an avg, min,
// max, first or last, or a NOT of one true for such a user, as count eq
// 0). Its args that read no aggregate are then guarded by the user's row
// (Guard), which holds them above the join with the scan, where the
// engines evaluate them after the cheaper tests of the aggregates have
// dropped most users; written as they are, they are pushed below the join
// and tested on every user of the app. The args that read aggregates come
// first, for an engine that tests an AND's args in order.
func narrow(e Expr, params []any) Expr {
	if b, ok := e.(*BoolOp); !ok || b.Op != "AND" {
		return e
	}
	// The args of nested ANDs are the AND's own (an engine would push
	// theirs below the join too).
	var args []Expr
	var flatten func(e Expr)
	flatten = func(e Expr) {
		if b, ok := e.(*BoolOp); ok && b.Op == "AND" {
			for _, a := range b.Args {
				flatten(a)
			}
			return
		}
		args = append(args, e)
	}
	flatten(e)
	requires := false
	for _, a := range args {
		if v, known := rowless(a, params); known && !v {
			requires = true
		}
	}
	if !requires {
		return e
	}
	out := &BoolOp{Op: "AND"}
	var guarded []Expr
	for _, a := range args {
		if readsAgg(a) {
			out.Args = append(out.Args, a)
		} else {
			guarded = append(guarded, &Guard{Guarded: a})
		}
	}
	out.Args = append(out.Args, guarded...)
	return out
}

// rowless is the value of e for a user without a row in the scan, when
// it is known without the user's attributes and funnels.
func rowless(e Expr, params []any) (v, known bool) {
	switch e := e.(type) {
	case *NotExpr:
		v, known = rowless(e.Arg, params)
		return !v, known
	case *BoolOp:
		// AND: false if an arg is, true if all are; OR the converse.
		stop := e.Op == "OR"
		all := true
		for _, a := range e.Args {
			av, ak := rowless(a, params)
			if ak && av == stop {
				return stop, true
			}
			all = all && ak
		}
		return !stop, all
	case *Cond:
		if e.Agg == nil {
			return false, false
		}
		return emptyAgg(e.Agg, e.Cmp, params)
	}
	return false, false
}

// emptyAgg is the value of a condition on an aggregate of no events: 0
// for count, sum and distinct_count, compared with number operands (a
// comparison of an operand of another type is false, as the SQL's
// is); undefined for the others, which only not_exists holds of.
func emptyAgg(a *Agg, c Comparison, params []any) (v, known bool) {
	if !a.ZeroWhenEmpty() {
		return c.Op == segment.OpNotExists, true
	}
	num := func(p Param) (float64, bool) { f, ok := params[p].(float64); return f, ok }
	switch c.Op {
	case segment.OpExists:
		return true, true
	case segment.OpNotExists:
		return false, true
	case segment.OpIn, segment.OpNotIn:
		in := false
		for _, p := range c.Nums {
			if f, _ := num(p); f == 0 {
				in = true
			}
		}
		// not_in also holds of a number outside the list.
		return in == (c.Op == segment.OpIn), true
	}
	if c.Kind != "number" {
		return false, true
	}
	x, ok := num(c.Args[0])
	if !ok {
		return false, false
	}
	switch c.Op {
	case segment.OpEq:
		return x == 0, true
	case segment.OpNeq:
		return x != 0, true
	case segment.OpLt:
		return 0 < x, true
	case segment.OpLte:
		return 0 <= x, true
	case segment.OpGt:
		return 0 > x, true
	case segment.OpGte:
		return 0 >= x, true
	case segment.OpBetween:
		y, ok := num(c.Args[1])
		return x <= 0 && 0 <= y, ok
	}
	return false, false
}

// readsAgg reports whether e reads an aggregate of the scan.
func readsAgg(e Expr) bool {
	switch e := e.(type) {
	case *NotExpr:
		return readsAgg(e.Arg)
	case *BoolOp:
		return slices.ContainsFunc(e.Args, readsAgg)
	case *Cond:
		return e.Agg != nil
	}
	return false
}

func newPlanner(opt Options, pl *Plan) *planner {
	return &planner{opt: opt, plan: pl, aggs: map[aggKey]*Agg{}, funnelsBy: map[funnelKey]*FunnelPlan{}, stepsBy: map[eventsKey]int{}}
}

// query is the fused query of cond, with what planning it made.
func (p *planner) query(cond Expr) *Query {
	q := &Query{Funnels: p.funnels, StepEvents: p.stepEvents, Cond: cond}
	if len(p.scan.Aggs) > 0 {
		p.scan.Branches = p.params(p.branches)
		q.Scan = &p.scan
	}
	if len(p.reads.list) > 0 {
		q.Reads = p.params(p.reads)
	}
	return q
}

// params puts the names and bounds of branches in slots.
func (p *planner) params(bs branches) []*Branch {
	for i, b := range bs.list {
		b.Name, b.From, b.Until = p.param(bs.names[i]), p.instant(b.from), p.instant(b.until)
	}
	return bs.list
}

// branches are the events read of each name, in the order the names
// first occur.
type branches struct {
	names []string
	list  []*Branch
}

// add widens the branch of name to hold a window and returns its index.
func (bs *branches) add(name string, from, until time.Time) int {
	i := slices.Index(bs.names, name)
	if i < 0 {
		bs.names = append(bs.names, name)
		bs.list = append(bs.list, &Branch{from: from, until: until})
		return len(bs.list) - 1
	}
	// A branch's window is the smallest holding the windows it reads for;
	// a zero bound is unbounded and stays so.
	b := bs.list[i]
	if from.IsZero() || from.Before(b.from) {
		b.from = from
	}
	if until.IsZero() || !b.until.IsZero() && until.After(b.until) {
		b.until = until
	}
	return i
}

// naive plans one fused query per leaf and combines them with set
// operations.
func naive(n segment.Node, opt Options, pl *Plan) (Relation, error) {
	combine := func(op string, ns []segment.Node) (Relation, error) {
		s := &SetOp{Op: op}
		for _, c := range ns {
			in, err := naive(c, opt, pl)
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
	return query(n, opt, pl)
}

// planner builds one Query.
type planner struct {
	opt     Options
	plan    *Plan
	scan    Scan
	funnels []*FunnelPlan
	// branches are what the aggregates read, and reads what the
	// aggregates and the funnels do.
	branches, reads branches
	// aggs and funnelsBy find an aggregate or a funnel planned already
	// for the same events: a tree that references one segment many
	// times, or repeats a condition, computes it once.
	aggs       map[aggKey]*Agg
	funnelsBy  map[funnelKey]*FunnelPlan
	stepEvents []Filter
	stepsBy    map[eventsKey]int // the index in stepEvents
	// exprs, when not nil, records the expression of every node
	// (MakeExplain).
	exprs map[segment.Node]Expr
}

// eventsKey tells the events of two conditions apart: a name, a window
// resolved at as_of (so "7d" is "168h"), and the canonical text of the
// predicates, written only when there are some (most conditions have
// none, and compiling stays cheap).
type eventsKey struct {
	name        string
	from, until time.Time
	fromEx      bool
	where       string
}

// aggKey is an aggregate of some events.
type aggKey struct {
	events eventsKey
	agg    segment.Aggregate
}

// funnelKey is a funnel less its test (reached, exact).
type funnelKey struct {
	window eventsKey // the first step's window
	within time.Duration
	steps  string // the steps' indexes in stepEvents, as uvarints
}

func eventsKeyOf(name string, where []segment.Predicate, b segment.Bounds) eventsKey {
	k := eventsKey{name: name, from: b.From, until: b.Until, fromEx: b.FromExclusive}
	if len(where) > 0 {
		k.where = (&segment.Event{Where: where}).String()
	}
	return k
}

// param puts a value in a new slot.
func (p *planner) param(v any) Param {
	p.plan.Params = append(p.plan.Params, v)
	return Param(len(p.plan.Params) - 1)
}

// instant puts a time in a new slot, nil for the zero time.
func (p *planner) instant(t time.Time) *Param {
	if t.IsZero() {
		return nil
	}
	x := p.param(t.UTC())
	return &x
}

func (p *planner) expr(n segment.Node) (Expr, error) {
	e, err := p.node(n)
	if p.exprs != nil && err == nil {
		p.exprs[n] = e
	}
	return e, err
}

func (p *planner) node(n segment.Node) (Expr, error) {
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
		src.Typed = p.opt.typed[src.Path[0]]
		switch n.Field {
		case segment.FieldUserID, segment.FieldFirstSeen, segment.FieldLastSeen:
			src = &Source{Builtin: n.Field}
		}
		return &Cond{Source: src, Cmp: p.comparison(n.Op, n.Value)}, nil
	case *segment.Event:
		return &Cond{Agg: p.agg(n), Cmp: p.comparison(n.Op, n.Value)}, nil
	case *segment.Funnel:
		return p.funnel(n), nil
	case *segment.SegmentRef:
		return nil, fmt.Errorf("compile: segment %q: %w", n.SegmentID, segment.ErrUnexpanded)
	default:
		return nil, fmt.Errorf("compile: %T is not a node type", n)
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
	f := Filter{Name: p.param(name), From: p.instant(b.From), FromEx: b.FromExclusive, Until: p.instant(b.Until), from: b.From, until: b.Until}
	for _, pr := range where {
		src := &Source{Root: "properties", Path: segment.PathSegments(pr.Property)}
		if numericPredicate(pr.Op, pr.Value) {
			src.Numbers = p.opt.numbers[TypedProperty{name, pr.Property}]
		}
		f.Where = append(f.Where, &Cond{Source: src, Cmp: p.comparison(pr.Op, pr.Value)})
	}
	return f
}

func (p *planner) agg(n *segment.Event) *Agg {
	key := aggKey{eventsKeyOf(n.Event, n.Where, n.Window.Resolve(p.opt.AsOf, p.opt.Location)), n.Aggregate}
	if a, ok := p.aggs[key]; ok {
		return a
	}
	a := &Agg{
		Col:    fmt.Sprintf("a%d", len(p.scan.Aggs)),
		Fn:     n.Aggregate.Fn,
		Filter: p.filter(n.Event, n.Where, n.Window),
	}
	if n.Aggregate.Property != "" {
		a.Source = &Source{Root: "properties", Path: segment.PathSegments(n.Aggregate.Property)}
		if numericAgg(a.Fn) {
			a.Source.Numbers = p.opt.numbers[TypedProperty{n.Event, n.Aggregate.Property}]
		}
	}
	s := &p.scan
	a.Branch = p.branches.add(n.Event, a.Filter.from, a.Filter.until)
	p.reads.add(n.Event, a.Filter.from, a.Filter.until)
	if a.Fn == segment.AggFirst || a.Fn == segment.AggLast {
		p.branches.list[a.Branch].Ordered = true
	}
	s.Aggs = append(s.Aggs, a)
	p.aggs[key] = a
	return a
}

func (p *planner) funnel(n *segment.Funnel) Expr {
	// A funnel is its window, its bound and its steps' events.
	key := funnelKey{window: eventsKeyOf("", nil, n.Window.Resolve(p.opt.AsOf, p.opt.Location)), within: -1}
	if n.Within != nil {
		key.within = n.Within.Std()
	}
	events := make([]int, len(n.Steps))
	var steps []byte
	for i, s := range n.Steps {
		events[i] = p.stepEvent(s)
		steps = binary.AppendUvarint(steps, uint64(events[i]))
	}
	key.steps = string(steps)
	f, ok := p.funnelsBy[key]
	if !ok {
		f = p.funnelPlan(n, events)
		p.funnelsBy[key] = f
	}
	if n.Reached < len(n.Steps) {
		f.Partial = true
	}
	return &FunnelCond{Funnel: f, Reached: p.param(int64(n.Reached)), Exact: n.Exact}
}

// stepEvent returns the index in stepEvents of a step's events.
func (p *planner) stepEvent(s segment.Step) int {
	key := eventsKeyOf(s.Event, s.Where, segment.Bounds{})
	i, ok := p.stepsBy[key]
	if !ok {
		i = len(p.stepEvents)
		p.stepEvents = append(p.stepEvents, p.filter(s.Event, s.Where, segment.Window{Kind: segment.WindowAll}))
		p.stepsBy[key] = i
	}
	return i
}

func (p *planner) funnelPlan(n *segment.Funnel, events []int) *FunnelPlan {
	f := &FunnelPlan{Alias: fmt.Sprintf("f%d", len(p.funnels)), Events: events}
	for i, s := range n.Steps {
		w := segment.Window{Kind: segment.WindowAll}
		if i == 0 {
			w = n.Window
		}
		step := p.filter(s.Event, s.Where, w)
		if i > 0 {
			p.laterStep(&step, f.Steps[0], n.Within)
		}
		f.Steps = append(f.Steps, step)
		p.reads.add(s.Event, step.from, step.until)
	}
	if n.Within != nil {
		ms := p.param(n.Within.Std().Milliseconds())
		f.Within = &ms
	}
	p.funnels = append(p.funnels, f)
	return f
}

// laterStep bounds the events a funnel's later step reads by the first
// step's window, so that the engines do not read the step's events of all
// time. Neither bound changes the result: a later step comes strictly
// after the first, so after the start of the first step's window; and
// with a `within`, at most `within` after the first step, which is before
// the window's end: before end + within (exclusive, as the end is). That
// one is written only when it comes before as_of, which bounds every
// event already (and keeps a far `until` plus a long `within` out of the
// engines' range of times).
func (p *planner) laterStep(step *Filter, first Filter, within *segment.Duration) {
	if first.From != nil {
		step.From, step.FromEx, step.from = first.From, true, first.from
	}
	if first.Until == nil || within == nil {
		return
	}
	if end := first.until.Add(within.Std()); end.Before(p.opt.AsOf) {
		step.Until, step.until = p.instant(end), end
	}
}

// comparison resolves operands: times to instants at as_of (at microsecond
// precision, the engines' own), the values of in and not_in split by type.
func (p *planner) comparison(op segment.Op, v segment.Value) Comparison {
	c := Comparison{Op: op}
	scalar := func(v segment.Value) Param {
		switch v.Kind {
		case segment.KindNumber:
			c.Kind = "number"
			return p.param(v.Num)
		case segment.KindString:
			c.Kind = "string"
			return p.param(v.Str)
		case segment.KindBool:
			c.Kind = "bool"
			return p.param(v.Bool)
		default: // segment.KindTime: decoding admits nothing else here
			c.Kind = "time"
			return p.param(v.Instant(p.opt.AsOf).UTC().Truncate(time.Microsecond))
		}
	}
	switch {
	case op == segment.OpIn || op == segment.OpNotIn:
		for _, x := range v.List {
			if x.Kind == segment.KindString {
				c.Strs = append(c.Strs, p.param(x.Str))
			} else {
				c.Nums = append(c.Nums, p.param(x.Num))
			}
		}
	case v.Kind == segment.KindList:
		for _, x := range v.List {
			c.Args = append(c.Args, scalar(x))
		}
	case op.TakesValue():
		c.Args = []Param{scalar(v)}
	}
	return c
}
