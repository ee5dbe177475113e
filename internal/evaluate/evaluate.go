// Package evaluate is the reference evaluator: it decides whether one user
// is in a segment, directly from the spec, over that user's profile and
// events. It is the oracle every SQL engine is tested against, and it
// answers single-user membership checks. It favours being obviously right
// over being fast.
package evaluate

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/segmentd/segmentd/internal/record"
	"github.com/segmentd/segmentd/segment"
)

// Options fix the instant and the app's time zone of an evaluation.
type Options struct {
	AsOf     time.Time
	Location *time.Location
}

// Member reports whether the user, with the given events (in any order,
// possibly including events after AsOf, which never count), is in the
// segment. The tree must be expanded: Member panics with an error wrapping
// segment.ErrUnexpanded on a segment reference, a bug of the caller.
func Member(tree segment.Node, u record.User, events []record.Event, opt Options) bool {
	if opt.Location == nil {
		opt.Location = time.UTC
	}
	e := &evaluator{user: u, events: events, opt: opt}
	return e.node(tree)
}

type evaluator struct {
	user   record.User
	events []record.Event
	opt    Options
}

func (e *evaluator) node(n segment.Node) bool {
	switch n := n.(type) {
	case *segment.And:
		for _, c := range n.Children {
			if !e.node(c) {
				return false
			}
		}
		return true
	case *segment.Or:
		for _, c := range n.Children {
			if e.node(c) {
				return true
			}
		}
		return false
	case *segment.Not:
		return !e.node(n.Child)
	case *segment.Attribute:
		return anyHolds(e.attribute(n.Field), n.Op, n.Value, e.opt.AsOf)
	case *segment.Event:
		return e.event(n).member
	case *segment.Funnel:
		return e.funnel(n).member
	case *segment.SegmentRef:
		panic(fmt.Errorf("evaluate: segment %q: %w", n.SegmentID, segment.ErrUnexpanded))
	default:
		return false // a nil tree (or the missing child of a not built by hand)
	}
}

// attribute returns the values of a user field: the built-in fields, or the
// values at the attribute's path.
func (e *evaluator) attribute(field string) []any {
	switch field {
	case segment.FieldUserID:
		return []any{e.user.UserID}
	case segment.FieldFirstSeen:
		return timeValue(e.user.FirstSeen)
	case segment.FieldLastSeen:
		return timeValue(e.user.LastSeen)
	}
	return Values(e.user.Attributes, field)
}

func timeValue(t time.Time) []any {
	if t.IsZero() {
		return nil
	}
	return []any{t}
}

// Values returns the values at a dotted path in a decoded JSON document.
// Each segment takes a key of every object reached so far; an array met as
// a key's value, on the way or at the end, stands for its elements (one
// level). JSON nulls are no values.
func Values(doc any, path string) []any {
	cur := []any{doc}
	for _, key := range segment.PathSegments(path) {
		var next []any
		for _, v := range cur {
			obj, ok := v.(map[string]any)
			if !ok {
				continue
			}
			switch x := obj[key].(type) {
			case nil:
			case []any:
				for _, el := range x {
					if el != nil {
						next = append(next, el)
					}
				}
			default:
				next = append(next, x)
			}
		}
		cur = next
	}
	return cur
}

// anyHolds applies a condition to the values of a path: exists and
// not_exists look at whether there is any value, every other operator
// holds when one of the values satisfies it.
func anyHolds(values []any, op segment.Op, operand segment.Value, asOf time.Time) bool {
	switch op {
	case segment.OpExists:
		return len(values) > 0
	case segment.OpNotExists:
		return len(values) == 0
	}
	for _, v := range values {
		if Compare(v, op, operand, asOf) {
			return true
		}
	}
	return false
}

// matching returns the user's events that count for a name, predicates and
// bounds, oldest first, ties by event_id in descending order (so that
// "first" is the first element and "last" the last).
func (e *evaluator) matching(name string, where []segment.Predicate, b segment.Bounds) []record.Event {
	var out []record.Event
	for _, ev := range e.events {
		if ev.Name != name || !b.Contains(ev.Time) {
			continue
		}
		ok := true
		for _, p := range where {
			if !anyHolds(Values(ev.Properties, p.Property), p.Op, p.Value, e.opt.AsOf) {
				ok = false
				break
			}
		}
		if ok {
			out = append(out, ev)
		}
	}
	slices.SortFunc(out, func(a, b record.Event) int {
		if c := a.Time.Compare(b.Time); c != 0 {
			return c
		}
		return -strings.Compare(a.EventID, b.EventID)
	})
	return out
}

// eventResult is an event condition's decision and what it was made on
// (Explain reports it).
type eventResult struct {
	bounds   segment.Bounds
	matching []record.Event
	value    any
	defined  bool
	member   bool
}

func (e *evaluator) event(n *segment.Event) eventResult {
	r := eventResult{bounds: n.Window.Resolve(e.opt.AsOf, e.opt.Location)}
	r.matching = e.matching(n.Event, n.Where, r.bounds)
	r.value, r.defined = aggregate(n.Aggregate, r.matching)
	switch n.Op {
	case segment.OpExists:
		r.member = r.defined
	case segment.OpNotExists:
		r.member = !r.defined
	default:
		r.member = r.defined && Compare(r.value, n.Op, n.Value, e.opt.AsOf)
	}
	return r
}

// aggregate computes an aggregate over matching events; defined is false
// where the spec calls the result undefined.
func aggregate(a segment.Aggregate, evs []record.Event) (v any, defined bool) {
	switch a.Fn {
	case segment.AggCount:
		return float64(len(evs)), true
	case segment.AggFirst, segment.AggLast:
		if len(evs) == 0 {
			return nil, false
		}
		ev := evs[0]
		if a.Fn == segment.AggLast {
			// the latest time; among equal times, the larger event_id
			last := evs[len(evs)-1]
			i := len(evs) - 1
			for i > 0 && evs[i-1].Time.Equal(last.Time) {
				i--
			}
			ev = evs[i]
		}
		vals := Values(ev.Properties, a.Property)
		if len(vals) == 0 {
			return nil, false
		}
		return vals[0], true
	}
	var nums []float64
	distinct := map[any]bool{}
	for _, ev := range evs {
		for _, x := range Values(ev.Properties, a.Property) {
			switch x := x.(type) {
			case float64:
				nums = append(nums, x)
				distinct[x+0] = true // +0 folds -0 into 0, as the engines do
			case string, bool:
				distinct[x] = true
			}
		}
	}
	switch a.Fn {
	case segment.AggDistinctCount:
		return float64(len(distinct)), true
	case segment.AggSum:
		return Sum(nums), true
	}
	if len(nums) == 0 {
		return nil, false
	}
	switch a.Fn {
	case segment.AggAvg:
		return Sum(nums) / float64(len(nums)), true
	case segment.AggMin:
		return slices.Min(nums), true
	default: // AggMax
		return slices.Max(nums), true
	}
}

// funnelResult is a funnel's decision and what it was made on: the most
// steps reached, and the first of the first-step events that reach them
// (start, an index into steps[0]; -1 when no first step is in the window).
type funnelResult struct {
	bounds segment.Bounds
	steps  [][]record.Event
	best   int
	start  int
	member bool
}

func (e *evaluator) funnel(n *segment.Funnel) funnelResult {
	steps := make([][]record.Event, len(n.Steps))
	all := segment.Bounds{AsOf: e.opt.AsOf}
	for i, s := range n.Steps {
		steps[i] = e.matching(s.Event, s.Where, all)
	}
	r := funnelResult{bounds: n.Window.Resolve(e.opt.AsOf, e.opt.Location), steps: steps, start: -1}
	for j, e1 := range steps[0] {
		if !r.bounds.Contains(e1.Time) {
			continue
		}
		if reached := funnelChain(n, steps, e1, nil); reached > r.best {
			r.best, r.start = reached, j
		}
	}
	if n.Exact {
		r.member = r.best == n.Reached
	} else {
		r.member = r.best >= n.Reached
	}
	return r
}

// funnelChain walks the funnel from the first-step event e1, taking for
// each next step the earliest matching event strictly after the previous
// step's, and returns the steps reached; visit, when set, receives each
// step's event in order (e1 first).
func funnelChain(n *segment.Funnel, steps [][]record.Event, e1 record.Event, visit func(record.Event)) int {
	if visit != nil {
		visit(e1)
	}
	reached, t := 1, e1.Time
	for _, evs := range steps[1:] {
		i, _ := slices.BinarySearchFunc(evs, t, func(ev record.Event, t time.Time) int {
			if ev.Time.After(t) {
				return 1
			}
			return -1
		})
		if i == len(evs) || n.Within != nil && evs[i].Time.Sub(e1.Time) > n.Within.Std() {
			break
		}
		reached, t = reached+1, evs[i].Time
		if visit != nil {
			visit(evs[i])
		}
	}
	return reached
}

// Compare applies op and operand to one value (a decoded JSON value, or a
// time.Time for the built-in time fields). A value whose type does not fit
// the operator makes the comparison false.
func Compare(v any, op segment.Op, operand segment.Value, asOf time.Time) bool {
	switch op {
	case segment.OpEq, segment.OpNeq:
		c, ok := order(v, operand, asOf)
		return ok && (c == 0) == (op == segment.OpEq)
	case segment.OpLt, segment.OpLte, segment.OpGt, segment.OpGte:
		if operand.Kind == segment.KindBool {
			return false
		}
		c, ok := order(v, operand, asOf)
		if !ok {
			return false
		}
		switch op {
		case segment.OpLt:
			return c < 0
		case segment.OpLte:
			return c <= 0
		case segment.OpGt:
			return c > 0
		}
		return c >= 0
	case segment.OpBetween:
		lo, ok1 := order(v, operand.List[0], asOf)
		hi, ok2 := order(v, operand.List[1], asOf)
		return ok1 && ok2 && lo >= 0 && hi <= 0
	case segment.OpIn, segment.OpNotIn:
		switch v.(type) {
		case string, float64:
		default:
			return false
		}
		found := false
		for _, x := range operand.List {
			if c, ok := order(v, x, asOf); ok && c == 0 {
				found = true
			}
		}
		return found == (op == segment.OpIn)
	}
	s, ok := v.(string)
	if !ok {
		return false
	}
	switch op {
	case segment.OpContains:
		return strings.Contains(s, operand.Str)
	case segment.OpNotContains:
		return !strings.Contains(s, operand.Str)
	case segment.OpStartsWith:
		return strings.HasPrefix(s, operand.Str)
	case segment.OpEndsWith:
		return strings.HasSuffix(s, operand.Str)
	}
	return false
}

// order compares a value with a scalar operand of the same type; ok is
// false when the types do not fit. A time operand fits a time.Time or a
// string that parses as a time.
func order(v any, operand segment.Value, asOf time.Time) (c int, ok bool) {
	switch operand.Kind {
	case segment.KindNumber:
		if x, ok := v.(float64); ok {
			return cmp.Compare(x, operand.Num), true
		}
	case segment.KindString:
		if x, ok := v.(string); ok {
			return strings.Compare(x, operand.Str), true
		}
	case segment.KindBool:
		if x, ok := v.(bool); ok && x == operand.Bool {
			return 0, true
		} else if ok {
			return 1, true
		}
	case segment.KindTime:
		t, ok := v.(time.Time)
		if s, isStr := v.(string); isStr {
			t, ok = segment.ParseTime(s)
		}
		if ok {
			return t.Truncate(time.Microsecond).Compare(operand.Instant(asOf).Truncate(time.Microsecond)), true
		}
	}
	return 0, false
}

// Sum adds numbers from the least to the greatest, as every engine does
// (docs/segment-language.md): floating-point addition is not
// associative, so only an order fixed by the values themselves gives the
// same double whatever order the events are read in. It sorts nums.
func Sum(nums []float64) float64 {
	slices.Sort(nums)
	sum := 0.0
	for _, x := range nums {
		sum += x
	}
	return sum
}

// Reads is what Member and Explain read of a user's events for tree:
// the events of the names its event conditions and funnel steps name,
// and their properties only where a predicate or an aggregate reads
// them. Evaluating tree over the events Reads keeps (properties left
// out where it says so) decides as over every event. An unexpanded
// reference reads every event.
func Reads(tree segment.Node) record.Reads {
	r := record.Reads{Names: map[string]bool{}}
	read := func(name string, properties bool) { r.Names[name] = r.Names[name] || properties }
	segment.Walk(tree, "", func(n segment.Node, _ string, _ int) bool {
		switch n := n.(type) {
		case *segment.Event:
			read(n.Event, len(n.Where) > 0 || n.Aggregate.Property != "")
		case *segment.Funnel:
			for _, s := range n.Steps {
				read(s.Event, len(s.Where) > 0)
			}
		case *segment.SegmentRef:
			r.All = true
		}
		return true
	})
	return r
}
