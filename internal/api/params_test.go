package api

import (
	"encoding/base64"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/segmentd/segmentd/internal/cache"
)

// awkwardIDs are valid user IDs that a path must carry intact.
var awkwardIDs = []string{
	"alice@example.com", "a/b", "a+b", "100%", "50%25", "with space", "q?x=1#frag", "유저", "a;b=c", "~tilde", "..x", `back\slash`,
}

// escapeAll percent-encodes every byte but the unreserved ones, as a
// browser's encodeURIComponent does ("@" as %40, "+" as %2B, which Go's
// url.PathEscape leaves alone).
func escapeAll(s string) string {
	var b strings.Builder
	for _, c := range []byte(s) {
		if 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || strings.IndexByte("-_.~", c) >= 0 {
			b.WriteByte(c)
			continue
		}
		fmt.Fprintf(&b, "%%%02X", c)
	}
	return b.String()
}

// TestPathIDsRoundTrip writes and reads users with awkward IDs through a
// real HTTP client, the IDs escaped both ways clients escape them: every
// route sees the ID the client meant, the same one an event names.
func TestPathIDsRoundTrip(t *testing.T) {
	e := newRunEnv(t, nil, RunConfig{Local: cache.NewMemory(1 << 20)})
	seg := e.want(e.do("POST", "/v1/apps/corpus/segments", adminKey, map[string]any{"name": "JP", "tree": attrTree}), 201, "", "")
	segPath := "/v1/apps/corpus/segments/" + seg["id"].(string)
	for i, id := range awkwardIDs {
		for _, escape := range []func(string) string{url.PathEscape, escapeAll} {
			t.Run(escape(id), func(t *testing.T) {
				e.t = t
				user := "/v1/apps/corpus/users/" + escape(id)
				m := e.want(e.do("PUT", user, adminKey, map[string]any{"attributes": map[string]any{"country": "JP"}}), 200, "", "")
				if m["user_id"] != id {
					t.Fatalf("PUT %s made user %q, want %q", user, m["user_id"], id)
				}
				e.want(e.do("POST", "/v1/apps/corpus/events", adminKey, eventsBody(event(fmt.Sprint("ev", i), id, "$session", "2026-01-01T00:00:00Z", nil))), 202, "", "")
				m = e.want(e.do("PATCH", user, adminKey, map[string]any{"attributes": map[string]any{"n": 1}}), 200, "", "")
				if m["user_id"] != id || m["first_seen"] != "2026-01-01T00:00:00Z" || m["attributes"].(map[string]any)["country"] != "JP" {
					t.Fatalf("PATCH %s: %v, not the user of the event", user, m)
				}
				if m = e.want(e.do("GET", user, adminKey, nil), 200, "", ""); m["user_id"] != id {
					t.Fatalf("GET %s: %v", user, m)
				}
				if m = e.want(e.do("GET", segPath+"/members/"+escape(id), adminKey, nil), 200, "", ""); m["member"] != true {
					t.Fatalf("membership of %q: %v", id, m)
				}
			})
		}
	}
	e.t = t
	// The escaped form is not another user.
	e.want(e.do("GET", "/v1/apps/corpus/users/alice%2540example.com", adminKey, nil), 404, CodeNotFound, "")
	// Other IDs of the path are decoded too.
	e.want(e.do("GET", "/v1/apps/corp%75s"+strings.TrimPrefix(segPath, "/v1/apps/corpus"), adminKey, nil), 200, "", "")
	e.want(e.do("GET", "/v1/apps/corpus/segments/"+escapeAll(seg["id"].(string)), adminKey, nil), 200, "", "")
}

// TestPathIDsValidated: every route checks an ID of its path by the same
// rule, with the parameter's name as the path of the error.
func TestPathIDsValidated(t *testing.T) {
	e := newRunEnv(t, nil, RunConfig{Local: cache.NewMemory(1 << 20)})
	seg := e.want(e.do("POST", "/v1/apps/corpus/segments", adminKey, map[string]any{"name": "JP", "tree": attrTree}), 201, "", "")
	segPath := "/v1/apps/corpus/segments/" + seg["id"].(string)
	long, ctrl := strings.Repeat("x", 257), "%07bell"
	for _, c := range []struct{ method, path, param string }{
		{"GET", "/v1/apps/corpus/users/" + long, "/user_id"},
		{"PUT", "/v1/apps/corpus/users/" + ctrl, "/user_id"},
		{"PATCH", "/v1/apps/corpus/users/" + long, "/user_id"},
		{"GET", segPath + "/members/" + long, "/user_id"},
		{"GET", segPath + "/members/" + ctrl, "/user_id"},
		{"GET", "/v1/apps/corpus/segments/" + long, "/id"},
		{"DELETE", "/v1/apps/corpus/segments/" + ctrl, "/id"},
		{"GET", "/v1/apps/corpus/segments/" + long + "/versions/1", "/id"},
		{"POST", "/v1/apps/corpus/segments/" + long + "/runs", "/id"},
		{"GET", "/v1/apps/corpus/runs/" + long, "/run"},
		{"DELETE", "/v1/apps/corpus/runs/" + ctrl, "/run"},
		{"GET", "/v1/apps/" + long, "/app"},
		{"GET", segPath + "/versions/0", "/n"},
	} {
		e.want(e.do(c.method, c.path, adminKey, map[string]any{"attributes": map[string]any{}}), 400, CodeInvalidArgument, c.param)
	}
	// 256 bytes is an ID.
	e.want(e.do("GET", segPath+"/members/"+long[1:], adminKey, nil), 200, "", "")
}

func TestBearerSchemeIsCaseInsensitive(t *testing.T) {
	e := newRunEnv(t, nil, RunConfig{Local: cache.NewMemory(1 << 20)})
	status := func(auth string) int {
		req, err := http.NewRequest("GET", e.base+"/v1/apps/corpus", nil)
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Authorization", auth)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		return res.StatusCode
	}
	for _, auth := range []string{"Bearer " + adminKey, "bearer " + adminKey, "BEARER " + adminKey, "bEaReR  " + adminKey} {
		if got := status(auth); got != 200 {
			t.Errorf("Authorization: %q: status %d", auth, got)
		}
	}
	for _, auth := range []string{"Bearer", "Bearer ", "Basic " + adminKey, "Bearer" + adminKey} {
		if got := status(auth); got != 401 {
			t.Errorf("Authorization: %q: status %d, want 401", auth, got)
		}
	}
}

// TestPageParameters: a cursor that decodes but is not one of the list's
// own, and an empty limit, are refused with the parameter named.
func TestPageParameters(t *testing.T) {
	e := newRunEnv(t, nil, RunConfig{Local: cache.NewMemory(1 << 20)})
	e.start()
	e.want(e.do("PUT", "/v1/apps/corpus/users/u1", adminKey, map[string]any{"attributes": map[string]any{"country": "JP"}}), 200, "", "")
	seg := e.want(e.do("POST", "/v1/apps/corpus/segments", adminKey, map[string]any{"name": "JP", "tree": attrTree}), 201, "", "")
	run := e.want(e.do("POST", "/v1/apps/corpus/segments/"+seg["id"].(string)+"/runs", adminKey, nil), 202, "", "")
	e.wait()
	members := "/v1/apps/corpus/runs/" + run["id"].(string) + "/members"
	segCursor := e.want(e.do("GET", "/v1/apps/corpus/segments?limit=1", adminKey, nil), 200, "", "")["next_cursor"].(string)
	foreign := base64.RawURLEncoding.EncodeToString([]byte("u0"))
	for _, c := range []struct{ path, param string }{
		{"/v1/apps/corpus/segments?cursor=" + foreign, "/cursor"},
		{"/v1/apps/corpus/segments?cursor=!!", "/cursor"},
		{"/v1/apps/corpus/segments?limit=", "/limit"},
		{"/v1/apps/corpus/segments?limit=1001", "/limit"},
		{members + "?cursor=" + foreign, "/cursor"},
		{members + "?cursor=" + segCursor, "/cursor"},
		{members + "?limit=", "/limit"},
		{members + "?limit=x", "/limit"},
	} {
		e.want(e.do("GET", c.path, adminKey, nil), 400, CodeInvalidArgument, c.param)
	}
	// Absent or empty cursors start at the beginning.
	if m := e.want(e.do("GET", members+"?cursor=", adminKey, nil), 200, "", ""); fmt.Sprint(m["user_ids"]) != "[u1]" {
		t.Fatalf("members %v", m)
	}
	e.want(e.do("GET", "/v1/apps/corpus/segments?cursor="+segCursor, adminKey, nil), 200, "", "")
}

// TestBodyFieldCodes: as_of is a time or absent; no body field is null;
// an unknown field is invalid_argument in a body and invalid_tree inside
// its tree.
func TestBodyFieldCodes(t *testing.T) {
	e := newRunEnv(t, nil, RunConfig{Local: cache.NewMemory(1 << 20)})
	seg := e.want(e.do("POST", "/v1/apps/corpus/segments", adminKey, map[string]any{"name": "JP", "tree": attrTree}), 201, "", "")
	for _, path := range []string{"/v1/apps/corpus/count", "/v1/apps/corpus/compile"} {
		e.want(e.do("POST", path, adminKey, `{"tree": {"type": "attribute", "field": "country", "op": "exists"}, "as_of": null}`), 400, CodeInvalidArgument, "/as_of")
	}
	e.want(e.do("POST", "/v1/apps/corpus/segments/"+seg["id"].(string)+"/runs", adminKey, `{"as_of": null}`), 400, CodeInvalidArgument, "/as_of")
	e.want(e.do("POST", "/v1/apps/corpus/count", adminKey, `{"tree": {"type": "attribute", "field": "country", "op": "exists"}, "as_of": 1}`), 400, CodeInvalidArgument, "/as_of")
	// No field of any body takes null (it would read as absent).
	e.want(e.do("POST", "/v1/apps/corpus/keys", adminKey, `{"name": "x", "scopes": null}`), 400, CodeInvalidArgument, "/scopes")
	e.want(e.do("POST", "/v1/apps", adminKey, `{"app_id": "x", "time_zone": null}`), 400, CodeInvalidArgument, "/time_zone")
	e.want(e.do("POST", "/v1/apps/corpus/segments", adminKey, `{"name": "x", "description": null, "tree": {"type": "attribute", "field": "country", "op": "exists"}}`), 400, CodeInvalidArgument, "/description")
	e.want(e.do("POST", "/v1/apps/corpus/count", adminKey, `null`), 400, CodeInvalidArgument, "")
	e.want(e.do("POST", "/v1/apps/corpus/count", adminKey, `{"tree": {"type": "attribute", "field": "country", "op": "exists", "note": 1}}`), 400, CodeInvalidTree, "/tree/note")
	e.want(e.do("POST", "/v1/apps/corpus/count", adminKey, `{"tree": {"type": "attribute", "field": "country", "op": "exists"}, "note": 1}`), 400, CodeInvalidArgument, "/note")
}

// TestPathKeysAfterADot: only a path's first key must start with a
// letter, _ or $; a later key may start with a digit or "-", and every
// engine compiles it (it once failed compilation with a 500).
func TestPathKeysAfterADot(t *testing.T) {
	e := newRunEnv(t, nil, RunConfig{Local: cache.NewMemory(1 << 20)})
	attr := map[string]any{"type": "attribute", "field": "a.4.-x", "op": "not_exists"}
	ev := map[string]any{"type": "event", "event": "$buy", "where": []any{map[string]any{"property": "items.0", "op": "exists"}}}
	for _, tree := range []map[string]any{attr, ev} {
		e.want(e.do("POST", "/v1/apps/corpus/count", adminKey, map[string]any{"tree": tree}), 200, "", "")
		for _, engine := range []string{"duckdb", "trino"} {
			e.want(e.do("POST", "/v1/apps/corpus/compile", adminKey, map[string]any{"tree": tree, "engine": engine}), 200, "", "")
		}
	}
}

// TestMethodNotAllowed: a path served with other methods answers 405
// with the methods it is served with; a path never served is still 404.
func TestMethodNotAllowed(t *testing.T) {
	e := newRunEnv(t, nil, RunConfig{Local: cache.NewMemory(1 << 20)})
	for path, allow := range map[string]string{
		"/healthz":                           "GET",
		"/v1/apps":                           "POST",
		"/v1/apps/corpus/events":             "POST",
		"/v1/apps/corpus/runs/r%2F1/members": "GET",
		"/v1/apps/corpus/segments":           "GET, POST",
	} {
		r := e.do("TRACE", path, adminKey, nil)
		e.want(r, 405, CodeMethodNotAllowed, "")
		if got := r.header.Get("Allow"); got != allow {
			t.Errorf("TRACE %s: Allow %q, want %q", path, got, allow)
		}
	}
	e.want(e.do("TRACE", "/nowhere", adminKey, nil), 404, CodeNotFound, "")
}
