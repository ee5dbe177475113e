package snapshot

import (
	"context"
	"math/rand/v2"
	"testing"

	"github.com/segmentd/segmentd/internal/cache"
)

// writeDiffPair writes two snapshots of about benchN IDs of kind, a run
// and the run before it: of each ID, 1% are only in the run before
// (exited), 1% only in the run (entered: the ID with "x" appended, which
// sorts before the next ID), the rest in both. It returns the sizes.
func writeDiffPair(tb testing.TB, s cache.Store, run, before, kind string) (n, m int64) {
	ctx := context.Background()
	wa, wb := NewWriter(s, run, 0), NewWriter(s, before, 0)
	r := rand.New(rand.NewPCG(5, 6))
	add := func(w *Writer, id string) {
		if err := w.Add(ctx, id); err != nil {
			tb.Fatal(err)
		}
	}
	eachID(kind, func(id string) {
		switch p := r.IntN(100); {
		case p == 0:
			add(wb, id)
		case p == 1:
			add(wa, id)
			add(wb, id)
			add(wa, id+"x")
		default:
			add(wa, id)
			add(wb, id)
		}
	})
	ma, err := wa.Close(ctx, testMeta)
	if err != nil {
		tb.Fatal(err)
	}
	mb, err := wb.Close(ctx, testMeta)
	if err != nil {
		tb.Fatal(err)
	}
	return ma.Count, mb.Count
}

// BenchmarkDiff merges two snapshots of 10M IDs that differ by about 1%
// each way: the counts of a diff (DiffCounts), and one side's IDs
// streamed (Difference). IDs/s counts the IDs read of both snapshots.
func BenchmarkDiff(b *testing.B) {
	for name, s := range benchStores(b) {
		for _, kind := range []string{"decimal", "hex"} {
			b.Run(name+"/"+kind, func(b *testing.B) { benchDiff(b, s, kind) })
		}
	}
}

func benchDiff(b *testing.B, s cache.Store, kind string) {
	ctx := context.Background()
	run, before := kind+"/run", kind+"/before"
	n, m := writeDiffPair(b, s, run, before, kind)
	b.Run("counts", func(b *testing.B) {
		for b.Loop() {
			onlyA, onlyB, err := DiffCounts(ctx, open(b, s, run), open(b, s, before))
			if err != nil || onlyA == 0 || onlyB == 0 {
				b.Fatal(onlyA, onlyB, err)
			}
		}
		b.ReportMetric(float64(n+m)*float64(b.N)/b.Elapsed().Seconds(), "IDs/s")
	})
	b.Run("entered", func(b *testing.B) {
		for b.Loop() {
			var k int
			err := Difference(ctx, open(b, s, run), open(b, s, before), "", func(string) error { k++; return nil })
			if err != nil || k == 0 {
				b.Fatal(k, err)
			}
		}
		b.ReportMetric(float64(n+m)*float64(b.N)/b.Elapsed().Seconds(), "IDs/s")
	})
}
