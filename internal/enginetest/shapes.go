package enginetest

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/segmentd/segmentd/internal/dataset"
	"github.com/segmentd/segmentd/internal/record"
)

// ShapesAsOf is the instant the Shapes cases are evaluated at.
var ShapesAsOf = time.Date(2026, time.March, 2, 12, 0, 0, 0, time.UTC)

// shapeValues are the JSON values a path meets where the compiler must
// keep the language's typing: strings that read as numbers or booleans,
// nested arrays, null elements, objects where a scalar is expected, and
// arrays of mixed shapes (an element's key an array, another's not).
var shapeValues = []string{
	`1000`, `"1000"`, `-0`, `1.5e3`, `true`, `"true"`, `null`, `""`, `{"a": 1}`,
	`[1000, "1000", null, [1000], {"a": 1}, true]`, `[[1000]]`, `[]`, `[null]`, `["x", "1000"]`,
}

// shapeItems are values of an event's "items" for the paths items.price
// and items.sub.price.
var shapeItems = []string{
	`[{"price": 1}, {"price": "2"}, {"price": [3, [4]]}, null, {"price": null}, {"q": 1}, 5, [{"price": 6}]]`,
	`{"price": 7}`,
	`{"price": [8, "9"]}`,
	`[{"price": true}, {"price": {"v": 1}}, {"price": []}]`,
	`"price"`,
	`[{"sub": [{"price": 11}, {"price": "12"}]}, {"sub": {"price": 13}}]`,
	`[{"sub": {"price": 15}}, {"sub": [{"price": 16}, null]}]`,
	`[{"price": 17}, {"price": 18.5}]`,
}

// shapeItemsNested hold objects in an array inside an array, which the
// path does not enter (one level).
var shapeItemsNested = []string{
	`[[{"price": 10}]]`,
	`[{"sub": [[{"price": 14}]]}, {"sub": {"price": 13}}]`,
}

// Shapes is data whose attributes and properties hold those shapes, one
// user per shape and a few users per combination of events, with the
// cases that read them; every answer is checked against the reference
// evaluator, so the cases need no expected members. nested adds
// shapeItemsNested, which Trino gets wrong: its lax JSON path filter
// looks into an array inside an array, the language does not (a known
// limit, docs/segment-language.md).
func Shapes(nested bool) (*dataset.Data, []Case) {
	d := &dataset.Data{}
	decode := func(s string) any {
		var v any
		if err := json.Unmarshal([]byte(s), &v); err != nil {
			panic(fmt.Sprintf("enginetest: shape %s: %v", s, err))
		}
		return v
	}
	at := ShapesAsOf.Add(-48 * time.Hour)
	n := 0
	user := func(attrs map[string]any) string {
		n++
		id := fmt.Sprintf("shape%03d", n)
		d.Users = append(d.Users, record.User{UserID: id, Attributes: attrs, FirstSeen: at, LastSeen: at})
		return id
	}
	event := func(id string, props map[string]any) {
		at = at.Add(time.Minute)
		d.Events = append(d.Events, record.Event{EventID: fmt.Sprintf("ev%04d", len(d.Events)), UserID: id, Name: "shape", Time: at, Properties: props})
	}
	user(map[string]any{}) // no attributes and no events
	for _, v := range shapeValues {
		// The value at a key, at a key of an object, and at a key of
		// each element of an array.
		user(map[string]any{"tag": decode(v), "addr": map[string]any{"city": decode(v)}, "list": []any{map[string]any{"city": decode(v)}}})
		event(user(map[string]any{"tag": "event"}), map[string]any{"price": decode(v)})
	}
	items := shapeItems
	if nested {
		items = append(items[:len(items):len(items)], shapeItemsNested...)
	}
	for i, it := range items {
		event(user(map[string]any{}), map[string]any{"items": decode(it)})
		// The shapes in both orders for first and last.
		id := user(map[string]any{})
		event(id, map[string]any{"items": decode(it)})
		event(id, map[string]any{"items": decode(items[(i+1)%len(items)])})
	}
	// A user with events and no profile: the engines make one (ingestion;
	// the embedded engine's loads, Data.WithEventUsers).
	event("shape-no-profile", map[string]any{"price": 1000.0, "items": []any{map[string]any{"price": 1000.0}}})
	var cases []Case
	add := func(name, tree string) { cases = append(cases, Case{Name: "shapes-" + name, JSON: []byte(tree)}) }
	for _, path := range []string{"tag", "addr.city", "list.city"} {
		for _, cond := range shapeConds {
			add(path+"-"+cond[0], fmt.Sprintf(`{"type":"attribute","field":%q,%s}`, path, cond[1]))
		}
	}
	for _, path := range []string{"price", "items.price", "items.sub.price"} {
		for _, cond := range shapeConds {
			add("where-"+path+"-"+cond[0], fmt.Sprintf(`{"type":"event","event":"shape","where":[{"property":%q,%s}]}`, path, cond[1]))
		}
		for i, agg := range shapeAggs {
			add(fmt.Sprintf("%s%d-%s", agg[0], i, path), fmt.Sprintf(`{"type":"event","event":"shape","aggregate":{"fn":%q,"property":%q},%s}`, agg[0], path, agg[1]))
		}
	}
	// An AND whose event condition needs events narrows the users its
	// attribute conditions are tested on (compile: narrow); these need
	// them or not, directly, under NOT and OR, and in nested ANDs.
	for i, c := range narrowConds {
		add(fmt.Sprintf("narrow%d", i), `{"type":"and","children":[`+c+`,{"type":"attribute","field":"tag","op":"exists"}]}`)
		add(fmt.Sprintf("narrow%d-not", i), `{"type":"and","children":[{"type":"not","child":`+c+`},{"type":"not","child":{"type":"attribute","field":"tag","op":"eq","value":1000}}]}`)
		add(fmt.Sprintf("narrow%d-nested", i), `{"type":"and","children":[{"type":"and","children":[`+c+`,{"type":"attribute","field":"tag","op":"not_exists"}]},`+
			`{"type":"or","children":[{"type":"attribute","field":"tag","op":"eq","value":"event"},{"type":"not","child":`+c+`}]}]}`)
	}
	return d, cases
}

// narrowConds are event conditions false, true or either for a user
// without events.
var narrowConds = []string{
	`{"type":"event","event":"shape"}`,
	`{"type":"event","event":"shape","op":"eq","value":0}`,
	`{"type":"event","event":"shape","op":"lt","value":2}`,
	`{"type":"event","event":"shape","op":"between","value":[0,1]}`,
	`{"type":"event","event":"shape","op":"between","value":[1,3]}`,
	`{"type":"event","event":"shape","op":"in","value":[0,3]}`,
	`{"type":"event","event":"shape","op":"not_in","value":[0]}`,
	`{"type":"event","event":"shape","op":"neq","value":0}`,
	`{"type":"event","event":"shape","aggregate":{"fn":"sum","property":"price"},"op":"gte","value":0}`,
	`{"type":"event","event":"shape","aggregate":{"fn":"avg","property":"price"},"op":"not_exists"}`,
	`{"type":"event","event":"shape","aggregate":{"fn":"last","property":"price"},"op":"neq","value":5}`,
	`{"type":"not","child":{"type":"event","event":"shape","op":"eq","value":0}}`,
	`{"type":"or","children":[{"type":"event","event":"shape","op":"gte","value":2},{"type":"attribute","field":"tag","op":"eq","value":true}]}`,
	`{"type":"or","children":[{"type":"event","event":"shape","op":"gte","value":2},{"type":"event","event":"shape","aggregate":{"fn":"max","property":"items.price"},"op":"gt","value":1}]}`,
}

// shapeConds are conditions on a path's values that tell the shapes
// apart.
var shapeConds = [][2]string{
	{"eq-number", `"op":"eq","value":1000`},
	{"eq-string", `"op":"eq","value":"1000"`},
	{"eq-true", `"op":"eq","value":true`},
	{"eq-zero", `"op":"eq","value":0`},
	{"neq-number", `"op":"neq","value":1000`},
	{"gt-number", `"op":"gt","value":999`},
	{"lt-string", `"op":"lt","value":"2"`},
	{"in-mixed", `"op":"in","value":[1000,"x"]`},
	{"not-in-number", `"op":"not_in","value":[1000]`},
	{"starts-with", `"op":"starts_with","value":"1"`},
	{"exists", `"op":"exists"`},
	{"not-exists", `"op":"not_exists"`},
}

// shapeAggs are the aggregates with a comparison each.
var shapeAggs = [][2]string{
	{"sum", `"op":"gt","value":0`},
	{"avg", `"op":"gte","value":5`},
	{"min", `"op":"lte","value":3`},
	{"max", `"op":"gte","value":10`},
	{"distinct_count", `"op":"gte","value":2`},
	{"first", `"op":"exists"`},
	{"first", `"op":"gte","value":10`},
	{"last", `"op":"eq","value":"12"`},
	{"last", `"op":"lt","value":14`},
}
