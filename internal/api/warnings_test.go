package api

import (
	"net/http/httptest"
	"reflect"
	"testing"
	"time"
)

// warningsOf returns a reply's warnings as "pointer code", failing when
// the field is missing or a warning lacks a message.
func warningsOf(t *testing.T, m map[string]any) []string {
	t.Helper()
	list, ok := m["warnings"].([]any)
	if !ok {
		t.Fatalf("no warnings array in %v", m)
	}
	out := []string{}
	for _, x := range list {
		w := x.(map[string]any)
		if msg, _ := w["message"].(string); msg == "" || len(w) != 3 {
			t.Fatalf("warning %v", w)
		}
		out = append(out, w["pointer"].(string)+" "+w["code"].(string))
	}
	return out
}

// TestWarnings: a save, a count and a compile of a tree with conditions
// that cannot change its result succeed and list them; without any, the
// list is empty, not absent.
func TestWarnings(t *testing.T) {
	st, eng := embedded(t)
	srv := httptest.NewServer(New(Config{Store: st, Engine: eng, Fresh: eng, AdminKey: adminKey, QueryTimeout: 30 * time.Second}))
	t.Cleanup(srv.Close)
	c := client{t: t, base: srv.URL}
	key := c.want(c.do("POST", "/v1/apps", adminKey, map[string]any{"app_id": "shop"}), 201, "", "")["api_key"].(string)
	c.want(c.do("POST", "/v1/apps/shop/events", key, eventsBody(event("e1", "u1", "$buy", "2026-01-05T00:00:00Z", nil))), 202, "", "")

	never := map[string]any{"type": "event", "event": "$buy", "op": "lt", "value": 0}
	plain := map[string]any{"type": "event", "event": "$buy"}
	tree := map[string]any{"type": "or", "children": []any{
		plain,
		map[string]any{"type": "not", "child": map[string]any{"type": "not", "child": never}},
		map[string]any{"type": "event", "event": "$buy", "window": map[string]any{"since": "2026-03-01T00:00:00Z"}},
	}}
	atAsOf := []string{"/tree/children/1 double_negation", "/tree/children/1/child/child never_true",
		"/tree/children/2/window/since empty_window"}

	// A save has no as_of: no empty_window.
	seg := c.want(c.do("POST", "/v1/apps/shop/segments", key, map[string]any{"name": "w", "tree": tree}), 201, "", "")
	if got := warningsOf(t, seg); !reflect.DeepEqual(got, atAsOf[:2]) {
		t.Errorf("create: warnings %q, want %q", got, atAsOf[:2])
	}
	id := seg["id"].(string)
	up := c.want(c.do("PUT", "/v1/apps/shop/segments/"+id, key, map[string]any{"name": "w", "tree": never}), 200, "", "")
	if got := warningsOf(t, up); !reflect.DeepEqual(got, []string{"/tree never_true"}) || up["version"] != 2.0 {
		t.Errorf("update: %v", up)
	}
	up = c.want(c.do("PUT", "/v1/apps/shop/segments/"+id, key, map[string]any{"name": "w", "tree": plain}), 200, "", "")
	if got := warningsOf(t, up); len(got) != 0 {
		t.Errorf("update without warnings: %q", got)
	}
	// Reading a segment answers no warnings: they belong to a save.
	if m := c.want(c.do("GET", "/v1/apps/shop/segments/"+id, key, nil), 200, "", ""); m["warnings"] != nil {
		t.Errorf("get: %v", m)
	}

	body := map[string]any{"tree": tree, "as_of": "2026-02-01T00:00:00Z"}
	m := c.want(c.do("POST", "/v1/apps/shop/count", key, body), 200, "", "")
	if got := warningsOf(t, m); !reflect.DeepEqual(got, atAsOf) || m["count"] != 1.0 {
		t.Errorf("count: %v, warnings %q, want %q", m, got, atAsOf)
	}
	m = c.want(c.do("POST", "/v1/apps/shop/compile", key, body), 200, "", "")
	if got := warningsOf(t, m); !reflect.DeepEqual(got, atAsOf) {
		t.Errorf("compile: warnings %q, want %q", got, atAsOf)
	}
	// A reference's tree is not the request's: its warnings were the
	// save's.
	m = c.want(c.do("POST", "/v1/apps/shop/count", key, map[string]any{"tree": map[string]any{"type": "segment", "segment_id": id}}), 200, "", "")
	if got := warningsOf(t, m); len(got) != 0 {
		t.Errorf("count of a reference: %q", got)
	}
}
