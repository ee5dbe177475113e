//go:build distributed

package cassandra

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/segmentd/segmentd/internal/record"
)

// BenchmarkWatermark measures what a strictly increasing watermark costs a
// write: the lightweight transaction of advance, alone and with writers
// on two servers racing for one app, against the plain write of a
// watermark that it replaced, and a whole batch of 100 events with it.
func BenchmarkWatermark(b *testing.B) {
	ctx := context.Background()
	st := open(b)
	b.Run("advance", func(b *testing.B) {
		a := app(b)
		for b.Loop() {
			if _, err := st.advance(ctx, a); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("advance-2-servers-8-writers", func(b *testing.B) {
		s := [2]*Store{st, open(b)}
		a := app(b)
		b.SetParallelism(4) // GOMAXPROCS (2) × 4 writers
		var n atomic.Int32
		b.RunParallel(func(pb *testing.PB) {
			st := s[n.Add(1)%2]
			for pb.Next() {
				if _, err := st.advance(ctx, a); err != nil {
					b.Error(err)
					return
				}
			}
		})
	})
	b.Run("plain-write", func(b *testing.B) {
		a := app(b)
		for b.Loop() {
			if err := st.s.Query("UPDATE "+st.cfg.Keyspace+".watermarks SET micros = ? WHERE app_id = ?", time.Now().UnixMicro(), a).
				ExecContext(ctx); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("batch-100-events", func(b *testing.B) {
		a := app(b)
		at := time.Now().UTC()
		i := 0
		for b.Loop() {
			batch := make([]record.Event, 100)
			for k := range batch {
				i++
				batch[k] = record.Event{EventID: fmt.Sprint("e", i), UserID: fmt.Sprint("u", i%50), Name: "$buy", Time: at,
					Properties: map[string]any{"total": float64(i)}}
			}
			if _, err := st.WriteEvents(ctx, a, batch); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkPutUser16 is PUTs of distinct users of one app by 16 writers
// of one server: a read, a lightweight transaction on the profile and a
// share of a watermark round each.
func BenchmarkPutUser16(b *testing.B) {
	ctx := context.Background()
	st := open(b)
	a := app(b)
	b.SetParallelism(8) // GOMAXPROCS (2) × 8 writers
	var n atomic.Int64
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			i := n.Add(1)
			if _, err := st.PutUser(ctx, a, fmt.Sprint("u", i), map[string]any{"i": float64(i)}); err != nil {
				b.Error(err)
				return
			}
		}
	})
}
