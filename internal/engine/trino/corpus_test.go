//go:build distributed

package trino_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/segmentd/segmentd/internal/cassandra"
	"github.com/segmentd/segmentd/internal/compact"
	"github.com/segmentd/segmentd/internal/compile"
	"github.com/segmentd/segmentd/internal/corpus"
	"github.com/segmentd/segmentd/internal/engine/trino"
	"github.com/segmentd/segmentd/internal/enginetest"
	"github.com/segmentd/segmentd/internal/store"
	"github.com/segmentd/segmentd/internal/store/sqlstore"
)

func env(t *testing.T, name, hint string) string {
	t.Helper()
	v := os.Getenv(name)
	if v == "" {
		t.Fatalf("%s is not set: %s", name, hint)
	}
	return v
}

// TestCorpusAgreement loads the corpus data through the ingestion path
// into Cassandra, in two phases with a compaction into Parquet on S3
// between them (so history, fresh partitions and late events all hold
// part of it, and retried events of compacted days are late duplicates),
// and runs every tree on Trino: the members must be the reference
// evaluator's, and so must those of 40 random trees
// (enginetest.RandomAgreement). The corpus runs again after a second
// compaction.
func TestCorpusAgreement(t *testing.T) {
	ctx := context.Background()
	dsn := env(t, "SEGMENTD_TEST_TRINO", "run deploy/local/up.sh and set it to http://segmentd@127.0.0.1:<port>")
	hosts := env(t, "SEGMENTD_TEST_CASSANDRA", "run deploy/local/cassandra.sh start and set it to 127.0.0.1:9042")
	const ks = "segmentd_test"
	app := fmt.Sprint("corpus", time.Now().Unix())

	fresh, err := cassandra.Open(ctx, cassandra.Config{Hosts: strings.Split(hosts, ","), Keyspace: ks, Buckets: 4})
	if err != nil {
		t.Fatal(err)
	}
	defer fresh.Close()
	tables := compile.Tables{Users: "cassandra." + ks + ".users", Events: "cassandra." + ks + ".events",
		History: "hive." + ks + ".events_history", Late: "cassandra." + ks + ".late_events"}
	eng, err := trino.Open(ctx, trino.Config{DSN: dsn, Tables: tables, HistoryLocation: "s3://segmentd/" + ks + "/", QueryTimeout: 5 * time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	defer eng.Close()
	st, err := sqlstore.Open(ctx, "sqlite:"+filepath.Join(t.TempDir(), "s.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if _, err := st.CreateApp(ctx, store.App{ID: app, TimeZone: corpus.TimeZone}); err != nil {
		t.Fatal(err)
	}
	overwrite, err := eng.Session(map[string]string{"hive.insert_existing_partitions_behavior": "OVERWRITE"})
	if err != nil {
		t.Fatal(err)
	}
	appendDB, err := eng.Session(map[string]string{"hive.insert_existing_partitions_behavior": "APPEND"})
	if err != nil {
		t.Fatal(err)
	}
	stores := &trino.Compaction{Overwrite: overwrite, Append: appendDB, Tables: tables, Fresh: fresh}
	enginetest.CompactionAgreement(t, enginetest.Compaction{
		AppID: app, Store: st, Engine: eng, Writer: fresh, SetNow: fresh.SetNow,
		Stores:  stores,
		Eraser:  &compact.Eraser{Stores: stores, State: st},
		Failing: &compact.Eraser{Stores: enginetest.FailFresh(stores), State: st},
		Split:   func(b time.Time) *compile.Split { return trino.Split(b, corpus.AsOf, fresh.Config().Buckets) },
		// 80 random trees took 29.5 minutes on 2 cores under a load of 20
		// (2026-12-05), most of it in the largest trees: 40 here.
		RandomTrees: 40,
	})
}
