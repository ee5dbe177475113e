package duckdb_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/segmentd/segmentd/internal/engine/duckdb"
	"github.com/segmentd/segmentd/internal/record"
)

// TestRecluster: events ingested in arrival order are sorted in loadOrder
// by the committer when ingestion pauses, chunk by chunk, while writers
// keep writing between the chunks; each app keeps exactly its events, and
// the watermark does not move.
func TestRecluster(t *testing.T) {
	ctx := context.Background()
	eng := open(t)
	const chunk = 300
	duckdb.SetRecluster(eng, 1, 5*time.Millisecond, chunk, 1<<40)
	names := []string{"$buy", "view_item", "$session"}
	batch := func(app string, b, size int) []record.Event {
		events := make([]record.Event, size)
		for i := range events {
			n := b*size + i
			events[i] = record.Event{EventID: fmt.Sprintf("%s-%d", app, n), UserID: fmt.Sprintf("u%03d", (n*37)%101),
				Name: names[n%len(names)], Time: t0.Add(time.Duration(n) * time.Minute), Properties: map[string]any{"n": float64(n)}}
		}
		return events
	}
	// Two apps with the same user IDs, written by concurrent writers that
	// pause now and then, so that reclusters fall between their batches.
	want := map[string][]string{}
	var wg sync.WaitGroup
	var mu sync.Mutex
	for _, app := range []string{"a", "b"} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for b := range 12 {
				events := batch(app, b, 100)
				if _, err := eng.WriteEvents(ctx, app, events); err != nil {
					t.Error(err)
					return
				}
				mu.Lock()
				for _, ev := range events {
					want[app] = append(want[app], stored(app, ev))
				}
				mu.Unlock()
				time.Sleep(time.Duration(b%3) * 10 * time.Millisecond)
			}
		}()
	}
	wg.Wait()
	marks := map[string]time.Time{}
	for _, app := range []string{"a", "b"} {
		marks[app], _ = eng.Watermark(ctx, app)
	}
	deadline := time.Now().Add(30 * time.Second)
	for unclustered(t, eng) > 0 {
		if time.Now().After(deadline) {
			t.Fatalf("%d events still unclustered", unclustered(t, eng))
		}
		time.Sleep(10 * time.Millisecond)
	}
	for _, app := range []string{"a", "b"} {
		rows, err := eng.DB().QueryContext(ctx, `SELECT app_id, event_id, user_id, name, time, properties::VARCHAR FROM events WHERE app_id = ?`, app)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for rows.Next() {
			var a string
			var ev record.Event
			var props string
			if err := rows.Scan(&a, &ev.EventID, &ev.UserID, &ev.Name, &ev.Time, &props); err != nil {
				t.Fatal(err)
			}
			got = append(got, stored(a, ev)+" "+props)
		}
		rows.Close()
		wantApp := slices.Clone(want[app])
		for i, w := range wantApp {
			n := strings.TrimPrefix(strings.Fields(w)[1], app+"-")
			wantApp[i] = w + ` {"n":` + n + `}`
		}
		slices.Sort(got)
		slices.Sort(wantApp)
		if !slices.Equal(got, wantApp) {
			t.Fatalf("app %s holds %d events after reclustering, want its %d", app, len(got), len(wantApp))
		}
		if mark, _ := eng.Watermark(ctx, app); !mark.Equal(marks[app]) {
			t.Errorf("app %s: reclustering moved the watermark from %v to %v", app, marks[app], mark)
		}
	}
	// Each chunk is sorted: in row order, the order breaks at most once
	// between two chunks. A recluster sorts full chunks of 300 and then
	// what is left, so there are at most 2,400/300 full chunks and one
	// partial chunk for each of the 24 batches.
	var breaks int
	if err := eng.DB().QueryRowContext(ctx, `SELECT count(*) FILTER (WHERE (app_id, name, user_id, time) < prev) FROM (
		SELECT app_id, name, user_id, time, lag((app_id, name, user_id, time)) OVER (ORDER BY rowid) AS prev FROM events)`).Scan(&breaks); err != nil {
		t.Fatal(err)
	}
	if most := 2400/chunk + 24; breaks > most {
		t.Errorf("the order breaks %d times in row order, want at most %d", breaks, most)
	}
}

func stored(app string, ev record.Event) string {
	return fmt.Sprintf("%s %s %s %s %s", app, ev.EventID, ev.UserID, ev.Name, ev.Time.UTC().Format(time.RFC3339))
}

func unclustered(t *testing.T, eng *duckdb.Engine) int {
	t.Helper()
	var n int
	if err := eng.DB().QueryRow(`SELECT count(*) FROM events WHERE NOT clustered`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// TestReclusterSteadyStream: writers that never pause leave the
// committer no idle second, so past max unclustered events it sorts a
// chunk between two groups of batches: the unsorted tail stays within
// max and a chunk.
func TestReclusterSteadyStream(t *testing.T) {
	ctx := context.Background()
	eng := open(t)
	const chunk, max, batches, size = 200, 500, 30, 100
	duckdb.SetRecluster(eng, 1, time.Hour, chunk, max)
	var wg sync.WaitGroup
	for w := range 2 {
		wg.Go(func() {
			for b := range batches / 2 {
				events := make([]record.Event, size)
				for i := range events {
					n := (w*batches/2+b)*size + i
					events[i] = record.Event{EventID: fmt.Sprintf("e%d", n), UserID: fmt.Sprintf("u%03d", n%97),
						Name: "$session", Time: t0.Add(time.Duration(n) * time.Second)}
				}
				if _, err := eng.WriteEvents(ctx, "a", events); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	var n int
	if err := eng.DB().QueryRowContext(ctx, `SELECT count(*) FROM events`).Scan(&n); err != nil || n != batches*size {
		t.Fatalf("%d events stored (%v), want %d", n, err, batches*size)
	}
	if left := unclustered(t, eng); left > max+chunk {
		t.Errorf("%d of %d events unclustered after a steady stream, want at most %d", left, n, max+chunk)
	}
}

// TestReclusterFailureWaits: a recluster that fails leaves the events
// as they were, and the committer does not try again (nor log again) at
// every pause before the retry delay has passed.
func TestReclusterFailureWaits(t *testing.T) {
	eng := open(t)
	duckdb.SetRecluster(eng, 1, 5*time.Millisecond, 100, 1<<40)
	var commits atomic.Int32
	duckdb.SetBeforeCommit(eng, func() error {
		if commits.Add(1) == 1 {
			return nil // the batch's
		}
		return errors.New("the recluster dies here")
	})
	write(t, eng, "a", event("e1", "u1", 0), event("e2", "u2", 1))
	time.Sleep(300 * time.Millisecond)
	if n := commits.Load(); n != 2 {
		t.Errorf("%d commits tried in 300 ms of 5 ms pauses, want the batch's and one recluster's", n)
	}
	if n := unclustered(t, eng); n != 2 {
		t.Errorf("%d events unclustered after the failed recluster, want 2", n)
	}
}
