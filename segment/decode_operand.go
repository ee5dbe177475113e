package segment

import (
	"encoding/json"
	"math"
)

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

// operand reads the value of an operator that takes one.
func (d *decoder) operand(op Op, raw any, path string, rule operandRule) Value {
	switch op {
	case OpEq, OpNeq, OpLt, OpLte, OpGt, OpGte:
		return d.scalar(raw, path, rule, op == OpEq || op == OpNeq)
	case OpBetween:
		return d.between(raw, path, rule)
	case OpIn, OpNotIn:
		return d.in(op, raw, path, rule)
	default: // contains, not_contains, starts_with, ends_with
		return d.text(op, raw, path, rule)
	}
}

// between reads [low, high]: two numbers or two times, low first.
func (d *decoder) between(raw any, path string, rule operandRule) Value {
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
	case greater(lo, hi):
		d.problems.add(path, "low must not be greater than high")
	}
	return List(lo, hi)
}

// greater reports whether lo is above hi, two bounds of one kind. An
// instant and an {"ago"} are not compared: their order depends on as_of.
func greater(lo, hi Value) bool {
	switch {
	case lo.Kind == KindNumber:
		return lo.Num > hi.Num
	case lo.Kind != KindTime:
		return false
	case lo.Ago == nil && hi.Ago == nil:
		return lo.At.After(hi.At)
	case lo.Ago != nil && hi.Ago != nil:
		return lo.Ago.Std() < hi.Ago.Std()
	}
	return false
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

// in reads the list of in and not_in: strings and numbers.
func (d *decoder) in(op Op, raw any, path string, rule operandRule) Value {
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
		vs[i] = d.member(x, Pointer(path, i), rule)
	}
	return List(vs...)
}

// member reads one value of an in or not_in list.
func (d *decoder) member(raw any, path string, rule operandRule) Value {
	switch x := raw.(type) {
	case string:
		d.checkString(x, path)
		if rule == ruleNumber {
			d.problems.add(path, "this aggregate is a number: compare it with numbers")
		}
		return String(x)
	case json.Number:
		return d.number(x, path)
	default:
		d.problems.add(path, "must be a string or a number, not %s", jsonType(x))
		return Value{}
	}
}

// text reads the string of contains, not_contains, starts_with and
// ends_with.
func (d *decoder) text(op Op, raw any, path string, rule operandRule) Value {
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
		return Ago(d.duration(obj["ago"], Pointer(path, "ago")))
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
