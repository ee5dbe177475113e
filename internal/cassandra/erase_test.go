//go:build distributed

package cassandra

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/segmentd/segmentd/internal/record"
)

// TestEraseUser erases a user with fresh and late events and a profile,
// twice over: nothing of it is left, another user is untouched, and the
// same ID's later events (dated before and after the old ones) make a new
// user whose first_seen and last_seen are its own.
func TestEraseUser(t *testing.T) {
	st := open(t)
	ctx := context.Background()
	now := time.Date(2026, 11, 10, 12, 0, 0, 0, time.UTC)
	st.now = func() time.Time { return now }
	a := app(t)
	at := func(d time.Duration) time.Time { return now.Add(-d) }
	for gen := range 3 {
		// 1,000 users a batch: the read of their generations takes them all.
		var batch []record.Event
		for i := range 1000 {
			batch = append(batch, record.Event{EventID: fmt.Sprintf("g%d-o%d", gen, i), UserID: fmt.Sprintf("other%d", i), Name: "x", Time: at(time.Hour)})
		}
		batch = append(batch,
			record.Event{EventID: fmt.Sprintf("g%d-fresh", gen), UserID: "u", Name: "x", Time: at(time.Duration(10+gen) * time.Hour)},
			record.Event{EventID: fmt.Sprintf("g%d-late", gen), UserID: "u", Name: "x", Time: at(time.Duration(200-gen*50) * time.Hour)})
		if _, err := st.WriteEvents(ctx, a, batch); err != nil {
			t.Fatal(err)
		}
		if _, err := st.PutUser(ctx, a, "u", map[string]any{"gen": float64(gen)}); err != nil {
			t.Fatal(err)
		}
		u, err := st.GetUser(ctx, a, "u")
		if err != nil {
			t.Fatal(err)
		}
		// Generation 1 and 2's events are earlier and later than the
		// erased ones: neither the old first nor the old last may win.
		if want := at(time.Duration(200-gen*50) * time.Hour); !u.FirstSeen.Equal(want) || !u.LastSeen.Equal(at(time.Duration(10+gen)*time.Hour)) {
			t.Fatalf("generation %d: first_seen %s, last_seen %s", gen, u.FirstSeen, u.LastSeen)
		}
		days, err := st.UserDays(ctx, a, "u")
		if err != nil || len(days) != 2 {
			t.Fatalf("generation %d: days %v, %v", gen, days, err)
		}
		wm, err := st.Watermark(ctx, a)
		if err != nil {
			t.Fatal(err)
		}
		if err := st.EraseUser(ctx, a, "u"); err != nil {
			t.Fatal(err)
		}
		if _, err := st.GetUser(ctx, a, "u"); !errors.Is(err, record.ErrNotFound) {
			t.Fatalf("generation %d: GetUser after the erasure: %v", gen, err)
		}
		if days, err := st.UserDays(ctx, a, "u"); err != nil || len(days) != 0 {
			t.Fatalf("generation %d: days after the erasure %v, %v", gen, days, err)
		}
		var rows int
		for _, q := range []string{
			"SELECT count(*) FROM " + st.cfg.Keyspace + ".late_events WHERE app_id = ? AND bucket IN ? AND user_id = 'u' ALLOW FILTERING",
		} {
			if err := st.s.Query(q, a, st.buckets()).Scan(&rows); err != nil || rows != 0 {
				t.Fatalf("generation %d: %d late events left, %v", gen, rows, err)
			}
		}
		for _, d := range []time.Time{Day(at(10 * time.Hour)), Day(at(11 * time.Hour)), Day(at(12 * time.Hour))} {
			if err := st.s.Query("SELECT count(*) FROM "+st.cfg.Keyspace+".events WHERE app_id = ? AND day = ? AND bucket IN ? AND user_id = 'u' ALLOW FILTERING",
				a, d.Format(time.DateOnly), st.buckets()).Scan(&rows); err != nil || rows != 0 {
				t.Fatalf("generation %d: %d events left on %s, %v", gen, rows, d, err)
			}
		}
		if after, err := st.Watermark(ctx, a); err != nil || !after.After(wm) {
			t.Fatalf("generation %d: the erasure left the watermark at %s (was %s), %v", gen, after, wm, err)
		}
		if _, err := st.GetUser(ctx, a, "other7"); err != nil {
			t.Fatalf("generation %d: another user: %v", gen, err)
		}
	}
}

// TestSeenStamps checks the bands: within a generation the later event
// has the larger last_seen stamp and the smaller first_seen stamp, and
// every stamp of a generation is above the tombstone of the one before.
func TestSeenStamps(t *testing.T) {
	early := time.Date(1971, 1, 1, 0, 0, 0, 0, time.UTC)
	late := time.Date(2100, 1, 1, 0, 0, 0, 0, time.UTC)
	for gen := 0; gen <= maxGen; gen++ {
		l1, f1 := seenStamps(early, gen)
		l2, f2 := seenStamps(late, gen)
		if l2 <= l1 || f2 >= f1 {
			t.Fatalf("generation %d: the later event does not win", gen)
		}
		for _, s := range []int64{l1, f1, l2, f2} {
			if s > seenTop(gen) || s < 0 || gen > 0 && s <= seenTop(gen-1) {
				t.Fatalf("generation %d: stamp %d outside (%d, %d]", gen, s, seenTop(max(gen-1, 0)), seenTop(gen))
			}
		}
	}
}

// BenchmarkGens is what erasure adds to every batch of events: the read
// of its users' generations, for a batch of 1,000 events of 100 or 1,000
// users, in an app with 1,000 erased IDs.
func BenchmarkGens(b *testing.B) {
	ctx := context.Background()
	st := open(b)
	a := app(b)
	for i := range 1000 {
		if err := st.s.Query("UPDATE "+st.cfg.Keyspace+".erasures SET gen = 1 WHERE app_id = ? AND user_id = ?", a, fmt.Sprint("e", i)).ExecContext(ctx); err != nil {
			b.Fatal(err)
		}
	}
	for _, n := range []int{100, 1000} {
		ids := make([]string, n)
		for i := range ids {
			ids[i] = fmt.Sprint("u", i)
		}
		ids[0] = "e7"
		b.Run(fmt.Sprint(n, "-users"), func(b *testing.B) {
			for b.Loop() {
				if g, err := st.gens(ctx, a, ids); err != nil || g["e7"] != 1 {
					b.Fatal(g, err)
				}
			}
		})
	}
}
