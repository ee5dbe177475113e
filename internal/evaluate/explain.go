package evaluate

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/segmentd/segmentd/internal/record"
	"github.com/segmentd/segmentd/segment"
)

// Explanation is the evaluator's decision at one node of a tree for one
// user, and what it was made on. Every node has Pointer, Type and Member;
// the other fields belong to the node's type:
//
//   - attribute: Field, Values or Missing, Op and Value;
//   - event: Event, Aggregate (its value, or Defined false), From/Until
//     (the window's bounds in the app's time zone), MatchingEvents, Op,
//     Value and a one-line Reason;
//   - funnel: StepsReached, Steps (the best attempt's events), Reached,
//     Exact, From/Until (the first step's window);
//   - segment: SegmentID (its member is its expanded tree's);
//   - and, or, not: Member only (their children are nodes of their own).
type Explanation struct {
	Pointer string `json:"pointer"`
	Type    string `json:"type"`
	Member  bool   `json:"member"`

	SegmentID string `json:"segment_id,omitempty"`

	Field   string `json:"field,omitempty"`
	Values  []any  `json:"values,omitempty"`
	Missing bool   `json:"missing,omitempty"`

	Event          string              `json:"event,omitempty"`
	Aggregate      *AggregateValue     `json:"aggregate,omitempty"`
	From           *time.Time          `json:"from,omitempty"`
	FromExclusive  bool                `json:"from_exclusive,omitempty"`
	Until          *time.Time          `json:"until,omitempty"`
	MatchingEvents *int                `json:"matching_events,omitempty"`
	StepsReached   *int                `json:"steps_reached,omitempty"`
	Steps          []FunnelStepReached `json:"steps,omitempty"`
	Reached        int                 `json:"reached,omitempty"`
	Exact          *bool               `json:"exact,omitempty"`

	// Op and Value are the comparison made (Value absent for exists and
	// not_exists), Value as the tree writes it.
	Op     string          `json:"op,omitempty"`
	Value  json.RawMessage `json:"value,omitempty"`
	Reason string          `json:"reason,omitempty"`
}

// AggregateValue is an event condition's aggregate and its result.
type AggregateValue struct {
	Fn       string `json:"fn"`
	Property string `json:"property,omitempty"`
	// Value is the result; absent when Defined is false.
	Value   any  `json:"value,omitempty"`
	Defined bool `json:"defined"`
}

// FunnelStepReached is one reached step of a funnel's best attempt.
type FunnelStepReached struct {
	Step    int       `json:"step"` // 1-based
	Event   string    `json:"event"`
	Time    time.Time `json:"time"`
	EventID string    `json:"event_id"`
}

// ExplainOptions choose what Explain reports.
type ExplainOptions struct {
	// ExpandReferences adds, under each segment reference at pointer p,
	// the nodes of its expanded tree at p + "/tree" (its root) and below.
	ExpandReferences bool
}

// Explain evaluates a tree for one user exactly as Member does and
// reports every node, root first, depth first, children in order. given
// is the tree as the caller wrote it (it may hold segment references);
// expanded is segment.Expand's result for it (the same shape, each
// reference replaced by its tree), which is what is evaluated: a
// reference's member is its expanded tree's. given may be nil when the
// tree holds no reference. The root's Member is Member(expanded, ...).
func Explain(given, expanded segment.Node, u record.User, events []record.Event, opt Options, xopt ExplainOptions) []Explanation {
	if opt.Location == nil {
		opt.Location = time.UTC
	}
	if given == nil {
		given = expanded
	}
	x := &explainer{e: &evaluator{user: u, events: events, opt: opt}, opt: xopt}
	x.node(given, expanded, "")
	return x.out
}

// Unobserved lists the nodes Explain would list, every one of them no
// member and with no observation: the explanation for a user the app has
// never seen, who is in no segment (not even under a not).
func Unobserved(given, expanded segment.Node, xopt ExplainOptions) []Explanation {
	if given == nil {
		given = expanded
	}
	x := &explainer{opt: xopt, unobserved: true}
	x.node(given, expanded, "")
	return x.out
}

type explainer struct {
	e          *evaluator
	opt        ExplainOptions
	unobserved bool
	out        []Explanation
}

// node explains given (whose evaluated form is exp) at ptr and returns
// its member.
func (x *explainer) node(given, exp segment.Node, ptr string) bool {
	if given == nil || exp == nil {
		return false // the missing child of a not built by hand: no node
	}
	i := len(x.out)
	x.out = append(x.out, Explanation{Pointer: ptr, Type: nodeType(given)})
	var member bool
	switch g := given.(type) {
	case *segment.And:
		member = true
		cs := exp.(*segment.And).Children
		for k, c := range g.Children {
			if !x.node(c, cs[k], segment.Pointer(segment.Pointer(ptr, "children"), k)) {
				member = false
			}
		}
	case *segment.Or:
		cs := exp.(*segment.Or).Children
		for k, c := range g.Children {
			if x.node(c, cs[k], segment.Pointer(segment.Pointer(ptr, "children"), k)) {
				member = true
			}
		}
	case *segment.Not:
		member = !x.node(g.Child, exp.(*segment.Not).Child, segment.Pointer(ptr, "child"))
	case *segment.SegmentRef:
		x.out[i].SegmentID = g.SegmentID
		if _, unexpanded := exp.(*segment.SegmentRef); unexpanded {
			panic(fmt.Errorf("evaluate: segment %q: %w", g.SegmentID, segment.ErrUnexpanded))
		}
		switch {
		case x.opt.ExpandReferences:
			member = x.node(exp, exp, segment.Pointer(ptr, "tree"))
		case x.unobserved:
		default:
			member = x.e.node(exp)
		}
	case *segment.Attribute:
		member = x.attribute(&x.out[i], g)
	case *segment.Event:
		member = x.event(&x.out[i], g)
	case *segment.Funnel:
		member = x.funnel(&x.out[i], g)
	}
	if x.unobserved {
		member = false
	}
	x.out[i].Member = member
	return member
}

func nodeType(n segment.Node) string {
	switch n.(type) {
	case *segment.And:
		return "and"
	case *segment.Or:
		return "or"
	case *segment.Not:
		return "not"
	case *segment.Attribute:
		return "attribute"
	case *segment.Event:
		return "event"
	case *segment.Funnel:
		return "funnel"
	case *segment.SegmentRef:
		return "segment"
	}
	panic(fmt.Sprintf("evaluate: %T is not a node type", n))
}

func (x *explainer) attribute(out *Explanation, n *segment.Attribute) bool {
	out.Field, out.Op, out.Value = n.Field, string(n.Op), operand(n)
	if x.unobserved {
		return false
	}
	values := x.e.attribute(n.Field)
	if len(values) == 0 {
		out.Missing = true
	} else {
		out.Values = make([]any, len(values))
		for k, v := range values {
			if t, ok := v.(time.Time); ok {
				v = t.In(x.e.opt.Location)
			}
			out.Values[k] = v
		}
	}
	return anyHolds(values, n.Op, n.Value, x.e.opt.AsOf)
}

func (x *explainer) event(out *Explanation, n *segment.Event) bool {
	out.Event, out.Op, out.Value = n.Event, string(n.Op), operand(n)
	if x.unobserved {
		return false
	}
	out.Aggregate = &AggregateValue{Fn: string(n.Aggregate.Fn), Property: n.Aggregate.Property}
	r := x.e.event(n)
	x.bounds(out, r.bounds)
	matching := len(r.matching)
	out.MatchingEvents = &matching
	out.Aggregate.Defined = r.defined
	if r.defined {
		out.Aggregate.Value = r.value
	}
	out.Reason = x.reason(n, r)
	return r.member
}

// bounds reports a window's bounds in the app's time zone.
func (x *explainer) bounds(out *Explanation, b segment.Bounds) {
	if !b.From.IsZero() {
		from := b.From.In(x.e.opt.Location)
		out.From, out.FromExclusive = &from, b.FromExclusive
	}
	if !b.Until.IsZero() {
		until := b.Until.In(x.e.opt.Location)
		out.Until = &until
	}
}

// reason is an event node's observation in one line: "sum of items.price
// from 2026-11-23T00:00:00+09:00 to 2026-11-30T00:00:00+09:00 = 250,
// wanted lte 100".
func (x *explainer) reason(n *segment.Event, r eventResult) string {
	var b strings.Builder
	if n.Aggregate.Fn == segment.AggCount {
		fmt.Fprintf(&b, "count of %s events", n.Event)
	} else {
		fmt.Fprintf(&b, "%s of %s", n.Aggregate.Fn, n.Aggregate.Property)
	}
	loc := x.e.opt.Location
	switch from, until := r.bounds.From, r.bounds.Until; {
	case !from.IsZero() && !until.IsZero():
		fmt.Fprintf(&b, " from %s to %s", from.In(loc).Format(time.RFC3339Nano), until.In(loc).Format(time.RFC3339Nano))
	case !from.IsZero():
		word := "from"
		if r.bounds.FromExclusive {
			word = "after"
		}
		fmt.Fprintf(&b, " %s %s to as_of", word, from.In(loc).Format(time.RFC3339Nano))
	case !until.IsZero():
		fmt.Fprintf(&b, " before %s", until.In(loc).Format(time.RFC3339Nano))
	default:
		b.WriteString(" up to as_of")
	}
	if r.defined {
		b.WriteString(" = ")
		b.WriteString(valueText(r.value))
	} else {
		b.WriteString(" is undefined")
	}
	b.WriteString(", wanted ")
	b.WriteString(string(n.Op))
	if v := operand(n); v != nil {
		b.WriteByte(' ')
		b.Write(v)
	}
	return b.String()
}

func valueText(v any) string {
	if f, ok := v.(float64); ok {
		return strconv.FormatFloat(f, 'g', -1, 64)
	}
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	return string(b)
}

func (x *explainer) funnel(out *Explanation, n *segment.Funnel) bool {
	exact := n.Exact
	out.Reached, out.Exact = n.Reached, &exact
	if x.unobserved {
		return false
	}
	r := x.e.funnel(n)
	x.bounds(out, r.bounds)
	best := r.best
	out.StepsReached = &best
	if r.start >= 0 {
		k := 0
		funnelChain(n, r.steps, r.steps[0][r.start], func(ev record.Event) {
			out.Steps = append(out.Steps, FunnelStepReached{Step: k + 1, Event: ev.Name,
				Time: ev.Time.In(x.e.opt.Location), EventID: ev.EventID})
			k++
		})
	}
	return r.member
}

// operand is the comparison's value of an attribute or event node as its
// canonical form writes it; nil for exists and not_exists.
func operand(n segment.Node) json.RawMessage {
	var c struct {
		Value json.RawMessage `json:"value"`
	}
	if err := json.Unmarshal([]byte(n.String()), &c); err != nil {
		panic(fmt.Errorf("evaluate: the canonical form of %T does not decode: %w", n, err))
	}
	return c.Value
}
