//go:build distributed

package trino_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/segmentd/segmentd/internal/cassandra"
	"github.com/segmentd/segmentd/internal/compact"
	"github.com/segmentd/segmentd/internal/compile"
	"github.com/segmentd/segmentd/internal/corpus"
	"github.com/segmentd/segmentd/internal/dataset"
	"github.com/segmentd/segmentd/internal/engine/trino"
	"github.com/segmentd/segmentd/internal/enginetest"
	"github.com/segmentd/segmentd/internal/store"
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
// evaluator's. It runs again after a second compaction.
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
	st, err := store.Open(ctx, "sqlite:"+filepath.Join(t.TempDir(), "s.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if _, err := st.CreateApp(ctx, store.App{ID: app, TimeZone: corpus.TimeZone}); err != nil {
		t.Fatal(err)
	}
	// Nothing is in history yet: the boundary is the data's first day.
	start := cassandra.Day(corpus.Config.Start)
	if err := st.SetCompaction(ctx, store.Compaction{AppID: app, Boundary: start, Cleaned: start}); err != nil {
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
	comp := &compact.Compactor{Overwrite: overwrite, Append: appendDB, Tables: tables, Fresh: fresh, State: st, Margin: time.Hour}

	data := corpus.Dataset()
	events := slices.Clone(data.Events)
	rand.New(rand.NewPCG(5, 6)).Shuffle(len(events), func(i, j int) { events[i], events[j] = events[j], events[i] })
	write := func(now time.Time, evs []dataset.Event) {
		t.Helper()
		fresh.SetNow(func() time.Time { return now })
		for lo := 0; lo < len(evs); lo += 1000 {
			if _, err := fresh.WriteEvents(ctx, app, evs[lo:min(lo+1000, len(evs))]); err != nil {
				t.Fatal(err)
			}
		}
	}
	began := time.Now()
	now1 := corpus.AsOf.Add(-20 * 24 * time.Hour)
	var phase1, phase2 []dataset.Event
	for _, e := range events {
		if e.Time.After(now1) {
			phase2 = append(phase2, e)
		} else {
			phase1 = append(phase1, e)
		}
	}
	write(now1, phase1)
	stored := &dataset.Data{Events: data.Events}
	for _, u := range data.Users {
		if _, err := fresh.PutUser(ctx, app, u.UserID, u.Attributes); err != nil {
			t.Fatal(err)
		}
	}
	t.Logf("phase 1: %d events and %d profiles written in %s", len(phase1), len(data.Users), time.Since(began))

	comp.Now = func() time.Time { return now1.Add(72 * time.Hour) }
	res, err := comp.Run(ctx, app)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("compaction 1: %d days, %d late events, boundary %s, copy %s", res.Days, res.Late, res.Boundary.Format(time.DateOnly), res.CopyDuration)

	// Phase 2: the rest, and 500 retries of events compacted already.
	write(corpus.AsOf.Add(4*24*time.Hour), append(phase2, phase1[:500]...))
	for _, u := range data.Users {
		got, err := fresh.GetUser(ctx, app, u.UserID)
		if err != nil {
			got = dataset.User{UserID: u.UserID, Attributes: u.Attributes}
		}
		stored.Users = append(stored.Users, got)
	}

	var cases []enginetest.Case
	for _, c := range corpus.Cases() {
		cases = append(cases, enginetest.Case{Name: c.Name, JSON: c.JSON})
	}
	agree := func(label string, cases []enginetest.Case) {
		c, err := compact.Boundary(ctx, st, fresh, app)
		if err != nil {
			t.Fatal(err)
		}
		s := enginetest.Setup{AppID: app, Data: stored, AsOf: corpus.AsOf, Location: corpus.Location(), Lookup: corpus.Lookup(),
			Split: trino.Split(c.Boundary, corpus.AsOf, fresh.Config().Buckets)}
		began := time.Now()
		t.Run(label, func(t *testing.T) { enginetest.Agreement(t, eng, s, cases, compile.Fused) })
		t.Logf("%s: %d trees on Trino in %s (boundary %s)", label, len(cases), time.Since(began), c.Boundary.Format(time.DateOnly))
	}
	agree("after-first-compaction", cases)

	// A compaction that dies after copying, before it moves the
	// boundary: queries stay exact; run again, it finishes.
	comp.Now = func() time.Time { return corpus.AsOf.Add(7 * 24 * time.Hour) }
	comp.State = &failingState{State: st, failAt: 1}
	if _, err := comp.Run(ctx, app); !errors.Is(err, errCrash) {
		t.Fatalf("the crashed run returned %v", err)
	}
	agree("after-a-compaction-died-copying", cases[:40])
	// One that dies after moving the boundary, before recording its
	// cleanup.
	comp.State = &failingState{State: st, failAt: 2}
	if _, err := comp.Run(ctx, app); !errors.Is(err, errCrash) {
		t.Fatalf("the crashed run returned %v", err)
	}
	agree("after-a-compaction-died-cleaning", cases[:40])
	comp.State = st
	if res, err = comp.Run(ctx, app); err != nil {
		t.Fatal(err)
	}
	t.Logf("compaction 2: %d days, %d late events, boundary %s, copy %s", res.Days, res.Late, res.Boundary.Format(time.DateOnly), res.CopyDuration)
	agree("after-second-compaction", cases)
}

var errCrash = errors.New("the compaction died here")

// failingState fails the failAt-th SetCompaction, as a compaction that
// dies at that point would.
type failingState struct {
	compact.State
	failAt, calls int
}

func (f *failingState) SetCompaction(ctx context.Context, c store.Compaction) error {
	if f.calls++; f.calls == f.failAt {
		return errCrash
	}
	return f.State.SetCompaction(ctx, c)
}
