package corpus

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/segmentd/segmentd/internal/dataset"
	"github.com/segmentd/segmentd/segment"
)

// The spec's worked example (end of segment-language.md), verbatim.
const workedExample = `{"type":"and","children":[
  {"type":"event","event":"$meta","aggregate":{"fn":"last","property":"isMember"},
   "window":{"calendar":"day","offset":0},"op":"eq","value":1},
  {"type":"event","event":"$buy","aggregate":{"fn":"avg","property":"items.price"},
   "window":{"all":true},"op":"gte","value":10000},
  {"type":"event","event":"$buy","aggregate":{"fn":"sum","property":"items.price"},
   "window":{"calendar":"week","offset":-1},"op":"lte","value":100},
  {"type":"event","event":"$session",
   "window":{"calendar":"week","offset":-1},"op":"gt","value":10}]}`

var allOps = []segment.Op{segment.OpEq, segment.OpNeq, segment.OpLt, segment.OpLte, segment.OpGt,
	segment.OpGte, segment.OpBetween, segment.OpIn, segment.OpNotIn, segment.OpContains,
	segment.OpNotContains, segment.OpStartsWith, segment.OpEndsWith, segment.OpExists, segment.OpNotExists}

// required lists what the corpus must exercise, as the keys the coverage
// walk below records.
func required() []string {
	req := []string{
		"node:and", "node:or", "node:not", "node:attribute", "node:event", "node:funnel", "node:segment",
		"window:last:m", "window:last:h", "window:last:d", "window:last:w",
		"window:since+until", "window:since", "window:until", "window:all", "window:none",
		"window:calendar:week:across-dst",
		"path:array:where", "path:array:aggregate",
		"attr:missing:neq", "attr:missing:not_in", "attr:missing:not_exists",
		"builtin:user_id", "builtin:time:rfc3339", "builtin:time:ago", "builtin:time:between",
		"attr:time:ago", "attr:time:between",
		"bool:eq:member",
		"zero:count-eq-0", "zero:sum-lte-0", "zero:not-event",
		"not:root", "not:in-and", "not:of-or", "not:double",
		"funnel:steps:2", "funnel:steps:3", "funnel:steps:4", "funnel:within", "funnel:no-within",
		"funnel:reached<steps", "funnel:exact", "funnel:window", "funnel:equal-times",
		"ref:three-deep", "ref:under-not",
		"worked-example", "type-mismatch", "canary", "ties:first-last",
	}
	for _, ctx := range []string{"attribute", "where", "aggregate"} {
		for _, op := range allOps {
			req = append(req, "op:"+ctx+":"+string(op))
		}
	}
	for _, fn := range []segment.AggFn{segment.AggCount, segment.AggSum, segment.AggAvg, segment.AggMin,
		segment.AggMax, segment.AggFirst, segment.AggLast, segment.AggDistinctCount} {
		req = append(req, "fn:"+string(fn))
	}
	for _, p := range []string{"day", "week", "month", "year"} {
		req = append(req, "window:calendar:"+p+":current", "window:calendar:"+p+":past")
	}
	return req
}

// facts are what the data holds, for the checks that depend on it.
type facts struct {
	// missing: attribute keys some user lacks or holds null.
	missing map[string]bool
	// kinds: the JSON kinds ("number", "string", …) seen at an attribute
	// path ("attr:age") or at an event's property path ("$buy:items.price").
	kinds map[string]map[string]bool
	// ties: pairs of event names ("a>b") one user has at the same instant
	// (a == b for two distinct events).
	ties map[string]bool
}

func dataFacts(d *dataset.Data) facts {
	f := facts{missing: map[string]bool{}, kinds: map[string]map[string]bool{}, ties: map[string]bool{}}
	keys := map[string]bool{}
	for _, u := range d.Users {
		for k := range u.Attributes {
			keys[k] = true
		}
	}
	see := func(key string, doc any, prefix string) {
		var walk func(path string, v any)
		walk = func(path string, v any) {
			switch v := v.(type) {
			case map[string]any:
				for k, x := range v {
					p := k
					if path != "" {
						p = path + "." + k
					}
					walk(p, x)
				}
				return
			case []any:
				for _, x := range v {
					if _, isArr := x.([]any); !isArr {
						walk(path, x)
					}
				}
				return
			}
			if path == "" {
				return
			}
			k := prefix + path
			if f.kinds[k] == nil {
				f.kinds[k] = map[string]bool{}
			}
			f.kinds[k][jsonKind(v)] = true
		}
		walk("", doc)
	}
	for _, u := range d.Users {
		for k := range keys {
			if u.Attributes[k] == nil {
				f.missing[k] = true
			}
		}
		if a, ok := u.Attributes["address"].(map[string]any); !ok || a["city"] == nil {
			f.missing["address.city"] = true
		}
		see("", u.Attributes, "attr:")
	}
	for uid, evs := range d.EventsByUser() {
		_ = uid
		at := map[time.Time][]string{}
		for _, e := range evs {
			see("", e.Properties, e.Name+":")
			for _, other := range at[e.Time] {
				f.ties[other+">"+e.Name] = true
				f.ties[e.Name+">"+other] = true
			}
			at[e.Time] = append(at[e.Time], e.Name)
		}
	}
	return f
}

func jsonKind(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case float64:
		return "number"
	case string:
		return "string"
	case bool:
		return "boolean"
	}
	return fmt.Sprintf("%T", v)
}

// operandKind is the JSON kind a comparison operand needs of a value.
func operandKind(v segment.Value) string {
	switch v.Kind {
	case segment.KindNumber:
		return "number"
	case segment.KindString:
		return "string"
	case segment.KindBool:
		return "boolean"
	case segment.KindList:
		if len(v.List) > 0 {
			return operandKind(v.List[0])
		}
	}
	return ""
}

// mismatched reports whether the data holds, at the path, a value of a kind
// other than the operand's (a string where a number is compared, say).
func (f facts) mismatched(path string, op segment.Op, v segment.Value) bool {
	want := operandKind(v)
	if want == "" || !op.TakesValue() {
		return false
	}
	for k := range f.kinds[path] {
		if k != want && k != "null" {
			return true
		}
	}
	return false
}

func hasCanary(v segment.Value) bool {
	if strings.Contains(v.Str, dataset.Canary) || strings.Contains(v.Str, "DROP TABLE") {
		return true
	}
	return slices.ContainsFunc(v.List, hasCanary)
}

// pointer resolves a JSON Pointer in a decoded document.
func pointer(doc any, ptr string) any {
	if ptr == "" {
		return doc
	}
	for _, tok := range strings.Split(ptr[1:], "/") {
		tok = strings.ReplaceAll(strings.ReplaceAll(tok, "~1", "/"), "~0", "~")
		switch d := doc.(type) {
		case map[string]any:
			doc = d[tok]
		case []any:
			i, _ := strconv.Atoi(tok)
			doc = d[i]
		default:
			return nil
		}
	}
	return doc
}

// parent returns the pointer of the node that holds the node at ptr.
func parent(ptr string) (string, bool) {
	if ptr == "" {
		return "", false
	}
	p := ptr[:strings.LastIndex(ptr, "/")]
	return strings.TrimSuffix(p, "/children"), true
}

// refDepth is how many saved segments deep a reference reaches.
func refDepth(t *testing.T, id string) int {
	n, err := Lookup().Segment(context.Background(), id)
	if err != nil {
		t.Fatalf("segment %s: %v", id, err)
	}
	depth := 0
	segment.Walk(n, "", func(c segment.Node, _ string, _ int) bool {
		if r, ok := c.(*segment.SegmentRef); ok {
			depth = max(depth, refDepth(t, r.SegmentID))
		}
		return true
	})
	return depth + 1
}

// TestCoverage fails when the corpus stops exercising a part of the
// language or one of the awkward cases of the data.
func TestCoverage(t *testing.T) {
	f := dataFacts(Dataset())
	loc := Location()
	worked, err := segment.Decode([]byte(workedExample), "")
	if err != nil {
		t.Fatal(err)
	}
	got := map[string][]string{} // key → the cases that cover it
	for _, c := range Cases() {
		n, err := segment.Decode(c.JSON, "")
		if err != nil {
			t.Fatalf("%s: %v", c.Name, err)
		}
		var raw any
		if err := json.Unmarshal(c.JSON, &raw); err != nil {
			t.Fatal(err)
		}
		cover := func(keys ...string) {
			for _, k := range keys {
				if !slices.Contains(got[k], c.Name) {
					got[k] = append(got[k], c.Name)
				}
			}
		}
		if n.String() == worked.String() {
			cover("worked-example")
		}
		nodes := map[string]segment.Node{}
		segment.Walk(n, "", func(x segment.Node, ptr string, _ int) bool {
			nodes[ptr] = x
			return true
		})
		window := func(w segment.Window, ptr string) {
			obj, _ := pointer(raw, ptr).(map[string]any)
			if _, ok := obj["window"]; !ok {
				cover("window:none")
				return
			}
			switch w.Kind {
			case segment.WindowAll:
				cover("window:all")
			case segment.WindowLast:
				cover("window:last:" + string(w.Last.Unit))
			case segment.WindowRange:
				switch {
				case !w.Since.IsZero() && !w.Until.IsZero():
					cover("window:since+until")
				case !w.Since.IsZero():
					cover("window:since")
				default:
					cover("window:until")
				}
			case segment.WindowCalendar:
				if w.Offset == 0 {
					cover("window:calendar:" + w.Period + ":current")
				} else {
					cover("window:calendar:" + w.Period + ":past")
				}
				b := w.Resolve(AsOf, loc)
				end := b.AsOf
				if !b.Until.IsZero() {
					end = b.Until.Add(-time.Millisecond)
				}
				_, o1 := b.From.In(loc).Zone()
				_, o2 := end.In(loc).Zone()
				if o1 != o2 {
					cover("window:calendar:" + w.Period + ":across-dst")
				}
			}
		}
		predicates := func(event string, ps []segment.Predicate) {
			for _, p := range ps {
				cover("op:where:" + string(p.Op))
				if strings.HasPrefix(p.Property, "items.") {
					cover("path:array:where")
				}
				if f.mismatched(event+":"+p.Property, p.Op, p.Value) {
					cover("type-mismatch")
				}
				if hasCanary(p.Value) {
					cover("canary")
				}
			}
		}
		for ptr, x := range nodes {
			par, hasParent := parent(ptr)
			switch x := x.(type) {
			case *segment.And:
				cover("node:and")
			case *segment.Or:
				cover("node:or")
			case *segment.Not:
				cover("node:not")
				if !hasParent {
					cover("not:root")
				} else if _, ok := nodes[par].(*segment.And); ok {
					cover("not:in-and")
				}
				switch c := x.Child.(type) {
				case *segment.Or:
					cover("not:of-or")
				case *segment.Not:
					cover("not:double")
				case *segment.Event:
					cover("zero:not-event")
				case *segment.SegmentRef:
					cover("ref:under-not")
				default:
					_ = c
				}
			case *segment.Attribute:
				cover("node:attribute", "op:attribute:"+string(x.Op))
				switch {
				case x.Field == segment.FieldUserID:
					cover("builtin:user_id")
				case segment.IsTimeField(x.Field):
					switch {
					case x.Op == segment.OpBetween:
						cover("builtin:time:between")
					case x.Value.Ago != nil:
						cover("builtin:time:ago")
					case x.Value.Kind == segment.KindTime:
						cover("builtin:time:rfc3339")
					}
				default:
					if f.missing[x.Field] && (x.Op == segment.OpNeq || x.Op == segment.OpNotIn || x.Op == segment.OpNotExists) {
						cover("attr:missing:" + string(x.Op))
					}
					if x.Value.Ago != nil {
						cover("attr:time:ago")
					}
					if x.Op == segment.OpBetween && x.Value.List[0].Kind == segment.KindTime {
						cover("attr:time:between")
					}
					if x.Field == "member" && x.Op == segment.OpEq && x.Value.Kind == segment.KindBool {
						cover("bool:eq:member")
					}
					if f.mismatched("attr:"+x.Field, x.Op, x.Value) {
						cover("type-mismatch")
					}
				}
				if hasCanary(x.Value) {
					cover("canary")
				}
			case *segment.Event:
				cover("node:event", "op:aggregate:"+string(x.Op), "fn:"+string(x.Aggregate.Fn))
				window(x.Window, ptr)
				predicates(x.Event, x.Where)
				if strings.HasPrefix(x.Aggregate.Property, "items.") {
					cover("path:array:aggregate")
				}
				zero := x.Value.Kind == segment.KindNumber && x.Value.Num == 0
				if x.Aggregate.Fn == segment.AggCount && x.Op == segment.OpEq && zero {
					cover("zero:count-eq-0")
				}
				if x.Aggregate.Fn == segment.AggSum && x.Op == segment.OpLte && zero {
					cover("zero:sum-lte-0")
				}
				if (x.Aggregate.Fn == segment.AggFirst || x.Aggregate.Fn == segment.AggLast) && f.ties[x.Event+">"+x.Event] {
					cover("ties:first-last")
				}
				if hasCanary(x.Value) {
					cover("canary")
				}
			case *segment.Funnel:
				cover("node:funnel", fmt.Sprintf("funnel:steps:%d", len(x.Steps)))
				if x.Within != nil {
					cover("funnel:within")
				} else {
					cover("funnel:no-within")
				}
				if x.Reached < len(x.Steps) {
					cover("funnel:reached<steps")
				}
				if x.Exact {
					cover("funnel:exact")
				}
				if obj, _ := pointer(raw, ptr).(map[string]any); obj["window"] != nil {
					cover("funnel:window")
				}
				window(x.Window, ptr)
				for i, s := range x.Steps {
					predicates(s.Event, s.Where)
					if i > 0 && f.ties[x.Steps[i-1].Event+">"+s.Event] {
						cover("funnel:equal-times")
					}
				}
			case *segment.SegmentRef:
				cover("node:segment")
				if refDepth(t, x.SegmentID) >= 3 {
					cover("ref:three-deep")
				}
				for p, ok := par, hasParent; ok; p, ok = parent(p) {
					if _, isNot := nodes[p].(*segment.Not); isNot {
						cover("ref:under-not")
					}
				}
			}
		}
	}
	for _, k := range required() {
		if len(got[k]) == 0 {
			t.Errorf("no case covers %s", k)
		}
	}
	if testing.Verbose() {
		keys := make([]string, 0, len(got))
		for k := range got {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		for _, k := range keys {
			t.Logf("%-40s %d case(s), e.g. %s", k, len(got[k]), got[k][0])
		}
	}
}
