package segment

import (
	"strings"
	"testing"
	"time"
)

// roundTripTrees are valid trees of every shape.
var roundTripTrees = []string{
	leaf,
	`{"type":"and","children":[{"type":"attribute","field":"country","op":"in","value":["JP","KR"]},{"type":"attribute","field":"age","op":"between","value":[18,65.5]}]}`,
	`{"type":"or","children":[{"type":"attribute","field":"a","op":"exists"},{"type":"attribute","field":"b","op":"not_exists"}]}`,
	`{"type":"not","child":{"type":"not","child":{"type":"segment","segment_id":"seg_1"}}}`,
	`{"type":"attribute","field":"first_seen","op":"between","value":["2026-01-01T09:00:00+09:00",{"ago":"90m"}]}`,
	`{"type":"attribute","field":"last_seen","op":"lt","value":{"ago":"2w"}}`,
	`{"type":"attribute","field":"last_seen","op":"eq","value":"2026-01-01T00:00:00.123456Z"}`,
	`{"type":"attribute","field":"isMember","op":"eq","value":true}`,
	`{"type":"attribute","field":"name","op":"contains","value":"'); DROP TABLE users; --"}`,
	`{"type":"attribute","field":"name","op":"eq","value":"<tag> & \"quotes\" \\ \u2028 \u0000 é 日本"}`,
	`{"type":"attribute","field":"n","op":"not_in","value":[1,2.5,-3,1e21,1e-7,"x"]}`,
	`{"type":"attribute","field":"n","op":"gt","value":123456789012345678901234567890}`,
	`{"type":"attribute","field":"n","op":"lt","value":5e-324}`,
	`{"type":"attribute","field":"n","op":"lt","value":1.7976931348623157e308}`,
	`{"type":"event","event":"login"}`,
	`{"type":"event","event":"purchase","where":[{"property":"items.price","op":"gte","value":1000},{"property":"coupon","op":"not_exists"}],"aggregate":{"fn":"sum","property":"items.price"},"window":{"calendar":"week","offset":-1},"op":"lte","value":100}`,
	`{"type":"event","event":"$meta","aggregate":{"fn":"last","property":"isMember"},"window":{"calendar":"day","offset":0},"op":"eq","value":1}`,
	`{"type":"event","event":"$meta","aggregate":{"fn":"first","property":"tier"},"op":"in","value":["gold","silver"]}`,
	`{"type":"event","event":"e","window":{"last":"90m"},"op":"eq","value":0}`,
	`{"type":"event","event":"e","window":{"since":"2026-01-01T00:00:00Z","until":"2026-02-01T00:00:00Z"}}`,
	`{"type":"event","event":"e","window":{"since":"2026-01-01T00:00:00.5+01:00"}}`,
	`{"type":"event","event":"e","window":{"until":"2026-01-01T00:00:00Z"}}`,
	`{"type":"event","event":"e","window":{"calendar":"month","offset":-1000}}`,
	`{"type":"event","event":"e","window":{"calendar":"year"}}`,
	`{"type":"event","event":"e","aggregate":{"fn":"distinct_count","property":"sku"},"op":"between","value":[1,3]}`,
	`{"type":"event","event":"e","where":[{"property":"t","op":"between","value":["2026-01-01T00:00:00Z","2026-01-02T00:00:00Z"]}]}`,
	`{"type":"funnel","steps":[{"event":"view_item"},{"event":"add_to_cart"},{"event":"purchase","where":[{"property":"total","op":"gt","value":0}]}],"within":"1d","window":{"last":"30d"},"reached":3,"exact":false}`,
	`{"type":"funnel","steps":[{"event":"a"},{"event":"b"}],"reached":1,"exact":true}`,
	`{"type":"and","children":[{"type":"or","children":[{"type":"not","child":{"type":"funnel","steps":[{"event":"a"},{"event":"b"}]}},{"type":"segment","segment_id":"s"}]},{"type":"event","event":"x"}]}`,
}

func TestCanonicalRoundTrip(t *testing.T) {
	for _, src := range roundTripTrees {
		n := mustDecode(t, src)
		s := n.String()
		back, err := Decode([]byte(s), "/tree")
		if err != nil {
			t.Errorf("canonical form of %s does not decode: %v\n%s", src, err, s)
			continue
		}
		if back.String() != s {
			t.Errorf("round trip of %s:\n%s\n%s", src, s, back.String())
		}
		// String is stable and is a fixed point of decoding.
		if n.String() != s {
			t.Errorf("String is not stable for %s", src)
		}
	}
}

func TestCanonicalText(t *testing.T) {
	cases := []struct{ in, want string }{
		{`{"type":"event","event":"x"}`,
			`{"type":"event","event":"x","aggregate":{"fn":"count"},"window":{"all":true},"op":"gte","value":1}`},
		{`{"value":"JP","op":"eq","field":"country","type":"attribute"}`,
			`{"type":"attribute","field":"country","op":"eq","value":"JP"}`},
		{`{"type":"attribute","field":"a","op":"exists"}`,
			`{"type":"attribute","field":"a","op":"exists"}`},
		{`{"type":"funnel","steps":[{"event":"a"},{"event":"b"}]}`,
			`{"type":"funnel","steps":[{"event":"a"},{"event":"b"}],"window":{"all":true},"reached":2,"exact":false}`},
		{`{"type":"funnel","steps":[{"where":[{"value":1,"op":"gt","property":"p"}],"event":"a"},{"event":"b"}],"exact":true,"reached":1,"window":{"offset":-2,"calendar":"week"},"within":"1d"}`,
			`{"type":"funnel","steps":[{"event":"a","where":[{"property":"p","op":"gt","value":1}]},{"event":"b"}],"within":"1d","window":{"calendar":"week","offset":-2},"reached":1,"exact":true}`},
		{`{"type":"event","event":"e","window":{"until":"2026-02-01T09:00:00+09:00","since":"2026-01-01T00:00:00.100Z"}}`,
			`{"type":"event","event":"e","aggregate":{"fn":"count"},"window":{"since":"2026-01-01T00:00:00.1Z","until":"2026-02-01T00:00:00Z"},"op":"gte","value":1}`},
		{`{"type":"attribute","field":"last_seen","op":"gt","value":{"ago":"7d"}}`,
			`{"type":"attribute","field":"last_seen","op":"gt","value":{"ago":"1w"}}`},
		{`{"type":"attribute","field":"s","op":"eq","value":"<a&b>"}`,
			`{"type":"attribute","field":"s","op":"eq","value":"<a&b>"}`},
		{`{"type":"attribute","field":"n","op":"in","value":[1.0,1e2,-0.5,1E21,100000000000000000000]}`,
			`{"type":"attribute","field":"n","op":"in","value":[1,100,-0.5,1e+21,1e+20]}`},
		{`{"type":"segment","segment_id":"seg_ü"}`, `{"type":"segment","segment_id":"seg_ü"}`},
	}
	for _, c := range cases {
		if got := mustDecode(t, c.in).String(); got != c.want {
			t.Errorf("String(%s) =\n%s\nwant\n%s", c.in, got, c.want)
		}
	}
}

// TestCanonicalEqualMeanings: each group holds spellings of one meaning,
// which must print identically.
func TestCanonicalEqualMeanings(t *testing.T) {
	groups := [][]string{
		{ // omitted and explicit defaults
			`{"type":"event","event":"e"}`,
			`{"type":"event","event":"e","aggregate":{"fn":"count"}}`,
			`{"type":"event","event":"e","aggregate":{}}`,
			`{"type":"event","event":"e","window":{"all":true}}`,
			`{"type":"event","event":"e","op":"gte","value":1}`,
			`{"type":"event","event":"e","op":"gte","value":1.0}`,
			`{"type":"event","event":"e","op":"gte","value":1e0}`,
			`{"type":"event","event":"e","op":"gte","value":0.1e1}`,
			`{"type":"event","event":"e","where":[]}`,
			`{"value":1,"op":"gte","window":{"all":true},"aggregate":{"fn":"count"},"event":"e","type":"event"}`,
			" {\n  \"type\" : \"event\",\n  \"event\" : \"e\"\n}\n",
		},
		{ // calendar offset default
			`{"type":"event","event":"e","window":{"calendar":"week"}}`,
			`{"type":"event","event":"e","window":{"calendar":"week","offset":0}}`,
			`{"type":"event","event":"e","window":{"offset":-0,"calendar":"week"}}`,
		},
		{ // funnel defaults
			`{"type":"funnel","steps":[{"event":"a"},{"event":"b"},{"event":"c"}]}`,
			`{"type":"funnel","steps":[{"event":"a"},{"event":"b"},{"event":"c"}],"reached":3}`,
			`{"type":"funnel","steps":[{"event":"a"},{"event":"b"},{"event":"c"}],"exact":false,"window":{"all":true}}`,
			`{"type":"funnel","steps":[{"event":"a","where":[]},{"event":"b"},{"event":"c"}],"reached":3,"exact":false}`,
		},
		{ // one instant in several offsets and precisions
			`{"type":"attribute","field":"first_seen","op":"gte","value":"2026-01-01T09:00:00+09:00"}`,
			`{"type":"attribute","field":"first_seen","op":"gte","value":"2026-01-01T00:00:00Z"}`,
			`{"type":"attribute","field":"first_seen","op":"gte","value":"2026-01-01T00:00:00.000000Z"}`,
			`{"type":"attribute","field":"first_seen","op":"gte","value":"2025-12-31T19:00:00-05:00"}`,
			`{"type":"attribute","field":"first_seen","op":"gte","value":"2026-01-01T00:00:00-00:00"}`,
		},
		{
			`{"type":"event","event":"e","window":{"since":"2026-01-01T09:00:00+09:00","until":"2026-01-02T00:00:00.0Z"}}`,
			`{"type":"event","event":"e","window":{"until":"2026-01-01T19:00:00-05:00","since":"2026-01-01T00:00:00Z"}}`,
		},
		{
			`{"type":"attribute","field":"last_seen","op":"between","value":["2026-01-01T00:00:00.5Z","2026-01-02T00:00:00+00:00"]}`,
			`{"type":"attribute","field":"last_seen","op":"between","value":["2026-01-01T01:00:00.500000+01:00","2026-01-01T19:00:00-05:00"]}`,
		},
		{ // JSON escapes of one string
			`{"type":"attribute","field":"s","op":"eq","value":"é/<"}`,
			`{"type":"attribute","field":"s","op":"eq","value":"\u00e9\/\u003c"}`,
		},
		{ // numbers
			`{"type":"attribute","field":"n","op":"eq","value":100}`,
			`{"type":"attribute","field":"n","op":"eq","value":1e2}`,
			`{"type":"attribute","field":"n","op":"eq","value":100.000}`,
			`{"type":"attribute","field":"n","op":"eq","value":10000e-2}`,
		},
		{ // zero and negative zero compare equal as IEEE doubles
			`{"type":"attribute","field":"n","op":"eq","value":0}`,
			`{"type":"attribute","field":"n","op":"eq","value":-0}`,
			`{"type":"attribute","field":"n","op":"eq","value":-0.0}`,
			`{"type":"attribute","field":"n","op":"eq","value":0e5}`,
		},
		{ // durations are exact spans: a week is 7 days is 168 hours
			`{"type":"event","event":"e","window":{"last":"1w"}}`,
			`{"type":"event","event":"e","window":{"last":"7d"}}`,
			`{"type":"event","event":"e","window":{"last":"168h"}}`,
			`{"type":"event","event":"e","window":{"last":"10080m"}}`,
			`{"type":"event","event":"e","window":{"last":"007d"}}`,
		},
		{
			`{"type":"attribute","field":"last_seen","op":"gt","value":{"ago":"60m"}}`,
			`{"type":"attribute","field":"last_seen","op":"gt","value":{"ago":"1h"}}`,
		},
		{
			`{"type":"funnel","steps":[{"event":"a"},{"event":"b"}],"within":"24h"}`,
			`{"type":"funnel","steps":[{"event":"a"},{"event":"b"}],"within":"1d"}`,
		},
		{ // key order never matters, at any depth
			`{"type":"and","children":[{"type":"attribute","field":"a","op":"in","value":["x"]},{"type":"not","child":{"type":"segment","segment_id":"s"}}]}`,
			`{"children":[{"value":["x"],"op":"in","field":"a","type":"attribute"},{"child":{"segment_id":"s","type":"segment"},"type":"not"}],"type":"and"}`,
		},
	}
	for _, g := range groups {
		first := mustDecode(t, g[0]).String()
		for _, src := range g[1:] {
			if got := mustDecode(t, src).String(); got != first {
				t.Errorf("equal meanings print differently:\n%s -> %s\n%s -> %s", g[0], first, src, got)
			}
		}
	}
}

// TestCanonicalDifferentMeanings: every tree means something different
// from every other, so all must print differently.
func TestCanonicalDifferentMeanings(t *testing.T) {
	trees := []string{
		`{"type":"event","event":"e"}`,
		`{"type":"event","event":"E"}`,
		`{"type":"event","event":"e "}`,
		`{"type":"event","event":"e","op":"gt","value":1}`,
		`{"type":"event","event":"e","op":"gte","value":2}`,
		`{"type":"event","event":"e","op":"gte","value":1.0000000000000002}`,
		`{"type":"event","event":"e","op":"eq","value":0}`,
		`{"type":"event","event":"e","op":"exists"}`,
		`{"type":"event","event":"e","window":{"last":"7d"}}`,
		`{"type":"event","event":"e","window":{"last":"8d"}}`,
		`{"type":"event","event":"e","window":{"last":"1d"}}`,
		`{"type":"event","event":"e","window":{"last":"25h"}}`,
		`{"type":"event","event":"e","window":{"calendar":"day"}}`,
		`{"type":"event","event":"e","window":{"calendar":"week"}}`,
		`{"type":"event","event":"e","window":{"calendar":"week","offset":-1}}`,
		`{"type":"event","event":"e","window":{"calendar":"month","offset":-1}}`,
		`{"type":"event","event":"e","window":{"calendar":"year","offset":-1}}`,
		`{"type":"event","event":"e","window":{"since":"2026-01-01T00:00:00Z"}}`,
		`{"type":"event","event":"e","window":{"since":"2026-01-01T00:00:00.000001Z"}}`,
		`{"type":"event","event":"e","window":{"until":"2026-01-01T00:00:00Z"}}`,
		`{"type":"event","event":"e","window":{"since":"2026-01-01T00:00:00Z","until":"2026-01-02T00:00:00Z"}}`,
		`{"type":"event","event":"e","aggregate":{"fn":"sum","property":"p"},"op":"gte","value":1}`,
		`{"type":"event","event":"e","aggregate":{"fn":"sum","property":"q"},"op":"gte","value":1}`,
		`{"type":"event","event":"e","aggregate":{"fn":"avg","property":"p"},"op":"gte","value":1}`,
		`{"type":"event","event":"e","aggregate":{"fn":"distinct_count","property":"p"},"op":"gte","value":1}`,
		`{"type":"event","event":"e","where":[{"property":"p","op":"exists"}]}`,
		`{"type":"event","event":"e","where":[{"property":"p","op":"not_exists"}]}`,
		`{"type":"event","event":"e","where":[{"property":"p","op":"eq","value":"1"}]}`,
		`{"type":"event","event":"e","where":[{"property":"p","op":"eq","value":1}]}`,
		`{"type":"event","event":"e","where":[{"property":"p","op":"eq","value":true}]}`,
		`{"type":"event","event":"e","where":[{"property":"p","op":"eq","value":"true"}]}`,
		`{"type":"event","event":"e","where":[{"property":"p","op":"gt","value":"2026-01-01T00:00:00Z"}]}`,
		`{"type":"event","event":"e","where":[{"property":"p","op":"gt","value":"2026-01-01T09:00:00+09:00"}]}`, // a string compared by bytes
		`{"type":"event","event":"e","where":[{"property":"p","op":"gt","value":{"ago":"1d"}}]}`,
		`{"type":"event","event":"e","where":[{"property":"p","op":"in","value":[1]}]}`,
		`{"type":"event","event":"e","where":[{"property":"p","op":"in","value":["1"]}]}`,
		`{"type":"event","event":"e","where":[{"property":"p","op":"not_in","value":[1]}]}`,
		`{"type":"event","event":"e","where":[{"property":"p","op":"contains","value":"1"}]}`,
		`{"type":"event","event":"e","where":[{"property":"p.q","op":"exists"}]}`,
		`{"type":"event","event":"e","where":[{"property":"p","op":"exists"},{"property":"q","op":"exists"}]}`,
		`{"type":"attribute","field":"first_seen","op":"gt","value":"2026-01-01T00:00:00Z"}`,
		`{"type":"attribute","field":"first_seen","op":"gt","value":"2026-01-01T00:00:00.000001Z"}`,
		`{"type":"attribute","field":"last_seen","op":"gt","value":"2026-01-01T00:00:00Z"}`,
		`{"type":"attribute","field":"last_seen","op":"gt","value":{"ago":"1d"}}`,
		`{"type":"attribute","field":"last_seen","op":"gt","value":{"ago":"2d"}}`,
		`{"type":"attribute","field":"last_seen","op":"between","value":[{"ago":"2d"},{"ago":"1d"}]}`,
		`{"type":"attribute","field":"n","op":"between","value":[1,2]}`,
		`{"type":"attribute","field":"n","op":"between","value":[1,3]}`,
		`{"type":"attribute","field":"n","op":"in","value":[1,2]}`,
		`{"type":"attribute","field":"n","op":"eq","value":"a\"b"}`,
		`{"type":"attribute","field":"n","op":"eq","value":"a\\\"b"}`,
		`{"type":"funnel","steps":[{"event":"a"},{"event":"b"}]}`,
		`{"type":"funnel","steps":[{"event":"b"},{"event":"a"}]}`,
		`{"type":"funnel","steps":[{"event":"a"},{"event":"b"}],"reached":1}`,
		`{"type":"funnel","steps":[{"event":"a"},{"event":"b"}],"reached":1,"exact":true}`,
		`{"type":"funnel","steps":[{"event":"a"},{"event":"b"}],"within":"1d"}`,
		`{"type":"funnel","steps":[{"event":"a"},{"event":"b"}],"within":"2d"}`,
		`{"type":"funnel","steps":[{"event":"a"},{"event":"b"}],"window":{"last":"1d"}}`,
		`{"type":"funnel","steps":[{"event":"a"},{"event":"b","where":[{"property":"p","op":"exists"}]}]}`,
		`{"type":"and","children":[{"type":"event","event":"e"}]}`,
		`{"type":"or","children":[{"type":"event","event":"e"}]}`,
		`{"type":"not","child":{"type":"event","event":"e"}}`,
		`{"type":"and","children":[{"type":"event","event":"e"},{"type":"event","event":"f"}]}`,
		`{"type":"segment","segment_id":"e"}`,
		`{"type":"segment","segment_id":"f"}`,
	}
	seen := map[string]string{}
	for _, src := range trees {
		s := mustDecode(t, src).String()
		if other, dup := seen[s]; dup {
			t.Errorf("different meanings print alike:\n%s\n%s\n-> %s", other, src, s)
		}
		seen[s] = src
	}
}

func TestCanonicalOfBuiltNodes(t *testing.T) {
	at := time.Date(2026, 1, 1, 9, 0, 0, 123456789, time.FixedZone("JST", 9*3600))
	tenth, fifth := 0.1, 0.2
	cases := []struct {
		n    Node
		want string
	}{
		{&Attribute{Field: "last_seen", Op: OpLt, Value: Time(at)},
			`{"type":"attribute","field":"last_seen","op":"lt","value":"2026-01-01T00:00:00.123456Z"}`},
		{&Attribute{Field: "n", Op: OpEq, Value: Number(tenth + fifth)},
			`{"type":"attribute","field":"n","op":"eq","value":0.30000000000000004}`},
		{&Attribute{Field: "a", Op: OpExists, Value: String("ignored")},
			`{"type":"attribute","field":"a","op":"exists"}`},
		{&Event{Event: "e", Aggregate: Aggregate{Fn: AggMax, Property: "p"}, Window: Window{Kind: WindowLast, Last: Duration{48, 'h'}}, Op: OpLt, Value: Number(-1)},
			`{"type":"event","event":"e","aggregate":{"fn":"max","property":"p"},"window":{"last":"2d"},"op":"lt","value":-1}`},
		{&And{Children: []Node{&SegmentRef{SegmentID: "a/b"}}},
			`{"type":"and","children":[{"type":"segment","segment_id":"a/b"}]}`},
	}
	for _, c := range cases {
		if got := c.n.String(); got != c.want {
			t.Errorf("String() =\n%s\nwant\n%s", got, c.want)
		}
	}
	for _, s := range []string{"2026-01-01T00:00:00Z", "2026-01-01T00:00:00.1Z", "2026-01-01T00:00:00.000001Z", "2026-01-01T00:00:00.12345Z"} {
		if got := FormatTime(mustTime(t, s)); got != s {
			t.Errorf("FormatTime(%s) = %s", s, got)
		}
	}
	if got := FormatTime(at); !strings.HasSuffix(got, ".123456Z") {
		t.Errorf("FormatTime truncates nanoseconds to %s", got)
	}
}
