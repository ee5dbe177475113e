package duckdb_test

import (
	"context"
	"fmt"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/segmentd/segmentd/internal/engine/duckdb"
	"github.com/segmentd/segmentd/internal/record"
)

// BenchmarkWriteEvents writes batches of 1000 new events (of 1000 users
// out of 100,000) and reports events/s, in memory and in a database file
// (where a commit is durable).
func BenchmarkWriteEvents(b *testing.B) {
	for _, where := range []string{"memory", "file"} {
		b.Run(where, func(b *testing.B) {
			path := ""
			if where == "file" {
				path = filepath.Join(b.TempDir(), "bench.db")
			}
			eng, err := duckdb.Open(context.Background(), path)
			if err != nil {
				b.Fatal(err)
			}
			defer eng.Close()
			const size = 1000
			ctx := context.Background()
			next := 0
			batch := func() []record.Event {
				evs := make([]record.Event, size)
				for i := range evs {
					evs[i] = record.Event{EventID: fmt.Sprintf("e%09d", next), UserID: fmt.Sprintf("u%06d", (next*7919)%100000),
						Name: "$buy", Time: t0.Add(time.Duration(next) * time.Second),
						Properties: map[string]any{"items": []any{map[string]any{"price": 1200.0, "sku": "sku-1"}}, "total": 1200.0}}
					next++
				}
				return evs
			}
			for b.Loop() {
				b.StopTimer()
				evs := batch()
				b.StartTimer()
				if n, err := eng.WriteEvents(ctx, "bench", evs); err != nil || n != size {
					b.Fatal(n, err)
				}
			}
			b.ReportMetric(float64(b.N*size)/b.Elapsed().Seconds(), "events/s")
		})
	}
}

// BenchmarkConcurrentWrites has 1, 4 and 8 writers write batches of 1000
// new events of one app at once into a database file (where a commit is
// durable), and reports events/s: group commit lets concurrent batches
// share a commit.
func BenchmarkConcurrentWrites(b *testing.B) {
	for _, writers := range []int{1, 4, 8} {
		b.Run(fmt.Sprint("writers=", writers), func(b *testing.B) {
			eng, err := duckdb.Open(context.Background(), filepath.Join(b.TempDir(), "bench.db"))
			if err != nil {
				b.Fatal(err)
			}
			defer eng.Close()
			const size = 1000
			var next, stored atomic.Int64
			for b.Loop() {
				var wg sync.WaitGroup
				for range writers {
					wg.Go(func() {
						evs := make([]record.Event, size)
						for i := range evs {
							k := next.Add(1)
							evs[i] = record.Event{EventID: fmt.Sprint("e", k), UserID: fmt.Sprint("u", k%100000), Name: "$buy", Time: t0.Add(time.Duration(k) * time.Second),
								Properties: map[string]any{"items": []any{map[string]any{"price": 1200.0, "sku": "sku-1"}}, "total": 1200.0}}
						}
						n, err := eng.WriteEvents(context.Background(), "bench", evs)
						if err != nil {
							b.Error(err)
						}
						stored.Add(int64(n))
					})
				}
				wg.Wait()
			}
			b.ReportMetric(float64(stored.Load())/b.Elapsed().Seconds(), "events/s")
		})
	}
}
