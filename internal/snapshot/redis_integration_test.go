//go:build integration

package snapshot

import (
	"bufio"
	"context"
	"strconv"
	"strings"
	"testing"

	"github.com/redis/go-redis/v9"

	"github.com/segmentd/segmentd/internal/cache"
	"github.com/segmentd/segmentd/internal/cache/cachetest"
)

// TestRedis runs the store cases on the Redis of SEGMENTD_TEST_REDIS.
func TestRedis(t *testing.T) {
	for _, c := range storeCases {
		t.Run(c.name, func(t *testing.T) {
			s, prefix := cachetest.Redis(t)
			c.run(t, s, prefix+"snap")
		})
	}
}

// openOwnRedis starts a Redis of the test's own (nothing else writes to it,
// so its used_memory is the snapshot's) and opens it.
func openOwnRedis(tb testing.TB) (*cache.Redis, *redis.Client) {
	addr, _ := cachetest.StartRedis(tb)
	s, err := cache.OpenRedis(context.Background(), addr)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { s.Close() })
	client := redis.NewClient(&redis.Options{Addr: addr, DisableIdentity: true})
	tb.Cleanup(func() { client.Close() })
	return s, client
}

// usedMemory is Redis's INFO used_memory: the bytes its allocator holds.
func usedMemory(tb testing.TB, client *redis.Client) int64 {
	info, err := client.Info(context.Background(), "memory").Result()
	if err != nil {
		tb.Fatal(err)
	}
	sc := bufio.NewScanner(strings.NewReader(info))
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "used_memory:"); ok {
			n, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
			if err != nil {
				tb.Fatal(err)
			}
			return n
		}
	}
	tb.Fatal("INFO memory has no used_memory")
	return 0
}

// TestRedisMemory measures what a 10M-ID snapshot costs Redis (the target
// is at most 80 MB) for both kinds of IDs of bench_test.go. It writes two
// snapshots of 10M IDs (about 15 s).
func TestRedisMemory(t *testing.T) {
	s, client := openOwnRedis(t)
	for kind := range benchKinds {
		t.Run(kind, func(t *testing.T) {
			before := usedMemory(t, client)
			writeKind(t, s, kind, kind)
			used := usedMemory(t, client) - before
			t.Logf("%s: Redis used_memory +%.1f MB for %d IDs (%.2f B/ID)", kind, float64(used)/1e6, benchN, float64(used)/benchN)
			if used > 80e6 {
				t.Errorf("%s: %d bytes, want at most 80 MB", kind, used)
			}
			if err := Delete(context.Background(), s, kind); err != nil {
				t.Fatal(err)
			}
		})
	}
}

// BenchmarkRedisWrite and BenchmarkRedisScan are BenchmarkWrite and
// BenchmarkScan on a Redis of their own.
func BenchmarkRedisWrite(b *testing.B) {
	s, _ := openOwnRedis(b)
	for kind := range benchKinds {
		b.Run(kind, func(b *testing.B) { benchWrite(b, s, kind, sortedIDs(kind)) })
	}
}

func BenchmarkRedisScan(b *testing.B) {
	s, _ := openOwnRedis(b)
	for kind := range benchKinds {
		b.Run(kind, func(b *testing.B) {
			writeKind(b, s, kind, kind)
			benchScan(b, s, kind)
		})
	}
}
