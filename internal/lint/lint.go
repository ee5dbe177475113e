// Package lint finds the conditions of a segment tree that cannot change
// its result by construction: a comparison no count can satisfy, two
// equalities that are never true together, a window that is empty at
// as_of, a funnel's within that never binds, a double negation. Each is a
// warning, never an error: the tree is valid and is evaluated as written.
//
// Every rule is a small function in Rules, run on each node of the tree
// as given (references are not expanded, so a pointer always lands in
// what the client sent; a referenced segment had its own warnings when it
// was saved). A rule that needs as_of (Context.AsOf) does nothing without
// one: a saved segment is evaluated at many instants.
package lint

import (
	"fmt"
	"math"
	"strconv"
	"time"

	"github.com/segmentd/segmentd/segment"
)

// The codes of the warnings: stable, documented in docs/api.md.
const (
	CodeNeverTrue               = "never_true"
	CodeAlwaysTrue              = "always_true"
	CodeContradictoryEqualities = "contradictory_equalities"
	CodeEmptyWindow             = "empty_window"
	CodeFunnelWithinRedundant   = "funnel_within_redundant"
	CodeDoubleNegation          = "double_negation"
)

// Warning is one condition of a tree that cannot change its result.
type Warning struct {
	// Pointer is the JSON Pointer of the condition in the document the
	// tree came in (the tree as given, with the caller's base).
	Pointer string `json:"pointer"`
	Code    string `json:"code"`
	Message string `json:"message"`
}

// Context is what the rules know besides the tree: the instant the tree
// is evaluated at (zero when there is none, as for a saved segment) and
// the app's time zone (nil: UTC).
type Context struct {
	AsOf time.Time
	Loc  *time.Location
}

// Rule inspects one node, at ptr, and returns its warnings.
type Rule func(c Context, n segment.Node, ptr string) []Warning

// Rules are every rule, in the order their warnings are reported for a
// node.
var Rules = []Rule{
	ConstantComparison,
	ContradictoryEqualities,
	EmptyWindow,
	FunnelWithinRedundant,
	DoubleNegation,
}

// Check runs Rules over tree (base is its JSON Pointer in the caller's
// document), in the order of segment.Walk. It never returns nil.
func Check(tree segment.Node, base string, c Context) []Warning {
	return check(Rules, tree, base, c)
}

func check(rules []Rule, tree segment.Node, base string, c Context) []Warning {
	out := []Warning{}
	if tree == nil {
		return out
	}
	if c.Loc == nil {
		c.Loc = time.UTC
	}
	segment.Walk(tree, base, func(n segment.Node, ptr string, _ int) bool {
		for _, r := range rules {
			out = append(out, r(c, n, ptr)...)
		}
		return true
	})
	return out
}

func warn(ptr, code, format string, args ...any) []Warning {
	return []Warning{{Pointer: ptr, Code: code, Message: fmt.Sprintf(format, args...)}}
}

// ConstantComparison: an event condition whose aggregate is a count
// (count, distinct_count) compares a whole number from 0 up, which every
// user has (0 without matching events). A comparison that no such number
// satisfies is never_true (count lt 0, count lte -1, count eq 1.5, count
// between [-5, -1]); one that every such number satisfies is always_true
// (count gte 0, count gt -1, count neq -1). An aggregate that is 0 for a
// user without events (count, distinct_count, sum) is always defined, so
// exists is always_true and not_exists never_true on it.
func ConstantComparison(_ Context, n segment.Node, ptr string) []Warning {
	e, ok := n.(*segment.Event)
	if !ok {
		return nil
	}
	never, always := false, false
	switch {
	case e.Op == segment.OpExists && e.Aggregate.ZeroWhenEmpty():
		always = true
	case e.Op == segment.OpNotExists && e.Aggregate.ZeroWhenEmpty():
		never = true
	case e.Aggregate.Fn == segment.AggCount || e.Aggregate.Fn == segment.AggDistinctCount:
		never, always = countComparison(e.Op, e.Value)
	}
	what := fmt.Sprintf("%s of %q %s", e.Aggregate.Fn, e.Event, operand(e.Op, e.Value))
	switch {
	case never:
		return warn(ptr, CodeNeverTrue, "%s is never true: %s", what, domain(e.Aggregate))
	case always:
		return warn(ptr, CodeAlwaysTrue, "%s is true for every user: %s", what, domain(e.Aggregate))
	}
	return nil
}

func domain(a segment.Aggregate) string {
	if a.Fn == segment.AggCount || a.Fn == segment.AggDistinctCount {
		return "it is a whole number from 0 up, and 0 for a user without matching events"
	}
	return "it is 0 for a user without matching events, so it always has a value"
}

// countComparison decides a comparison over the whole numbers from 0 up.
func countComparison(op segment.Op, v segment.Value) (never, always bool) {
	num := func(v segment.Value) (float64, bool) { return v.Num, v.Kind == segment.KindNumber }
	switch op {
	case segment.OpLt:
		x, ok := num(v)
		return ok && x <= 0, false
	case segment.OpLte:
		x, ok := num(v)
		return ok && x < 0, false
	case segment.OpGt:
		x, ok := num(v)
		return false, ok && x < 0
	case segment.OpGte:
		x, ok := num(v)
		return false, ok && x <= 0
	case segment.OpEq:
		x, ok := num(v)
		return ok && !isCount(x), false
	case segment.OpNeq:
		x, ok := num(v)
		return false, ok && !isCount(x)
	case segment.OpBetween:
		if len(v.List) != 2 {
			return false, false
		}
		lo, okLo := num(v.List[0])
		hi, okHi := num(v.List[1])
		return okLo && okHi && math.Ceil(math.Max(lo, 0)) > hi, false
	case segment.OpIn, segment.OpNotIn:
		for _, m := range v.List {
			if x, ok := num(m); !ok || isCount(x) {
				return false, false
			}
		}
		if len(v.List) == 0 {
			return false, false
		}
		return op == segment.OpIn, op == segment.OpNotIn
	}
	return false, false
}

func isCount(x float64) bool { return x >= 0 && x == math.Trunc(x) }

// ContradictoryEqualities: an and whose children compare one field with
// eq to two different values is never true. It applies only to the fields
// that hold at most one value, user_id, first_seen and last_seen: any
// other attribute may hold an array (or a path through arrays), and
// "tags eq a" and "tags eq b" both hold for tags ["a", "b"]. Two times
// are the same when they are the same instant; an absolute time and an
// {"ago"} are compared only at as_of. The warning points at each later
// equality that disagrees with the first one of its field.
func ContradictoryEqualities(c Context, n segment.Node, ptr string) []Warning {
	and, ok := n.(*segment.And)
	if !ok {
		return nil
	}
	type first struct {
		value segment.Value
		index int
	}
	firsts := map[string]first{}
	var out []Warning
	for i, child := range and.Children {
		a, ok := child.(*segment.Attribute)
		if !ok || a.Op != segment.OpEq || !singleValued(a.Field) {
			continue
		}
		f, seen := firsts[a.Field]
		if !seen {
			firsts[a.Field] = first{a.Value, i}
			continue
		}
		if differ(c, f.value, a.Value) {
			out = append(out, warn(segment.Pointer(segment.Pointer(ptr, "children"), i), CodeContradictoryEqualities,
				"%s %s is never true together with %s %s (%s): %s holds one value",
				a.Field, operand(a.Op, a.Value), a.Field, operand(segment.OpEq, f.value),
				segment.Pointer(segment.Pointer(ptr, "children"), f.index), a.Field)...)
		}
	}
	return out
}

func singleValued(field string) bool {
	return field == segment.FieldUserID || segment.IsTimeField(field)
}

// differ reports whether two operands of eq are surely different values.
func differ(c Context, a, b segment.Value) bool {
	if a.Kind != b.Kind {
		return true
	}
	switch a.Kind {
	case segment.KindNumber:
		return a.Num != b.Num
	case segment.KindString:
		return a.Str != b.Str
	case segment.KindBool:
		return a.Bool != b.Bool
	case segment.KindTime:
		switch {
		case a.Ago == nil && b.Ago == nil:
			return !a.At.Equal(b.At)
		case a.Ago != nil && b.Ago != nil:
			return a.Ago.Std() != b.Ago.Std()
		case c.AsOf.IsZero():
			return false
		}
		return !a.Instant(c.AsOf).Equal(b.Instant(c.AsOf))
	}
	return false
}

// EmptyWindow: a since/until window whose since is after as_of holds no
// event at that as_of (events after as_of never count): an event
// condition then sees no matching event, a funnel no first step. It needs
// as_of. (An until at or before since would be empty at every as_of, but
// decoding refuses it: until must be after since.)
func EmptyWindow(c Context, n segment.Node, ptr string) []Warning {
	if c.AsOf.IsZero() {
		return nil
	}
	var w segment.Window
	var what string
	switch n := n.(type) {
	case *segment.Event:
		w, what = n.Window, fmt.Sprintf("no %q event is counted, so every user's %s is that of no events", n.Event, n.Aggregate.Fn)
	case *segment.Funnel:
		w, what = n.Window, "no first step is in it, so nobody reaches any step"
	default:
		return nil
	}
	if w.Kind != segment.WindowRange || w.Since.IsZero() || !w.Since.After(c.AsOf) {
		return nil
	}
	return warn(segment.Pointer(segment.Pointer(ptr, "window"), "since"), CodeEmptyWindow,
		"the window starts at %s, after as_of %s: %s",
		w.Since.UTC().Format(time.RFC3339Nano), c.AsOf.UTC().Format(time.RFC3339Nano), what)
}

// FunnelWithinRedundant: a funnel's within bounds the time from the first
// step to the last; the first step is in the funnel's window and the last
// at or before as_of, so no chain spans more than as_of minus the window's
// start. A within at least that long never binds: the funnel counts the
// same users without it. With {"last": d} that holds at every as_of
// (within >= d); the calendar and since windows need as_of.
//
// Its opposite, a within shorter than any gap the steps allow (a funnel
// never reached), cannot arise: only the first step has a window, the
// later steps need only strictly increasing times up to as_of, so a chain
// of 16 steps fits in 15 microseconds, and a within is at least a minute.
func FunnelWithinRedundant(c Context, n segment.Node, ptr string) []Warning {
	f, ok := n.(*segment.Funnel)
	if !ok || f.Within == nil {
		return nil
	}
	within := f.Within.Std()
	var span time.Duration
	switch {
	case f.Window.Kind == segment.WindowLast:
		span = f.Window.Last.Std()
	case c.AsOf.IsZero() || f.Window.Kind == segment.WindowAll:
		return nil
	default:
		b := f.Window.Resolve(c.AsOf, c.Loc)
		if b.From.IsZero() || b.From.After(c.AsOf) {
			return nil // no start, or empty (EmptyWindow says so)
		}
		span = c.AsOf.Sub(b.From)
	}
	if within < span {
		return nil
	}
	return warn(segment.Pointer(ptr, "within"), CodeFunnelWithinRedundant,
		"within %s never binds: the first step is in the window and the last at or before as_of, at most %s apart",
		f.Within, spanText(span))
}

// spanText prints a span in the largest unit of a tree that divides it.
func spanText(d time.Duration) string {
	for _, u := range []struct {
		unit string
		d    time.Duration
	}{{"w", 7 * 24 * time.Hour}, {"d", 24 * time.Hour}, {"h", time.Hour}, {"m", time.Minute}} {
		if d%u.d == 0 {
			return strconv.FormatInt(int64(d/u.d), 10) + u.unit
		}
	}
	return d.String()
}

// DoubleNegation: not of not is its grandchild (every user not outside
// it, and the child's users are users of the app).
func DoubleNegation(_ Context, n segment.Node, ptr string) []Warning {
	outer, ok := n.(*segment.Not)
	if !ok {
		return nil
	}
	if _, ok := outer.Child.(*segment.Not); !ok {
		return nil
	}
	return warn(ptr, CodeDoubleNegation, "not of not selects the same users as the inner not's child: drop both")
}

// operand prints "op value" as a tree writes it.
func operand(op segment.Op, v segment.Value) string {
	if !op.TakesValue() {
		return string(op)
	}
	return string(op) + " " + valueText(v)
}

func valueText(v segment.Value) string {
	switch v.Kind {
	case segment.KindNumber:
		return strconv.FormatFloat(v.Num, 'g', -1, 64)
	case segment.KindString:
		return strconv.Quote(v.Str)
	case segment.KindBool:
		return strconv.FormatBool(v.Bool)
	case segment.KindTime:
		if v.Ago != nil {
			return fmt.Sprintf("{\"ago\": %q}", v.Ago.String())
		}
		return v.At.UTC().Format(time.RFC3339Nano)
	case segment.KindList:
		s := "["
		for i, m := range v.List {
			if i > 0 {
				s += ", "
			}
			s += valueText(m)
		}
		return s + "]"
	}
	return ""
}
