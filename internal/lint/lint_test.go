package lint

import (
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/segmentd/segmentd/segment"
)

// lintCase is a tree (JSON, decoded at /tree), the as_of it is checked at
// ("" for none, as on a save) and the warnings one rule gives, as
// "pointer code".
type lintCase struct {
	name string
	tree string
	asOf string
	want []string
}

const asOf = "2026-03-01T12:00:00Z"

// runRule checks each case with rule alone, in zone.
func runRule(t *testing.T, rule Rule, zone string, cases []lintCase) {
	t.Helper()
	loc, err := time.LoadLocation(zone)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			tree, err := segment.Decode([]byte(tc.tree), "/tree")
			if err != nil {
				t.Fatalf("decode: %v", err)
			}
			c := Context{Loc: loc}
			if tc.asOf != "" {
				c.AsOf, _ = time.Parse(time.RFC3339, tc.asOf)
			}
			got := []string{}
			for _, w := range check([]Rule{rule}, tree, "/tree", c) {
				if w.Message == "" {
					t.Errorf("%s %s has no message", w.Pointer, w.Code)
				}
				got = append(got, w.Pointer+" "+w.Code)
			}
			want := tc.want
			if want == nil {
				want = []string{}
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("got %q, want %q", got, want)
			}
		})
	}
}

func ev(op string) string { return `{"type":"event","event":"buy",` + op + `}` }

func TestConstantComparison(t *testing.T) {
	runRule(t, ConstantComparison, "UTC", []lintCase{
		{name: "count lt 0", tree: ev(`"op":"lt","value":0`), want: []string{"/tree never_true"}},
		{name: "count lte -1", tree: ev(`"op":"lte","value":-1`), want: []string{"/tree never_true"}},
		{name: "count gte 0", tree: ev(`"op":"gte","value":0`), want: []string{"/tree always_true"}},
		{name: "count gt -1", tree: ev(`"op":"gt","value":-1`), want: []string{"/tree always_true"}},
		{name: "distinct_count lt 0", tree: ev(`"aggregate":{"fn":"distinct_count","property":"sku"},"op":"lt","value":0`),
			want: []string{"/tree never_true"}},
		{name: "count between below 0", tree: ev(`"op":"between","value":[-5,-1]`), want: []string{"/tree never_true"}},
		{name: "count between holding no whole number", tree: ev(`"op":"between","value":[1.2,1.8]`), want: []string{"/tree never_true"}},
		{name: "count eq a fraction", tree: ev(`"op":"eq","value":1.5`), want: []string{"/tree never_true"}},
		{name: "count neq -1", tree: ev(`"op":"neq","value":-1`), want: []string{"/tree always_true"}},
		{name: "count in negatives", tree: ev(`"op":"in","value":[-1,0.5]`), want: []string{"/tree never_true"}},
		{name: "count not_in negatives", tree: ev(`"op":"not_in","value":[-1]`), want: []string{"/tree always_true"}},
		{name: "sum exists", tree: ev(`"aggregate":{"fn":"sum","property":"p"},"op":"exists"`), want: []string{"/tree always_true"}},
		{name: "count not_exists", tree: ev(`"op":"not_exists"`), want: []string{"/tree never_true"}},
		{name: "nested pointer", tree: `{"type":"or","children":[` + ev(`"op":"gt","value":1`) + `,{"type":"not","child":` + ev(`"op":"lt","value":0`) + `}]}`,
			want: []string{"/tree/children/1/child never_true"}},
		// Comparisons some counts satisfy and others not.
		{name: "count default", tree: ev(`"window":{"last":"7d"}`)},
		{name: "count eq 0", tree: ev(`"op":"eq","value":0`)},
		{name: "count lt 0.5", tree: ev(`"op":"lt","value":0.5`)},
		{name: "count gte 0.5", tree: ev(`"op":"gte","value":0.5`)},
		{name: "count between [-5, 0]", tree: ev(`"op":"between","value":[-5,0]`)},
		{name: "count in with a count", tree: ev(`"op":"in","value":[-1,2]`)},
		// Other aggregates range over every number.
		{name: "sum lt 0", tree: ev(`"aggregate":{"fn":"sum","property":"p"},"op":"lt","value":0`)},
		{name: "avg exists", tree: ev(`"aggregate":{"fn":"avg","property":"p"},"op":"exists"`)},
		{name: "min lte -1", tree: ev(`"aggregate":{"fn":"min","property":"p"},"op":"lte","value":-1`)},
		{name: "attribute lt 0", tree: `{"type":"attribute","field":"age","op":"lt","value":0}`},
	})
}

func attr(field, op, value string) string {
	return `{"type":"attribute","field":"` + field + `","op":"` + op + `","value":` + value + `}`
}

func and(children ...string) string {
	return `{"type":"and","children":[` + strings.Join(children, ",") + `]}`
}

func TestContradictoryEqualities(t *testing.T) {
	runRule(t, ContradictoryEqualities, "UTC", []lintCase{
		{name: "user_id", tree: and(attr("user_id", "eq", `"a"`), attr("user_id", "eq", `"b"`)),
			want: []string{"/tree/children/1 contradictory_equalities"}},
		{name: "each later one", tree: and(attr("user_id", "eq", `"a"`), attr("country", "eq", `"JP"`), attr("user_id", "eq", `"a"`), attr("user_id", "eq", `"c"`)),
			want: []string{"/tree/children/3 contradictory_equalities"}},
		{name: "types differ", tree: and(attr("user_id", "eq", `"1"`), attr("user_id", "eq", `1`)),
			want: []string{"/tree/children/1 contradictory_equalities"}},
		{name: "first_seen instants", tree: and(attr("first_seen", "eq", `"2026-01-01T00:00:00Z"`), attr("first_seen", "eq", `"2026-01-01T00:00:01Z"`)),
			want: []string{"/tree/children/1 contradictory_equalities"}},
		{name: "ago and instant at as_of", asOf: asOf, tree: and(attr("last_seen", "eq", `{"ago":"1d"}`), attr("last_seen", "eq", `"2026-01-01T00:00:00Z"`)),
			want: []string{"/tree/children/1 contradictory_equalities"}},
		{name: "nested and", tree: `{"type":"or","children":[` + and(attr("user_id", "eq", `"a"`), attr("user_id", "eq", `"b"`)) + `]}`,
			want: []string{"/tree/children/0/children/1 contradictory_equalities"}},
		// Never true together only if the field holds one value.
		{name: "an attribute may hold an array", tree: and(attr("tags", "eq", `"a"`), attr("tags", "eq", `"b"`))},
		{name: "same value", tree: and(attr("user_id", "eq", `"a"`), attr("user_id", "eq", `"a"`))},
		{name: "same instant, other offset", tree: and(attr("first_seen", "eq", `"2026-01-01T09:00:00+09:00"`), attr("first_seen", "eq", `"2026-01-01T00:00:00Z"`))},
		{name: "ago and instant without as_of", tree: and(attr("last_seen", "eq", `{"ago":"1d"}`), attr("last_seen", "eq", `"2026-01-01T00:00:00Z"`))},
		{name: "ago and the same instant", asOf: asOf, tree: and(attr("last_seen", "eq", `{"ago":"1d"}`), attr("last_seen", "eq", `"2026-02-28T12:00:00Z"`))},
		{name: "or", tree: `{"type":"or","children":[` + attr("user_id", "eq", `"a"`) + `,` + attr("user_id", "eq", `"b"`) + `]}`},
		{name: "neq", tree: and(attr("user_id", "eq", `"a"`), attr("user_id", "neq", `"b"`))},
	})
}

func TestEmptyWindow(t *testing.T) {
	runRule(t, EmptyWindow, "UTC", []lintCase{
		{name: "event since after as_of", asOf: asOf, tree: ev(`"window":{"since":"2026-03-02T00:00:00Z"}`),
			want: []string{"/tree/window/since empty_window"}},
		{name: "funnel since after as_of", asOf: asOf,
			tree: and(`{"type":"funnel","steps":[{"event":"a"},{"event":"b"}],"window":{"since":"2026-03-01T12:00:01Z","until":"2026-04-01T00:00:00Z"}}`),
			want: []string{"/tree/children/0/window/since empty_window"}},
		{name: "since at as_of", asOf: asOf, tree: ev(`"window":{"since":"2026-03-01T12:00:00Z"}`)},
		{name: "since before as_of", asOf: asOf, tree: ev(`"window":{"since":"2026-02-01T00:00:00Z","until":"2026-04-01T00:00:00Z"}`)},
		{name: "until only", asOf: asOf, tree: ev(`"window":{"until":"2026-04-01T00:00:00Z"}`)},
		{name: "without as_of", tree: ev(`"window":{"since":"2126-03-02T00:00:00Z"}`)},
		{name: "calendar", asOf: asOf, tree: ev(`"window":{"calendar":"day","offset":0}`)},
	})
}

func funnel(extra string) string {
	return `{"type":"funnel","steps":[{"event":"a"},{"event":"b"},{"event":"c"}],` + extra + `}`
}

func TestFunnelWithinRedundant(t *testing.T) {
	runRule(t, FunnelWithinRedundant, "Asia/Tokyo", []lintCase{
		{name: "within the last window", tree: funnel(`"within":"7d","window":{"last":"1w"}`),
			want: []string{"/tree/within funnel_within_redundant"}},
		{name: "within past the last window", asOf: asOf, tree: funnel(`"within":"30d","window":{"last":"7d"}`),
			want: []string{"/tree/within funnel_within_redundant"}},
		// 2026-03-01T12:00Z is 21:00 in Tokyo: the day began 21 hours ago.
		{name: "calendar day", asOf: asOf, tree: funnel(`"within":"21h","window":{"calendar":"day"}`),
			want: []string{"/tree/within funnel_within_redundant"}},
		{name: "since", asOf: asOf, tree: funnel(`"within":"1d","window":{"since":"2026-03-01T00:00:00Z"}`),
			want: []string{"/tree/within funnel_within_redundant"}},
		{name: "shorter than the last window", tree: funnel(`"within":"6d","window":{"last":"7d"}`)},
		{name: "calendar day, shorter", asOf: asOf, tree: funnel(`"within":"20h","window":{"calendar":"day"}`)},
		{name: "calendar day without as_of", tree: funnel(`"within":"2d","window":{"calendar":"day"}`)},
		{name: "all time", asOf: asOf, tree: funnel(`"within":"5200w"`)},
		{name: "no within", asOf: asOf, tree: funnel(`"window":{"last":"7d"}`)},
		{name: "since without as_of", tree: funnel(`"within":"1d","window":{"since":"2026-03-01T00:00:00Z"}`)},
		{name: "since after as_of", asOf: asOf, tree: funnel(`"within":"1d","window":{"since":"2026-03-02T00:00:00Z"}`)},
	})
}

func TestDoubleNegation(t *testing.T) {
	x := attr("country", "eq", `"JP"`)
	not := func(c string) string { return `{"type":"not","child":` + c + `}` }
	runRule(t, DoubleNegation, "UTC", []lintCase{
		{name: "not not", tree: not(not(x)), want: []string{"/tree double_negation"}},
		{name: "inside", tree: and(x, not(not(x))), want: []string{"/tree/children/1 double_negation"}},
		{name: "three", tree: not(not(not(x))), want: []string{"/tree double_negation", "/tree/child double_negation"}},
		{name: "not", tree: not(x)},
		{name: "not of and of not", tree: not(and(not(x)))},
	})
}

// TestCheck runs every rule: warnings in tree order, then rule order, and
// an empty list (not nil) for a tree without any.
func TestCheck(t *testing.T) {
	tree, err := segment.Decode([]byte(and(
		`{"type":"not","child":{"type":"not","child":`+ev(`"op":"lt","value":0`)+`}}`,
		attr("user_id", "eq", `"a"`), attr("user_id", "eq", `"b"`))), "")
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, w := range Check(tree, "", Context{}) {
		got = append(got, w.Pointer+" "+w.Code)
	}
	want := []string{"/children/2 contradictory_equalities", "/children/0 double_negation", "/children/0/child/child never_true"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %q, want %q", got, want)
	}
	if ws := Check(&segment.Attribute{Field: "a", Op: segment.OpExists}, "", Context{}); ws == nil || len(ws) != 0 {
		t.Errorf("Check = %#v, want an empty list", ws)
	}
	if ws := Check(nil, "", Context{}); ws == nil {
		t.Error("Check(nil) = nil, want an empty list")
	}
}
