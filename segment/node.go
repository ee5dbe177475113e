// Package segment is the segment tree language of segmentd: the node model,
// strict decoding with located problems, a canonical text form, walking,
// windows and the expansion of references to other segments.
//
// The meaning of every node is fixed by the spec (shared/spec/segment-language.md)
// and by the decisions recorded in docs/segment-language.md.
package segment

// Node is one node of a segment tree. The set of node types is sealed: only
// this package can add one, so a type switch over the types below is
// exhaustive. Inside the package one switch (shapeOf, under Walk, Rewrite,
// Children and String) knows every type, and panics on one it does not.
type Node interface {
	// String returns the canonical JSON form of the node: the same meaning
	// always gives the same text, and decoding the text gives the node back.
	String() string
	node()
}

// And holds for users in every child.
type And struct {
	Children []Node
}

// Or holds for users in any child.
type Or struct {
	Children []Node
}

// Not holds for the app's users who are not in Child.
type Not struct {
	Child Node
}

// Attribute is a condition on a user attribute or on one of the built-in
// fields user_id, first_seen and last_seen.
type Attribute struct {
	Field string
	Op    Op
	Value Value
}

// Event is a condition on an aggregate of the user's matching events.
type Event struct {
	Event     string
	Where     []Predicate
	Aggregate Aggregate
	Window    Window
	Op        Op
	Value     Value
}

// Funnel holds for users who did the steps in order.
type Funnel struct {
	Steps []Step
	// Within bounds the time from the first to the last step; nil means no
	// bound other than as_of.
	Within *Duration
	// Window restricts the first step's event.
	Window  Window
	Reached int
	Exact   bool
}

// SegmentRef stands for the current version of another saved segment of the
// same app. Expand replaces it before evaluation.
type SegmentRef struct {
	SegmentID string
}

func (*And) node()        {}
func (*Or) node()         {}
func (*Not) node()        {}
func (*Attribute) node()  {}
func (*Event) node()      {}
func (*Funnel) node()     {}
func (*SegmentRef) node() {}

// Predicate is one condition an event must satisfy to count.
type Predicate struct {
	Property string
	Op       Op
	Value    Value
}

// Step is one step of a funnel: an event name and its predicates.
type Step struct {
	Event string
	Where []Predicate
}

// AggFn names an aggregate function over matching events.
type AggFn string

// The aggregate functions of the spec.
const (
	AggCount         AggFn = "count"
	AggSum           AggFn = "sum"
	AggAvg           AggFn = "avg"
	AggMin           AggFn = "min"
	AggMax           AggFn = "max"
	AggFirst         AggFn = "first"
	AggLast          AggFn = "last"
	AggDistinctCount AggFn = "distinct_count"
)

var aggFns = map[AggFn]bool{AggCount: true, AggSum: true, AggAvg: true, AggMin: true,
	AggMax: true, AggFirst: true, AggLast: true, AggDistinctCount: true}

// Aggregate is what an event condition computes over the matching events.
// Property is empty only for count.
type Aggregate struct {
	Fn       AggFn
	Property string
}

// Numeric reports whether the aggregate always yields a number (every
// function but first and last, which yield the property's own value).
func (a Aggregate) Numeric() bool { return a.Fn != AggFirst && a.Fn != AggLast }

// ZeroWhenEmpty reports whether the aggregate has a value (zero) for a user
// with no matching events or values; the others are then undefined.
func (a Aggregate) ZeroWhenEmpty() bool {
	return a.Fn == AggCount || a.Fn == AggSum || a.Fn == AggDistinctCount
}
