//go:build distributed

package trino_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/segmentd/segmentd/internal/cassandra"
	"github.com/segmentd/segmentd/internal/compile"
	"github.com/segmentd/segmentd/internal/corpus"
	"github.com/segmentd/segmentd/internal/dataset"
	"github.com/segmentd/segmentd/internal/engine/trino"
	"github.com/segmentd/segmentd/internal/enginetest"
	"github.com/segmentd/segmentd/segment"
)

// maxStages bounds the stages of any plan: the split's sources, the
// scan's aggregation and the join with the users, whatever the tree.
// Trino refuses a plan of more than 150 (query.max-stage-count).
const maxStages = 16

// TestLargestTrees runs the largest trees the limits allow (64 children,
// depth 16, 256 nodes after expanding references, 16-step funnels) and
// 16-step funnels one at a time on Trino over events in the fresh store
// and in late events (history is read too, and empty): the members must
// be the reference evaluator's, and every plan must have at most
// maxStages stages.
func TestLargestTrees(t *testing.T) {
	ctx := context.Background()
	eng := open(t)
	hosts := env(t, "SEGMENTD_TEST_CASSANDRA", "run deploy/local/cassandra.sh start and set it to 127.0.0.1:9042")
	fresh, err := cassandra.Open(ctx, cassandra.Config{Hosts: strings.Split(hosts, ","), Keyspace: "segmentd_test", Buckets: 4})
	if err != nil {
		t.Fatal(err)
	}
	defer fresh.Close()
	app := fmt.Sprint("largest", time.Now().UnixNano())

	// Forty days of activity: at this clock the last two days are fresh,
	// the others late events.
	start := corpus.AsOf.AddDate(0, 0, -40)
	data := dataset.Generate(dataset.Config{Users: 300, Events: 9000, Seed: 16, Start: start,
		End: corpus.AsOf.AddDate(0, 0, 1), AsOf: corpus.AsOf, TimeZone: corpus.TimeZone})
	fresh.SetNow(func() time.Time { return corpus.AsOf })
	for lo := 0; lo < len(data.Events); lo += 1000 {
		if _, err := fresh.WriteEvents(ctx, app, data.Events[lo:min(lo+1000, len(data.Events))]); err != nil {
			t.Fatal(err)
		}
	}
	stored := &dataset.Data{Events: data.Events}
	for _, u := range data.Users {
		if _, err := fresh.PutUser(ctx, app, u.UserID, u.Attributes); err != nil {
			t.Fatal(err)
		}
		got, err := fresh.GetUser(ctx, app, u.UserID) // with first_seen and last_seen as stored
		if err != nil {
			t.Fatal(err)
		}
		stored.Users = append(stored.Users, got)
	}

	boundary := cassandra.Day(start)
	s := enginetest.Setup{AppID: app, Data: stored, AsOf: corpus.AsOf, Location: corpus.Location(),
		Lookup: corpus.LargestLookup(), Split: trino.Split(boundary, corpus.AsOf, fresh.Config().Buckets)}
	var cases []enginetest.Case
	for _, c := range append(corpus.Largest(), corpus.LargestFunnels(8)...) {
		cases = append(cases, enginetest.Case{Name: c.Name, JSON: c.JSON})
	}
	enginetest.Agreement(t, eng, s, cases, compile.Fused)

	for _, c := range cases {
		tree, err := segment.Decode(c.JSON, "")
		if err == nil {
			tree, err = segment.Expand(ctx, tree, "", s.Lookup)
		}
		if err != nil {
			t.Fatal(err)
		}
		opt := compile.Options{AppID: app, AsOf: s.AsOf, Location: s.Location, Split: s.Split}
		q, err := compile.Compile(tree, eng.Dialect(), opt, eng.Tables())
		if err != nil {
			t.Fatal(err)
		}
		n, err := eng.Stages(ctx, q)
		if err != nil {
			t.Fatalf("%s: %v", c.Name, err)
		}
		t.Logf("%s: %d members, %d stages", c.Name, len(enginetest.Expected(tree, s)), n)
		if n > maxStages {
			t.Errorf("%s: %d stages, more than %d", c.Name, n, maxStages)
		}
	}
}
