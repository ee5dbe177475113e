//go:build integration

package ratelimit

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/segmentd/segmentd/internal/cache/cachetest"
)

// TestRedisBucketIsShared: two servers' limiters on one Redis draw from
// one bucket.
func TestRedisBucketIsShared(t *testing.T) {
	ctx := context.Background()
	prefix := fmt.Sprintf("segmentd-test:ratelimit:%d:", time.Now().UnixNano())
	var servers []Redis
	for range 2 {
		c := redis.NewClient(&redis.Options{Addr: cachetest.RedisAddr(t), DisableIdentity: true})
		t.Cleanup(func() { c.Close() })
		if err := c.Ping(ctx).Err(); err != nil {
			t.Fatalf("redis: %v", err)
		}
		servers = append(servers, Redis{Client: c, Prefix: prefix})
	}
	l := Limit{Rate: 0.01, Burst: 3} // a token every 100 s: none comes back during the test
	for i := range 3 {
		if w, err := servers[i%2].Take(ctx, "shop:k1:ingest", l); err != nil || w != 0 {
			t.Fatalf("take %d: wait %v, %v", i+1, w, err)
		}
	}
	for _, s := range servers {
		w, err := s.Take(ctx, "shop:k1:ingest", l)
		if err != nil || w < 90*time.Second || w > 100*time.Second {
			t.Fatalf("over the shared burst: wait %v, %v; want about 100s", w, err)
		}
	}
	if w, err := servers[0].Take(ctx, "shop:k2:ingest", l); err != nil || w != 0 {
		t.Fatalf("another key's bucket: wait %v, %v", w, err)
	}
	ttl, err := servers[0].Client.(*redis.Client).PTTL(ctx, prefix+"shop:k1:ingest").Result()
	if err != nil || ttl <= 0 || ttl > 301*time.Second {
		t.Fatalf("the bucket expires in %v (%v), want once full again (300s)", ttl, err)
	}
}
