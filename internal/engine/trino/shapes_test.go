//go:build distributed

package trino_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/segmentd/segmentd/internal/cassandra"
	"github.com/segmentd/segmentd/internal/compile"
	"github.com/segmentd/segmentd/internal/dataset"
	"github.com/segmentd/segmentd/internal/engine/trino"
	"github.com/segmentd/segmentd/internal/enginetest"
	"github.com/segmentd/segmentd/internal/record"
)

// TestShapesAgreement runs the typing cases of enginetest.Shapes on Trino
// over the fresh store: the members must be the reference evaluator's.
func TestShapesAgreement(t *testing.T) {
	ctx := context.Background()
	eng := open(t)
	hosts := env(t, "SEGMENTD_TEST_CASSANDRA", "run deploy/local/cassandra.sh start and set it to 127.0.0.1:9042")
	fresh, err := cassandra.Open(ctx, cassandra.Config{Hosts: strings.Split(hosts, ","), Keyspace: "segmentd_test", Buckets: 4})
	if err != nil {
		t.Fatal(err)
	}
	defer fresh.Close()
	app := fmt.Sprint("shapes", time.Now().UnixNano())
	data, cases := enginetest.Shapes(false)
	fresh.SetNow(func() time.Time { return enginetest.ShapesAsOf })
	if _, err := fresh.WriteEvents(ctx, app, data.Events); err != nil {
		t.Fatal(err)
	}
	stored := &dataset.Data{Events: data.Events}
	for _, u := range data.Users {
		if _, err := fresh.PutUser(ctx, app, u.UserID, u.Attributes); err != nil {
			t.Fatal(err)
		}
	}
	// Every profile as stored (first_seen and last_seen), and any the
	// events made (Shapes has a user with events and no profile).
	ids := map[string]bool{}
	for _, u := range data.Users {
		ids[u.UserID] = true
	}
	for _, e := range data.Events {
		ids[e.UserID] = true
	}
	for id := range ids {
		got, err := fresh.GetUser(ctx, app, id)
		if errors.Is(err, record.ErrNotFound) {
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		stored.Users = append(stored.Users, got)
	}
	boundary := cassandra.Day(data.Events[0].Time)
	s := enginetest.Setup{AppID: app, Data: stored, AsOf: enginetest.ShapesAsOf, Location: time.UTC,
		Split: trino.Split(boundary, enginetest.ShapesAsOf, fresh.Config().Buckets)}
	enginetest.Agreement(t, eng, s, cases, compile.Fused)
}
