package segment

import (
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
)

func durp(n int64, unit byte) *Duration { return &Duration{N: n, Unit: unit} }

func TestDecodeNodeTypes(t *testing.T) {
	attrPro := &Attribute{Field: "plan", Op: OpEq, Value: String("pro")}
	countGte1 := func(name string) *Event {
		return &Event{Event: name, Aggregate: Aggregate{Fn: AggCount}, Window: Window{Kind: WindowAll}, Op: OpGte, Value: Number(1)}
	}
	cases := []struct {
		name string
		src  string
		want Node
	}{
		{"and", `{"type":"and","children":[` + leaf + `]}`, &And{Children: []Node{attrPro}}},
		{"or", `{"type":"or","children":[` + leaf + `,` + leaf + `]}`, &Or{Children: []Node{attrPro, attrPro}}},
		{"not", `{"type":"not","child":` + leaf + `}`, &Not{Child: attrPro}},
		{"attribute in", `{"type":"attribute","field":"country","op":"in","value":["JP","KR",81]}`,
			&Attribute{Field: "country", Op: OpIn, Value: List(String("JP"), String("KR"), Number(81))}},
		{"attribute exists", `{"type":"attribute","field":"address.city","op":"exists"}`,
			&Attribute{Field: "address.city", Op: OpExists}},
		{"attribute not_exists", `{"type":"attribute","field":"$x","op":"not_exists"}`,
			&Attribute{Field: "$x", Op: OpNotExists}},
		{"attribute bool", `{"type":"attribute","field":"isMember","op":"neq","value":false}`,
			&Attribute{Field: "isMember", Op: OpNeq, Value: Bool(false)}},
		{"attribute string gt", `{"type":"attribute","field":"name","op":"gt","value":"m"}`,
			&Attribute{Field: "name", Op: OpGt, Value: String("m")}},
		{"attribute number lte", `{"type":"attribute","field":"age","op":"lte","value":-2.5}`,
			&Attribute{Field: "age", Op: OpLte, Value: Number(-2.5)}},
		{"attribute contains", `{"type":"attribute","field":"email","op":"ends_with","value":"@example.com"}`,
			&Attribute{Field: "email", Op: OpEndsWith, Value: String("@example.com")}},
		{"attribute first_seen time with offset", `{"type":"attribute","field":"first_seen","op":"gte","value":"2026-01-01T09:00:00+09:00"}`,
			&Attribute{Field: "first_seen", Op: OpGte, Value: Time(mustTime(t, "2026-01-01T00:00:00Z"))}},
		{"attribute last_seen ago", `{"type":"attribute","field":"last_seen","op":"lt","value":{"ago":"30d"}}`,
			&Attribute{Field: "last_seen", Op: OpLt, Value: Ago(Duration{30, 'd'})}},
		{"attribute between numbers", `{"type":"attribute","field":"age","op":"between","value":[18,65]}`,
			&Attribute{Field: "age", Op: OpBetween, Value: List(Number(18), Number(65))}},
		{"attribute between times", `{"type":"attribute","field":"signup","op":"between","value":["2026-01-01T00:00:00Z",{"ago":"1d"}]}`,
			&Attribute{Field: "signup", Op: OpBetween, Value: List(Time(mustTime(t, "2026-01-01T00:00:00Z")), Ago(Duration{1, 'd'}))}},
		{"attribute between equal bounds", `{"type":"attribute","field":"age","op":"between","value":[3,3]}`,
			&Attribute{Field: "age", Op: OpBetween, Value: List(Number(3), Number(3))}},
		{"attribute user_id", `{"type":"attribute","field":"user_id","op":"starts_with","value":"u_"}`,
			&Attribute{Field: "user_id", Op: OpStartsWith, Value: String("u_")}},
		{"event defaults", `{"type":"event","event":"login"}`, countGte1("login")},
		{"event explicit defaults", `{"type":"event","event":"login","aggregate":{"fn":"count"},"window":{"all":true},"op":"gte","value":1}`, countGte1("login")},
		{"event empty aggregate object", `{"type":"event","event":"login","aggregate":{}}`, countGte1("login")},
		{"event spec example", `{"type":"event","event":"purchase",
			"where":[{"property":"items.price","op":"gte","value":1000}],
			"aggregate":{"fn":"sum","property":"items.price"},
			"window":{"calendar":"week","offset":-1},
			"op":"lte","value":100}`,
			&Event{Event: "purchase",
				Where:     []Predicate{{Property: "items.price", Op: OpGte, Value: Number(1000)}},
				Aggregate: Aggregate{Fn: AggSum, Property: "items.price"},
				Window:    Window{Kind: WindowCalendar, Period: PeriodWeek, Offset: -1},
				Op:        OpLte, Value: Number(100)}},
		{"event last with string value", `{"type":"event","event":"$meta","aggregate":{"fn":"last","property":"tier"},"window":{"calendar":"day"},"op":"eq","value":"gold"}`,
			&Event{Event: "$meta", Aggregate: Aggregate{Fn: AggLast, Property: "tier"},
				Window: Window{Kind: WindowCalendar, Period: PeriodDay}, Op: OpEq, Value: String("gold")}},
		{"event first with bool", `{"type":"event","event":"$meta","aggregate":{"fn":"first","property":"isMember"},"op":"eq","value":true}`,
			&Event{Event: "$meta", Aggregate: Aggregate{Fn: AggFirst, Property: "isMember"},
				Window: Window{Kind: WindowAll}, Op: OpEq, Value: Bool(true)}},
		{"event count eq 0 last window", `{"type":"event","event":"buy","window":{"last":"90m"},"op":"eq","value":0}`,
			&Event{Event: "buy", Aggregate: Aggregate{Fn: AggCount}, Window: Window{Kind: WindowLast, Last: Duration{90, 'm'}}, Op: OpEq, Value: Number(0)}},
		{"event range window", `{"type":"event","event":"buy","window":{"since":"2026-01-01T00:00:00Z","until":"2026-02-01T09:00:00+09:00"}}`,
			&Event{Event: "buy", Aggregate: Aggregate{Fn: AggCount}, Op: OpGte, Value: Number(1),
				Window: Window{Kind: WindowRange, Since: mustTime(t, "2026-01-01T00:00:00Z"), Until: mustTime(t, "2026-02-01T00:00:00Z")}}},
		{"event since only", `{"type":"event","event":"buy","window":{"since":"2026-01-01T00:00:00Z"}}`,
			&Event{Event: "buy", Aggregate: Aggregate{Fn: AggCount}, Op: OpGte, Value: Number(1),
				Window: Window{Kind: WindowRange, Since: mustTime(t, "2026-01-01T00:00:00Z")}}},
		{"event until only", `{"type":"event","event":"buy","window":{"until":"2026-01-01T00:00:00Z"}}`,
			&Event{Event: "buy", Aggregate: Aggregate{Fn: AggCount}, Op: OpGte, Value: Number(1),
				Window: Window{Kind: WindowRange, Until: mustTime(t, "2026-01-01T00:00:00Z")}}},
		{"event distinct_count in numbers", `{"type":"event","event":"view","aggregate":{"fn":"distinct_count","property":"sku"},"op":"in","value":[1,2]}`,
			&Event{Event: "view", Aggregate: Aggregate{Fn: AggDistinctCount, Property: "sku"}, Window: Window{Kind: WindowAll}, Op: OpIn, Value: List(Number(1), Number(2))}},
		{"event avg between", `{"type":"event","event":"buy","aggregate":{"fn":"avg","property":"total"},"op":"between","value":[1,2.5]}`,
			&Event{Event: "buy", Aggregate: Aggregate{Fn: AggAvg, Property: "total"}, Window: Window{Kind: WindowAll}, Op: OpBetween, Value: List(Number(1), Number(2.5))}},
		{"event calendar offset -1000", `{"type":"event","event":"x","window":{"calendar":"year","offset":-1000}}`,
			&Event{Event: "x", Aggregate: Aggregate{Fn: AggCount}, Window: Window{Kind: WindowCalendar, Period: PeriodYear, Offset: -1000}, Op: OpGte, Value: Number(1)}},
		{"funnel spec example", `{"type":"funnel",
			"steps":[{"event":"view_item"},{"event":"add_to_cart"},
			{"event":"purchase","where":[{"property":"total","op":"gt","value":0}]}],
			"within":"1d", "window":{"last":"30d"}, "reached":3, "exact":false}`,
			&Funnel{Steps: []Step{{Event: "view_item"}, {Event: "add_to_cart"},
				{Event: "purchase", Where: []Predicate{{Property: "total", Op: OpGt, Value: Number(0)}}}},
				Within: durp(1, 'd'), Window: Window{Kind: WindowLast, Last: Duration{30, 'd'}}, Reached: 3}},
		{"funnel defaults", `{"type":"funnel","steps":[{"event":"a"},{"event":"b"}]}`,
			&Funnel{Steps: []Step{{Event: "a"}, {Event: "b"}}, Window: Window{Kind: WindowAll}, Reached: 2}},
		{"funnel reached 1 exact", `{"type":"funnel","steps":[{"event":"a"},{"event":"b"},{"event":"c"}],"reached":1,"exact":true}`,
			&Funnel{Steps: []Step{{Event: "a"}, {Event: "b"}, {Event: "c"}}, Window: Window{Kind: WindowAll}, Reached: 1, Exact: true}},
		{"segment", `{"type":"segment","segment_id":"seg_vip"}`, &SegmentRef{SegmentID: "seg_vip"}},
		{"nested", `{"type":"and","children":[{"type":"not","child":{"type":"or","children":[{"type":"segment","segment_id":"s"}]}}]}`,
			&And{Children: []Node{&Not{Child: &Or{Children: []Node{&SegmentRef{SegmentID: "s"}}}}}}},
		{"canary as string value", `{"type":"attribute","field":"name","op":"eq","value":"'); DROP TABLE users; --"}`,
			&Attribute{Field: "name", Op: OpEq, Value: String("'); DROP TABLE users; --")}},
		{"canary in a list and contains", `{"type":"event","event":"e","where":[{"property":"q","op":"in","value":["'); DROP TABLE users; --"]},{"property":"q","op":"contains","value":"'); DROP TABLE users; --"}]}`,
			&Event{Event: "e", Where: []Predicate{
				{Property: "q", Op: OpIn, Value: List(String("'); DROP TABLE users; --"))},
				{Property: "q", Op: OpContains, Value: String("'); DROP TABLE users; --")}},
				Aggregate: Aggregate{Fn: AggCount}, Window: Window{Kind: WindowAll}, Op: OpGte, Value: Number(1)}},
		{"canary as event name", `{"type":"event","event":"'); DROP TABLE users; --"}`, countGte1("'); DROP TABLE users; --")},
		{"surrounding whitespace", " \n\t" + leaf + "\n ", attrPro},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			for _, base := range []string{"", "/tree"} {
				got, err := Decode([]byte(c.src), base)
				if err != nil {
					t.Fatalf("Decode(base %q): %v", base, err)
				}
				if !reflect.DeepEqual(got, c.want) {
					t.Errorf("Decode(base %q) =\n%#v\nwant\n%#v", base, got, c.want)
				}
			}
		})
	}
}

// TestDecodeProblems checks that each bad tree gives exactly the expected
// problems, located by JSON Pointers that start with the base.
func TestDecodeProblems(t *testing.T) {
	long := func(n int) string { return strings.Repeat("a", n) }
	ev := func(fields string) string { return `{"type":"event","event":"e",` + fields + `}` }
	attr := func(field, opValue string) string {
		return `{"type":"attribute","field":"` + field + `",` + opValue + `}`
	}
	steps := func(n int) string { return "[" + repeatJSON(`{"event":"s"}`, n) + "]" }
	numbers := func(n int) string {
		xs := make([]string, n)
		for i := range xs {
			xs[i] = fmt.Sprint(i)
		}
		return "[" + strings.Join(xs, ",") + "]"
	}
	const canary = `'); DROP TABLE users; --`

	cases := []struct {
		name string
		src  string
		want []string // pointers relative to the base
	}{
		// Nodes that are not objects.
		{"null root", `null`, []string{""}},
		{"array root", `[]`, []string{""}},
		{"array of nodes root", `[` + leaf + `]`, []string{""}},
		{"number root", `1`, []string{""}},
		{"string root", `"and"`, []string{""}},
		{"bool root", `true`, []string{""}},
		{"null child", `{"type":"and","children":[null]}`, []string{"/children/0"}},
		{"array child", `{"type":"or","children":[` + leaf + `,[]]}`, []string{"/children/1"}},
		{"string child of not", `{"type":"not","child":"x"}`, []string{"/child"}},
		{"null child of not", `{"type":"not","child":null}`, []string{"/child"}},
		{"missing child of not", `{"type":"not"}`, []string{"/child"}},

		// Types.
		{"missing type", `{"children":[]}`, []string{"/type"}},
		{"empty object", `{}`, []string{"/type"}},
		{"type not a string", `{"type":1}`, []string{"/type"}},
		{"type null", `{"type":null}`, []string{"/type"}},
		{"unknown type", `{"type":"xor","children":[]}`, []string{"/type"}},
		{"type in wrong case", `{"type":"AND","children":[` + leaf + `]}`, []string{"/type"}},
		{"unknown type in child", `{"type":"and","children":[` + leaf + `,{"type":"nand"}]}`, []string{"/children/1/type"}},

		// Unknown fields, everywhere.
		{"unknown field on and", `{"type":"and","children":[` + leaf + `],"extra":1}`, []string{"/extra"}},
		{"unknown fields sorted", `{"type":"and","children":[` + leaf + `],"zz":1,"aa":2}`, []string{"/aa", "/zz"}},
		{"unknown field escaped", `{"type":"and","children":[` + leaf + `],"a/b~c":1}`, []string{"/a~1b~0c"}},
		{"unknown field on not", `{"type":"not","child":` + leaf + `,"children":[]}`, []string{"/children"}},
		{"unknown field on attribute", `{"type":"attribute","field":"a","op":"exists","where":[]}`, []string{"/where"}},
		{"unknown field on event", ev(`"property":"x"`), []string{"/property"}},
		{"unknown field on funnel", `{"type":"funnel","steps":` + steps(2) + `,"event":"x"}`, []string{"/event"}},
		{"unknown field on segment", `{"type":"segment","segment_id":"s","version":2}`, []string{"/version"}},
		{"unknown field on predicate", ev(`"where":[{"property":"p","op":"exists","values":1}]`), []string{"/where/0/values"}},
		{"unknown field on aggregate", ev(`"aggregate":{"fn":"count","over":"x"}`), []string{"/aggregate/over"}},
		{"unknown field on window", ev(`"window":{"last":"7d","tz":"UTC"}`), []string{"/window/tz"}},
		{"unknown field on step", `{"type":"funnel","steps":[{"event":"a","within":"1d"},{"event":"b"}]}`, []string{"/steps/0/within"}},
		{"unknown field on ago", attr("last_seen", `"op":"lt","value":{"ago":"7d","at":"x"}`), []string{"/value/at"}},
		{"field of another node type", `{"type":"and","child":` + leaf + `}`, []string{"/child", "/children"}},

		// Ops.
		{"unknown op", attr("a", `"op":"like","value":"x"`), []string{"/op"}},
		{"op in wrong case", attr("a", `"op":"EQ","value":"x"`), []string{"/op"}},
		{"op not a string", attr("a", `"op":1,"value":1`), []string{"/op"}},
		{"unknown op in child", `{"type":"and","children":[` + leaf + `,` + leaf + `,` + attr("a", `"op":"equals","value":1`) + `]}`, []string{"/children/2/op"}},
		{"unknown op in predicate", ev(`"where":[{"property":"p","op":"~","value":"x"}]`), []string{"/where/0/op"}},
		{"missing op", attr("a", `"value":1`), []string{"/op"}},
		{"missing op and value on attribute", `{"type":"attribute","field":"a"}`, []string{"/op"}},
		{"event value without op", ev(`"value":3`), []string{"/op"}},
		{"event op without value", ev(`"op":"gt"`), []string{"/value"}},
		{"missing value", attr("a", `"op":"eq"`), []string{"/value"}},
		{"exists with value", attr("a", `"op":"exists","value":true`), []string{"/value"}},
		{"not_exists with null value", attr("a", `"op":"not_exists","value":null`), []string{"/value"}},
		{"null value", attr("a", `"op":"eq","value":null`), []string{"/value"}},
		{"array value for eq", attr("a", `"op":"eq","value":[1]`), []string{"/value"}},
		{"object value for eq", attr("a", `"op":"eq","value":{"x":1}`), []string{"/value/ago", "/value/x"}},

		// in and not_in.
		{"in empty", attr("a", `"op":"in","value":[]`), []string{"/value"}},
		{"in not an array", attr("a", `"op":"in","value":"JP"`), []string{"/value"}},
		{"in 1001 values", attr("a", `"op":"not_in","value":`+numbers(1001)), []string{"/value"}},
		{"in bool element", attr("a", `"op":"in","value":["x",true]`), []string{"/value/1"}},
		{"in null element", attr("a", `"op":"in","value":[null,"x"]`), []string{"/value/0"}},
		{"in nested array and object", attr("a", `"op":"not_in","value":[[1],{"a":1}]`), []string{"/value/0", "/value/1"}},
		{"in long string element", attr("a", `"op":"in","value":["x","`+long(1025)+`"]`), []string{"/value/1"}},
		{"in on first_seen", attr("first_seen", `"op":"in","value":["2026-01-01T00:00:00Z"]`), []string{"/value"}},
		{"in strings on count", ev(`"op":"in","value":[1,"2"]`), []string{"/value/1"}},

		// between.
		{"between not an array", attr("a", `"op":"between","value":1`), []string{"/value"}},
		{"between one value", attr("a", `"op":"between","value":[1]`), []string{"/value"}},
		{"between three values", attr("a", `"op":"between","value":[1,2,3]`), []string{"/value"}},
		{"between low above high", attr("a", `"op":"between","value":[5,1]`), []string{"/value"}},
		{"between times low above high", attr("a", `"op":"between","value":["2026-01-02T00:00:00Z","2026-01-01T00:00:00Z"]`), []string{"/value"}},
		{"between times low above high across offsets", attr("first_seen", `"op":"between","value":["2026-01-01T08:00:00+09:00","2025-12-31T22:00:00Z"]`), []string{"/value"}},
		{"between ago low above high", attr("last_seen", `"op":"between","value":[{"ago":"1d"},{"ago":"7d"}]`), []string{"/value"}},
		{"between number and time", attr("a", `"op":"between","value":[1,"2026-01-01T00:00:00Z"]`), []string{"/value"}},
		{"between non-time string", attr("a", `"op":"between","value":["a","b"]`), []string{"/value/0", "/value/1"}},
		{"between bool", attr("a", `"op":"between","value":[0,true]`), []string{"/value", "/value/1"}},
		{"between null", attr("a", `"op":"between","value":[null,1]`), []string{"/value/0"}},
		{"between nested array", attr("a", `"op":"between","value":[[0],1]`), []string{"/value/0"}},
		{"between numbers on first_seen", attr("first_seen", `"op":"between","value":[0,1]`), []string{"/value/0", "/value/1"}},
		{"between times on sum", ev(`"aggregate":{"fn":"sum","property":"p"},"op":"between","value":["2026-01-01T00:00:00Z","2026-01-02T00:00:00Z"]`), []string{"/value/0", "/value/1"}},
		{"between ago on count", ev(`"op":"between","value":[{"ago":"7d"},{"ago":"1d"}]`), []string{"/value/0", "/value/1"}},
		{"between bad time", attr("a", `"op":"between","value":["2026-02-30T00:00:00Z","2026-03-01T00:00:00Z"]`), []string{"/value/0"}},

		// Time fields take times only.
		{"first_seen number", attr("first_seen", `"op":"gt","value":1700000000`), []string{"/value"}},
		{"first_seen plain string", attr("first_seen", `"op":"eq","value":"yesterday"`), []string{"/value"}},
		{"first_seen date only", attr("first_seen", `"op":"gt","value":"2026-01-01"`), []string{"/value"}},
		{"last_seen bool", attr("last_seen", `"op":"eq","value":true`), []string{"/value"}},
		{"last_seen contains", attr("last_seen", `"op":"contains","value":"2026"`), []string{"/value"}},
		{"last_seen bad ago", attr("last_seen", `"op":"gt","value":{"ago":"7"}`), []string{"/value/ago"}},
		{"last_seen ago missing", attr("last_seen", `"op":"gt","value":{}`), []string{"/value/ago"}},
		{"last_seen ago not a string", attr("last_seen", `"op":"gt","value":{"ago":7}`), []string{"/value/ago"}},

		// Numeric aggregates take numbers only.
		{"count string", ev(`"op":"gt","value":"5"`), []string{"/value"}},
		{"sum bool", ev(`"aggregate":{"fn":"sum","property":"p"},"op":"eq","value":true`), []string{"/value"}},
		{"avg time", ev(`"aggregate":{"fn":"avg","property":"p"},"op":"gt","value":"2026-01-01T00:00:00Z"`), []string{"/value"}},
		{"min ago", ev(`"aggregate":{"fn":"min","property":"p"},"op":"gt","value":{"ago":"1d"}`), []string{"/value"}},
		{"max contains", ev(`"aggregate":{"fn":"max","property":"p"},"op":"contains","value":"1"`), []string{"/value"}},
		{"distinct_count in strings", ev(`"aggregate":{"fn":"distinct_count","property":"p"},"op":"not_in","value":["a"]`), []string{"/value/0"}},

		// Booleans only with eq and neq.
		{"bool with gt", attr("a", `"op":"gt","value":true`), []string{"/value"}},
		{"bool with lte in predicate", ev(`"where":[{"property":"p","op":"lte","value":false}]`), []string{"/where/0/value"}},
		{"bool in between", attr("a", `"op":"between","value":[false,true]`), []string{"/value/0", "/value/1"}},

		// String operators.
		{"contains number", attr("a", `"op":"contains","value":1`), []string{"/value"}},
		{"starts_with array", attr("a", `"op":"starts_with","value":["a"]`), []string{"/value"}},
		{"not_contains null", attr("a", `"op":"not_contains","value":null`), []string{"/value"}},
		{"ends_with on count", ev(`"op":"ends_with","value":"x"`), []string{"/value"}},

		// String length.
		{"string value over 1 KiB", attr("a", `"op":"eq","value":"`+long(1025)+`"`), []string{"/value"}},
		{"multi-byte string over 1 KiB", attr("a", `"op":"contains","value":"`+strings.Repeat("é", 513)+`"`), []string{"/value"}},
		{"segment_id over 1 KiB", `{"type":"segment","segment_id":"` + long(1025) + `"}`, []string{"/segment_id"}},

		// Numbers.
		{"number out of range", attr("a", `"op":"gt","value":1e400`), []string{"/value"}},
		{"in number out of range", attr("a", `"op":"in","value":[1,-1e999]`), []string{"/value/1"}},

		// Event names.
		{"event name empty", `{"type":"event","event":""}`, []string{"/event"}},
		{"event name 257 bytes", `{"type":"event","event":"` + long(257) + `"}`, []string{"/event"}},
		{"event name over 1 KiB", `{"type":"event","event":"` + long(1025) + `"}`, []string{"/event", "/event"}},
		{"event name missing", `{"type":"event"}`, []string{"/event"}},
		{"event name not a string", `{"type":"event","event":7}`, []string{"/event"}},
		{"step event name empty", `{"type":"funnel","steps":[{"event":"a"},{"event":""}]}`, []string{"/steps/1/event"}},
		{"step event name missing", `{"type":"funnel","steps":[{},{"event":"b"}]}`, []string{"/steps/0/event"}},

		// Children.
		{"no children", `{"type":"and","children":[]}`, []string{"/children"}},
		{"65 children", `{"type":"or","children":[` + repeatJSON(leaf, 65) + `]}`, []string{"/children"}},
		{"children missing", `{"type":"and"}`, []string{"/children"}},
		{"children not an array", `{"type":"or","children":` + leaf + `}`, []string{"/children"}},
		{"children null", `{"type":"or","children":null}`, []string{"/children"}},

		// Funnels.
		{"one step", `{"type":"funnel","steps":` + steps(1) + `}`, []string{"/steps"}},
		{"17 steps", `{"type":"funnel","steps":` + steps(17) + `}`, []string{"/steps"}},
		{"steps missing", `{"type":"funnel"}`, []string{"/steps"}},
		{"steps not an array", `{"type":"funnel","steps":{"event":"a"}}`, []string{"/steps"}},
		{"step not an object", `{"type":"funnel","steps":[{"event":"a"},"b"]}`, []string{"/steps/1"}},
		{"step predicate", `{"type":"funnel","steps":[{"event":"a"},{"event":"b","where":[{"property":"p","op":"gt"}]}]}`, []string{"/steps/1/where/0/value"}},
		{"reached 0", `{"type":"funnel","steps":` + steps(3) + `,"reached":0}`, []string{"/reached"}},
		{"reached above steps", `{"type":"funnel","steps":` + steps(3) + `,"reached":4}`, []string{"/reached"}},
		{"reached negative", `{"type":"funnel","steps":` + steps(3) + `,"reached":-1}`, []string{"/reached"}},
		{"reached fraction", `{"type":"funnel","steps":` + steps(3) + `,"reached":1.5}`, []string{"/reached"}},
		{"reached string", `{"type":"funnel","steps":` + steps(3) + `,"reached":"2"}`, []string{"/reached"}},
		{"exact not a bool", `{"type":"funnel","steps":` + steps(2) + `,"exact":"true"}`, []string{"/exact"}},
		{"within zero", `{"type":"funnel","steps":` + steps(2) + `,"within":"0d"}`, []string{"/within"}},
		{"within without unit", `{"type":"funnel","steps":` + steps(2) + `,"within":"7"}`, []string{"/within"}},
		{"within a number", `{"type":"funnel","steps":` + steps(2) + `,"within":7}`, []string{"/within"}},
		{"funnel window", `{"type":"funnel","steps":` + steps(2) + `,"window":{"calendar":"fortnight"}}`, []string{"/window/calendar"}},

		// Aggregates.
		{"unknown aggregate", ev(`"aggregate":{"fn":"median","property":"p"}`), []string{"/aggregate/fn"}},
		{"aggregate fn in wrong case", ev(`"aggregate":{"fn":"Sum","property":"p"}`), []string{"/aggregate/fn"}},
		{"unknown aggregate without property", ev(`"aggregate":{"fn":"median"}`), []string{"/aggregate/fn"}},
		{"unknown aggregate with a bad property", ev(`"aggregate":{"fn":"median","property":"a..b"}`), []string{"/aggregate/fn", "/aggregate/property"}},
		{"aggregate fn not a string", ev(`"aggregate":{"fn":1}`), []string{"/aggregate/fn"}},
		{"count with property", ev(`"aggregate":{"fn":"count","property":"p"}`), []string{"/aggregate/property"}},
		{"sum without property", ev(`"aggregate":{"fn":"sum"}`), []string{"", "/aggregate/property"}},
		{"first without property", ev(`"aggregate":{"fn":"first"},"op":"eq","value":"x"`), []string{"/aggregate/property"}},
		{"aggregate not an object", ev(`"aggregate":"sum"`), []string{"/aggregate"}},
		// Only count may omit op and value ("performed at least once").
		{"sum without op or value", ev(`"aggregate":{"fn":"sum","property":"p"}`), []string{""}},
		{"avg without op or value", ev(`"aggregate":{"fn":"avg","property":"p"}`), []string{""}},
		{"min without op or value", ev(`"aggregate":{"fn":"min","property":"p"}`), []string{""}},
		{"max without op or value", ev(`"aggregate":{"fn":"max","property":"p"}`), []string{""}},
		{"first without op or value", ev(`"aggregate":{"fn":"first","property":"p"}`), []string{""}},
		{"last without op or value", ev(`"aggregate":{"fn":"last","property":"p"}`), []string{""}},
		{"distinct_count without op or value", ev(`"aggregate":{"fn":"distinct_count","property":"p"}`), []string{""}},
		{"nested sum without op or value", `{"type":"not","child":` + ev(`"aggregate":{"fn":"sum","property":"p"}`) + `}`, []string{"/child"}},
		{"where not an array", ev(`"where":{"property":"p","op":"exists"}`), []string{"/where"}},
		{"where element not an object", ev(`"where":[1]`), []string{"/where/0"}},
		{"where property missing", ev(`"where":[{"op":"exists"}]`), []string{"/where/0/property"}},

		// Windows.
		{"window not an object", ev(`"window":"7d"`), []string{"/window"}},
		{"window empty", ev(`"window":{}`), []string{"/window"}},
		{"last and calendar", ev(`"window":{"last":"7d","calendar":"week"}`), []string{"/window"}},
		{"last and since", ev(`"window":{"last":"7d","since":"2026-01-01T00:00:00Z"}`), []string{"/window"}},
		{"calendar and all", ev(`"window":{"calendar":"day","all":true}`), []string{"/window"}},
		{"all forms", ev(`"window":{"last":"7d","calendar":"day","until":"2026-01-01T00:00:00Z","all":true}`), []string{"/window"}},
		{"all false", ev(`"window":{"all":false}`), []string{"/window/all"}},
		{"all not a bool", ev(`"window":{"all":"true"}`), []string{"/window/all"}},
		{"unknown calendar period", ev(`"window":{"calendar":"quarter","offset":0}`), []string{"/window/calendar"}},
		{"calendar in wrong case", ev(`"window":{"calendar":"Week"}`), []string{"/window/calendar"}},
		{"calendar not a string", ev(`"window":{"calendar":7}`), []string{"/window/calendar"}},
		{"offset positive", ev(`"window":{"calendar":"week","offset":1}`), []string{"/window/offset"}},
		{"offset -1001", ev(`"window":{"calendar":"week","offset":-1001}`), []string{"/window/offset"}},
		{"offset fraction", ev(`"window":{"calendar":"week","offset":-0.5}`), []string{"/window/offset"}},
		{"offset string", ev(`"window":{"calendar":"week","offset":"-1"}`), []string{"/window/offset"}},
		{"offset without calendar", ev(`"window":{"last":"7d","offset":-1}`), []string{"/window/offset"}},
		{"offset alone", ev(`"window":{"offset":-1}`), []string{"/window", "/window/offset"}},
		{"since equals until", ev(`"window":{"since":"2026-01-01T00:00:00Z","until":"2026-01-01T00:00:00Z"}`), []string{"/window/until"}},
		{"since after until", ev(`"window":{"since":"2026-02-01T00:00:00Z","until":"2026-01-01T00:00:00Z"}`), []string{"/window/until"}},
		{"since equals until across offsets", ev(`"window":{"since":"2026-01-01T09:00:00+09:00","until":"2026-01-01T00:00:00Z"}`), []string{"/window/until"}},
		{"since not a time", ev(`"window":{"since":"2026-01-01"}`), []string{"/window/since"}},
		{"until not a string", ev(`"window":{"until":1767225600}`), []string{"/window/until"}},
		{"since at the zero time", ev(`"window":{"since":"0001-01-01T00:00:00Z"}`), []string{"/window/since"}},
		{"until at the zero time", ev(`"window":{"until":"0001-01-01T00:00:00Z"}`), []string{"/window/until"}},
		{"last zero", ev(`"window":{"last":"0d"}`), []string{"/window/last"}},
		{"last without unit", ev(`"window":{"last":"7"}`), []string{"/window/last"}},
		{"last unknown unit", ev(`"window":{"last":"7x"}`), []string{"/window/last"}},
		{"last negative", ev(`"window":{"last":"-1d"}`), []string{"/window/last"}},
		{"last a number", ev(`"window":{"last":7}`), []string{"/window/last"}},
		{"last too long", ev(`"window":{"last":"999999999h"}`), []string{"/window/last"}},

		// Names of fields and properties.
		{"canary field", attr(canary, `"op":"exists"`), []string{"/field"}},
		{"canary property", ev(`"where":[{"property":"` + canary + `","op":"exists"}]`), []string{"/where/0/property"}},
		{"canary aggregate property", ev(`"aggregate":{"fn":"sum","property":"` + canary + `"},"op":"gt","value":1`), []string{"/aggregate/property"}},
		{"empty field", attr("", `"op":"exists"`), []string{"/field"}},
		{"field missing", `{"type":"attribute","op":"exists"}`, []string{"/field"}},
		{"field not a string", `{"type":"attribute","field":1,"op":"exists"}`, []string{"/field"}},
		{"field empty dotted segment", attr("a..b", `"op":"exists"`), []string{"/field"}},
		{"field trailing dot", attr("a.", `"op":"exists"`), []string{"/field"}},
		{"field leading dot", attr(".a", `"op":"exists"`), []string{"/field"}},
		{"field leading digit", attr("1a", `"op":"exists"`), []string{"/field"}},
		{"field leading dash", attr("-a", `"op":"exists"`), []string{"/field"}},
		{"field with space", attr("a b", `"op":"exists"`), []string{"/field"}},
		{"field with quote", attr(`a\"b`, `"op":"exists"`), []string{"/field"}},
		{"field non-ASCII", attr("café", `"op":"exists"`), []string{"/field"}},
		{"field 129 bytes", attr(long(129), `"op":"exists"`), []string{"/field"}},
		{"field with slash", attr("a/b", `"op":"exists"`), []string{"/field"}},

		// Segment references.
		{"segment_id empty", `{"type":"segment","segment_id":""}`, []string{"/segment_id"}},
		{"segment_id missing", `{"type":"segment"}`, []string{"/segment_id"}},
		{"segment_id a number", `{"type":"segment","segment_id":7}`, []string{"/segment_id"}},

		// Several problems at once are all reported.
		{"many problems", `{"type":"and","children":[
			{"type":"attribute","field":"a..b","op":"eq","value":1},
			{"type":"event","event":"","window":{"last":"7x"},"op":"gt","value":"5"},
			{"type":"or","children":[]},
			{"type":"not","child":{"type":"segment","segment_id":"","x":1}},
			{"type":"funnel","steps":[{"event":"a"}],"reached":2},
			{"type":"mystery"}],"bogus":true}`,
			[]string{"/bogus", "/children/0/field", "/children/1/event", "/children/1/window/last", "/children/1/value",
				"/children/2/children", "/children/3/child/x", "/children/3/child/segment_id",
				"/children/4/steps", "/children/4/reached", "/children/5/type"}},
		{"problems in siblings", `{"type":"or","children":[` + attr("a", `"op":"like","value":1`) + `,` + attr("b", `"op":"in","value":[]`) + `,` + attr("c", `"op":"exists","value":1`) + `]}`,
			[]string{"/children/0/op", "/children/1/value", "/children/2/value"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			for _, base := range []string{"", "/tree", "/segments/3/tree"} {
				n, err := Decode([]byte(c.src), base)
				if err == nil {
					t.Fatalf("Decode(base %q) accepted the tree: %s", base, n)
				}
				if n != nil {
					t.Errorf("Decode(base %q) returned a node with an error", base)
				}
				ps := problemsOf(t, err)
				want := make([]string, len(c.want))
				for i, w := range c.want {
					want[i] = base + w
				}
				if got := paths(ps); !equalStrings(got, sortedCopy(want)) {
					t.Errorf("Decode(base %q) problems at %q, want %q\n%v", base, got, sortedCopy(want), err)
				}
				for _, p := range ps {
					if p.Code != CodeInvalidTree {
						t.Errorf("problem %+v has code %q, want %q", p, p.Code, CodeInvalidTree)
					}
					if p.Message == "" {
						t.Errorf("problem at %s has no message", p.Path)
					}
				}
			}
		})
	}
}

// TestDecodeLimitsAccepted checks the largest accepted values of each limit.
func TestDecodeLimitsAccepted(t *testing.T) {
	long := func(n int) string { return strings.Repeat("a", n) }
	numbers := make([]string, MaxInValues)
	for i := range numbers {
		numbers[i] = fmt.Sprint(i)
	}
	cases := []struct{ name, src string }{
		{"64 children", `{"type":"and","children":[` + repeatJSON(leaf, 64) + `]}`},
		{"1 child", `{"type":"or","children":[` + leaf + `]}`},
		{"1000 in values", `{"type":"attribute","field":"a","op":"in","value":[` + strings.Join(numbers, ",") + `]}`},
		{"1 in value", `{"type":"attribute","field":"a","op":"not_in","value":["x"]}`},
		{"1024-byte string", `{"type":"attribute","field":"a","op":"eq","value":"` + long(1024) + `"}`},
		{"512 two-byte runes", `{"type":"attribute","field":"a","op":"eq","value":"` + strings.Repeat("é", 512) + `"}`},
		{"empty string value", `{"type":"attribute","field":"a","op":"eq","value":""}`},
		{"256-byte event name", `{"type":"event","event":"` + long(256) + `"}`},
		{"1-byte event name", `{"type":"event","event":"x"}`},
		{"2 steps", `{"type":"funnel","steps":[` + repeatJSON(`{"event":"a"}`, 2) + `]}`},
		{"16 steps", `{"type":"funnel","steps":[` + repeatJSON(`{"event":"a"}`, 16) + `],"reached":16}`},
		{"offset 0", `{"type":"event","event":"e","window":{"calendar":"month","offset":0}}`},
		{"offset -1000", `{"type":"event","event":"e","window":{"calendar":"day","offset":-1000}}`},
		{"128-byte field", `{"type":"attribute","field":"` + long(128) + `","op":"exists"}`},
		{"field with every allowed character", `{"type":"attribute","field":"$_aZ09.b-c$","op":"exists"}`},
		{"dotted field", `{"type":"attribute","field":"address.city.name","op":"exists"}`},
		{"underscore field", `{"type":"attribute","field":"_","op":"exists"}`},
		{"dollar field", `{"type":"attribute","field":"$","op":"exists"}`},
		{"longest last", `{"type":"event","event":"e","window":{"last":"36600d"}}`},
		{"last in weeks", `{"type":"event","event":"e","window":{"last":"2w"}}`},
		{"last in hours", `{"type":"event","event":"e","window":{"last":"12h"}}`},
		{"last in minutes", `{"type":"event","event":"e","window":{"last":"90m"}}`},
		{"since a microsecond before until", `{"type":"event","event":"e","window":{"since":"2026-01-01T00:00:00Z","until":"2026-01-01T00:00:00.000001Z"}}`},
		{"deep nesting", strings.Repeat(`{"type":"not","child":`, 40) + leaf + strings.Repeat("}", 40)},
		{"between ago in order", `{"type":"attribute","field":"last_seen","op":"between","value":[{"ago":"7d"},{"ago":"1d"}]}`},
		{"between equal ago", `{"type":"attribute","field":"last_seen","op":"between","value":[{"ago":"1w"},{"ago":"7d"}]}`},
		{"between ago and absolute", `{"type":"attribute","field":"last_seen","op":"between","value":[{"ago":"1d"},"2000-01-01T00:00:00Z"]}`},
		{"reached 1", `{"type":"funnel","steps":[{"event":"a"},{"event":"b"}],"reached":1}`},
		{"integer written with exponent", `{"type":"event","event":"e","op":"gt","value":1e3}`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if _, err := Decode([]byte(c.src), "/tree"); err != nil {
				t.Fatalf("Decode: %v", err)
			}
		})
	}
}

func TestDecodeInvalidJSON(t *testing.T) {
	cases := []struct{ name, src string }{
		{"empty", ``},
		{"whitespace", " \n "},
		{"truncated", `{"type":"and","children":[`},
		{"open brace", `{`},
		{"trailing comma", `{"type":"segment","segment_id":"s",}`},
		{"single quotes", `{'type':'segment'}`},
		{"trailing garbage", `{"type":"segment","segment_id":"s"} x`},
		{"trailing object", `{"type":"segment","segment_id":"s"}{"type":"segment","segment_id":"t"}`},
		{"trailing brace", `{"type":"segment","segment_id":"s"}}`},
		{"trailing number", `{"type":"segment","segment_id":"s"} 1`},
		{"two values", `1 2`},
		{"bare word", `segment`},
		{"NaN", `{"type":"attribute","field":"a","op":"eq","value":NaN}`},
		{"too deep", strings.Repeat("[", 20000) + strings.Repeat("]", 20000)},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			for _, base := range []string{"", "/tree"} {
				_, err := Decode([]byte(c.src), base)
				ps := problemsOf(t, err)
				if len(ps) != 1 || ps[0].Code != CodeInvalidJSON || ps[0].Path != base {
					t.Errorf("Decode(base %q) = %+v, want one %s problem at %q", base, ps, CodeInvalidJSON, base)
				}
			}
		})
	}
}

func TestDecodeValue(t *testing.T) {
	dec := json.NewDecoder(strings.NewReader(`{"type":"event","event":"e","op":"gt","value":2}`))
	dec.UseNumber()
	var raw any
	if err := dec.Decode(&raw); err != nil {
		t.Fatal(err)
	}
	n, err := DecodeValue(raw, "/tree")
	if err != nil {
		t.Fatal(err)
	}
	if e := n.(*Event); e.Op != OpGt || !reflect.DeepEqual(e.Value, Number(2)) {
		t.Errorf("DecodeValue = %s", n)
	}
	// A value parsed without UseNumber has float64 numbers, which are not
	// JSON numbers to the decoder: a problem, never a panic.
	_, err = DecodeValue(map[string]any{"type": "event", "event": "e", "op": "gt", "value": 2.0}, "/tree")
	if ps := problemsOf(t, err); len(ps) != 1 || ps[0].Path != "/tree/value" {
		t.Errorf("float64 operand: %v", err)
	}
	// Invalid UTF-8 can only arrive through DecodeValue.
	_, err = DecodeValue(map[string]any{"type": "attribute", "field": "a", "op": "eq", "value": "\xff"}, "")
	if ps := problemsOf(t, err); len(ps) != 1 || ps[0].Path != "/value" {
		t.Errorf("invalid UTF-8: %v", err)
	}
	for _, raw := range []any{nil, 1, "x", []any{}, map[string]any{}, map[string]any{"type": "and", "children": []any{nil}}} {
		if _, err := DecodeValue(raw, ""); err == nil {
			t.Errorf("DecodeValue(%#v) accepted", raw)
		}
	}
}

func TestErrorText(t *testing.T) {
	_, err := Decode([]byte(`{"type":"and","children":[],"x":1}`), "/tree")
	want := `/tree/x: unknown field "x"; /tree/children: must hold 1 to 64 nodes, not 0`
	if err == nil || err.Error() != want {
		t.Errorf("Error() = %q, want %q", err, want)
	}
	var e *Error
	if !errors.As(err, &e) {
		t.Fatal("not an *Error")
	}
	b, _ := json.Marshal(e.Problems[1])
	if string(b) != `{"code":"invalid_tree","message":"must hold 1 to 64 nodes, not 0","path":"/tree/children"}` {
		t.Errorf("problem JSON = %s", b)
	}
}

func TestPointer(t *testing.T) {
	cases := []struct {
		base  string
		token any
		want  string
	}{
		{"", "tree", "/tree"},
		{"/tree", 0, "/tree/0"},
		{"/tree", 12, "/tree/12"},
		{"/tree", "a/b", "/tree/a~1b"},
		{"/tree", "a~b", "/tree/a~0b"},
		{"/tree", "~1", "/tree/~01"},
		{"/tree", "", "/tree/"},
	}
	for _, c := range cases {
		if got := Pointer(c.base, c.token); got != c.want {
			t.Errorf("Pointer(%q, %v) = %q, want %q", c.base, c.token, got, c.want)
		}
	}
}

func TestValidPath(t *testing.T) {
	good := []string{"a", "A", "_", "$", "$meta", "items.price", "a.b.c", "a-b", "a.$b", "a.-b", "a1", strings.Repeat("x", 128), "user_id"}
	bad := []string{"", ".", "a.", ".a", "a..b", "1a", "-a", "a b", "a/b", "a[0]", "é", strings.Repeat("x", 129), `'); DROP TABLE users; --`, "a\n", "a\x00"}
	for _, s := range good {
		if !ValidPath(s) {
			t.Errorf("ValidPath(%q) = false", s)
		}
	}
	for _, s := range bad {
		if ValidPath(s) {
			t.Errorf("ValidPath(%q) = true", s)
		}
	}
	if got := PathSegments("items.price"); !reflect.DeepEqual(got, []string{"items", "price"}) {
		t.Errorf("PathSegments = %q", got)
	}
}

// TestDecodeMutationsNeverPanic replaces every value of several valid trees
// by values of every JSON type: decoding must not panic, a rejection must be
// an *Error with pointers under the base, and an accepted tree must have a
// canonical form that decodes to itself.
func TestDecodeMutationsNeverPanic(t *testing.T) {
	seeds := []string{
		`{"type":"and","children":[{"type":"attribute","field":"country","op":"in","value":["JP","KR"]},{"type":"not","child":{"type":"segment","segment_id":"s"}}]}`,
		`{"type":"event","event":"purchase","where":[{"property":"items.price","op":"gte","value":1000}],"aggregate":{"fn":"sum","property":"items.price"},"window":{"calendar":"week","offset":-1},"op":"lte","value":100}`,
		`{"type":"funnel","steps":[{"event":"view_item"},{"event":"purchase","where":[{"property":"total","op":"gt","value":0}]}],"within":"1d","window":{"last":"30d"},"reached":2,"exact":false}`,
		`{"type":"attribute","field":"last_seen","op":"between","value":["2026-01-01T00:00:00Z",{"ago":"1d"}]}`,
		`{"type":"event","event":"e","window":{"since":"2026-01-01T00:00:00Z","until":"2026-02-01T00:00:00Z"},"aggregate":{"fn":"last","property":"p"},"op":"eq","value":true}`,
	}
	replacements := []any{nil, true, false, json.Number("0"), json.Number("-1"), json.Number("1.5"), json.Number("17"),
		"", "x", "7d", "eq", "count", "week", "2026-01-01T00:00:00Z", "0001-01-01T00:00:00Z",
		[]any{}, []any{json.Number("1"), json.Number("2")}, []any{"a"}, map[string]any{}, map[string]any{"ago": "1d"},
		map[string]any{"type": "segment", "segment_id": "x"}}

	var mutate func(v any, set func(any), visit func())
	mutate = func(v any, set func(any), visit func()) {
		for _, r := range replacements {
			set(r)
			visit()
		}
		set(v)
		switch x := v.(type) {
		case map[string]any:
			for k, child := range x {
				mutate(child, func(r any) { x[k] = r }, visit)
			}
			// Dropping each key too.
			keys := make([]string, 0, len(x))
			for k := range x {
				keys = append(keys, k)
			}
			for _, k := range keys {
				child := x[k]
				delete(x, k)
				visit()
				x[k] = child
			}
		case []any:
			for i, child := range x {
				mutate(child, func(r any) { x[i] = r }, visit)
			}
		}
	}
	count := 0
	for _, seed := range seeds {
		dec := json.NewDecoder(strings.NewReader(seed))
		dec.UseNumber()
		var root any
		if err := dec.Decode(&root); err != nil {
			t.Fatal(err)
		}
		check := func() {
			count++
			data, err := json.Marshal(root)
			if err != nil {
				t.Fatal(err)
			}
			n, err := Decode(data, "/tree")
			if err != nil {
				for _, p := range problemsOf(t, err) {
					if p.Path != "/tree" && !strings.HasPrefix(p.Path, "/tree/") {
						t.Errorf("%s: problem outside the base: %+v", data, p)
					}
				}
				return
			}
			s := n.String()
			back, err := Decode([]byte(s), "")
			if err != nil {
				t.Errorf("%s: canonical form %s does not decode: %v", data, s, err)
				return
			}
			if back.String() != s {
				t.Errorf("%s: canonical form does not round-trip:\n%s\n%s", data, s, back)
			}
		}
		mutate(root, func(r any) { root = r }, check)
	}
	if count < 1000 {
		t.Errorf("only %d mutations", count)
	}
	t.Logf("%d mutated trees decoded", count)
}
