//go:build integration

package api

import (
	"testing"
	"time"

	"github.com/segmentd/segmentd/internal/cache"
	"github.com/segmentd/segmentd/internal/cache/cachetest"
)

// TestRunPurgeRedis is TestRunPurge with the snapshots in the Redis of
// SEGMENTD_TEST_REDIS: the purge deletes the snapshot from Redis at once.
func TestRunPurgeRedis(t *testing.T) {
	r, _ := cachetest.Redis(t)
	// Snapshot keys are not under the test's prefix: the new run's expires.
	testRunPurge(t, RunConfig{Cache: r, Local: cache.NewMemory(64 << 20), SnapshotTTL: 10 * time.Minute}, r)
}

// TestRunDiffRedis is TestRunDiff with the snapshots in the Redis of
// SEGMENTD_TEST_REDIS: the merge fetches the chunks of both from Redis.
func TestRunDiffRedis(t *testing.T) {
	r, _ := cachetest.Redis(t)
	testRunDiff(t, RunConfig{Cache: r, Local: cache.NewMemory(64 << 20), SnapshotTTL: 10 * time.Minute}, r)
}
