package api

import (
	"strings"
	"testing"

	"github.com/segmentd/segmentd/internal/ratelimit"
)

// slow is a limit whose bucket does not refill during a test: a token
// every 100 s.
func slow(burst int) ratelimit.Limit { return ratelimit.Limit{Rate: 0.01, Burst: burst} }

// rateLimitedApart: a key of app a over its queries limit gets 429 with
// Retry-After; its other classes, the app's other keys, app b (with its
// own limit) and the admin key are not held back by it.
func rateLimitedApart(t *testing.T, c client) {
	for _, app := range []string{"a", "b"} {
		c.want(c.do("POST", "/v1/apps", adminKey, map[string]any{"app_id": app}), 201, "", "")
	}
	k1, k2, kb := newKeyOf(c, "a", appScopes...), newKeyOf(c, "a", appScopes...), newKeyOf(c, "b", appScopes...)
	for range 2 {
		c.want(c.do("GET", "/v1/apps/a", k1, nil), 200, "", "")
	}
	r := c.do("GET", "/v1/apps/a", k1, nil)
	c.want(r, 429, CodeRateLimited, "")
	if got := r.header.Get("Retry-After"); got != "100" {
		t.Fatalf("Retry-After = %q, want 100 (a token every 100 s)", got)
	}
	c.want(c.do("PUT", "/v1/apps/a/users/u1", k1, map[string]any{"attributes": map[string]any{}}), 200, "", "")
	c.want(c.do("GET", "/v1/apps/a", k2, nil), 200, "", "")
	c.want(c.do("GET", "/v1/apps/a", adminKey, nil), 200, "", "")
	for range 3 {
		c.want(c.do("GET", "/v1/apps/a", adminKey, nil), 200, "", "")
	}
	for range 5 {
		c.want(c.do("GET", "/v1/apps/b", kb, nil), 200, "", "")
	}
	c.want(c.do("GET", "/v1/apps/b", kb, nil), 429, CodeRateLimited, "")
}

var testLimits = ratelimit.Limits{
	Default: map[ratelimit.Class]ratelimit.Limit{ratelimit.Queries: slow(2)},
	Apps:    map[string]map[ratelimit.Class]ratelimit.Limit{"b": {ratelimit.Queries: slow(5)}},
}

func TestRateLimits(t *testing.T) {
	_, c := keysServer(t, sqliteStore(t), Config{RateLimits: testLimits})
	rateLimitedApart(t, c)
	m := string(c.do("GET", "/metrics", "", nil).body)
	if !strings.Contains(m, `segmentd_rate_limited_total{class="queries"} 2`) {
		t.Fatalf("/metrics does not count the two refusals:\n%s", grepLines(m, "rate_limited"))
	}
}

func grepLines(text, word string) string {
	var out []string
	for _, l := range strings.Split(text, "\n") {
		if strings.Contains(l, word) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}
