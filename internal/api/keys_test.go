package api

import (
	"context"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/segmentd/segmentd/internal/engine/duckdb"
	"github.com/segmentd/segmentd/internal/store/sqlstore"
)

// storeAt opens the store at dsn, once a call: two calls on one DSN are
// two servers' connections to one store.
func storeAt(dsn string) func(t *testing.T) *sqlstore.SQL {
	return func(t *testing.T) *sqlstore.SQL {
		t.Helper()
		st, err := sqlstore.Open(context.Background(), dsn)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { st.Close() })
		return st
	}
}

func sqliteStore(t *testing.T) *sqlstore.SQL {
	return storeAt("sqlite:" + filepath.Join(t.TempDir(), "segmentd.db"))(t)
}

// keysServer serves the API on st with the embedded engine.
func keysServer(t *testing.T, st *sqlstore.SQL, cfg Config) (*Server, client) {
	t.Helper()
	eng, err := duckdb.Open(context.Background(), "")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { eng.Close() })
	cfg.Store, cfg.Engine, cfg.Fresh, cfg.AdminKey = st, eng, eng, adminKey
	s := New(cfg)
	srv := httptest.NewServer(s)
	t.Cleanup(srv.Close)
	return s, client{t: t, base: srv.URL}
}

// newKeyOf creates a key of the app with the scopes and returns its text.
func newKeyOf(c client, app string, scopes ...string) string {
	c.t.Helper()
	return c.want(c.do("POST", "/v1/apps/"+app+"/keys", adminKey, map[string]any{"name": strings.Join(scopes, "+"), "scopes": scopes}), 201, "", "")["api_key"].(string)
}

// TestEveryRouteDeclaresItsScope walks the router: a route missing from
// the endpoint table fails here. Each route is called by a key of each
// single scope (403 unless it is the route's), by a key of another app
// (404), without a key (401) and by the admin key.
func TestEveryRouteDeclaresItsScope(t *testing.T) {
	s, c := keysServer(t, sqliteStore(t), Config{})
	for _, app := range []string{"a", "b"} {
		c.want(c.do("POST", "/v1/apps", adminKey, map[string]any{"app_id": app}), 201, "", "")
	}
	keyOf := map[scope]string{}
	for _, sc := range appScopes {
		keyOf[scope(sc)] = newKeyOf(c, "a", sc)
	}
	otherApp := newKeyOf(c, "b", appScopes...)

	declared := map[string]scope{}
	for _, e := range s.endpoints() {
		declared[e.method+" "+e.pattern] = e.scope
	}
	routes := s.Routes()
	if len(routes) != len(declared) {
		t.Errorf("%d routes served, %d declared", len(routes), len(declared))
	}
	for _, route := range routes {
		need, ok := declared[route]
		if !ok {
			t.Errorf("route %s declares no scope: add it to endpoints()", route)
			continue
		}
		method, pattern, _ := strings.Cut(route, " ")
		path := strings.ReplaceAll(pattern, "{app}", "a")
		path = pathParamRE.ReplaceAllString(path, "1")
		t.Run(route, func(t *testing.T) {
			c := client{t: t, base: c.base}
			if need == scopePublic {
				if r := c.do(method, path, "", nil); r.status == 401 || r.status == 403 {
					t.Fatalf("a public route answers %d without a key", r.status)
				}
				return
			}
			c.want(c.do(method, path, "", nil), 401, CodeUnauthenticated, "")
			if r := c.do(method, path, adminKey, nil); r.status == 401 || r.status == 403 {
				t.Fatalf("the admin key got %d: %s", r.status, r.body)
			}
			for sc, key := range keyOf {
				r := c.do(method, path, key, nil)
				if sc == need {
					if r.status == 401 || r.status == 403 {
						t.Fatalf("a key with the %q scope got %d: %s", sc, r.status, r.body)
					}
					continue
				}
				c.want(r, 403, CodeForbidden, "")
			}
			if strings.Contains(pattern, "{app}") {
				c.want(c.do(method, path, otherApp, nil), 404, CodeNotFound, "")
			}
		})
	}
}

func TestKeyManagement(t *testing.T) {
	now := time.Date(2026, 12, 5, 10, 0, 0, 0, time.UTC)
	var mu sync.Mutex
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	advance := func(d time.Duration) { mu.Lock(); defer mu.Unlock(); now = now.Add(d) }
	_, c := keysServer(t, sqliteStore(t), Config{Now: clock})
	for _, app := range []string{"a", "b"} {
		c.want(c.do("POST", "/v1/apps", adminKey, map[string]any{"app_id": app}), 201, "", "")
	}

	// Bad bodies name what is wrong.
	c.want(c.do("POST", "/v1/apps/a/keys", adminKey, map[string]any{"scopes": []string{}}), 400, CodeInvalidArgument, "/scopes")
	c.want(c.do("POST", "/v1/apps/a/keys", adminKey, map[string]any{"scopes": []string{"read", "admin"}}), 400, CodeInvalidArgument, "/scopes/1")
	c.want(c.do("POST", "/v1/apps/a/keys", adminKey, map[string]any{"scopes": []string{"read", "read"}}), 400, CodeInvalidArgument, "/scopes/1")
	c.want(c.do("POST", "/v1/apps/a/keys", adminKey, map[string]any{"scopes": "read"}), 400, CodeInvalidArgument, "/scopes")
	c.want(c.do("POST", "/v1/apps/a/keys", adminKey, map[string]any{"name": strings.Repeat("n", 256)}), 400, CodeInvalidArgument, "/name")
	c.want(c.do("POST", "/v1/apps/a/keys", adminKey, map[string]any{"label": "x"}), 400, CodeInvalidArgument, "/label")

	made := c.want(c.do("POST", "/v1/apps/a/keys", adminKey, map[string]any{"name": "push", "scopes": []string{"read"}}), 201, "", "")
	if made["name"] != "push" || !slices.Equal(made["scopes"].([]any), []any{"read"}) || made["last_used_at"] != nil {
		t.Fatalf("created %v", made)
	}
	key, id := made["api_key"].(string), made["key_id"].(string)
	c.want(c.do("POST", "/v1/apps/b/keys", adminKey, nil), 201, "", "")

	lastUsed := func() any {
		t.Helper()
		m := c.want(c.do("GET", "/v1/apps/a/keys", adminKey, nil), 200, "", "")
		for _, k := range m["keys"].([]any) {
			k := k.(map[string]any)
			if _, leaked := k["api_key"]; leaked {
				t.Fatalf("a listed key shows its secret: %v", k)
			}
			if k["key_id"] == id {
				return k["last_used_at"]
			}
		}
		t.Fatalf("key %s not listed: %v", id, m)
		return nil
	}
	keys := c.want(c.do("GET", "/v1/apps/a/keys", adminKey, nil), 200, "", "")["keys"].([]any)
	if len(keys) != 2 { // the initial key and push; b's key is not listed
		t.Fatalf("keys of a: %v", keys)
	}
	if lastUsed() != nil {
		t.Fatal("an unused key has a last use")
	}
	c.want(c.do("GET", "/v1/apps/a", key, nil), 200, "", "")
	first := lastUsed()
	if first != "2026-12-05T10:00:00Z" {
		t.Fatalf("last_used_at = %v", first)
	}
	advance(59 * time.Second)
	c.want(c.do("GET", "/v1/apps/a", key, nil), 200, "", "")
	if got := lastUsed(); got != first {
		t.Fatalf("last_used_at written again within a minute: %v", got)
	}
	advance(time.Second)
	c.want(c.do("GET", "/v1/apps/a", key, nil), 200, "", "")
	if got := lastUsed(); got != "2026-12-05T10:01:00Z" {
		t.Fatalf("last_used_at a minute later = %v", got)
	}

	// Revocation: another app's path does not reach the key; then at once.
	c.want(c.do("DELETE", "/v1/apps/b/keys/"+id, adminKey, nil), 404, CodeNotFound, "")
	c.want(c.do("GET", "/v1/apps/a", key, nil), 200, "", "")
	c.want(c.do("DELETE", "/v1/apps/a/keys/"+id, adminKey, nil), 204, "", "")
	c.want(c.do("GET", "/v1/apps/a", key, nil), 401, CodeUnauthenticated, "")
	c.want(c.do("DELETE", "/v1/apps/a/keys/"+id, adminKey, nil), 404, CodeNotFound, "")
}

// revokedEverywhere: two servers on one store; a key revoked through one
// fails on the other at its next request (keys are not cached).
func revokedEverywhere(t *testing.T, open func(t *testing.T) *sqlstore.SQL, app string) {
	_, c1 := keysServer(t, open(t), Config{})
	_, c2 := keysServer(t, open(t), Config{})
	c1.want(c1.do("POST", "/v1/apps", adminKey, map[string]any{"app_id": app}), 201, "", "")
	made := c1.want(c1.do("POST", "/v1/apps/"+app+"/keys", adminKey, nil), 201, "", "")
	key := made["api_key"].(string)
	c2.want(c2.do("GET", "/v1/apps/"+app, key, nil), 200, "", "")
	c1.want(c1.do("DELETE", "/v1/apps/"+app+"/keys/"+made["key_id"].(string), adminKey, nil), 204, "", "")
	c2.want(c2.do("GET", "/v1/apps/"+app, key, nil), 401, CodeUnauthenticated, "")
	c1.want(c1.do("GET", "/v1/apps/"+app, key, nil), 401, CodeUnauthenticated, "")
}

func TestRevokedOnEveryServer(t *testing.T) {
	revokedEverywhere(t, storeAt("sqlite:"+filepath.Join(t.TempDir(), "segmentd.db")), "shop")
}

// TestNewKeyHasEveryScope: a key made by NewKey (the demo's, the
// benchmarks') can do everything in its app, as keys could before scopes.
func TestNewKeyHasEveryScope(t *testing.T) {
	st := sqliteStore(t)
	_, c := keysServer(t, st, Config{})
	c.want(c.do("POST", "/v1/apps", adminKey, map[string]any{"app_id": "a"}), 201, "", "")
	text, k := NewKey("a")
	if err := st.CreateKey(context.Background(), k); err != nil {
		t.Fatal(err)
	}
	c.want(c.do("GET", "/v1/apps/a", text, nil), 200, "", "")
	c.want(c.do("GET", "/v1/apps/a/segments", text, nil), 200, "", "")
	c.want(c.do("PUT", "/v1/apps/a/users/u1", text, map[string]any{"attributes": map[string]any{}}), 200, "", "")
}
