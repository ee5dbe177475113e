//go:build distributed

package api

import (
	"context"
	"os"
	"strings"
	"testing"

	"github.com/segmentd/segmentd/internal/cassandra"
	"github.com/segmentd/segmentd/internal/compact"
	"github.com/segmentd/segmentd/internal/compile"
	"github.com/segmentd/segmentd/internal/engine"
	"github.com/segmentd/segmentd/internal/engine/trino"
	"github.com/segmentd/segmentd/internal/ingest"
	"github.com/segmentd/segmentd/internal/store/sqlstore"
)

// TestTwoAppsNeverShareACountDistributed is TestTwoAppsNeverShareACount
// on Cassandra and Trino, where the cache is shared by every server.
func TestTwoAppsNeverShareACountDistributed(t *testing.T) {
	twoAppsApart(t, func(st *sqlstore.SQL) (engine.Engine, ingest.Fresh) { return openDistributed(t, st) }, "dist")
}

// openDistributed is the distributed data path of the test servers
// (SEGMENTD_TEST_CASSANDRA, SEGMENTD_TEST_TRINO), in the segmentd_test
// keyspace, with its compaction state in st: Trino, and Cassandra as
// the fresh store.
func openDistributed(t *testing.T, st *sqlstore.SQL) (engine.Engine, ingest.Fresh) {
	t.Helper()
	ctx := context.Background()
	hosts, dsn := os.Getenv("SEGMENTD_TEST_CASSANDRA"), os.Getenv("SEGMENTD_TEST_TRINO")
	if hosts == "" || dsn == "" {
		t.Fatal("SEGMENTD_TEST_CASSANDRA and SEGMENTD_TEST_TRINO must be set: run deploy/local/up.sh")
	}
	fresh, err := cassandra.Open(ctx, cassandra.Config{Hosts: strings.Split(hosts, ","), Keyspace: "segmentd_test", Buckets: 4})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(fresh.Close)
	eng, err := trino.Open(ctx, trino.Config{DSN: dsn, HistoryLocation: "s3://segmentd/segmentd_test/",
		Tables: compile.Tables{Users: "cassandra.segmentd_test.users", Events: "cassandra.segmentd_test.events",
			History: "hive.segmentd_test.events_history", Late: "cassandra.segmentd_test.late_events"}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { eng.Close() })
	eng.SplitBy(compact.BoundaryOf(st, fresh), fresh.Config().Buckets)
	return eng, fresh
}
