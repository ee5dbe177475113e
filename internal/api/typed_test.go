package api

import (
	"maps"
	"net/http/httptest"
	"slices"
	"testing"
	"time"
)

// TestSavedSegmentsTypeTheirKeys: saving a segment (create, then update)
// types the attribute keys its tree reads on the embedded engine, and
// counts read the typed columns with each app's users only.
func TestSavedSegmentsTypeTheirKeys(t *testing.T) {
	st, eng := embedded(t)
	srv := httptest.NewServer(New(Config{Store: st, Engine: eng, Fresh: eng, AdminKey: adminKey, QueryTimeout: 30 * time.Second}))
	t.Cleanup(srv.Close)
	c := client{t: t, base: srv.URL}
	keys := map[string]string{}
	for _, app := range []string{"a", "b"} {
		keys[app] = c.want(c.do("POST", "/v1/apps", adminKey, map[string]any{"app_id": app}), 201, "", "")["api_key"].(string)
	}
	c.want(c.do("PUT", "/v1/apps/a/users/u1", keys["a"], map[string]any{"attributes": map[string]any{"plan": "pro", "country": "JP"}}), 200, "", "")
	c.want(c.do("PUT", "/v1/apps/b/users/u1", keys["b"], map[string]any{"attributes": map[string]any{"plan": "free", "country": "JP"}}), 200, "", "")
	c.want(c.do("PUT", "/v1/apps/b/users/u2", keys["b"], map[string]any{"attributes": map[string]any{"plan": "pro"}}), 200, "", "")
	typed := func() []string { return slices.Sorted(maps.Keys(eng.Tables().Typed)) }
	if got := typed(); len(got) != 0 {
		t.Fatalf("typed before any save: %q", got)
	}
	pro := map[string]any{"type": "attribute", "field": "plan", "op": "eq", "value": "pro"}
	id := c.want(c.do("POST", "/v1/apps/a/segments", keys["a"], map[string]any{"name": "pro", "tree": pro}), 201, "", "")["id"].(string)
	if got := typed(); !slices.Equal(got, []string{"plan"}) {
		t.Errorf("typed after saving a tree on plan: %q", got)
	}
	both := map[string]any{"type": "and", "children": []any{pro,
		map[string]any{"type": "attribute", "field": "address.city", "op": "exists"},
		map[string]any{"type": "attribute", "field": "first_seen", "op": "exists"}}}
	c.want(c.do("PUT", "/v1/apps/a/segments/"+id, keys["a"], map[string]any{"name": "pro", "tree": both}), 200, "", "")
	if got := typed(); !slices.Equal(got, []string{"address", "plan"}) {
		t.Errorf("typed after the update: %q", got)
	}
	// Each app counts its own users from the typed column.
	for app, want := range map[string]float64{"a": 1, "b": 1} {
		m := c.want(c.do("POST", "/v1/apps/"+app+"/count", keys[app], map[string]any{"tree": pro}), 200, "", "")
		if m["count"] != want {
			t.Errorf("app %s counts %v users of plan pro, want %v", app, m["count"], want)
		}
	}
}
