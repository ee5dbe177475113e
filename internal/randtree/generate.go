package randtree

import (
	"encoding/json"
	"math/rand/v2"
	"strconv"
	"strings"
	"time"

	"github.com/segmentd/segmentd/segment"
)

// Generate returns the JSON of a random valid tree made from the seed: the
// same vocabulary and seed always give the same tree. One seed in ten
// makes a tree at the language's limits.
func Generate(v *Vocabulary, seed uint64) []byte {
	g := &gen{v: v, r: rand.New(rand.NewPCG(seed, 0x7a9ee5))}
	g.large = g.r.IntN(10) == 0
	g.deep = g.large && g.r.IntN(3) == 0
	g.budget = 1 + g.r.IntN(12)
	if g.large {
		g.budget = segment.MaxNodes - 1
	}
	b, err := json.Marshal(g.node(1))
	if err != nil {
		panic("randtree: " + err.Error()) // maps of JSON values: cannot happen
	}
	return b
}

// obj is a JSON object of the tree.
type obj = map[string]any

type gen struct {
	v     *Vocabulary
	r     *rand.Rand
	large bool
	// longFunnels counts the funnels of more than 5 steps.
	longFunnels int
	// deep trees nest and, or and not down to the depth limit.
	deep bool
	// budget is how many more nodes the tree may have besides those
	// already made or promised.
	budget int
}

func (g *gen) pick(n int) int      { return g.r.IntN(n) }
func (g *gen) chance(pct int) bool { return g.r.IntN(100) < pct }

func pickOf[T any](g *gen, xs []T) T { return xs[g.pick(len(xs))] }

// node makes a node at depth (1 for the root); the node itself is
// counted already, its descendants spend the budget.
func (g *gen) node(depth int) any {
	nest := 45
	if g.deep {
		nest = 85
	}
	if depth < segment.MaxDepth && g.budget > 0 && (depth == 1 || g.chance(nest)) {
		switch x := g.pick(10); {
		case x < 4:
			return g.children("and", depth)
		case x < 8:
			return g.children("or", depth)
		default:
			g.budget--
			return obj{"type": "not", "child": g.node(depth + 1)}
		}
	}
	if ref, ok := g.reference(depth); ok {
		return ref
	}
	switch x := g.pick(10); {
	case x < 3:
		return g.attribute()
	case x < 8:
		return g.event()
	default:
		return g.funnel()
	}
}

// children makes an and or an or. A large tree goes wide or deep.
func (g *gen) children(typ string, depth int) obj {
	n := 1 + g.pick(4)
	switch {
	case g.deep:
		n = 1 + g.pick(2)
	case g.large && depth <= 3:
		n = 1 + g.pick(segment.MaxChildren)
	}
	n = min(n, g.budget)
	g.budget -= n
	cs := make([]any, n)
	for i := range cs {
		cs[i] = g.node(depth + 1)
	}
	return obj{"type": typ, "children": cs}
}

// reference stands a saved segment for a leaf, when one fits the limits.
func (g *gen) reference(depth int) (obj, bool) {
	if len(g.v.Segments) == 0 || !g.chance(8) {
		return nil, false
	}
	s := pickOf(g, g.v.Segments)
	if s.Nodes-1 > g.budget || depth-1+s.Depth > segment.MaxDepth {
		return nil, false
	}
	g.budget -= s.Nodes - 1
	return obj{"type": "segment", "segment_id": s.ID}, true
}

// attribute makes a condition on an attribute, a built-in field, or a key
// no user has.
func (g *gen) attribute() obj {
	switch x := g.pick(20); {
	case x == 0:
		return g.timeField(segment.FieldFirstSeen)
	case x == 1:
		return g.timeField(segment.FieldLastSeen)
	case x == 2:
		return withCmp(obj{"type": "attribute", "field": "no_such_attribute"}, g.comparison(Path{Strings: []string{"x"}}, false))
	}
	p := pickOf(g, g.v.Attributes)
	return withCmp(obj{"type": "attribute", "field": p.Path}, g.comparison(p, false))
}

// timeField compares first_seen or last_seen with a time.
func (g *gen) timeField(field string) obj {
	c := obj{"type": "attribute", "field": field}
	switch x := g.pick(9); {
	case x < 2:
		c["op"] = pickOf(g, []string{"exists", "not_exists"})
	case x < 4:
		lo, hi := g.span()
		c["op"], c["value"] = "between", []any{g.timeText(lo), g.timeText(hi)}
	default:
		c["op"] = pickOf(g, []string{"eq", "neq", "lt", "lte", "gt", "gte"})
		c["value"] = g.timeValue()
	}
	return c
}

// compared is an op and its value (none for exists and not_exists).
type compared struct {
	op    string
	value any
}

func withCmp(o obj, c compared) obj {
	o["op"] = c.op
	if c.value != nil {
		o["value"] = c.value
	}
	return o
}

// comparison compares a value of p (an attribute, a property, first or
// last) with values that occur there, or of another type. numeric says
// the value is a number (a numeric aggregate), and only numbers compare.
func (g *gen) comparison(p Path, numeric bool) compared {
	if g.chance(8) {
		return compared{op: pickOf(g, []string{"exists", "not_exists"})}
	}
	var kinds []string // the kinds found at p
	if len(p.Numbers) > 0 || numeric {
		kinds = append(kinds, "number")
	}
	if len(p.Strings) > 0 && !numeric {
		kinds = append(kinds, "string")
		if _, ok := segment.ParseTime(p.Strings[0]); ok {
			kinds = append(kinds, "time")
		}
	}
	if p.Bools && !numeric {
		kinds = append(kinds, "bool")
	}
	if len(kinds) == 0 || !numeric && g.chance(15) { // a type that may not fit
		kinds = []string{"number", "string", "bool", "time"}
	}
	switch pickOf(g, kinds) {
	case "string":
		return g.stringCmp(p)
	case "bool":
		return compared{op: pickOf(g, []string{"eq", "neq"}), value: g.chance(50)}
	case "time":
		if g.chance(50) {
			lo, hi := g.span()
			return compared{op: "between", value: []any{g.timeText(lo), g.timeText(hi)}}
		}
		return compared{op: pickOf(g, []string{"lt", "lte", "gt", "gte"}), value: g.timeValue()}
	}
	return g.numberCmp(p, numeric)
}

func (g *gen) stringCmp(p Path) compared {
	s := g.str(p)
	switch x := g.pick(12); {
	case x < 3:
		return compared{op: pickOf(g, []string{"eq", "neq"}), value: s}
	case x < 5:
		return compared{op: pickOf(g, []string{"lt", "lte", "gt", "gte"}), value: s}
	case x < 8:
		vals := []any{s}
		for range g.pick(4) {
			vals = append(vals, g.str(p))
		}
		if g.chance(20) && len(p.Numbers) > 0 { // mixed types
			vals = append(vals, pickOf(g, p.Numbers))
		}
		if g.large && g.chance(30) {
			vals = g.longList(vals)
		}
		return compared{op: pickOf(g, []string{"in", "not_in"}), value: vals}
	default:
		op := pickOf(g, []string{"contains", "not_contains", "starts_with", "ends_with"})
		runes := []rune(s)
		i, j := 0, len(runes)
		if len(runes) > 1 {
			switch op {
			case "starts_with":
				j = 1 + g.pick(len(runes))
			case "ends_with":
				i = g.pick(len(runes))
			default:
				i = g.pick(len(runes))
				j = i + 1 + g.pick(len(runes)-i)
			}
		}
		return compared{op: op, value: string(runes[i:j])}
	}
}

// str is a string found at p, or sometimes one found nowhere.
func (g *gen) str(p Path) string {
	if g.large && g.chance(3) {
		return strings.Repeat("é", segment.MaxStringBytes/2) // the longest string
	}
	if len(p.Strings) == 0 || g.chance(10) {
		return pickOf(g, []string{"JP", "ios", "nope", "", "'); DROP TABLE users; --", "100% _off_"})
	}
	return pickOf(g, p.Strings)
}

// longList pads an in list towards the limit of 1000 values with values
// that match nothing, so the list's length, not its content, is tested.
func (g *gen) longList(vals []any) []any {
	for i := len(vals); i < segment.MaxInValues; i++ {
		vals = append(vals, "zz-"+strconv.Itoa(i))
	}
	return vals
}

func (g *gen) numberCmp(p Path, numeric bool) compared {
	n := func() float64 { return g.number(p, numeric) }
	switch x := g.pick(10); {
	case x < 2:
		return compared{op: pickOf(g, []string{"eq", "neq"}), value: n()}
	case x < 6:
		return compared{op: pickOf(g, []string{"lt", "lte", "gt", "gte"}), value: n()}
	case x < 8:
		lo, hi := n(), n()
		return compared{op: "between", value: []any{min(lo, hi), max(lo, hi)}}
	default:
		vals := []any{n()}
		for range g.pick(4) {
			vals = append(vals, n())
		}
		if !numeric && len(p.Strings) > 0 && g.chance(30) {
			vals = append(vals, g.str(p))
		}
		return compared{op: pickOf(g, []string{"in", "not_in"}), value: vals}
	}
}

// number is a literal to compare p's values or aggregate with: a value
// found there, a user's sum or average of them (the boundary), a count,
// or a fraction.
func (g *gen) number(p Path, numeric bool) float64 {
	switch x := g.pick(10); {
	case x < 3 && len(p.Totals) > 0:
		return pickOf(g, p.Totals)
	case x < 6 && len(p.Numbers) > 0:
		return pickOf(g, p.Numbers)
	case x < 8:
		return float64(g.pick(12))
	default:
		return float64(g.pick(60)) / float64(1+g.pick(12))
	}
}

// instant is a time that often is an event's time, sometimes a
// microsecond off it.
func (g *gen) instant() time.Time {
	t := g.v.AsOf.Add(-time.Duration(g.pick(400*24)) * time.Hour)
	if len(g.v.Times) > 0 && g.chance(80) {
		t = pickOf(g, g.v.Times)
	}
	if g.chance(20) {
		t = t.Add(time.Duration(g.pick(3)-1) * time.Microsecond)
	}
	return t
}

// span is two instants in order.
func (g *gen) span() (lo, hi time.Time) {
	lo, hi = g.instant(), g.instant()
	if lo.After(hi) {
		return hi, lo
	}
	return lo, hi
}

// offsets are the zones time literals are written in: whole, half and
// three-quarter hours, both signs.
var offsets = []int{0, 0, 5*3600 + 45*60, -(3*3600 + 30*60), 9 * 3600, -8 * 3600, 14 * 3600, 5*3600 + 30*60}

// timeText writes t in RFC 3339 with a random offset and the precision it
// needs.
func (g *gen) timeText(t time.Time) string {
	off := pickOf(g, offsets)
	if off == 0 && g.chance(50) {
		return t.UTC().Format("2006-01-02T15:04:05.999999Z07:00")
	}
	return t.In(time.FixedZone("", off)).Format("2006-01-02T15:04:05.999999-07:00")
}

// timeValue is a time operand: an instant or a span before as_of.
func (g *gen) timeValue() any {
	if g.chance(30) {
		return obj{"ago": g.duration()}
	}
	return g.timeText(g.instant())
}

func (g *gen) duration() string {
	return pickOf(g, []string{"1m", "90m", "1h", "36h", "1d", "3d", "7d", "30d", "2w", "400d"})
}

// window is a random window form, or none (nil).
func (g *gen) window() any {
	switch x := g.pick(12); {
	case x < 2:
		return nil
	case x < 3:
		return obj{"all": true}
	case x < 6:
		return obj{"last": g.duration()}
	case x < 9:
		w := obj{"calendar": pickOf(g, []string{"day", "week", "month", "year"})}
		if g.chance(70) {
			w["offset"] = -g.pick(4)
		}
		if g.chance(2) {
			w["offset"] = -segment.MaxOffset
		}
		return w
	default:
		lo, hi := g.span()
		if !lo.Before(hi) {
			hi = lo.Add(time.Hour)
		}
		w := obj{}
		switch g.pick(4) {
		case 0:
			w["since"] = g.timeText(lo)
		case 1:
			w["until"] = g.timeText(hi)
		default:
			w["since"], w["until"] = g.timeText(lo), g.timeText(hi)
		}
		return w
	}
}

// eventName is a name of the data, or rarely one that never happened.
func (g *gen) eventName() (string, Event) {
	if g.chance(3) {
		return "never_happened", Event{}
	}
	e := pickOf(g, g.v.Events)
	return e.Name, e
}

// property is a path of the event, or sometimes one of another event,
// which the event lacks.
func (g *gen) property(e Event) Path {
	if len(e.Properties) == 0 || g.chance(10) {
		other := pickOf(g, g.v.Events)
		if len(other.Properties) == 0 {
			return Path{Path: "missing"}
		}
		return pickOf(g, other.Properties)
	}
	return pickOf(g, e.Properties)
}

func (g *gen) where(e Event) []any {
	var ps []any
	for range g.pick(3) * g.pick(2) {
		p := g.property(e)
		ps = append(ps, withCmp(obj{"property": p.Path}, g.comparison(p, false)))
	}
	return ps
}

var aggFns = []string{"count", "sum", "avg", "min", "max", "first", "last", "distinct_count"}

func (g *gen) event() obj {
	name, e := g.eventName()
	c := obj{"type": "event", "event": name}
	if ws := g.where(e); len(ws) > 0 {
		c["where"] = ws
	}
	if w := g.window(); w != nil {
		c["window"] = w
	}
	fn := pickOf(g, aggFns)
	if fn == "count" {
		if g.chance(50) {
			c["aggregate"] = obj{"fn": "count"}
		}
		if g.chance(30) {
			return c // performed at least once
		}
		return withCmp(c, g.comparison(Path{}, true))
	}
	p := g.property(e)
	c["aggregate"] = obj{"fn": fn, "property": p.Path}
	if fn == "first" || fn == "last" {
		return withCmp(c, g.comparison(p, false))
	}
	if fn == "distinct_count" {
		p = Path{}
	}
	return withCmp(c, g.comparison(p, true))
}

func (g *gen) funnel() obj {
	n := segment.MinSteps + g.pick(4)
	if g.large && g.longFunnels < 2 && g.chance(50) {
		// Two long funnels at most: each step is a join.
		g.longFunnels++
		n = segment.MinSteps + g.pick(segment.MaxSteps-segment.MinSteps+1)
	}
	steps := make([]any, n)
	next := g.pick(len(flow))
	var name string
	var e Event
	for i := range steps {
		switch {
		case i > 0 && g.chance(25): // a repeated name: each event serves one step
		case g.chance(60): // the shop's order of things
			name, e = flow[next%len(flow)], g.mustEvent(flow[next%len(flow)])
			next++
		default:
			name, e = g.eventName()
		}
		s := obj{"event": name}
		if ws := g.where(e); len(ws) > 0 {
			s["where"] = ws
		}
		steps[i] = s
	}
	f := obj{"type": "funnel", "steps": steps}
	if g.chance(60) {
		f["within"] = pickOf(g, []string{"1m", "5m", "1h", "1d", "7d", "30d"})
	}
	if w := g.window(); w != nil {
		f["window"] = w
	}
	if g.chance(50) {
		f["reached"] = 1 + g.pick(n)
	}
	if g.chance(30) {
		f["exact"] = g.chance(70)
	}
	return f
}

// flow is the order in which a shop's users do things, which funnels
// follow more often than not.
var flow = []string{"$session", "view_item", "add_to_cart", "$buy"}

func (g *gen) mustEvent(name string) Event {
	e, _ := g.v.byName(name)
	return e
}
