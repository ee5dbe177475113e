package api

import (
	"fmt"
	"net/http/httptest"
	"testing"
	"time"
)

// TestExplain: POST …/explain answers every node's count and the
// attrition of and/or, with a reference as one node or its tree under
// it; another app's users never count, and another app's key gets 404.
func TestExplain(t *testing.T) {
	st, eng := embedded(t)
	srv := httptest.NewServer(New(Config{Store: st, Engine: eng, Fresh: eng, AdminKey: adminKey, QueryTimeout: 30 * time.Second}))
	t.Cleanup(srv.Close)
	c := client{t: t, base: srv.URL}
	key := c.want(c.do("POST", "/v1/apps", adminKey, map[string]any{"app_id": "shop"}), 201, "", "")["api_key"].(string)
	other := c.want(c.do("POST", "/v1/apps", adminKey, map[string]any{"app_id": "other"}), 201, "", "")["api_key"].(string)
	// shop: u1 buys twice, u2 once, u3 only views; other: many buyers.
	c.want(c.do("POST", "/v1/apps/shop/events", key, eventsBody(
		event("e1", "u1", "$buy", "2026-01-05T00:00:00Z", nil),
		event("e2", "u1", "$buy", "2026-01-06T00:00:00Z", nil),
		event("e3", "u2", "$buy", "2026-01-05T00:00:00Z", nil),
		event("e4", "u3", "view_item", "2026-01-05T00:00:00Z", nil))), 202, "", "")
	var others []map[string]any
	for i := range 20 {
		others = append(others, event(fmt.Sprint("o", i), fmt.Sprint("u", i), "$buy", "2026-01-05T00:00:00Z", nil))
	}
	c.want(c.do("POST", "/v1/apps/other/events", other, eventsBody(others...)), 202, "", "")
	seg := c.want(c.do("POST", "/v1/apps/shop/segments", key, map[string]any{"name": "viewers",
		"tree": map[string]any{"type": "event", "event": "view_item"}}), 201, "", "")["id"].(string)

	tree := map[string]any{"type": "or", "children": []any{
		map[string]any{"type": "and", "children": []any{
			map[string]any{"type": "event", "event": "$buy"},
			map[string]any{"type": "not", "child": map[string]any{"type": "event", "event": "$buy", "op": "gte", "value": 2}},
		}},
		map[string]any{"type": "segment", "segment_id": seg},
	}}
	body := map[string]any{"tree": tree, "as_of": "2026-02-01T00:00:00Z"}
	m := c.want(c.do("POST", "/v1/apps/shop/explain", key, body), 200, "", "")
	want := `2 3 [{"" or 2 [1 2]} {"/children/0" and 1 [2 1]} {"/children/0/children/0" event 2 []} {"/children/0/children/1" not 2 []} {"/children/0/children/1/child" event 1 []} {"/children/1" segment 1 []}]`
	if got := explained(m); got != want {
		t.Errorf("explain:\n got %s\nwant %s", got, want)
	}
	body["expand_references"] = true
	m = c.want(c.do("POST", "/v1/apps/shop/explain", key, body), 200, "", "")
	if got := explained(m); got != want[:len(want)-1]+` {"/children/1/tree" event 1 []}]` {
		t.Errorf("explain with references expanded: %s", got)
	}
	// Another app's key: 404, as for a count.
	c.want(c.do("POST", "/v1/apps/shop/explain", other, body), 404, "not_found", "")
	// Bad input: a 400 at the field.
	c.want(c.do("POST", "/v1/apps/shop/explain", key, map[string]any{"tree": tree, "expand_references": "yes"}), 400, "invalid_argument", "/expand_references")
}

// explained writes an explain reply as "count users [nodes]".
func explained(m map[string]any) string {
	var nodes []string
	for _, x := range m["nodes"].([]any) {
		n := x.(map[string]any)
		cum := []int{}
		for _, c := range asList(n["cumulative"]) {
			cum = append(cum, int(c.(float64)))
		}
		nodes = append(nodes, fmt.Sprintf("{%q %s %d %v}", n["pointer"], n["type"], int(n["count"].(float64)), cum))
	}
	return fmt.Sprintf("%d %d %v", int(m["count"].(float64)), int(m["users"].(float64)), nodes)
}

func asList(v any) []any {
	l, _ := v.([]any)
	return l
}
