//go:build distributed

package cassandra

import (
	"context"
	"fmt"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/segmentd/segmentd/internal/dataset"
)

// open connects to SEGMENTD_TEST_CASSANDRA (host:port list) with a
// keyspace of this run; an unset variable or an unreachable node fails.
func open(t *testing.T) *Store {
	t.Helper()
	hosts := os.Getenv("SEGMENTD_TEST_CASSANDRA")
	if hosts == "" {
		t.Fatal("SEGMENTD_TEST_CASSANDRA is not set: run deploy/local/cassandra.sh start and set it to 127.0.0.1:9042")
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	st, err := Open(ctx, Config{Hosts: strings.Split(hosts, ","), Keyspace: "segmentd_test", Buckets: 4})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(st.Close)
	return st
}

// app is a fresh app ID, so tests share the keyspace without meeting.
func app(t *testing.T) string {
	return fmt.Sprintf("t%d", time.Now().UnixNano())
}

func TestWriteEvents(t *testing.T) {
	st := open(t)
	ctx := context.Background()
	now := time.Date(2026, 11, 10, 12, 0, 0, 0, time.UTC)
	st.now = func() time.Time { return now }
	a := app(t)
	at := func(s string) time.Time { tt, _ := time.Parse(time.RFC3339, s); return tt }
	batch := []dataset.Event{
		{EventID: "e1", UserID: "u1", Name: "$buy", Time: at("2026-11-10T10:00:00Z"), Properties: map[string]any{"total": 5.0}},
		{EventID: "e2", UserID: "u1", Name: "$session", Time: at("2026-11-09T10:00:00Z")},
		// older than the 48-hour horizon (2026-11-08): late
		{EventID: "e3", UserID: "u1", Name: "$session", Time: at("2026-11-01T10:00:00Z")},
	}
	for range 2 { // a retry adds nothing
		if n, err := st.WriteEvents(ctx, a, batch); err != nil || n != 3 {
			t.Fatal(n, err)
		}
	}
	var fresh, late int
	if err := st.s.Query("SELECT count(*) FROM "+st.cfg.Keyspace+".late_events WHERE app_id = ? AND bucket IN ?", a, st.buckets()).Scan(&late); err != nil {
		t.Fatal(err)
	}
	for _, day := range []string{"2026-11-09", "2026-11-10"} {
		var n int
		if err := st.s.Query("SELECT count(*) FROM "+st.cfg.Keyspace+".events WHERE app_id = ? AND day = ? AND bucket IN ?", a, day, st.buckets()).Scan(&n); err != nil {
			t.Fatal(err)
		}
		fresh += n
	}
	if fresh != 2 || late != 1 {
		t.Fatalf("fresh %d late %d, want 2 and 1", fresh, late)
	}
	u, evs, err := st.UserData(ctx, a, "u1")
	if err != nil {
		t.Fatal(err)
	}
	if len(evs) != 3 || evs[0].EventID != "e3" || evs[2].Properties["total"] != 5.0 {
		t.Fatalf("%+v", evs)
	}
	if !u.FirstSeen.Equal(at("2026-11-01T10:00:00Z")) || !u.LastSeen.Equal(at("2026-11-10T10:00:00Z")) {
		t.Fatalf("first %v last %v", u.FirstSeen, u.LastSeen)
	}
	// A later batch with an older event moves first_seen back, a newer one
	// last_seen forward, whatever the order of writes.
	if _, err := st.WriteEvents(ctx, a, []dataset.Event{
		{EventID: "e4", UserID: "u1", Name: "x", Time: at("2026-10-01T00:00:00Z")},
		{EventID: "e5", UserID: "u1", Name: "x", Time: at("2026-11-10T11:00:00Z")},
	}); err != nil {
		t.Fatal(err)
	}
	if _, err := st.WriteEvents(ctx, a, []dataset.Event{{EventID: "e6", UserID: "u1", Name: "x", Time: at("2026-11-05T00:00:00Z")}}); err != nil {
		t.Fatal(err)
	}
	u, err = st.GetUser(ctx, a, "u1")
	if err != nil {
		t.Fatal(err)
	}
	if !u.FirstSeen.Equal(at("2026-10-01T00:00:00Z")) || !u.LastSeen.Equal(at("2026-11-10T11:00:00Z")) {
		t.Fatalf("first %v last %v", u.FirstSeen, u.LastSeen)
	}
	wm, err := st.Watermark(ctx, a)
	if err != nil || !wm.Equal(now) {
		t.Fatalf("watermark %v %v", wm, err)
	}
}

func TestProfiles(t *testing.T) {
	st := open(t)
	ctx := context.Background()
	a := app(t)
	if _, err := st.GetUser(ctx, a, "nobody"); err == nil {
		t.Fatal("a missing user was found")
	}
	u, err := st.PutUser(ctx, a, "u1", map[string]any{"country": "JP", "vip": true, "gone": nil})
	if err != nil {
		t.Fatal(err)
	}
	if len(u.Attributes) != 2 || u.Attributes["country"] != "JP" {
		t.Fatalf("%+v", u)
	}
	// Concurrent patches of different keys all land.
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := st.PatchUser(ctx, a, "u1", map[string]any{fmt.Sprint("k", i): float64(i)}); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	u, err = st.PatchUser(ctx, a, "u1", map[string]any{"vip": nil})
	if err != nil {
		t.Fatal(err)
	}
	if len(u.Attributes) != 9 || u.Attributes["k7"] != 7.0 {
		t.Fatalf("%+v", u.Attributes)
	}
	if _, has := u.Attributes["vip"]; has {
		t.Fatal("null did not delete vip")
	}
	// PATCH creates a user.
	if u, err = st.PatchUser(ctx, a, "u2", map[string]any{"plan": "gold"}); err != nil || u.Attributes["plan"] != "gold" {
		t.Fatal(u, err)
	}
}
