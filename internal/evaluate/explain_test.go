package evaluate_test

// Explanations: each node type's observations, worked out by hand, and
// the root's member against Member for every hand-derived case.

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/segmentd/segmentd/internal/evaluate"
	"github.com/segmentd/segmentd/internal/record"
	"github.com/segmentd/segmentd/segment"
)

// byPointer indexes an explanation's nodes.
func byPointer(t *testing.T, nodes []evaluate.Explanation) map[string]evaluate.Explanation {
	t.Helper()
	m := map[string]evaluate.Explanation{}
	for _, n := range nodes {
		if _, dup := m[n.Pointer]; dup {
			t.Fatalf("pointer %q listed twice", n.Pointer)
		}
		m[n.Pointer] = n
	}
	return m
}

func pointers(nodes []evaluate.Explanation) []string {
	var out []string
	for _, n := range nodes {
		out = append(out, n.Pointer)
	}
	return out
}

func TestExplainRootIsMember(t *testing.T) {
	for _, c := range allCases() {
		t.Run(c.name, func(t *testing.T) {
			tree := decode(t, c.tree)
			u := record.User{UserID: "u1", Attributes: obj(c.attrs)}
			if c.user != nil {
				u = *c.user
			}
			asOf := defaultAsOf
			if c.asOf != "" {
				asOf = c.asOf
			}
			opt := evaluate.Options{AsOf: at(asOf)}
			if c.zone != "" {
				loc, err := time.LoadLocation(c.zone)
				if err != nil {
					t.Fatal(err)
				}
				opt.Location = loc
			}
			for _, wrapped := range []segment.Node{tree, &segment.Not{Child: tree}, &segment.And{Children: []segment.Node{tree, tree}}} {
				nodes := evaluate.Explain(nil, wrapped, u, c.events, opt, evaluate.ExplainOptions{})
				if len(nodes) == 0 || nodes[0].Pointer != "" {
					t.Fatalf("the first node is not the root: %v", pointers(nodes))
				}
				if want := evaluate.Member(wrapped, u, c.events, opt); nodes[0].Member != want {
					t.Errorf("root member %v, Member %v\ntree: %s", nodes[0].Member, want, wrapped)
				}
				if wrapped == tree && nodes[0].Member != c.want {
					t.Errorf("root member %v, want %v (by hand)", nodes[0].Member, c.want)
				}
			}
		})
	}
}

func TestExplainAttribute(t *testing.T) {
	tree := decode(t, `{"type":"and","children":[
		{"type":"attribute","field":"country","op":"in","value":["JP","KR"]},
		{"type":"attribute","field":"region","op":"neq","value":"Kanto"},
		{"type":"attribute","field":"tags","op":"eq","value":"b"},
		{"type":"not","child":{"type":"attribute","field":"nick","op":"exists"}}]}`)
	u := record.User{UserID: "u1", Attributes: obj(`{"country":"JP","tags":["a",null,"b"],"nick":null}`)}
	nodes := evaluate.Explain(nil, tree, u, nil, evaluate.Options{AsOf: at(defaultAsOf)}, evaluate.ExplainOptions{})
	want := []string{"", "/children/0", "/children/1", "/children/2", "/children/3", "/children/3/child"}
	if got := pointers(nodes); strings.Join(got, ",") != strings.Join(want, ",") {
		t.Fatalf("pointers %q, want %q", got, want)
	}
	m := byPointer(t, nodes)
	check := func(ptr, typ string, member bool) evaluate.Explanation {
		t.Helper()
		n := m[ptr]
		if n.Type != typ || n.Member != member {
			t.Errorf("%q: type %s member %v, want %s %v", ptr, n.Type, n.Member, typ, member)
		}
		return n
	}
	check("", "and", false)
	n := check("/children/0", "attribute", true)
	if n.Field != "country" || n.Op != "in" || string(n.Value) != `["JP","KR"]` || n.Missing || len(n.Values) != 1 || n.Values[0] != "JP" {
		t.Errorf("country: %+v", n)
	}
	// a missing attribute: only not_exists would hold
	n = check("/children/1", "attribute", false)
	if !n.Missing || n.Values != nil || n.Op != "neq" || string(n.Value) != `"Kanto"` {
		t.Errorf("region: %+v", n)
	}
	n = check("/children/2", "attribute", true)
	if len(n.Values) != 2 || n.Values[0] != "a" || n.Values[1] != "b" {
		t.Errorf("tags: values %v, want [a b] (null is no value)", n.Values)
	}
	check("/children/3", "not", true)
	n = check("/children/3/child", "attribute", false)
	if !n.Missing || n.Op != "exists" || n.Value != nil {
		t.Errorf("nick: %+v", n)
	}
	b, err := json.Marshal(m["/children/3"])
	if err != nil || string(b) != `{"pointer":"/children/3","type":"not","member":true}` {
		t.Errorf("a not node is its member only: %s %v", b, err)
	}
}

func TestExplainBuiltInTimeInZone(t *testing.T) {
	tokyo, _ := time.LoadLocation("Asia/Tokyo")
	u := record.User{UserID: "u1", FirstSeen: at("2026-03-01T00:00:00Z")}
	nodes := evaluate.Explain(nil, decode(t, attr("first_seen", "lt", `{"ago":"7d"}`)), u, nil,
		evaluate.Options{AsOf: at(defaultAsOf), Location: tokyo}, evaluate.ExplainOptions{})
	n := nodes[0]
	if !n.Member || len(n.Values) != 1 || string(n.Value) != `{"ago":"1w"}` {
		t.Fatalf("%+v", n)
	}
	if b, _ := json.Marshal(n.Values[0]); string(b) != `"2026-03-01T09:00:00+09:00"` {
		t.Errorf("first_seen %s, want it in the app's zone", b)
	}
}

func TestExplainEventCalendarWindowInZone(t *testing.T) {
	tokyo, err := time.LoadLocation("Asia/Tokyo")
	if err != nil {
		t.Fatal(err)
	}
	// 2026-11-30 is a Monday: in Tokyo last week is [11-23T00:00+09:00,
	// 11-30T00:00+09:00), that is [11-22T15:00Z, 11-29T15:00Z).
	tree := decode(t, `{"type":"event","event":"$buy","aggregate":{"fn":"sum","property":"items.price"},
		"window":{"calendar":"week","offset":-1},"op":"lte","value":100}`)
	evs := []record.Event{
		ev("b1", "$buy", "2026-11-29T11:00:00Z", `{"items":[{"price":100},{"price":150}]}`), // Sunday 20:00 in Tokyo
		ev("b2", "$buy", "2026-11-29T15:30:00Z", `{"items":[{"price":1000}]}`),              // Monday 00:30 in Tokyo: this week
		ev("b3", "$buy", "2026-11-22T14:59:59Z", `{"items":[{"price":7}]}`),                 // the week before
		ev("v1", "view", "2026-11-25T00:00:00Z", `{"items":[{"price":1}]}`),
	}
	opt := evaluate.Options{AsOf: at("2026-12-02T03:00:00Z"), Location: tokyo}
	nodes := evaluate.Explain(nil, tree, record.User{UserID: "u1"}, evs, opt, evaluate.ExplainOptions{})
	if len(nodes) != 1 {
		t.Fatalf("%d nodes", len(nodes))
	}
	n := nodes[0]
	if n.Member || n.Type != "event" || n.Event != "$buy" || n.Op != "lte" || string(n.Value) != "100" {
		t.Errorf("%+v", n)
	}
	if n.Aggregate == nil || n.Aggregate.Fn != "sum" || n.Aggregate.Property != "items.price" || !n.Aggregate.Defined || n.Aggregate.Value != 250.0 {
		t.Errorf("aggregate %+v, want sum of items.price = 250", n.Aggregate)
	}
	if n.MatchingEvents == nil || *n.MatchingEvents != 1 {
		t.Errorf("matching events %v, want 1", n.MatchingEvents)
	}
	b, _ := json.Marshal(struct {
		From, Until *time.Time
	}{n.From, n.Until})
	if string(b) != `{"From":"2026-11-23T00:00:00+09:00","Until":"2026-11-30T00:00:00+09:00"}` || n.FromExclusive {
		t.Errorf("bounds %s (from exclusive %v)", b, n.FromExclusive)
	}
	if want := "sum of items.price from 2026-11-23T00:00:00+09:00 to 2026-11-30T00:00:00+09:00 = 250, wanted lte 100"; n.Reason != want {
		t.Errorf("reason\n %q\nwant\n %q", n.Reason, want)
	}
}

func TestExplainEventUndefinedAndCount(t *testing.T) {
	tree := decode(t, `{"type":"or","children":[
		{"type":"event","event":"buy","aggregate":{"fn":"avg","property":"price"},"window":{"last":"7d"},"op":"gt","value":3},
		{"type":"event","event":"buy"},
		{"type":"event","event":"buy","aggregate":{"fn":"last","property":"plan"},"op":"not_exists"}]}`)
	evs := []record.Event{
		ev("b1", "buy", "2026-03-01T00:00:00Z", `{"price":10}`),   // outside the 7 days
		ev("b2", "buy", "2026-03-10T00:00:00Z", `{"price":"10"}`), // a string: no number
	}
	nodes := evaluate.Explain(nil, tree, record.User{UserID: "u1"}, evs, evaluate.Options{AsOf: at(defaultAsOf)}, evaluate.ExplainOptions{})
	m := byPointer(t, nodes)
	avg := m["/children/0"]
	if avg.Member || avg.Aggregate.Defined || avg.Aggregate.Value != nil || *avg.MatchingEvents != 1 {
		t.Errorf("avg: %+v %+v", avg, avg.Aggregate)
	}
	if !avg.FromExclusive || avg.From == nil || !avg.From.Equal(at("2026-03-04T12:00:00Z")) || avg.Until != nil {
		t.Errorf("avg window: from %v (exclusive %v) until %v", avg.From, avg.FromExclusive, avg.Until)
	}
	if want := "avg of price after 2026-03-04T12:00:00Z to as_of is undefined, wanted gt 3"; avg.Reason != want {
		t.Errorf("reason %q, want %q", avg.Reason, want)
	}
	b, _ := json.Marshal(avg.Aggregate)
	if string(b) != `{"fn":"avg","property":"price","defined":false}` {
		t.Errorf("aggregate JSON %s", b)
	}
	cnt := m["/children/1"]
	if !cnt.Member || cnt.Aggregate.Value != 2.0 || cnt.Op != "gte" || string(cnt.Value) != "1" || cnt.From != nil || cnt.Until != nil {
		t.Errorf("count: %+v %+v", cnt, cnt.Aggregate)
	}
	if want := "count of buy events up to as_of = 2, wanted gte 1"; cnt.Reason != want {
		t.Errorf("reason %q, want %q", cnt.Reason, want)
	}
	last := m["/children/2"]
	if !last.Member || last.Aggregate.Defined || last.Value != nil || last.Reason != "last of plan up to as_of is undefined, wanted not_exists" {
		t.Errorf("last: %+v", last)
	}
	if !m[""].Member {
		t.Error("or: want member")
	}
}

func TestExplainFunnelTwoOfThree(t *testing.T) {
	const steps = `"steps":[{"event":"view"},{"event":"cart"},{"event":"buy"}],"within":"1d"`
	tree := decode(t, `{"type":"and","children":[
		{"type":"funnel",`+steps+`},
		{"type":"funnel",`+steps+`,"reached":2,"exact":true}]}`)
	evs := []record.Event{
		ev("v1", "view", "2026-03-05T10:00:00Z", `{}`),
		ev("c0", "cart", "2026-03-05T10:00:00Z", `{}`), // the same instant: not a next step
		ev("c1", "cart", "2026-03-05T11:00:00Z", `{}`),
		ev("b1", "buy", "2026-03-06T10:00:01Z", `{}`),  // one second past within
		ev("v2", "view", "2026-03-08T10:00:00Z", `{}`), // later attempts reach 1 step
		ev("v3", "view", "2026-03-12T10:00:00Z", `{}`), // after as_of
	}
	tokyo, _ := time.LoadLocation("Asia/Tokyo")
	nodes := evaluate.Explain(nil, tree, record.User{UserID: "u1"}, evs, evaluate.Options{AsOf: at(defaultAsOf), Location: tokyo}, evaluate.ExplainOptions{})
	m := byPointer(t, nodes)
	all, two := m["/children/0"], m["/children/1"]
	if all.Member || all.Reached != 3 || all.Exact == nil || *all.Exact {
		t.Errorf("reached 3: %+v", all)
	}
	if !two.Member || two.Reached != 2 || !*two.Exact {
		t.Errorf("exactly 2: %+v", two)
	}
	for _, n := range []evaluate.Explanation{all, two} {
		if n.StepsReached == nil || *n.StepsReached != 2 {
			t.Fatalf("steps reached %v, want 2", n.StepsReached)
		}
		b, _ := json.Marshal(n.Steps)
		if want := `[{"step":1,"event":"view","time":"2026-03-05T19:00:00+09:00","event_id":"v1"},` +
			`{"step":2,"event":"cart","time":"2026-03-05T20:00:00+09:00","event_id":"c1"}]`; string(b) != want {
			t.Errorf("steps\n %s\nwant\n %s", b, want)
		}
		if n.From != nil || n.Until != nil {
			t.Errorf("a funnel without window has no bounds: %v %v", n.From, n.Until)
		}
	}
	// no first step at all: nothing reached, no steps
	nodes = evaluate.Explain(nil, tree, record.User{UserID: "u1"}, nil, evaluate.Options{AsOf: at(defaultAsOf)}, evaluate.ExplainOptions{})
	if n := nodes[1]; *n.StepsReached != 0 || n.Steps != nil || n.Member {
		t.Errorf("no events: %+v", n)
	}
}

func TestExplainReferences(t *testing.T) {
	saved := map[string]string{
		"seg_jp":  attr("country", "eq", `"JP"`),
		"seg_vip": `{"type":"and","children":[{"type":"segment","segment_id":"seg_jp"},` + attr("vip", "eq", "true") + `]}`,
	}
	lookup := segment.LookupFunc(func(_ context.Context, id string) (segment.Node, error) {
		return segment.Decode([]byte(saved[id]), "")
	})
	given := decode(t, `{"type":"or","children":[{"type":"segment","segment_id":"seg_vip"},{"type":"not","child":{"type":"segment","segment_id":"seg_jp"}}]}`)
	expanded, err := segment.Expand(context.Background(), given, "", lookup)
	if err != nil {
		t.Fatal(err)
	}
	u := record.User{UserID: "u1", Attributes: obj(`{"country":"JP","vip":false}`)}
	opt := evaluate.Options{AsOf: at(defaultAsOf)}

	nodes := evaluate.Explain(given, expanded, u, nil, opt, evaluate.ExplainOptions{})
	if got := strings.Join(pointers(nodes), ","); got != ",/children/0,/children/1,/children/1/child" {
		t.Errorf("pointers %q", got)
	}
	m := byPointer(t, nodes)
	if r := m["/children/0"]; r.Type != "segment" || r.SegmentID != "seg_vip" || r.Member {
		t.Errorf("seg_vip: %+v", r)
	}
	if r := m["/children/1/child"]; r.Type != "segment" || r.SegmentID != "seg_jp" || !r.Member {
		t.Errorf("seg_jp: %+v", r)
	}
	if m[""].Member != evaluate.Member(expanded, u, nil, opt) || m[""].Member {
		t.Errorf("root %v", m[""].Member)
	}

	nodes = evaluate.Explain(given, expanded, u, nil, opt, evaluate.ExplainOptions{ExpandReferences: true})
	want := []string{"", "/children/0", "/children/0/tree", "/children/0/tree/children/0", "/children/0/tree/children/1",
		"/children/1", "/children/1/child", "/children/1/child/tree"}
	if got := pointers(nodes); strings.Join(got, ",") != strings.Join(want, ",") {
		t.Fatalf("pointers\n %q\nwant\n %q", got, want)
	}
	m = byPointer(t, nodes)
	// seg_jp inside seg_vip is expanded as the count expands it: its
	// condition stands in its place
	if n := m["/children/0/tree/children/0"]; n.Type != "attribute" || n.Field != "country" || !n.Member {
		t.Errorf("%+v", n)
	}
	if n := m["/children/0/tree/children/1"]; n.Field != "vip" || n.Member {
		t.Errorf("%+v", n)
	}
	if m["/children/0"].Member != m["/children/0/tree"].Member || !m["/children/1/child/tree"].Member {
		t.Error("a reference's member is its tree's")
	}

	// a user the app has never seen: the same nodes, none a member
	un := evaluate.Unobserved(given, expanded, evaluate.ExplainOptions{ExpandReferences: true})
	if got := pointers(un); strings.Join(got, ",") != strings.Join(want, ",") {
		t.Fatalf("unobserved pointers %q", got)
	}
	for _, n := range un {
		if n.Member || n.Missing || n.Values != nil || n.Aggregate != nil || n.MatchingEvents != nil || n.Reason != "" {
			t.Errorf("unobserved %+v", n)
		}
	}
}
