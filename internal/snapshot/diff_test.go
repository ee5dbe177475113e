package snapshot

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/segmentd/segmentd/internal/cache"
)

// minus is the reference set difference of two sorted lists.
func minus(a, b []string) []string {
	var out []string
	for _, id := range a {
		if _, in := slices.BinarySearch(b, id); !in {
			out = append(out, id)
		}
	}
	return out
}

// testDiff (a store case): Difference and DiffCounts agree with the set
// difference of the lists, for lists that overlap partly, wholly or not at
// all, or are empty, over chunks of a few IDs so that the merge crosses
// chunk boundaries on both sides, and from every kind of after.
func testDiff(t *testing.T, s cache.Store, key string) {
	ctx := context.Background()
	rng := rand.New(rand.NewPCG(3, 4))
	sample := func(p float64) []string {
		var out []string
		for i := range 300 {
			if rng.Float64() < p {
				out = append(out, fmt.Sprintf("u%04d", i))
			}
		}
		return out
	}
	common := sample(0.5)
	cases := []struct {
		name string
		a, b []string
	}{
		{"overlap", sample(0.6), sample(0.6)},
		{"same", common, common},
		{"subset", common, append(slices.Clone(common), "zz")},
		{"disjoint", ids(40), []string{"v1", "v2"}},
		{"empty a", nil, common},
		{"empty both", nil, nil},
	}
	for _, c := range cases {
		write(t, s, key+"/a", c.a, 7)
		write(t, s, key+"/b", c.b, 5)
		ra, rb := open(t, s, key+"/a"), open(t, s, key+"/b")
		onlyA, onlyB, err := DiffCounts(ctx, ra, rb)
		if wa, wb := minus(c.a, c.b), minus(c.b, c.a); err != nil || onlyA != int64(len(wa)) || onlyB != int64(len(wb)) {
			t.Fatalf("%s: DiffCounts = %d, %d, %v; want %d, %d", c.name, onlyA, onlyB, err, len(wa), len(wb))
		}
		afters := []string{"", "u", "u0150", "u0151", "zzz"}
		if len(c.a) > 0 {
			afters = append(afters, c.a[0], c.a[len(c.a)/2], c.a[len(c.a)-1])
		}
		for _, after := range afters {
			for _, dir := range []struct {
				name string
				x, y *Reader
				want []string
			}{{"a-b", ra, rb, minus(c.a, c.b)}, {"b-a", rb, ra, minus(c.b, c.a)}} {
				var got []string
				err := Difference(ctx, dir.x, dir.y, after, func(id string) error {
					got = append(got, id)
					return nil
				})
				want := slices.DeleteFunc(slices.Clone(dir.want), func(id string) bool { return id <= after })
				if err != nil || !slices.Equal(got, want) {
					t.Fatalf("%s: %s after %q = %v, %v; want %v", c.name, dir.name, after, got, err, want)
				}
			}
		}
	}
	// fn's error stops the merge and is returned as is.
	stop := errors.New("stop")
	write(t, s, key+"/a", ids(50), 7)
	n := 0
	err := Difference(ctx, open(t, s, key+"/a"), open(t, s, key+"/b"), "", func(string) error {
		if n++; n == 3 {
			return stop
		}
		return nil
	})
	if err != stop || n != 3 {
		t.Fatalf("stopped after %d IDs: %v", n, err)
	}
	// A chunk of either side gone since Open is ErrNotFound, not a
	// shorter difference.
	for _, side := range []string{"/a", "/b"} {
		write(t, s, key+"/a", ids(50), 7)
		write(t, s, key+"/b", ids(30), 7)
		ra, rb := open(t, s, key+"/a"), open(t, s, key+"/b")
		gone := ra
		if side == "/b" {
			gone = rb
		}
		if err := s.Delete(ctx, chunkKey(key+side, gone.m.Generation, 2)); err != nil {
			t.Fatal(err)
		}
		if _, _, err := DiffCounts(ctx, ra, rb); !errors.Is(err, ErrNotFound) {
			t.Fatalf("DiffCounts with chunk 2 of %s gone: %v", side, err)
		}
		if err := Difference(ctx, ra, rb, "", func(string) error { return nil }); !errors.Is(err, ErrNotFound) {
			t.Fatalf("Difference with chunk 2 of %s gone: %v", side, err)
		}
	}
}
