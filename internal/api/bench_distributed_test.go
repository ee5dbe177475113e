//go:build distributed

package api_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/segmentd/segmentd/internal/api"
	"github.com/segmentd/segmentd/internal/cassandra"
	"github.com/segmentd/segmentd/internal/demo"
	"github.com/segmentd/segmentd/internal/record"
	"github.com/segmentd/segmentd/internal/store"
	"github.com/segmentd/segmentd/internal/store/sqlstore"
)

// BenchmarkSegmentMemberCassandra is BenchmarkDemo's SegmentMember on the
// distributed path: GET /segments/{id}/members/{user_id} of the worked
// example for a user with heavyEvents events in the Cassandra of
// SEGMENTD_TEST_CASSANDRA (unset: the benchmark fails), one request at a
// time, and UserData, the user's partition read alone. The route reads
// only Cassandra, so the backend has no Trino. The app is new on every
// run and holds this one user. Issue 5: p99 ≤ 20 ms.
func BenchmarkSegmentMemberCassandra(b *testing.B) {
	hosts := os.Getenv("SEGMENTD_TEST_CASSANDRA")
	if hosts == "" {
		b.Fatal("SEGMENTD_TEST_CASSANDRA is not set: run deploy/local/cassandra.sh start and set it to 127.0.0.1:9042")
	}
	ctx := context.Background()
	fresh, err := cassandra.Open(ctx, cassandra.Config{Hosts: strings.Split(hosts, ","), Keyspace: "segmentd_bench"})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(fresh.Close)
	st, err := sqlstore.Open(ctx, "sqlite:"+filepath.Join(b.TempDir(), "segmentd.db"))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { st.Close() })
	app := fmt.Sprintf("bench%d", time.Now().UnixNano())
	if _, err := st.CreateApp(ctx, store.App{ID: app, TimeZone: demo.TimeZone}); err != nil {
		b.Fatal(err)
	}
	file, err := os.ReadFile("../demo/segments/seg_demo_worked_example.json")
	if err != nil {
		b.Fatal(err)
	}
	var saved struct{ Tree json.RawMessage }
	if err := json.Unmarshal(file, &saved); err != nil {
		b.Fatal(err)
	}
	const seg = "seg_worked_example"
	if _, err := st.CreateSegment(ctx, store.Segment{AppID: app, ID: seg, Name: "worked example", Tree: string(saved.Tree)}); err != nil {
		b.Fatal(err)
	}
	text, key := api.NewKey(app)
	if err := st.CreateKey(ctx, key); err != nil {
		b.Fatal(err)
	}
	events := heavyUserEvents(time.Now())
	for i := 0; i < len(events); i += 100 {
		if _, err := fresh.WriteEvents(ctx, app, events[i:i+100]); err != nil {
			b.Fatal(err)
		}
	}
	srv := httptest.NewServer(api.New(api.Config{Store: st, Fresh: fresh}))
	b.Cleanup(srv.Close)
	u := srv.URL + "/v1/apps/" + app + "/segments/" + seg + "/members/" + heavyUser
	var m struct{ Member bool }
	getJSON(b, u, text, &m)
	b.Logf("%s is a member of the worked example: %v", heavyUser, m.Member)

	b.Run("SegmentMember/heavy", func(b *testing.B) {
		latencies(b, func() { getJSON(b, u, text, &m) })
	})
	b.Run("UserData/heavy", func(b *testing.B) {
		latencies(b, func() {
			if _, evs, err := fresh.UserData(ctx, app, heavyUser, record.AllEvents); err != nil || len(evs) != heavyEvents {
				b.Fatalf("%d events, %v", len(evs), err)
			}
		})
	})
}
