//go:build integration

package api

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/segmentd/segmentd/internal/cache"
	"github.com/segmentd/segmentd/internal/cache/cachetest"
	"github.com/segmentd/segmentd/internal/ratelimit"
)

// TestRateLimitsAcrossServers: two servers whose buckets are in one Redis
// hold a key to one limit between them.
func TestRateLimitsAcrossServers(t *testing.T) {
	r, err := cache.OpenRedis(context.Background(), cachetest.RedisAddr(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close() })
	limiter := ratelimit.Redis{Client: r.Scripter(), Prefix: fmt.Sprintf("segmentd-test:api-ratelimit:%d:", time.Now().UnixNano())}
	open := storeAt("sqlite:" + filepath.Join(t.TempDir(), "segmentd.db"))
	_, c1 := keysServer(t, open(t), Config{RateLimits: testLimits, RateLimiter: limiter})
	_, c2 := keysServer(t, open(t), Config{RateLimits: testLimits, RateLimiter: limiter})
	c1.want(c1.do("POST", "/v1/apps", adminKey, map[string]any{"app_id": "a"}), 201, "", "")
	key := newKeyOf(c1, "a", appScopes...)
	c1.want(c1.do("GET", "/v1/apps/a", key, nil), 200, "", "")
	c2.want(c2.do("GET", "/v1/apps/a", key, nil), 200, "", "")
	for _, c := range []client{c1, c2} {
		r := c.do("GET", "/v1/apps/a", key, nil)
		c.want(r, 429, CodeRateLimited, "")
		if got := r.header.Get("Retry-After"); got != "100" {
			t.Fatalf("Retry-After = %q, want 100", got)
		}
	}
}
