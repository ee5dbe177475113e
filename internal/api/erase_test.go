package api

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/segmentd/segmentd/internal/store"
)

// TestEraseUser: after DELETE …/users/{user_id} returns, no count, run,
// export or membership check of the app includes the user, the profile is
// 404, another app's user of the same ID is untouched, and later events
// of the ID make a new user.
func TestEraseUser(t *testing.T) {
	done := make(chan store.Run, 4)
	s, c := keysServer(t, sqliteStore(t), Config{Runs: RunConfig{OnDone: func(r store.Run) { done <- r }}})
	if err := s.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Shutdown(context.Background()) })
	tree := map[string]any{"type": "event", "event": "purchase", "window": map[string]any{"all": true}}
	count := func(app string) float64 {
		t.Helper()
		return c.want(c.do("POST", "/v1/apps/"+app+"/count", adminKey, map[string]any{"tree": tree}), 200, "", "")["count"].(float64)
	}
	for _, app := range []string{"a", "b"} {
		c.want(c.do("POST", "/v1/apps", adminKey, map[string]any{"app_id": app}), 201, "", "")
		c.want(c.do("POST", "/v1/apps/"+app+"/events", adminKey, eventsBody(
			event("e1", "u1", "purchase", "2026-10-27T10:00:00Z", nil),
			event("e2", "u2", "purchase", "2026-10-28T10:00:00Z", nil))), 202, "", "")
		c.want(c.do("PUT", "/v1/apps/"+app+"/users/u1", adminKey, map[string]any{"attributes": map[string]any{"country": "JP"}}), 200, "", "")
	}
	seg := c.want(c.do("POST", "/v1/apps/a/segments", adminKey, map[string]any{"name": "buyers", "tree": tree}), 201, "", "")["id"].(string)
	run := func() string {
		t.Helper()
		id := c.want(c.do("POST", "/v1/apps/a/segments/"+seg+"/runs", adminKey, map[string]any{}), 202, "", "")["id"].(string)
		select {
		case r := <-done:
			if r.State != store.RunSucceeded {
				t.Fatalf("run: %s %s", r.State, r.Error)
			}
		case <-time.After(time.Minute):
			t.Fatal("no run finished within a minute")
		}
		return id
	}
	if n := count("a"); n != 2 {
		t.Fatalf("count before: %v", n)
	}
	before := run()

	c.want(c.do("DELETE", "/v1/apps/a/users/u1", adminKey, nil), 204, "", "")
	if n := count("a"); n != 1 {
		t.Fatalf("count after the erasure: %v, want 1 (a count cached before must not be served)", n)
	}
	c.want(c.do("GET", "/v1/apps/a/users/u1", adminKey, nil), 404, CodeNotFound, "")
	after := run()
	if after == before {
		t.Fatal("a run after the erasure reused the run from before")
	}
	if body := string(c.do("GET", "/v1/apps/a/runs/"+after+"/members.txt", adminKey, nil).body); body != "u2\n" {
		t.Fatalf("members after the erasure: %q", body)
	}
	if m := c.want(c.do("GET", "/v1/apps/a/segments/"+seg+"/members/u1", adminKey, nil), 200, "", ""); m["member"] != false {
		t.Fatalf("membership of the erased user: %v", m)
	}
	// The run from before is an immutable snapshot: it keeps the ID until
	// it expires (--snapshot-ttl).
	if body := string(c.do("GET", "/v1/apps/a/runs/"+before+"/members.txt", adminKey, nil).body); !strings.Contains(body, "u1") {
		t.Fatalf("the snapshot from before changed: %q", body)
	}
	// Another app's u1 stays; erasing again is no error.
	if n := count("b"); n != 2 {
		t.Fatalf("count in b: %v", n)
	}
	c.want(c.do("GET", "/v1/apps/b/users/u1", adminKey, nil), 200, "", "")
	c.want(c.do("DELETE", "/v1/apps/a/users/u1", adminKey, nil), 204, "", "")
	// A later event of the ID is a new user, with none of the old data.
	c.want(c.do("POST", "/v1/apps/a/events", adminKey, eventsBody(event("e3", "u1", "view", "2026-10-29T10:00:00Z", nil))), 202, "", "")
	u := c.want(c.do("GET", "/v1/apps/a/users/u1", adminKey, nil), 200, "", "")
	if attrs, _ := u["attributes"].(map[string]any); len(attrs) != 0 {
		t.Fatalf("the new u1 has the old profile: %v", u)
	}
	if n := count("a"); n != 1 {
		t.Fatalf("count with the new u1 (who bought nothing): %v", n)
	}
}
