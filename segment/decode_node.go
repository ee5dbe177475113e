package segment

import "encoding/json"

// node reads one node: its type decides which fields it may have.
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
		obj = d.object(raw, path, "type", keyChildren)
		children := d.children(obj[keyChildren], Pointer(path, keyChildren))
		if t == "and" {
			return &And{Children: children}
		}
		return &Or{Children: children}
	case "not":
		return d.not(d.object(raw, path, "type", keyChild), path)
	case "attribute":
		return d.attribute(d.object(raw, path, "type", "field", "op", "value"), path)
	case "event":
		return d.event(d.object(raw, path, "type", "event", "where", "aggregate", "window", "op", "value"), path)
	case "funnel":
		return d.funnel(d.object(raw, path, "type", "steps", "within", "window", "reached", "exact"), path)
	case "segment":
		return d.segmentRef(d.object(raw, path, "type", "segment_id"), path)
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

func (d *decoder) not(obj map[string]any, path string) Node {
	raw, ok := obj[keyChild]
	if !ok {
		d.problems.add(Pointer(path, keyChild), "not needs a child")
		return &Not{}
	}
	return &Not{Child: d.node(raw, Pointer(path, keyChild))}
}

func (d *decoder) segmentRef(obj map[string]any, path string) Node {
	id := d.str(obj, "segment_id", path, true)
	if isString(obj["segment_id"]) && id == "" {
		d.problems.add(Pointer(path, "segment_id"), "must not be empty")
	}
	return &SegmentRef{SegmentID: id}
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

// where reads the optional predicates of an event condition or a step.
func (d *decoder) where(obj map[string]any, path string) []Predicate {
	raw, ok := obj["where"]
	if !ok {
		return nil
	}
	return d.predicates(raw, Pointer(path, "where"))
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
	e.Where = d.where(obj, path)
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

func (d *decoder) funnel(obj map[string]any, path string) Node {
	if obj == nil {
		return nil
	}
	list, _ := obj["steps"].([]any) // not an array: no steps, too few
	f := &Funnel{Steps: d.steps(list, Pointer(path, "steps"))}
	if raw, ok := obj["within"]; ok {
		within := d.duration(raw, Pointer(path, "within"))
		f.Within = &within
	}
	f.Window = d.window(obj["window"], Pointer(path, "window"))
	f.Reached = d.reached(obj, path, len(list))
	if raw, ok := obj["exact"]; ok {
		b, ok := raw.(bool)
		if !ok {
			d.problems.add(Pointer(path, "exact"), "exact must be a boolean")
		}
		f.Exact = b
	}
	return f
}

// steps reads the steps of a funnel, leaving out those that are not
// objects.
func (d *decoder) steps(list []any, path string) []Step {
	if len(list) < MinSteps || len(list) > MaxSteps {
		d.problems.add(path, "a funnel has %d to %d steps", MinSteps, MaxSteps)
	}
	var steps []Step
	for i, x := range list {
		p := Pointer(path, i)
		obj := d.object(x, p, "event", "where")
		if obj == nil {
			continue
		}
		steps = append(steps, Step{Event: d.eventName(obj, p), Where: d.where(obj, p)})
	}
	return steps
}

// reached reads how many of a funnel's steps a user must reach: all of
// them unless said otherwise.
func (d *decoder) reached(obj map[string]any, path string, steps int) int {
	raw, ok := obj["reached"]
	if !ok {
		return steps
	}
	n, _ := raw.(json.Number)
	r, err := n.Int64()
	if err != nil || r < 1 || r > int64(steps) {
		d.problems.add(Pointer(path, "reached"), "reached is a whole number from 1 to the number of steps")
	}
	return int(r)
}
