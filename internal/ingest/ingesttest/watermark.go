package ingesttest

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/segmentd/segmentd/internal/record"
)

// Writer is a store's writes, with its watermark: one server of a
// deployment.
type Writer interface {
	Profiles
	WriteEvents(ctx context.Context, appID string, events []record.Event) (int, error)
}

// WatermarkRules checks, on an app with no data, that every kind of write
// (an events batch, a PUT, a PATCH) from concurrent writers on every
// server moves the watermark past the one read before it, by the time it
// is acknowledged, and that no two writes share a watermark. The servers'
// clocks must stand still at at (the worst case for a watermark taken from
// a clock): each write then moves it by a microsecond at least.
func WatermarkRules(t *testing.T, servers []Writer, appID string, at time.Time) {
	ctx := context.Background()
	const writersPerServer, writes = 3, 6
	var wg sync.WaitGroup
	for w := range writersPerServer * len(servers) {
		st := servers[w%len(servers)]
		wg.Go(func() {
			for i := range writes {
				before, err := st.Watermark(ctx, appID)
				if err != nil {
					t.Error(err)
					return
				}
				id := fmt.Sprint("w", w, "-", i)
				switch i % 3 {
				case 0:
					_, err = st.WriteEvents(ctx, appID, []record.Event{{EventID: id, UserID: id, Name: "x", Time: at}})
				case 1:
					_, err = st.PutUser(ctx, appID, id, map[string]any{"i": float64(i)})
				default:
					_, err = st.PatchUser(ctx, appID, fmt.Sprint("w", w), map[string]any{id: true})
				}
				if err != nil {
					t.Error(err)
					return
				}
				if after, err := st.Watermark(ctx, appID); err != nil || !after.After(before) {
					t.Errorf("watermark %v before a write, %v after (%v)", before, after, err)
				}
			}
		})
	}
	wg.Wait()
	n := writersPerServer * len(servers) * writes
	if w, err := servers[0].Watermark(ctx, appID); err != nil || w.Before(at.Add(time.Duration(n-1)*time.Microsecond)) {
		t.Errorf("after %d writes at %v the watermark is %v (%v): some shared one", n, at, w, err)
	}
}
