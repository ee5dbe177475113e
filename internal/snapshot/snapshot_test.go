package snapshot

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/segmentd/segmentd/internal/cache"
)

// storeCases run on every store: memory and disk in TestStores, Redis in
// redis_integration_test.go. Each gets a key of its own.
var storeCases = []struct {
	name string
	run  func(t *testing.T, s cache.Store, key string)
}{
	{"RoundTrip", testRoundTrip},
	{"After", testAfter},
	{"Page", testPage},
	{"Order", testOrder},
	{"Abort", testAbort},
	{"InvisibleUntilClose", testInvisibleUntilClose},
	{"Replace", testReplace},
	{"Corrupt", testCorrupt},
	{"Delete", testDelete},
	{"Diff", testDiff},
}

func TestStores(t *testing.T) {
	stores := map[string]func(t *testing.T) cache.Store{
		"memory": func(t *testing.T) cache.Store { return cache.NewMemory(1 << 30) },
		"disk": func(t *testing.T) cache.Store {
			d, err := cache.OpenDisk(t.TempDir())
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { d.Close() })
			return d
		},
	}
	for name, open := range stores {
		for _, c := range storeCases {
			t.Run(name+"/"+c.name, func(t *testing.T) { c.run(t, open(t), "snap") })
		}
	}
}

var testMeta = Meta{
	AsOf:           time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC),
	SegmentID:      "seg_1",
	SegmentVersion: 3,
	Watermark:      time.Date(2026, 2, 28, 23, 59, 0, 0, time.UTC),
	CreatedAt:      time.Date(2026, 3, 1, 0, 0, 5, 0, time.UTC),
}

// ids returns n sorted IDs u00000000, u00000002, …: the odd ones lie between.
func ids(n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("u%08d", 2*i)
	}
	return out
}

// write stores ids as a snapshot of chunk IDs a chunk (0: the default).
func write(t testing.TB, s cache.Store, key string, ids []string, chunk int) Manifest {
	t.Helper()
	m, err := tryWrite(s, key, ids, chunk)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func tryWrite(s cache.Store, key string, ids []string, chunk int) (Manifest, error) {
	ctx := context.Background()
	w := NewWriter(s, key, time.Hour)
	if chunk > 0 {
		w.chunkIDs = chunk
	}
	for _, id := range ids {
		if err := w.Add(ctx, id); err != nil {
			return Manifest{}, err
		}
	}
	return w.Close(ctx, testMeta)
}

func open(t testing.TB, s cache.Store, key string) *Reader {
	t.Helper()
	r, err := Open(context.Background(), s, key)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func scan(t testing.TB, r *Reader, after string) []string {
	t.Helper()
	var got []string
	err := r.Scan(context.Background(), after, func(id string) error {
		got = append(got, id)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return got
}

// greater is what Scan(after) must return: the IDs greater than after.
func greater(ids []string, after string) []string {
	return ids[sort.Search(len(ids), func(i int) bool { return ids[i] > after }):]
}

func testRoundTrip(t *testing.T, s cache.Store, key string) {
	for _, n := range []int{0, 1, chunkIDs, chunkIDs + 1, 200_000} {
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			key := fmt.Sprintf("%s/%d", key, n)
			want := ids(n)
			m := write(t, s, key, want, 0)
			r := open(t, s, key)
			got := r.Manifest()
			if got.Count != int64(n) || len(got.Chunks) != (n+chunkIDs-1)/chunkIDs || got.Format != Format ||
				!got.Meta.AsOf.Equal(testMeta.AsOf) || !got.Meta.Watermark.Equal(testMeta.Watermark) ||
				!got.Meta.CreatedAt.Equal(testMeta.CreatedAt) || got.Meta.SegmentID != testMeta.SegmentID ||
				got.Meta.SegmentVersion != testMeta.SegmentVersion || got.Generation != m.Generation {
				t.Fatalf("manifest read %+v, written %+v", got, m)
			}
			for i, c := range got.Chunks {
				if c.First != want[i*chunkIDs] {
					t.Errorf("chunk %d starts at %q, want %q", i, c.First, want[i*chunkIDs])
				}
			}
			if ids := scan(t, r, ""); !slices.Equal(ids, want) {
				t.Fatalf("scan: %d IDs, want %d", len(ids), len(want))
			}
		})
	}
}

// testAfter scans from every kind of cursor over chunks of 4 IDs:
// u00000000 u00000002 u00000004 u00000006 | u00000008 … u00000014 | u00000016 u00000018.
func testAfter(t *testing.T, s cache.Store, key string) {
	all := ids(10)
	write(t, s, key, all, 4)
	r := open(t, s, key)
	for _, c := range []struct{ name, after string }{
		{"empty", ""},
		{"before the first", "a"},
		{"a prefix of the first", "u"},
		{"the first", "u00000000"},
		{"not present, in a chunk", "u00000003"},
		{"last of a chunk", "u00000006"},
		{"between chunks", "u00000007"},
		{"first of a chunk", "u00000008"},
		{"first of a chunk, extended", "u00000008\x00"},
		{"first of the last chunk", "u00000016"},
		{"the last", "u00000018"},
		{"after the last", "u00000019"},
		{"far after the last", "\xff"},
	} {
		if got, want := scan(t, r, c.after), greater(all, c.after); !slices.Equal(got, want) {
			t.Errorf("%s (after %q): %q, want %q", c.name, c.after, got, want)
		}
	}
}

func testPage(t *testing.T, s cache.Store, key string) {
	ctx := context.Background()
	all := ids(10)
	write(t, s, key, all, 4)
	r := open(t, s, key)
	for limit := 1; limit <= 12; limit++ {
		var got []string
		after := ""
		for {
			page, more, err := r.Page(ctx, after, limit)
			if err != nil {
				t.Fatal(err)
			}
			if len(page) > limit || (more && len(page) != limit) {
				t.Fatalf("limit %d after %q: %d IDs, more %v", limit, after, len(page), more)
			}
			got = append(got, page...)
			if !more {
				break
			}
			after = page[len(page)-1]
		}
		if !slices.Equal(got, all) {
			t.Errorf("paging by %d: %q", limit, got)
		}
	}
	if page, more, err := r.Page(ctx, "u00000018", 5); err != nil || len(page) != 0 || more {
		t.Errorf("page after the last: %q, %v, %v", page, more, err)
	}
	if _, _, err := r.Page(ctx, "", 0); err == nil {
		t.Error("limit 0 accepted")
	}
}

func testOrder(t *testing.T, s cache.Store, key string) {
	ctx := context.Background()
	for _, c := range []struct {
		name string
		ids  []string
	}{
		{"descending", []string{"b", "a"}},
		{"duplicate", []string{"a", "b", "b"}},
		{"empty", []string{""}},
		{"duplicate across a chunk boundary", []string{"a", "b", "c", "c"}},
		{"byte order, not locale", []string{"a", "B"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			key := key + "/" + c.name
			w := NewWriter(s, key, 0)
			w.chunkIDs = 3
			var err error
			for _, id := range c.ids {
				if err = w.Add(ctx, id); err != nil {
					break
				}
			}
			if err == nil {
				t.Fatalf("%q accepted", c.ids)
			}
			if err := w.Add(ctx, "zzz"); err == nil {
				t.Error("Add after an error succeeded")
			}
			if _, err := w.Close(ctx, testMeta); err == nil {
				t.Error("Close after an error succeeded")
			}
			if err := w.Abort(ctx); err != nil {
				t.Fatal(err)
			}
			assertGone(t, s, key, w.generation, len(w.chunks)+1)
		})
	}
}

// assertGone: the snapshot under key is not visible and chunks 0 to n-1 of
// generation are deleted.
func assertGone(t *testing.T, s cache.Store, key, generation string, n int) {
	t.Helper()
	ctx := context.Background()
	if _, err := Open(ctx, s, key); !errors.Is(err, ErrNotFound) {
		t.Errorf("Open: %v, want ErrNotFound", err)
	}
	for i := range n {
		if _, err := s.Get(ctx, chunkKey(key, generation, i)); !errors.Is(err, cache.ErrMiss) {
			t.Errorf("chunk %d: %v, want a miss", i, err)
		}
	}
}

func testAbort(t *testing.T, s cache.Store, key string) {
	ctx := context.Background()
	w := NewWriter(s, key, 0)
	w.chunkIDs = 4
	for _, id := range ids(10) {
		if err := w.Add(ctx, id); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Abort(ctx); err != nil {
		t.Fatal(err)
	}
	assertGone(t, s, key, w.generation, len(w.chunks)+1)
	if _, err := w.Close(ctx, testMeta); err == nil {
		t.Error("Close after Abort succeeded")
	}

	closed := key + "/closed"
	w = NewWriter(s, closed, 0)
	if err := w.Add(ctx, "a"); err != nil {
		t.Fatal(err)
	}
	if _, err := w.Close(ctx, testMeta); err != nil {
		t.Fatal(err)
	}
	if err := w.Abort(ctx); err != nil {
		t.Fatal(err)
	}
	if got := scan(t, open(t, s, closed), ""); !slices.Equal(got, []string{"a"}) {
		t.Errorf("after Abort of a closed writer: %q", got)
	}
}

func testInvisibleUntilClose(t *testing.T, s cache.Store, key string) {
	ctx := context.Background()
	w := NewWriter(s, key, 0)
	w.chunkIDs = 2
	for _, id := range ids(7) { // three chunks stored, one being filled
		if err := w.Add(ctx, id); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := Open(ctx, s, key); !errors.Is(err, ErrNotFound) {
		t.Fatalf("Open before Close: %v, want ErrNotFound", err)
	}
	if _, err := w.Close(ctx, testMeta); err != nil {
		t.Fatal(err)
	}
	if got := scan(t, open(t, s, key), ""); !slices.Equal(got, ids(7)) {
		t.Errorf("after Close: %q", got)
	}
}

func testDelete(t *testing.T, s cache.Store, key string) {
	ctx := context.Background()
	m := write(t, s, key, ids(10), 4)
	if err := Delete(ctx, s, key); err != nil {
		t.Fatal(err)
	}
	assertGone(t, s, key, m.Generation, len(m.Chunks))
	if err := Delete(ctx, s, key); !errors.Is(err, ErrNotFound) {
		t.Errorf("Delete of a deleted snapshot: %v, want ErrNotFound", err)
	}
}

// testReplace: a reader of a snapshot keeps reading it whole after another
// is written under the same key; new readers see the new one.
func testReplace(t *testing.T, s cache.Store, key string) {
	write(t, s, key, []string{"a", "b", "c"}, 2)
	old := open(t, s, key)
	write(t, s, key, []string{"x", "y", "z"}, 2)
	if got := scan(t, old, ""); !slices.Equal(got, []string{"a", "b", "c"}) {
		t.Errorf("old reader: %q", got)
	}
	if got := scan(t, open(t, s, key), ""); !slices.Equal(got, []string{"x", "y", "z"}) {
		t.Errorf("new reader: %q", got)
	}
}

func testCorrupt(t *testing.T, s cache.Store, key string) {
	ctx := context.Background()
	m := write(t, s, key, ids(5), 2)
	if err := s.Set(ctx, chunkKey(key, m.Generation, 1), []byte("not zstd"), 0); err != nil {
		t.Fatal(err)
	}
	err := open(t, s, key).Scan(ctx, "", func(string) error { return nil })
	if err == nil || errors.Is(err, ErrNotFound) || !strings.Contains(err.Error(), "chunk 1 of 3") {
		t.Errorf("scan over a corrupt chunk: %v", err)
	}

	if err := s.Set(ctx, key, []byte(`{"format": 2}`), 0); err != nil {
		t.Fatal(err)
	}
	if _, err := Open(ctx, s, key); err == nil || !strings.Contains(err.Error(), "format 2") {
		t.Errorf("Open of format 2: %v", err)
	}
}

// TestExpiry moves the stores' clock past the TTL: the snapshot goes, and
// a reader opened before reports the chunks as not found.
func TestExpiry(t *testing.T) {
	ctx := context.Background()
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	clock := cache.WithClock(func() time.Time { return now })
	disk, err := cache.OpenDisk(t.TempDir(), clock)
	if err != nil {
		t.Fatal(err)
	}
	defer disk.Close()
	for name, s := range map[string]cache.Store{"memory": cache.NewMemory(1<<20, clock), "disk": disk} {
		t.Run(name, func(t *testing.T) {
			now = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
			write(t, s, "snap", ids(10), 4) // TTL one hour
			now = now.Add(59 * time.Minute)
			r := open(t, s, "snap")
			now = now.Add(time.Minute)
			if _, err := Open(ctx, s, "snap"); !errors.Is(err, ErrNotFound) {
				t.Errorf("Open after the TTL: %v, want ErrNotFound", err)
			}
			if err := r.Scan(ctx, "", func(string) error { return nil }); !errors.Is(err, ErrNotFound) {
				t.Errorf("Scan after the TTL: %v, want ErrNotFound", err)
			}
		})
	}
}

func TestScanStops(t *testing.T) {
	s := cache.NewMemory(1 << 20)
	write(t, s, "snap", ids(10), 4)
	r := open(t, s, "snap")
	stop := errors.New("stop")
	n := 0
	err := r.Scan(context.Background(), "", func(string) error {
		if n++; n == 5 {
			return stop
		}
		return nil
	})
	if err != stop || n != 5 {
		t.Errorf("Scan returned %v after %d IDs, want fn's error after 5", err, n)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := r.Scan(ctx, "", func(string) error { return nil }); !errors.Is(err, context.Canceled) {
		t.Errorf("Scan with a canceled context: %v", err)
	}
}

// FuzzScan compares Scan, over any IDs, chunk size and cursor, with a
// sorted slice.
func FuzzScan(f *testing.F) {
	f.Add("u1\nu2\nu3\nu30\nu4", uint8(1), "u3")
	f.Add("abc\nabd\nab\na\nb\nbb\nbba", uint8(2), "ab\x00")
	f.Add("\xff\xfe\n\x00\n\x00\x00\nzz", uint8(0), "")
	f.Add("same\nsame\nsamf", uint8(7), "z")
	f.Fuzz(func(t *testing.T, lines string, chunk uint8, after string) {
		all := strings.Split(lines, "\n")
		slices.Sort(all)
		all = slices.Compact(all)
		if all[0] == "" {
			all = all[1:]
		}
		s := cache.NewMemory(1 << 30)
		write(t, s, "snap", all, 1+int(chunk%8))
		r := open(t, s, "snap")
		if got, want := scan(t, r, after), greater(all, after); !slices.Equal(got, want) {
			t.Fatalf("after %q: %q, want %q", after, got, want)
		}
	})
}

// TestConcurrent reads one snapshot from several goroutines while another
// is written: the store and the shared zstd coders must allow it (run with
// -race).
func TestConcurrent(t *testing.T) {
	ctx := context.Background()
	s := cache.NewMemory(1 << 30)
	all := ids(1000)
	write(t, s, "snap", all, 64)
	var wg sync.WaitGroup
	for i := range 4 {
		wg.Go(func() {
			var got []string
			r, err := Open(ctx, s, "snap")
			if err == nil {
				err = r.Scan(ctx, all[i], func(id string) error { got = append(got, id); return nil })
			}
			if err != nil || !slices.Equal(got, greater(all, all[i])) {
				t.Errorf("reader %d: %d IDs, %v", i, len(got), err)
			}
		})
	}
	wg.Go(func() {
		if _, err := tryWrite(s, "other", all, 64); err != nil {
			t.Error(err)
		}
	})
	wg.Wait()
}
