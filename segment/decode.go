package segment

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"regexp"
	"sort"
	"strings"
	"time"
	"unicode/utf8"
)

// Limits of the language (spec, "Limits").
const (
	MaxDepth       = 16
	MaxNodes       = 256
	MaxChildren    = 64
	MaxInValues    = 1000
	MaxStringBytes = 1024
	MaxEventName   = 256
	MinSteps       = 2
	MaxSteps       = 16
	MaxOffset      = 1000
)

// Built-in user fields that an attribute condition can name.
const (
	FieldUserID    = "user_id"
	FieldFirstSeen = "first_seen"
	FieldLastSeen  = "last_seen"
)

// IsTimeField reports whether field is one of the built-in time fields.
func IsTimeField(field string) bool { return field == FieldFirstSeen || field == FieldLastSeen }

var keyRE = regexp.MustCompile(`^[A-Za-z_$][A-Za-z0-9_$.-]{0,127}$`)

// ValidPath reports whether s is a valid attribute key or property path:
// the spec's key pattern, with no empty segment between dots.
func ValidPath(s string) bool {
	return keyRE.MatchString(s) && !strings.HasSuffix(s, ".") && !strings.Contains(s, "..")
}

var pathKeyRE = regexp.MustCompile(`^[A-Za-z0-9_$-]{1,128}$`)

// ValidPathKey reports whether s is one key of a valid path, between its
// dots: only the first key of a path must start with a letter, _ or $
// ("items.0.price" is a path).
func ValidPathKey(s string) bool { return pathKeyRE.MatchString(s) }

// PathSegments splits a valid path at its dots.
func PathSegments(path string) []string { return strings.Split(path, ".") }

// Decode reads one tree from JSON. base is the JSON Pointer of the tree in
// the request body ("" when data is the tree itself, "/tree" inside a
// segment), so that every problem points into what the client sent. It
// reports every problem it finds, as an *Error; malformed JSON gives a
// single invalid_json problem.
func Decode(data []byte, base string) (Node, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var raw any
	if err := dec.Decode(&raw); err != nil {
		return nil, invalidJSON(base, err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, invalidJSON(base, errors.New("unexpected data after the tree"))
	}
	return DecodeValue(raw, base)
}

// DecodeValue is Decode for a tree already parsed by encoding/json with
// UseNumber.
func DecodeValue(raw any, base string) (Node, error) {
	d := &decoder{}
	n := d.node(raw, base)
	if err := d.problems.err(); err != nil {
		return nil, err
	}
	return n, nil
}

func invalidJSON(base string, err error) error {
	return &Error{Problems: []Problem{{Code: CodeInvalidJSON, Message: err.Error(), Path: base}}}
}

type decoder struct {
	problems problems
}

// object checks that raw is an object with only the allowed keys; it
// returns nil (after reporting) otherwise.
func (d *decoder) object(raw any, path string, allowed ...string) map[string]any {
	obj, ok := raw.(map[string]any)
	if !ok {
		d.problems.add(path, "must be an object, not %s", jsonType(raw))
		return nil
	}
	var unknown []string
	for k := range obj {
		if !contains(allowed, k) {
			unknown = append(unknown, k)
		}
	}
	sort.Strings(unknown)
	for _, k := range unknown {
		d.problems.add(Pointer(path, k), "unknown field %q", k)
	}
	return obj
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func (d *decoder) node(raw any, path string) Node {
	obj, ok := raw.(map[string]any)
	if !ok {
		d.problems.add(path, "a node must be an object, not %s", jsonType(raw))
		return nil
	}
	t, ok := obj["type"].(string)
	if !ok {
		d.problems.add(Pointer(path, "type"), "a node needs a string type")
		return nil
	}
	switch t {
	case "and", "or":
		obj = d.object(raw, path, "type", "children")
		children := d.children(obj["children"], Pointer(path, "children"))
		if t == "and" {
			return &And{Children: children}
		}
		return &Or{Children: children}
	case "not":
		obj = d.object(raw, path, "type", "child")
		if _, ok := obj["child"]; !ok {
			d.problems.add(Pointer(path, "child"), "not needs a child")
			return &Not{}
		}
		return &Not{Child: d.node(obj["child"], Pointer(path, "child"))}
	case "attribute":
		return d.attribute(d.object(raw, path, "type", "field", "op", "value"), path)
	case "event":
		return d.event(d.object(raw, path, "type", "event", "where", "aggregate", "window", "op", "value"), path)
	case "funnel":
		return d.funnel(d.object(raw, path, "type", "steps", "within", "window", "reached", "exact"), path)
	case "segment":
		obj = d.object(raw, path, "type", "segment_id")
		id := d.str(obj, "segment_id", path, true)
		if isString(obj["segment_id"]) && id == "" {
			d.problems.add(Pointer(path, "segment_id"), "must not be empty")
		}
		return &SegmentRef{SegmentID: id}
	default:
		d.problems.add(Pointer(path, "type"), "unknown node type %q", t)
		return nil
	}
}

func (d *decoder) children(raw any, path string) []Node {
	list, ok := raw.([]any)
	if !ok {
		d.problems.add(path, "must be an array of 1 to %d nodes", MaxChildren)
		return nil
	}
	if len(list) == 0 || len(list) > MaxChildren {
		d.problems.add(path, "must hold 1 to %d nodes, not %d", MaxChildren, len(list))
	}
	out := make([]Node, len(list))
	for i, c := range list {
		out[i] = d.node(c, Pointer(path, i))
	}
	return out
}

// str reads a string field, checking the length limit.
func (d *decoder) str(obj map[string]any, key, path string, required bool) string {
	raw, present := obj[key]
	if !present {
		if required {
			d.problems.add(Pointer(path, key), "%s is required", key)
		}
		return ""
	}
	s, ok := raw.(string)
	if !ok {
		d.problems.add(Pointer(path, key), "must be a string, not %s", jsonType(raw))
		return ""
	}
	d.checkString(s, Pointer(path, key))
	return s
}

func (d *decoder) checkString(s, path string) {
	if len(s) > MaxStringBytes {
		d.problems.add(path, "a string may hold at most %d bytes", MaxStringBytes)
	}
	if !utf8.ValidString(s) {
		d.problems.add(path, "must be valid UTF-8")
	}
}

func (d *decoder) path(obj map[string]any, key, path string) string {
	s := d.str(obj, key, path, true)
	if isString(obj[key]) && !ValidPath(s) {
		d.problems.add(Pointer(path, key), "%q is not a valid name: it must match %s with no empty segment", s, keyRE)
	}
	return s
}

func isString(v any) bool { _, ok := v.(string); return ok }

func (d *decoder) op(obj map[string]any, path string) (Op, bool) {
	raw, present := obj["op"]
	if !present {
		return "", false
	}
	s, ok := raw.(string)
	if !ok || !ops[Op(s)] {
		d.problems.add(Pointer(path, "op"), "unknown op %v", jsonText(raw))
		return "", true
	}
	return Op(s), true
}

// operandRule says which operands a comparison admits, by where it stands.
type operandRule uint8

const (
	// ruleAny: a property, an attribute, or a first/last aggregate.
	ruleAny operandRule = iota
	// ruleTime: first_seen and last_seen, which hold times only.
	ruleTime
	// ruleNumber: an aggregate that always yields a number.
	ruleNumber
)

// comparison reads op and value of a condition.
func (d *decoder) comparison(obj map[string]any, path string, rule operandRule) (Op, Value) {
	op, hasOp := d.op(obj, path)
	raw, hasValue := obj["value"]
	if !hasOp {
		d.problems.add(Pointer(path, "op"), "op is required")
		return op, Value{}
	}
	if op == "" {
		return op, Value{}
	}
	if !op.TakesValue() {
		if hasValue {
			d.problems.add(Pointer(path, "value"), "%s takes no value", op)
		}
		return op, Value{}
	}
	if !hasValue {
		d.problems.add(Pointer(path, "value"), "%s needs a value", op)
		return op, Value{}
	}
	return op, d.operand(op, raw, Pointer(path, "value"), rule)
}

func (d *decoder) operand(op Op, raw any, path string, rule operandRule) Value {
	switch op {
	case OpEq, OpNeq, OpLt, OpLte, OpGt, OpGte:
		v := d.scalar(raw, path, rule, op == OpEq || op == OpNeq)
		return v
	case OpBetween:
		list, ok := raw.([]any)
		if !ok || len(list) != 2 {
			d.problems.add(path, "between needs [low, high]")
			return Value{}
		}
		lo := d.bound(list[0], Pointer(path, 0), rule)
		hi := d.bound(list[1], Pointer(path, 1), rule)
		switch {
		case lo.Kind == KindNone || hi.Kind == KindNone:
		case lo.Kind != hi.Kind:
			d.problems.add(path, "low and high must both be numbers or both be times")
		case lo.Kind == KindNumber && lo.Num > hi.Num,
			lo.Kind == KindTime && lo.Ago == nil && hi.Ago == nil && lo.At.After(hi.At),
			lo.Kind == KindTime && lo.Ago != nil && hi.Ago != nil && lo.Ago.Std() < hi.Ago.Std():
			d.problems.add(path, "low must not be greater than high")
		}
		return List(lo, hi)
	case OpIn, OpNotIn:
		list, ok := raw.([]any)
		if !ok || len(list) == 0 || len(list) > MaxInValues {
			d.problems.add(path, "%s needs an array of 1 to %d strings or numbers", op, MaxInValues)
			return Value{}
		}
		if rule == ruleTime {
			d.problems.add(path, "%s does not apply to times", op)
			return Value{}
		}
		vs := make([]Value, len(list))
		for i, x := range list {
			p := Pointer(path, i)
			switch x := x.(type) {
			case string:
				d.checkString(x, p)
				if rule == ruleNumber {
					d.problems.add(p, "this aggregate is a number: compare it with numbers")
				}
				vs[i] = String(x)
			case json.Number:
				vs[i] = d.number(x, p)
			default:
				d.problems.add(p, "must be a string or a number, not %s", jsonType(x))
			}
		}
		return List(vs...)
	default: // contains, not_contains, starts_with, ends_with
		s, ok := raw.(string)
		if !ok {
			d.problems.add(path, "%s needs a string", op)
			return Value{}
		}
		d.checkString(s, path)
		if rule != ruleAny {
			d.problems.add(path, "%s applies to strings only", op)
		}
		return String(s)
	}
}

// bound reads one end of between, which compares numbers or times: a
// string there is always a time.
func (d *decoder) bound(raw any, path string, rule operandRule) Value {
	s, ok := raw.(string)
	if !ok {
		return d.scalar(raw, path, rule, false)
	}
	t, ok := ParseTime(s)
	if !ok || rule == ruleNumber {
		d.problems.add(path, "between compares numbers, or times given as RFC 3339 strings (at most microsecond precision) or {\"ago\"}")
		return Value{}
	}
	return Time(t)
}

// scalar reads a single operand. Strings are times where the rule says so;
// booleans only where equality allows them.
func (d *decoder) scalar(raw any, path string, rule operandRule, allowBool bool) Value {
	switch x := raw.(type) {
	case json.Number:
		if rule == ruleTime {
			d.problems.add(path, "compare times with an RFC 3339 string or {\"ago\": duration}")
		}
		return d.number(x, path)
	case string:
		d.checkString(x, path)
		switch rule {
		case ruleTime:
			t, ok := ParseTime(x)
			if !ok {
				d.problems.add(path, "%q is not an RFC 3339 time (at most microsecond precision)", x)
			}
			return Time(t)
		case ruleNumber:
			d.problems.add(path, "this aggregate is a number: compare it with a number")
		}
		return String(x)
	case bool:
		if !allowBool || rule != ruleAny {
			d.problems.add(path, "a boolean compares with eq or neq only, on attributes and properties")
		}
		return Bool(x)
	case map[string]any:
		obj := d.object(x, path, "ago")
		if rule == ruleNumber {
			d.problems.add(path, "this aggregate is a number: compare it with a number")
		}
		s, _ := obj["ago"].(string)
		dur, err := ParseDuration(s)
		if err != nil {
			d.problems.add(Pointer(path, "ago"), "%v", err)
		}
		return Ago(dur)
	case []any:
		// between needs a list only when the low and high are read; a list
		// elsewhere is a mistake.
		d.problems.add(path, "must be a single value, not an array")
	default:
		d.problems.add(path, "must not be %s", jsonType(raw))
	}
	return Value{}
}

func (d *decoder) number(n json.Number, path string) Value {
	f, err := n.Float64()
	if err != nil || math.IsInf(f, 0) {
		d.problems.add(path, "%s is not a finite number", n)
	}
	return Number(f)
}

func (d *decoder) attribute(obj map[string]any, path string) Node {
	if obj == nil {
		return nil
	}
	a := &Attribute{Field: d.path(obj, "field", path)}
	rule := ruleAny
	if IsTimeField(a.Field) {
		rule = ruleTime
	}
	a.Op, a.Value = d.comparison(obj, path, rule)
	return a
}

func (d *decoder) predicates(raw any, path string) []Predicate {
	if raw == nil {
		return nil
	}
	list, ok := raw.([]any)
	if !ok {
		d.problems.add(path, "must be an array of predicates")
		return nil
	}
	out := make([]Predicate, 0, len(list))
	for i, x := range list {
		p := Pointer(path, i)
		obj := d.object(x, p, "property", "op", "value")
		if obj == nil {
			continue
		}
		pr := Predicate{Property: d.path(obj, "property", p)}
		pr.Op, pr.Value = d.comparison(obj, p, ruleAny)
		out = append(out, pr)
	}
	return out
}

func (d *decoder) eventName(obj map[string]any, path string) string {
	name := d.str(obj, "event", path, true)
	if _, present := obj["event"]; present && isString(obj["event"]) && (name == "" || len(name) > MaxEventName) {
		d.problems.add(Pointer(path, "event"), "an event name holds 1 to %d bytes", MaxEventName)
	}
	return name
}

func (d *decoder) event(obj map[string]any, path string) Node {
	if obj == nil {
		return nil
	}
	e := &Event{Event: d.eventName(obj, path)}
	if w, ok := obj["where"]; ok {
		e.Where = d.predicates(w, Pointer(path, "where"))
	}
	e.Aggregate = d.aggregate(obj["aggregate"], Pointer(path, "aggregate"))
	e.Window = d.window(obj["window"], Pointer(path, "window"))
	_, hasOp := obj["op"]
	_, hasValue := obj["value"]
	if !hasOp && !hasValue {
		// "Performed at least once" is a count's default; any other
		// aggregate has no comparison that goes without saying.
		if e.Aggregate.Fn != AggCount {
			d.problems.add(path, "a %s aggregate needs op and value (only count may omit both)", e.Aggregate.Fn)
		}
		e.Op, e.Value = OpGte, Number(1)
		return e
	}
	rule := ruleNumber
	if !e.Aggregate.Numeric() {
		rule = ruleAny
	}
	e.Op, e.Value = d.comparison(obj, path, rule)
	return e
}

func (d *decoder) aggregate(raw any, path string) Aggregate {
	if raw == nil {
		return Aggregate{Fn: AggCount}
	}
	obj := d.object(raw, path, "fn", "property")
	if obj == nil {
		return Aggregate{Fn: AggCount}
	}
	a := Aggregate{Fn: AggCount}
	known := true
	if fn, present := obj["fn"]; present {
		s, _ := fn.(string)
		if !aggFns[AggFn(s)] {
			d.problems.add(Pointer(path, "fn"), "unknown aggregate %s", jsonText(fn))
			known = false
		} else {
			a.Fn = AggFn(s)
		}
	}
	_, hasProp := obj["property"]
	switch {
	case !known:
		// Whether a property belongs here depends on the function.
		if hasProp {
			d.path(obj, "property", path)
		}
	case a.Fn == AggCount && hasProp:
		d.problems.add(Pointer(path, "property"), "count counts events and takes no property")
	case a.Fn != AggCount:
		a.Property = d.path(obj, "property", path)
	}
	return a
}

func (d *decoder) window(raw any, path string) Window {
	if raw == nil {
		return Window{Kind: WindowAll}
	}
	obj := d.object(raw, path, "last", "calendar", "offset", "since", "until", "all")
	if obj == nil {
		return Window{}
	}
	var w Window
	forms := 0
	if _, ok := obj["last"]; ok {
		forms++
		w.Kind = WindowLast
		s, _ := obj["last"].(string)
		dur, err := ParseDuration(s)
		if err != nil {
			d.problems.add(Pointer(path, "last"), "%v", err)
		}
		w.Last = dur
	}
	if _, ok := obj["calendar"]; ok {
		forms++
		w.Kind = WindowCalendar
		w.Period, _ = obj["calendar"].(string)
		switch w.Period {
		case PeriodDay, PeriodWeek, PeriodMonth, PeriodYear:
		default:
			d.problems.add(Pointer(path, "calendar"), "calendar is day, week, month or year, not %s", jsonText(obj["calendar"]))
		}
		if raw, ok := obj["offset"]; ok {
			n, _ := raw.(json.Number)
			off, err := n.Int64()
			if err != nil || off > 0 || off < -MaxOffset {
				d.problems.add(Pointer(path, "offset"), "offset is a whole number from -%d to 0", MaxOffset)
			}
			w.Offset = int(off)
		}
	} else if _, ok := obj["offset"]; ok {
		d.problems.add(Pointer(path, "offset"), "offset goes with calendar")
	}
	_, hasSince := obj["since"]
	_, hasUntil := obj["until"]
	if hasSince || hasUntil {
		forms++
		w.Kind = WindowRange
		w.Since = d.windowTime(obj, "since", path)
		w.Until = d.windowTime(obj, "until", path)
		if !w.Since.IsZero() && !w.Until.IsZero() && !w.Since.Before(w.Until) {
			d.problems.add(Pointer(path, "until"), "until must be after since")
		}
	}
	if all, ok := obj["all"]; ok {
		forms++
		w.Kind = WindowAll
		if all != true {
			d.problems.add(Pointer(path, "all"), "all must be true")
		}
	}
	if forms != 1 {
		d.problems.add(path, "a window takes exactly one of last, calendar, since/until or all")
	}
	return w
}

func (d *decoder) windowTime(obj map[string]any, key, path string) time.Time {
	raw, ok := obj[key]
	if !ok {
		return time.Time{}
	}
	s, _ := raw.(string)
	t, ok := ParseTime(s)
	if !ok {
		d.problems.add(Pointer(path, key), "%s is not an RFC 3339 time (at most microsecond precision)", jsonText(raw))
	} else if t.IsZero() {
		// A zero bound means "no bound" in Window and Bounds.
		d.problems.add(Pointer(path, key), "%s must be after 0001-01-01T00:00:00Z", key)
	}
	return t
}

func (d *decoder) funnel(obj map[string]any, path string) Node {
	if obj == nil {
		return nil
	}
	f := &Funnel{}
	sp := Pointer(path, "steps")
	list, ok := obj["steps"].([]any)
	if !ok || len(list) < MinSteps || len(list) > MaxSteps {
		d.problems.add(sp, "a funnel has %d to %d steps", MinSteps, MaxSteps)
	}
	for i, x := range list {
		p := Pointer(sp, i)
		so := d.object(x, p, "event", "where")
		if so == nil {
			continue
		}
		st := Step{Event: d.eventName(so, p)}
		if w, ok := so["where"]; ok {
			st.Where = d.predicates(w, Pointer(p, "where"))
		}
		f.Steps = append(f.Steps, st)
	}
	if raw, ok := obj["within"]; ok {
		s, _ := raw.(string)
		dur, err := ParseDuration(s)
		if err != nil {
			d.problems.add(Pointer(path, "within"), "%v", err)
		}
		f.Within = &dur
	}
	f.Window = d.window(obj["window"], Pointer(path, "window"))
	f.Reached = len(list)
	if raw, ok := obj["reached"]; ok {
		n, _ := raw.(json.Number)
		r, err := n.Int64()
		if err != nil || r < 1 || r > int64(len(list)) {
			d.problems.add(Pointer(path, "reached"), "reached is a whole number from 1 to the number of steps")
		}
		f.Reached = int(r)
	}
	if raw, ok := obj["exact"]; ok {
		b, ok := raw.(bool)
		if !ok {
			d.problems.add(Pointer(path, "exact"), "exact must be a boolean")
		}
		f.Exact = b
	}
	return f
}

func jsonType(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case bool:
		return "a boolean"
	case json.Number:
		return "a number"
	case string:
		return "a string"
	case []any:
		return "an array"
	default:
		return "an object"
	}
}

func jsonText(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	if len(b) > 64 {
		return string(b[:64]) + "…"
	}
	return string(b)
}
