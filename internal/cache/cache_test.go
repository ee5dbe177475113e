package cache_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/segmentd/segmentd/internal/cache"
)

// clock is a settable time for the TTL tests: they move it instead of
// sleeping.
type clock struct{ t time.Time }

func (c *clock) now() time.Time          { return c.t }
func (c *clock) advance(d time.Duration) { c.t = c.t.Add(d) }

func newClock() *clock { return &clock{t: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)} }

func openDisk(t *testing.T, dir string, opts ...cache.Option) *cache.Disk {
	t.Helper()
	d, err := cache.OpenDisk(dir, opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	return d
}

func TestMemory(t *testing.T) { runSuite(t, cache.NewMemory(64<<20), "") }

func TestDisk(t *testing.T) { runSuite(t, openDisk(t, t.TempDir()), "") }

func TestExpiry(t *testing.T) {
	stores := map[string]func(*clock) cache.Store{
		"memory": func(c *clock) cache.Store { return cache.NewMemory(1<<20, cache.WithClock(c.now)) },
		"disk":   func(c *clock) cache.Store { return openDisk(t, t.TempDir(), cache.WithClock(c.now)) },
	}
	for name, open := range stores {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			c := newClock()
			s := open(c)
			if err := s.Set(ctx, "minute", []byte("v"), time.Minute); err != nil {
				t.Fatal(err)
			}
			if err := s.Set(ctx, "forever", []byte("v"), 0); err != nil {
				t.Fatal(err)
			}
			c.advance(time.Minute - time.Nanosecond)
			if _, err := s.Get(ctx, "minute"); err != nil {
				t.Fatalf("just before its TTL: %v", err)
			}
			c.advance(time.Nanosecond)
			if _, err := s.Get(ctx, "minute"); !errors.Is(err, cache.ErrMiss) {
				t.Fatalf("at its TTL: %v, want ErrMiss", err)
			}
			c.advance(100 * 365 * 24 * time.Hour)
			if _, err := s.Get(ctx, "forever"); err != nil {
				t.Fatalf("ttl 0 after a century: %v", err)
			}
		})
	}
}

func TestMemoryEvictsLeastRecentlyUsed(t *testing.T) {
	ctx := context.Background()
	value := make([]byte, 1000)
	m := cache.NewMemory(3 * (1000 + 1 + 128)) // three entries of 1000 bytes, key 1 byte, overhead 128
	for _, k := range []string{"a", "b", "c"} {
		if err := m.Set(ctx, k, value, 0); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := m.Get(ctx, "a"); err != nil { // a is now the most recently used
		t.Fatal(err)
	}
	if err := m.Set(ctx, "d", value, 0); err != nil {
		t.Fatal(err)
	}
	for k, want := range map[string]bool{"a": true, "b": false, "c": true, "d": true} {
		if _, err := m.Get(ctx, k); (err == nil) != want {
			t.Errorf("%s present = %v, want %v", k, err == nil, want)
		}
	}
	for range 10 { // overwriting a key must not leak budget
		if err := m.Set(ctx, "d", value, 0); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := m.Get(ctx, "a"); err != nil {
		t.Errorf("a evicted by overwrites of d: %v", err)
	}
	if err := m.Set(ctx, "huge", make([]byte, 4000), 0); err == nil {
		t.Error("a value bigger than the budget was accepted")
	}
}

func TestDiskPersistsAndSweeps(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	c := newClock()
	d := openDisk(t, dir, cache.WithClock(c.now))
	if err := d.Set(ctx, "short", []byte("v"), time.Minute); err != nil {
		t.Fatal(err)
	}
	if err := d.Set(ctx, "long", []byte("v"), time.Hour); err != nil {
		t.Fatal(err)
	}
	torn := filepath.Join(dir, "00", "torn")
	stale := filepath.Join(dir, "00", ".tmp-stale")
	fresh := filepath.Join(dir, "00", ".tmp-fresh")
	for _, p := range []string{torn, stale, fresh} {
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte("xy"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Chtimes(stale, c.t.Add(-2*time.Hour), c.t.Add(-2*time.Hour)); err != nil {
		t.Fatal(err)
	}
	if err := os.Chtimes(fresh, c.t, c.t); err != nil {
		t.Fatal(err)
	}

	reopened := openDisk(t, dir, cache.WithClock(c.now))
	if got, err := reopened.Get(ctx, "short"); err != nil || string(got) != "v" {
		t.Fatalf("after reopening: %q, %v", got, err)
	}
	c.advance(2 * time.Minute)
	if err := reopened.Sweep(ctx); err != nil {
		t.Fatal(err)
	}
	if got := countFiles(t, dir); got != 2 { // long and .tmp-fresh
		t.Errorf("%d files after the sweep, want 2 (the unexpired value and the fresh temporary file)", got)
	}
	if _, err := os.Stat(fresh); err != nil {
		t.Errorf("the sweep removed a temporary file being written: %v", err)
	}
	if _, err := reopened.Get(ctx, "long"); err != nil {
		t.Errorf("the sweep removed an unexpired value: %v", err)
	}
}

func countFiles(t *testing.T, dir string) int {
	t.Helper()
	n := 0
	err := filepath.WalkDir(dir, func(_ string, e os.DirEntry, err error) error {
		if err == nil && !e.IsDir() {
			n++
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return n
}
