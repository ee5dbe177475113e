//go:build distributed

package segbench

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/segmentd/segmentd/internal/cassandra"
	"github.com/segmentd/segmentd/internal/compact"
	"github.com/segmentd/segmentd/internal/compile"
	"github.com/segmentd/segmentd/internal/corpus"
	"github.com/segmentd/segmentd/internal/dataset"
	"github.com/segmentd/segmentd/internal/engine/trino"
	"github.com/segmentd/segmentd/internal/enginetest"
	"github.com/segmentd/segmentd/internal/record"
	"github.com/segmentd/segmentd/internal/store"
	"github.com/segmentd/segmentd/internal/store/sqlstore"
	"github.com/segmentd/segmentd/segment"
)

// TestTrinoHandSQL runs the hand-written Trino query of every tree of the
// suite over the corpus data (3,000 users, Europe/Berlin, a DST change the
// week before as_of) on the real distributed path: they must select
// exactly the reference evaluator's members. The data is written as the
// server writes it, into Cassandra, and a compaction moves all but the
// last days into Parquet on S3; then events of compacted days arrive late,
// some new and some retries of events history holds, so that each query
// reads all three stores and must count every event once.
func TestTrinoHandSQL(t *testing.T) {
	ctx := context.Background()
	cfg := TrinoConfig{URL: os.Getenv("SEGMENTD_TEST_TRINO"), Cassandra: os.Getenv("SEGMENTD_TEST_CASSANDRA"),
		Keyspace: "segmentd_test", Buckets: 4, HistoryLocation: "s3://segmentd/segmentd_test/"}
	if cfg.URL == "" || cfg.Cassandra == "" {
		// Under CI a server that cannot be reached fails the run: no skip.
		t.Fatal("SEGMENTD_TEST_TRINO and SEGMENTD_TEST_CASSANDRA must be set (make test-distributed sets them after deploy/local/up.sh)")
	}
	d, err := openDistributed(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	appendDB, err := d.trino.Session(map[string]string{"hive.insert_existing_partitions_behavior": "APPEND"})
	if err != nil {
		t.Fatal(err)
	}
	defer appendDB.Close()
	st, err := sqlstore.Open(ctx, "sqlite:"+filepath.Join(t.TempDir(), "s.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	app := fmt.Sprint("segbench", time.Now().Unix())
	if _, err := st.CreateApp(ctx, store.App{ID: app, TimeZone: corpus.TimeZone}); err != nil {
		t.Fatal(err)
	}
	fresh, tables := d.fresh, cfg.tables()

	data := corpus.Dataset()
	began := time.Now()
	// Nothing is in history yet: the boundary is the data's first day, and
	// writers whose clock is there send every event to the fresh store.
	start := cassandra.Day(corpus.Config.Start)
	if err := st.SetCompaction(ctx, store.Compaction{AppID: app, Boundary: start, Cleaned: start}); err != nil {
		t.Fatal(err)
	}
	events := slices.Clone(data.Events)
	rand.New(rand.NewPCG(7, 8)).Shuffle(len(events), func(i, j int) { events[i], events[j] = events[j], events[i] })
	var held []record.Event // old events that will arrive late
	var rest []record.Event
	for _, e := range events {
		if len(held) < 300 && e.Time.Before(corpus.AsOf.AddDate(0, 0, -10)) {
			held = append(held, e)
		} else {
			rest = append(rest, e)
		}
	}
	write := func(now time.Time, evs []record.Event) {
		t.Helper()
		fresh.SetNow(func() time.Time { return now })
		for lo := 0; lo < len(evs); lo += 1000 {
			if _, err := fresh.WriteEvents(ctx, app, evs[lo:min(lo+1000, len(evs))]); err != nil {
				t.Fatal(err)
			}
		}
	}
	write(start, rest)
	var stored []record.User
	for _, u := range data.Users {
		got, err := fresh.PutUser(ctx, app, u.UserID, u.Attributes)
		if err != nil {
			t.Fatal(err)
		}
		stored = append(stored, got)
	}
	comp := &compact.Compactor{Stores: &trino.Compaction{Overwrite: d.overwrite, Append: appendDB, Tables: tables, Fresh: fresh},
		State: st, Margin: time.Hour, Now: func() time.Time { return corpus.AsOf }}
	res, err := comp.Run(ctx, app)
	if err != nil {
		t.Fatal(err)
	}
	// Then, at as_of, the held events arrive late (history lacks them), and
	// 300 retries of events written before (late duplicates of history,
	// or the same rows again in the fresh days).
	write(corpus.AsOf, append(held, rest[:300]...))
	t.Logf("%d events and %d profiles written, %d days compacted (boundary %s), 600 more at as_of, in %s",
		len(rest), len(stored), res.Days, res.Boundary.Format(time.DateOnly), time.Since(began).Round(time.Second))

	s := enginetest.Setup{AppID: app, Data: &dataset.Data{Users: stored, Events: data.Events}, AsOf: corpus.AsOf, Location: corpus.Location()}
	opt := compile.Options{AppID: app, AsOf: corpus.AsOf, Location: corpus.Location(), Split: trino.Split(res.Boundary, corpus.AsOf, cfg.Buckets)}
	agree(t, engineMembers(d.trino), s, func(t *testing.T, tree Tree, _ segment.Node) map[string]*compile.SQL {
		q, err := tree.HandQuery("trino", opt, tables)
		if err != nil {
			t.Fatal(err)
		}
		return map[string]*compile.SQL{"hand": q}
	})
}
