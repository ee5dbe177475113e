package cache_test

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/segmentd/segmentd/internal/cache"
)

// runSuite checks the Store contract on s, with keys under prefix (Redis is
// shared between tests). Every store runs it: memory and disk here, Redis
// in redis_integration_test.go.
func runSuite(t *testing.T, s cache.Store, prefix string) {
	ctx := context.Background()
	t.Run("Ping", func(t *testing.T) {
		if err := s.Ping(ctx); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("Miss", func(t *testing.T) {
		_, err := s.Get(ctx, prefix+"absent")
		if !errors.Is(err, cache.ErrMiss) || !strings.Contains(err.Error(), prefix+"absent") {
			t.Fatalf("Get of an absent key: %v, want ErrMiss naming the key", err)
		}
	})
	t.Run("RoundTrip", func(t *testing.T) {
		values := map[string][]byte{
			"plain":                      []byte("value"),
			"empty":                      {},
			"binary":                     {0, 1, 2, 0xff, '\n', 0},
			"a/b/../../c":                []byte("slashes"),
			"../../escape":               []byte("dots"),
			"üñí\x00côdé":                []byte("unicode and NUL"),
			strings.Repeat("long", 300):  []byte("a 1200-byte key"),
			"big":                        bytes.Repeat([]byte("0123456789abcdef"), 1<<16),
			"":                           []byte("the empty key"),
			"with space\tand\nnewline\r": []byte("whitespace"),
		}
		for k, v := range values {
			if err := s.Set(ctx, prefix+k, v, time.Hour); err != nil {
				t.Fatal(err)
			}
		}
		for k, v := range values {
			got, err := s.Get(ctx, prefix+k)
			if err != nil || !bytes.Equal(got, v) {
				t.Errorf("Get(%q) = %d bytes, %v; want %d bytes", k, len(got), err, len(v))
			}
		}
	})
	t.Run("OverwriteAndReuse", func(t *testing.T) {
		key := prefix + "overwrite"
		buf := []byte("first")
		if err := s.Set(ctx, key, buf, 0); err != nil {
			t.Fatal(err)
		}
		copy(buf, "XXXXX") // the store must not keep the caller's slice
		if got, err := s.Get(ctx, key); err != nil || string(got) != "first" {
			t.Fatalf("after the caller reused its buffer: %q, %v", got, err)
		}
		if err := s.Set(ctx, key, []byte("second"), 0); err != nil {
			t.Fatal(err)
		}
		if got, err := s.Get(ctx, key); err != nil || string(got) != "second" {
			t.Fatalf("after overwrite: %q, %v", got, err)
		}
	})
	t.Run("Delete", func(t *testing.T) {
		key := prefix + "delete"
		if err := s.Set(ctx, key, []byte("v"), 0); err != nil {
			t.Fatal(err)
		}
		if err := s.Delete(ctx, key); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Get(ctx, key); !errors.Is(err, cache.ErrMiss) {
			t.Fatalf("Get after Delete: %v, want ErrMiss", err)
		}
		if err := s.Delete(ctx, key); err != nil {
			t.Fatalf("Delete of an absent key: %v", err)
		}
	})
	t.Run("NegativeTTL", func(t *testing.T) {
		if err := s.Set(ctx, prefix+"negative", []byte("v"), -time.Second); err == nil {
			t.Fatal("Set with a negative ttl succeeded")
		}
	})
}
