package snapshot

import (
	"context"
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/segmentd/segmentd/internal/cache"
)

// benchN is the size of the snapshots push delivery reads: 10 million IDs.
const benchN = 10_000_000

// benchKinds are two kinds of 16-byte IDs, made by random gaps so that they
// come sorted without a sort: "decimal" is u%015d of a random subset of
// about [0, 10 benchN) (gaps 1 to 19); "hex" is %016x of a random subset of
// the 64-bit range (gaps up to 1.9 × 2^64/benchN), like random hexadecimal
// IDs.
var benchKinds = map[string]func(r *rand.Rand, prev uint64) (uint64, string){
	"decimal": func(r *rand.Rand, prev uint64) (uint64, string) {
		v := prev + 1 + r.Uint64N(19)
		return v, fmt.Sprintf("u%015d", v)
	},
	"hex": func(r *rand.Rand, prev uint64) (uint64, string) {
		v := prev + 1 + r.Uint64N((1<<64-1)/benchN/10*19)
		return v, fmt.Sprintf("%016x", v)
	},
}

// eachID calls fn with the benchN IDs of kind in order, the same on every
// call.
func eachID(kind string, fn func(id string)) {
	r := rand.New(rand.NewPCG(1, 2))
	var v uint64
	var id string
	for range benchN {
		v, id = benchKinds[kind](r, v)
		fn(id)
	}
}

// sortedIDs returns the IDs of eachID in a slice, to time writing alone.
func sortedIDs(kind string) []string {
	ids := make([]string, 0, benchN)
	eachID(kind, func(id string) { ids = append(ids, id) })
	return ids
}

// writeKind writes the IDs of kind as a snapshot without keeping them in
// memory: a heap of 10M strings would slow the garbage collector, and the
// reader, down.
func writeKind(tb testing.TB, s cache.Store, key, kind string) {
	ctx := context.Background()
	w := NewWriter(s, key, 0)
	eachID(kind, func(id string) {
		if err := w.Add(ctx, id); err != nil {
			tb.Fatal(err)
		}
	})
	if _, err := w.Close(ctx, testMeta); err != nil {
		tb.Fatal(err)
	}
}

// snapshotBytes is the size of a snapshot's manifest and chunks.
func snapshotBytes(tb testing.TB, s cache.Store, key string) int {
	ctx := context.Background()
	m, err := s.Get(ctx, key)
	if err != nil {
		tb.Fatal(err)
	}
	n := len(m)
	r := open(tb, s, key)
	for i := range r.m.Chunks {
		b, err := s.Get(ctx, chunkKey(key, r.m.Generation, i))
		if err != nil {
			tb.Fatal(err)
		}
		n += len(b)
	}
	return n
}

func benchStores(b *testing.B) map[string]cache.Store {
	disk, err := cache.OpenDisk(b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { disk.Close() })
	return map[string]cache.Store{"memory": cache.NewMemory(1 << 30), "disk": disk}
}

// BenchmarkWrite writes a snapshot of 10M IDs (made beforehand).
func BenchmarkWrite(b *testing.B) {
	for name, s := range benchStores(b) {
		for kind := range benchKinds {
			b.Run(name+"/"+kind, func(b *testing.B) { benchWrite(b, s, "bench", sortedIDs(kind)) })
		}
	}
}

func benchWrite(b *testing.B, s cache.Store, key string, ids []string) {
	ctx := context.Background()
	for b.Loop() {
		write(b, s, key, ids, 0)
		b.StopTimer()
		if err := Delete(ctx, s, key); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
	}
	b.ReportMetric(float64(len(ids))*float64(b.N)/b.Elapsed().Seconds(), "IDs/s")
	write(b, s, key, ids, 0)
	b.ReportMetric(float64(snapshotBytes(b, s, key))/float64(len(ids)), "B/ID")
}

// BenchmarkScan reads every ID of a 10M-ID snapshot.
func BenchmarkScan(b *testing.B) {
	for name, s := range benchStores(b) {
		for kind := range benchKinds {
			b.Run(name+"/"+kind, func(b *testing.B) {
				writeKind(b, s, kind, kind)
				benchScan(b, s, kind)
			})
		}
	}
}

func benchScan(b *testing.B, s cache.Store, key string) {
	ctx := context.Background()
	var n int64
	for b.Loop() {
		r := open(b, s, key)
		err := r.Scan(ctx, "", func(string) error { n++; return nil })
		if err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "IDs/s")
}
