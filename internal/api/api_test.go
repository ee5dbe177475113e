package api

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/segmentd/segmentd/internal/engine/duckdb"
	"github.com/segmentd/segmentd/internal/ingest"
	"github.com/segmentd/segmentd/internal/store/sqlstore"
)

const adminKey = "test-admin-key"

// TestAPI runs the end-to-end suite on SQLite (the embedded default).
func TestAPI(t *testing.T) {
	runSuite(t, func(t *testing.T) *sqlstore.SQL {
		st, err := sqlstore.Open(context.Background(), "sqlite:"+filepath.Join(t.TempDir(), "segmentd.db"))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { st.Close() })
		return st
	})
}

// client talks to a real HTTP server.
type client struct {
	t    *testing.T
	base string
}

type response struct {
	status int
	header http.Header
	body   []byte
}

// json decodes the body.
func (r response) json(t *testing.T) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(r.body, &m); err != nil {
		t.Fatalf("body is not a JSON object: %v\n%s", err, r.body)
	}
	return m
}

func (c client) do(method, path, key string, body any) response {
	c.t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	case []byte:
		rd = bytes.NewReader(b)
	default:
		j, err := json.Marshal(b)
		if err != nil {
			c.t.Fatal(err)
		}
		rd = bytes.NewReader(j)
	}
	req, err := http.NewRequest(method, c.base+path, rd)
	if err != nil {
		c.t.Fatal(err)
	}
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	req.Header.Set("Content-Type", "application/json")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		c.t.Fatal(err)
	}
	return response{status: res.StatusCode, header: res.Header, body: b}
}

// want checks a status and, for errors, the code and pointer.
func (c client) want(r response, status int, code, path string) map[string]any {
	c.t.Helper()
	if r.status != status {
		c.t.Fatalf("status %d, want %d\n%s", r.status, status, r.body)
	}
	if len(r.body) == 0 {
		return nil
	}
	m := r.json(c.t)
	if code == "" {
		return m
	}
	e, _ := m["error"].(map[string]any)
	if e == nil || e["code"] != code || (path != "" && e["path"] != path) {
		c.t.Fatalf("error %v, want code %q path %q", m["error"], code, path)
	}
	return m
}

func runSuite(t *testing.T, newStore func(t *testing.T) *sqlstore.SQL) {
	setup := func(t *testing.T) client {
		eng, err := duckdb.Open(context.Background(), "")
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { eng.Close() })
		s := New(Config{Store: newStore(t), Engine: eng, Fresh: eng, AdminKey: adminKey, QueryTimeout: 30 * time.Second})
		srv := httptest.NewServer(s)
		t.Cleanup(srv.Close)
		return client{t: t, base: srv.URL}
	}
	// newApp creates an app and returns its key.
	newApp := func(c client, id, tz string) string {
		c.t.Helper()
		m := c.want(c.do("POST", "/v1/apps", adminKey, map[string]any{"app_id": id, "time_zone": tz}), 201, "", "")
		if m["app_id"] != id || m["time_zone"] != tz {
			c.t.Fatalf("created %v", m)
		}
		return m["api_key"].(string)
	}

	t.Run("operations", func(t *testing.T) {
		c := setup(t)
		c.want(c.do("GET", "/healthz", "", nil), 200, "", "")
		m := c.want(c.do("GET", "/readyz", "", nil), 200, "", "")
		if m["status"] != "ok" {
			t.Fatalf("readyz %v", m)
		}
		c.want(c.do("GET", "/v1/openapi.json", "", nil), 200, "", "")
		c.want(c.do("GET", "/nowhere", adminKey, nil), 404, CodeNotFound, "")
		metrics := string(c.do("GET", "/metrics", "", nil).body)
		for _, want := range []string{`segmentd_http_requests_total{code="200",method="GET",route="/readyz"} 1`, `route="unmatched"`, "segmentd_events_inserted_total 0", "go_goroutines"} {
			if !strings.Contains(metrics, want) {
				t.Fatalf("/metrics lacks %s:\n%s", want, metrics)
			}
		}
	})

	t.Run("apps and keys", func(t *testing.T) {
		c := setup(t)
		c.want(c.do("POST", "/v1/apps", "", map[string]any{"app_id": "shop"}), 401, CodeUnauthenticated, "")
		c.want(c.do("POST", "/v1/apps", "sgd_nothing_wrong", map[string]any{"app_id": "shop"}), 401, CodeUnauthenticated, "")
		key := newApp(c, "shop", "Asia/Tokyo")
		if !strings.HasPrefix(key, "sgd_") {
			t.Fatalf("key %q", key)
		}
		c.want(c.do("POST", "/v1/apps", adminKey, map[string]any{"app_id": "shop"}), 409, CodeConflict, "/app_id")
		c.want(c.do("POST", "/v1/apps", adminKey, map[string]any{"app_id": "Shop!"}), 400, CodeInvalidArgument, "/app_id")
		c.want(c.do("POST", "/v1/apps", adminKey, map[string]any{"app_id": "x", "time_zone": "Mars/Olympus"}), 400, CodeInvalidArgument, "/time_zone")
		both := c.want(c.do("POST", "/v1/apps", adminKey, map[string]any{"app_id": "", "time_zone": "Mars/Olympus"}), 400, CodeInvalidArgument, "/app_id")
		if d := both["error"].(map[string]any)["details"].([]any); len(d) != 2 {
			t.Fatalf("want both problems: %v", d)
		}
		c.want(c.do("POST", "/v1/apps", adminKey, `[]`), 400, CodeInvalidArgument, "")
		c.want(c.do("POST", "/v1/apps", adminKey, map[string]any{"app_id": "x", "color": "red"}), 400, CodeInvalidArgument, "/color")
		c.want(c.do("POST", "/v1/apps", adminKey, `{"app_id":`), 400, CodeInvalidJSON, "")
		c.want(c.do("POST", "/v1/apps", key, map[string]any{"app_id": "other"}), 403, CodeForbidden, "")

		m := c.want(c.do("GET", "/v1/apps/shop", adminKey, nil), 200, "", "")
		if _, leaked := m["api_key"]; leaked || m["time_zone"] != "Asia/Tokyo" {
			t.Fatalf("app %v", m)
		}
		c.want(c.do("GET", "/v1/apps/shop", key, nil), 200, "", "")
		c.want(c.do("GET", "/v1/apps/nope", adminKey, nil), 404, CodeNotFound, "")

		// A second key works; an app key cannot mint keys.
		k2 := c.want(c.do("POST", "/v1/apps/shop/keys", adminKey, nil), 201, "", "")["api_key"].(string)
		c.want(c.do("GET", "/v1/apps/shop", k2, nil), 200, "", "")
		c.want(c.do("POST", "/v1/apps/shop/keys", key, nil), 403, CodeForbidden, "")
		// A key whose secret is wrong is refused.
		c.want(c.do("GET", "/v1/apps/shop", key[:len(key)-2]+"xx", nil), 401, CodeUnauthenticated, "")
	})

	t.Run("tenant isolation", func(t *testing.T) {
		c := setup(t)
		a := newApp(c, "a", "UTC")
		b := newApp(c, "b", "UTC")
		seg := c.want(c.do("POST", "/v1/apps/a/segments", a, map[string]any{"name": "A", "tree": attrTree}), 201, "", "")
		id := seg["id"].(string)
		c.want(c.do("PUT", "/v1/apps/a/users/u1", a, map[string]any{"attributes": map[string]any{"country": "JP"}}), 200, "", "")
		for _, r := range []struct{ method, path string }{
			{"GET", "/v1/apps/a"},
			{"GET", "/v1/apps/a/segments"},
			{"GET", "/v1/apps/a/segments/" + id},
			{"GET", "/v1/apps/a/users/u1"},
			{"DELETE", "/v1/apps/a/segments/" + id},
		} {
			c.want(c.do(r.method, r.path, b, nil), 404, CodeNotFound, "")
		}
		c.want(c.do("POST", "/v1/apps/a/events", b, eventsBody(event("e1", "u1", "$buy", "2026-01-01T00:00:00Z", nil))), 404, CodeNotFound, "")
		// b cannot reference a's segment, nor see its data through a count.
		m := c.want(c.do("POST", "/v1/apps/b/segments", b, map[string]any{"name": "B", "tree": map[string]any{"type": "segment", "segment_id": id}}), 400, CodeInvalidTree, "/tree/segment_id")
		if !strings.Contains(fmt.Sprint(m), "does not exist") {
			t.Fatalf("%v", m)
		}
		c.want(c.do("POST", "/v1/apps/b/count", b, map[string]any{"tree": map[string]any{"type": "segment", "segment_id": id}}), 400, CodeInvalidTree, "/tree/segment_id")
		n := c.want(c.do("POST", "/v1/apps/b/count", b, map[string]any{"tree": attrTree}), 200, "", "")["count"]
		if n != 0.0 {
			t.Fatalf("app b counts %v of app a's users", n)
		}
	})

	t.Run("ingestion", func(t *testing.T) {
		c := setup(t)
		key := newApp(c, "shop", "UTC")
		batch := eventsBody(
			event("e1", "u1", "$buy", "2026-01-02T00:00:00Z", map[string]any{"items": []any{map[string]any{"price": 100}}}),
			event("e2", "u1", "$session", "2026-01-01T00:00:00Z", nil),
			event("e3", "u2", "$session", "2026-01-03T00:00:00.123Z", nil),
		)
		m := c.want(c.do("POST", "/v1/apps/shop/events", key, batch), 202, "", "")
		if m["accepted"] != 3.0 || m["inserted"] != 3.0 {
			t.Fatalf("%v", m)
		}
		m = c.want(c.do("POST", "/v1/apps/shop/events", key, batch), 202, "", "")
		if m["accepted"] != 3.0 || m["inserted"] != 0.0 {
			t.Fatalf("a retry added events: %v", m)
		}
		u := c.want(c.do("GET", "/v1/apps/shop/users/u1", key, nil), 200, "", "")
		if u["first_seen"] != "2026-01-01T00:00:00Z" || u["last_seen"] != "2026-01-02T00:00:00Z" {
			t.Fatalf("user %v", u)
		}
		// One bad event rejects the batch, pointing at it; nothing is stored.
		bad := eventsBody(event("e10", "u9", "$buy", "2026-01-01T00:00:00Z", nil), event("e11", "u9", "$buy", "yesterday", nil))
		c.want(c.do("POST", "/v1/apps/shop/events", key, bad), 400, CodeInvalidArgument, "/events/1/time")
		c.want(c.do("GET", "/v1/apps/shop/users/u9", key, nil), 404, CodeNotFound, "")
		c.want(c.do("POST", "/v1/apps/shop/events", key, `{"events": [`), 400, CodeInvalidJSON, "")
		// Limits: 1000 events, 1 MiB.
		var many []map[string]any
		for i := range 1001 {
			many = append(many, event(fmt.Sprint("m", i), "u1", "x", "2026-01-01T00:00:00Z", nil))
		}
		c.want(c.do("POST", "/v1/apps/shop/events", key, eventsBody(many...)), 400, CodeInvalidArgument, "/events")
		huge := eventsBody(event("h", "u1", "x", "2026-01-01T00:00:00Z", map[string]any{"blob": strings.Repeat("x", MaxBodyBytes)}))
		c.want(c.do("POST", "/v1/apps/shop/events", key, huge), 413, CodePayloadTooLarge, "")

		// Profiles: PUT replaces, PATCH merges and null deletes.
		c.want(c.do("PUT", "/v1/apps/shop/users/u1", key, map[string]any{"attributes": map[string]any{"country": "JP", "vip": true}}), 200, "", "")
		u = c.want(c.do("PATCH", "/v1/apps/shop/users/u1", key, map[string]any{"attributes": map[string]any{"vip": nil, "age": 30}}), 200, "", "")
		attrs := u["attributes"].(map[string]any)
		if attrs["country"] != "JP" || attrs["age"] != 30.0 || attrs["vip"] != nil {
			t.Fatalf("after PATCH %v", u)
		}
		if _, has := attrs["vip"]; has {
			t.Fatalf("null did not delete vip: %v", attrs)
		}
		u = c.want(c.do("PUT", "/v1/apps/shop/users/u1", key, map[string]any{"attributes": map[string]any{"plan": "gold"}}), 200, "", "")
		if attrs := u["attributes"].(map[string]any); len(attrs) != 1 || attrs["plan"] != "gold" {
			t.Fatalf("PUT did not replace: %v", u)
		}
		if u["first_seen"] != "2026-01-01T00:00:00Z" {
			t.Fatalf("PUT lost first_seen: %v", u)
		}
		c.want(c.do("PUT", "/v1/apps/shop/users/u1", key, map[string]any{"attrs": map[string]any{}}), 400, CodeInvalidArgument, "")
		// A PATCH within the limits of a body that would grow the stored
		// profile past them is refused whole.
		wide := map[string]any{}
		for i := range ingest.MaxAttributes {
			wide[fmt.Sprint("k", i)] = i
		}
		c.want(c.do("PATCH", "/v1/apps/shop/users/u1", key, map[string]any{"attributes": wide}), 400, CodeInvalidArgument, "/attributes")
		c.want(c.do("GET", "/v1/apps/shop/users/nobody", key, nil), 404, CodeNotFound, "")
	})

	t.Run("segments", func(t *testing.T) {
		c := setup(t)
		key := newApp(c, "shop", "UTC")
		seg := c.want(c.do("POST", "/v1/apps/shop/segments", key, map[string]any{"name": "JP", "description": "d", "tree": attrTree}), 201, "", "")
		id := seg["id"].(string)
		if seg["version"] != 1.0 || seg["name"] != "JP" || !strings.HasPrefix(id, "seg_") {
			t.Fatalf("%v", seg)
		}
		// Every problem of a tree comes back, each with its pointer.
		m := c.want(c.do("POST", "/v1/apps/shop/segments", key, map[string]any{"name": "", "tree": map[string]any{
			"type": "and", "children": []any{
				map[string]any{"type": "attribute", "field": "country", "op": "like", "value": "J%"},
				map[string]any{"type": "event", "event": "$buy", "window": map[string]any{"last": "7 days"}},
			}}}), 400, CodeInvalidArgument, "/name")
		details := m["error"].(map[string]any)["details"].([]any)
		paths := map[string]bool{}
		for _, d := range details {
			paths[d.(map[string]any)["path"].(string)] = true
		}
		for _, p := range []string{"/name", "/tree/children/0/op", "/tree/children/1/window/last"} {
			if !paths[p] {
				t.Fatalf("details %v lack %s", details, p)
			}
		}
		c.want(c.do("POST", "/v1/apps/shop/segments", key, map[string]any{"name": "x"}), 400, CodeInvalidTree, "/tree")
		c.want(c.do("POST", "/v1/apps/shop/segments", key, map[string]any{"name": "x", "tree": attrTree, "owner": "me"}), 400, CodeInvalidArgument, "/owner")

		// Versions.
		c.want(c.do("GET", "/v1/apps/shop/segments/"+id, key, nil), 200, "", "")
		up := c.want(c.do("PUT", "/v1/apps/shop/segments/"+id, key, map[string]any{"name": "JP or KR", "tree": map[string]any{
			"type": "attribute", "field": "country", "op": "in", "value": []any{"JP", "KR"}}}), 200, "", "")
		if up["version"] != 2.0 {
			t.Fatalf("%v", up)
		}
		v1 := c.want(c.do("GET", "/v1/apps/shop/segments/"+id+"/versions/1", key, nil), 200, "", "")
		if v1["name"] != "JP" || v1["version"] != 1.0 {
			t.Fatalf("version 1: %v", v1)
		}
		c.want(c.do("GET", "/v1/apps/shop/segments/"+id+"/versions/3", key, nil), 404, CodeNotFound, "")
		c.want(c.do("GET", "/v1/apps/shop/segments/"+id+"/versions/x", key, nil), 400, CodeInvalidArgument, "")
		c.want(c.do("PUT", "/v1/apps/shop/segments/seg_nope", key, map[string]any{"name": "x", "tree": attrTree}), 404, CodeNotFound, "")

		// References: delete is refused while referenced; cycles are refused.
		ref := c.want(c.do("POST", "/v1/apps/shop/segments", key, map[string]any{"name": "ref", "tree": map[string]any{
			"type": "not", "child": map[string]any{"type": "segment", "segment_id": id}}}), 201, "", "")
		refID := ref["id"].(string)
		c.want(c.do("DELETE", "/v1/apps/shop/segments/"+id, key, nil), 409, CodeConflict, "")
		c.want(c.do("PUT", "/v1/apps/shop/segments/"+id, key, map[string]any{"name": "cycle", "tree": map[string]any{
			"type": "segment", "segment_id": refID}}), 400, CodeInvalidTree, "/tree")
		c.want(c.do("DELETE", "/v1/apps/shop/segments/"+refID, key, nil), 204, "", "")
		c.want(c.do("DELETE", "/v1/apps/shop/segments/"+id, key, nil), 204, "", "")
		c.want(c.do("GET", "/v1/apps/shop/segments/"+id, key, nil), 404, CodeNotFound, "")
		c.want(c.do("DELETE", "/v1/apps/shop/segments/"+id, key, nil), 404, CodeNotFound, "")

		// Listing pages through every segment once.
		want := map[string]bool{}
		for i := range 5 {
			s := c.want(c.do("POST", "/v1/apps/shop/segments", key, map[string]any{"name": fmt.Sprint("s", i), "tree": attrTree}), 201, "", "")
			want[s["id"].(string)] = true
		}
		got, cursor := map[string]bool{}, ""
		for pages := 0; ; pages++ {
			if pages > 5 {
				t.Fatal("the cursor does not end")
			}
			page := c.want(c.do("GET", "/v1/apps/shop/segments?limit=2&cursor="+cursor, key, nil), 200, "", "")
			for _, s := range page["segments"].([]any) {
				got[s.(map[string]any)["id"].(string)] = true
			}
			next, more := page["next_cursor"].(string)
			if !more {
				break
			}
			cursor = next
		}
		if len(got) != len(want) {
			t.Fatalf("listed %v, want %v", got, want)
		}
		c.want(c.do("GET", "/v1/apps/shop/segments?limit=0", key, nil), 400, CodeInvalidArgument, "")
		c.want(c.do("GET", "/v1/apps/shop/segments?cursor=!!!", key, nil), 400, CodeInvalidArgument, "")
	})

	t.Run("compile and count", func(t *testing.T) {
		c := setup(t)
		key := newApp(c, "shop", "Asia/Tokyo")
		c.want(c.do("POST", "/v1/apps/shop/events", key, eventsBody(
			event("e1", "u1", "$buy", "2026-01-05T00:00:00Z", map[string]any{"items": []any{map[string]any{"price": 100}}}),
			event("e2", "u2", "$buy", "2026-01-06T00:00:00Z", map[string]any{"items": []any{map[string]any{"price": 5}}}),
			event("e3", "u3", "$session", "2026-01-06T00:00:00Z", nil),
		)), 202, "", "")
		tree := map[string]any{"type": "event", "event": "$buy", "aggregate": map[string]any{"fn": "sum", "property": "items.price"}, "op": "gte", "value": 50}
		for _, engine := range []string{"duckdb", "trino"} {
			m := c.want(c.do("POST", "/v1/apps/shop/compile", key, map[string]any{"tree": tree, "engine": engine, "as_of": "2026-02-01T00:00:00Z"}), 200, "", "")
			if m["engine"] != engine || !strings.Contains(m["sql"].(string), "SELECT") || len(m["params"].([]any)) == 0 {
				t.Fatalf("%v", m)
			}
			if strings.Contains(m["sql"].(string), "items.price") || strings.Contains(m["sql"].(string), "shop") {
				t.Fatalf("a value is in the SQL text:\n%s", m["sql"])
			}
		}
		c.want(c.do("POST", "/v1/apps/shop/compile", key, map[string]any{"tree": tree, "engine": "oracle"}), 400, CodeInvalidArgument, "/engine")
		c.want(c.do("POST", "/v1/apps/shop/compile", key, map[string]any{"tree": tree, "strategy": "clever"}), 400, CodeInvalidArgument, "/strategy")

		m := c.want(c.do("POST", "/v1/apps/shop/count", key, map[string]any{"tree": tree, "as_of": "2026-02-01T00:00:00Z"}), 200, "", "")
		if m["count"] != 1.0 || m["as_of"] != "2026-02-01T00:00:00Z" || m["cached"] != false || m["watermark"] == nil {
			t.Fatalf("%v", m)
		}
		if _, ok := m["elapsed_ms"].(float64); !ok {
			t.Fatalf("%v", m)
		}
		// Before the purchase, nobody; not of it, everybody else.
		m = c.want(c.do("POST", "/v1/apps/shop/count", key, map[string]any{"tree": tree, "as_of": "2026-01-04T00:00:00Z"}), 200, "", "")
		if m["count"] != 0.0 {
			t.Fatalf("events after as_of counted: %v", m)
		}
		m = c.want(c.do("POST", "/v1/apps/shop/count", key, map[string]any{"tree": map[string]any{"type": "not", "child": tree}, "as_of": "2026-02-01T00:00:00Z"}), 200, "", "")
		if m["count"] != 2.0 {
			t.Fatalf("not: %v", m)
		}
		c.want(c.do("POST", "/v1/apps/shop/count", key, map[string]any{"tree": tree, "as_of": "last tuesday"}), 400, CodeInvalidArgument, "/as_of")
		c.want(c.do("POST", "/v1/apps/shop/count", key, map[string]any{"tree": tree, "engine": "duckdb"}), 400, CodeInvalidArgument, "/engine")
		c.want(c.do("POST", "/v1/apps/shop/count", key, map[string]any{"tree": map[string]any{"type": "xor"}}), 400, CodeInvalidTree, "/tree/type")
		c.want(c.do("POST", "/v1/apps/shop/count", key, map[string]any{}), 400, CodeInvalidTree, "/tree")
	})
}

// TestTimeoutAndReadiness: a count over its time limit is 504, and a
// closed engine makes /readyz 503 naming it.
func TestTimeoutAndReadiness(t *testing.T) {
	ctx := context.Background()
	st, err := sqlstore.Open(ctx, "sqlite:"+filepath.Join(t.TempDir(), "segmentd.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	eng, err := duckdb.Open(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(New(Config{Store: st, Engine: eng, Fresh: eng, AdminKey: adminKey, QueryTimeout: time.Nanosecond}))
	defer srv.Close()
	c := client{t: t, base: srv.URL}
	c.want(c.do("POST", "/v1/apps", adminKey, map[string]any{"app_id": "shop"}), 201, "", "")
	c.want(c.do("POST", "/v1/apps/shop/count", adminKey, map[string]any{"tree": attrTree}), 504, CodeTimeout, "")
	eng.Close()
	m := c.want(c.do("GET", "/readyz", "", nil), 503, "", "")
	if checks := m["checks"].(map[string]any); checks["engine"] == "ok" || checks["store"] != "ok" {
		t.Fatalf("%v", m)
	}
}

var attrTree = map[string]any{"type": "attribute", "field": "country", "op": "eq", "value": "JP"}

func event(id, user, name, at string, props map[string]any) map[string]any {
	e := map[string]any{"event_id": id, "user_id": user, "name": name, "time": at}
	if props != nil {
		e["properties"] = props
	}
	return e
}

func eventsBody(events ...map[string]any) map[string]any {
	return map[string]any{"events": events}
}

// TestPanicIsA500 checks that a panicking handler answers a logged 500 in
// the error envelope instead of dropping the connection.
func TestPanicIsA500(t *testing.T) {
	s := New(Config{})
	h := s.recoverer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { panic("boom") }))
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/", nil))
	if rec.Code != 500 || !strings.Contains(rec.Body.String(), `"code":"internal"`) {
		t.Fatalf("%d %s", rec.Code, rec.Body)
	}
}
