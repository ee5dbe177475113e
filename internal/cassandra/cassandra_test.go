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

	"github.com/segmentd/segmentd/internal/ingest/ingesttest"
	"github.com/segmentd/segmentd/internal/record"
)

// open connects to SEGMENTD_TEST_CASSANDRA (host:port list) with a
// keyspace of this run; an unset variable or an unreachable node fails.
func open(t testing.TB) *Store {
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
func app(t testing.TB) string {
	return fmt.Sprintf("t%d", time.Now().UnixNano())
}

func TestWriteEvents(t *testing.T) {
	st := open(t)
	ctx := context.Background()
	now := time.Date(2026, 11, 10, 12, 0, 0, 0, time.UTC)
	st.now = func() time.Time { return now }
	a := app(t)
	at := func(s string) time.Time { tt, _ := time.Parse(time.RFC3339, s); return tt }
	batch := []record.Event{
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
	u, evs, err := st.UserData(ctx, a, "u1", record.AllEvents)
	if err != nil {
		t.Fatal(err)
	}
	if len(evs) != 3 || evs[0].EventID != "e3" || evs[2].Properties["total"] != 5.0 {
		t.Fatalf("%+v", evs)
	}
	if !u.FirstSeen.Equal(at("2026-11-01T10:00:00Z")) || !u.LastSeen.Equal(at("2026-11-10T10:00:00Z")) {
		t.Fatalf("first %v last %v", u.FirstSeen, u.LastSeen)
	}
	// Only the names read, with properties only where they are read.
	_, evs, err = st.UserData(ctx, a, "u1", record.Reads{Names: map[string]bool{"$buy": false}})
	if err != nil || len(evs) != 1 || evs[0].EventID != "e1" || evs[0].Properties != nil {
		t.Fatalf("$buy without properties: %+v %v", evs, err)
	}
	// A later batch with an older event moves first_seen back, a newer one
	// last_seen forward, whatever the order of writes.
	if _, err := st.WriteEvents(ctx, a, []record.Event{
		{EventID: "e4", UserID: "u1", Name: "x", Time: at("2026-10-01T00:00:00Z")},
		{EventID: "e5", UserID: "u1", Name: "x", Time: at("2026-11-10T11:00:00Z")},
	}); err != nil {
		t.Fatal(err)
	}
	if _, err := st.WriteEvents(ctx, a, []record.Event{{EventID: "e6", UserID: "u1", Name: "x", Time: at("2026-11-05T00:00:00Z")}}); err != nil {
		t.Fatal(err)
	}
	u, err = st.GetUser(ctx, a, "u1")
	if err != nil {
		t.Fatal(err)
	}
	if !u.FirstSeen.Equal(at("2026-10-01T00:00:00Z")) || !u.LastSeen.Equal(at("2026-11-10T11:00:00Z")) {
		t.Fatalf("first %v last %v", u.FirstSeen, u.LastSeen)
	}
	// Four batches in the same instant: four microseconds.
	wm, err := st.Watermark(ctx, a)
	if want := now.Add(3 * time.Microsecond); err != nil || !wm.Equal(want) {
		t.Fatalf("watermark %v %v, want %v", wm, err, want)
	}
}

func TestProfileRules(t *testing.T) {
	ingesttest.ProfileRules(t, open(t), app(t))
}

func TestEventRules(t *testing.T) {
	st := open(t)
	ingesttest.EventRules(t, st, app(t), st.now())
}

// servers are two stores on their own sessions: two segmentd servers of
// one deployment. Their clocks stand still at the same instant, the worst
// case for a watermark taken from a clock.
func servers(t *testing.T) [2]*Store {
	at := time.Date(2026, 11, 10, 12, 0, 0, 0, time.UTC)
	s := [2]*Store{open(t), open(t)}
	for _, st := range s {
		st.now = func() time.Time { return at }
	}
	return s
}

// TestWatermarkAcrossServers: concurrent moves of one app's watermark on
// two servers each give a watermark past the one read before, and no two
// give the same.
func TestWatermarkAcrossServers(t *testing.T) {
	s := servers(t)
	ctx := context.Background()
	a := app(t)
	const writers, moves = 4, 10
	var mu sync.Mutex
	seen := map[time.Time]bool{}
	var wg sync.WaitGroup
	for i := range 2 * writers {
		st := s[i%2]
		wg.Go(func() {
			for range moves {
				before, err := st.Watermark(ctx, a)
				if err != nil {
					t.Error(err)
					return
				}
				w, err := st.advance(ctx, a)
				if err != nil {
					t.Error(err)
					return
				}
				if !w.After(before) {
					t.Errorf("watermark %v after %v", w, before)
				}
				mu.Lock()
				if seen[w] {
					t.Errorf("two moves gave %v", w)
				}
				seen[w] = true
				mu.Unlock()
			}
		})
	}
	wg.Wait()
}

// TestEveryWriteMovesWatermark: every kind of write, from concurrent
// writers on two servers in the same instant, moves the watermark.
func TestEveryWriteMovesWatermark(t *testing.T) {
	s := servers(t)
	ingesttest.WatermarkRules(t, []ingesttest.Writer{s[0], s[1]}, app(t), s[0].now())
}
