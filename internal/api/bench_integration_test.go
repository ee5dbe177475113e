//go:build integration

package api_test

import (
	"context"
	"testing"

	"github.com/segmentd/segmentd/internal/cache"
	"github.com/segmentd/segmentd/internal/cache/cachetest"
)

// BenchmarkStreamMembersRedis is BenchmarkStreamMembers with the snapshot
// in the shared cache: a redis-server of the benchmark's own (started by
// cachetest.StartRedis), as RunConfig.Cache.
func BenchmarkStreamMembersRedis(b *testing.B) {
	addr, _ := cachetest.StartRedis(b)
	redis, err := cache.OpenRedis(context.Background(), addr)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { redis.Close() })
	benchStreams(b, "redis", newStreamEnv(b, "cache", redis))
}
