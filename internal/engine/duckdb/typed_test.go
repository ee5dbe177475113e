package duckdb_test

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"testing"

	"github.com/segmentd/segmentd/internal/compile"
	"github.com/segmentd/segmentd/internal/dataset"
	"github.com/segmentd/segmentd/internal/engine/duckdb"
	"github.com/segmentd/segmentd/internal/record"
)

// TestTypedAttributesKeptUp types keys, then writes profiles every way
// the engine can (put, patch, a load), and checks after each that the
// typed columns are what typing the JSON gives and that a condition
// reading them selects the users it should; then again after reopening
// the database.
func TestTypedAttributesKeptUp(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "typed.duckdb")
	eng, err := duckdb.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { eng.Close() }()
	if _, err := eng.PutUser(ctx, "a", "u1", map[string]any{"plan": "pro"}); err != nil {
		t.Fatal(err)
	}
	if err := eng.TypeAttributes(ctx, []string{"plan", "age"}); err != nil {
		t.Fatal(err)
	}
	pro := `{"type":"attribute","field":"plan","op":"in","value":["pro"]}`
	check := func(step string, want ...string) {
		t.Helper()
		if typed := eng.Tables().Typed; len(typed) != 2 {
			t.Fatalf("%s: typed %v, want plan and age", step, typed)
		}
		for _, k := range []string{"plan", "age"} {
			expr, err := compile.TypedAttribute(k, "attributes")
			if err != nil {
				t.Fatal(err)
			}
			var stale int
			q := fmt.Sprintf(`SELECT count(*) FROM users WHERE %s IS DISTINCT FROM (%s)`, eng.Tables().Typed[k], expr)
			if err := eng.DB().QueryRowContext(ctx, q).Scan(&stale); err != nil {
				t.Fatal(err)
			}
			if stale != 0 {
				t.Errorf("%s: %d users' typed %s differ from their JSON", step, stale, k)
			}
		}
		if got := members(t, eng, "a", pro); !slices.Equal(got, want) {
			t.Errorf("%s: plan in [pro] selects %q, want %q", step, got, want)
		}
	}
	check("typed after a put", "u1")
	if _, err := eng.PatchUser(ctx, "a", "u1", map[string]any{"plan": "free"}); err != nil {
		t.Fatal(err)
	}
	check("patched to another value")
	if _, err := eng.PutUser(ctx, "a", "u2", map[string]any{"plan": []any{"x", "pro"}, "age": "30"}); err != nil {
		t.Fatal(err)
	}
	check("a new user with an array", "u2")
	if _, err := eng.PatchUser(ctx, "a", "u1", map[string]any{"plan": "pro", "age": 30.0}); err != nil {
		t.Fatal(err)
	}
	check("patched back", "u1", "u2")
	if _, err := eng.PatchUser(ctx, "a", "u2", map[string]any{"plan": nil}); err != nil {
		t.Fatal(err)
	}
	check("a key removed", "u1")
	if err := eng.Load(ctx, "b", &dataset.Data{Users: []record.User{{UserID: "v1", Attributes: map[string]any{"plan": "pro"}}}}); err != nil {
		t.Fatal(err)
	}
	check("another app loaded", "u1")
	if got := members(t, eng, "b", pro); !slices.Equal(got, []string{"v1"}) {
		t.Errorf("the loaded app's plan in [pro] selects %q, want v1", got)
	}
	if err := eng.Close(); err != nil {
		t.Fatal(err)
	}
	if eng, err = duckdb.Open(ctx, path); err != nil {
		t.Fatal(err)
	}
	check("reopened", "u1")
	if _, err := eng.PutUser(ctx, "a", "u3", map[string]any{"plan": "pro"}); err != nil {
		t.Fatal(err)
	}
	check("written after reopening", "u1", "u3")
}

func TestTypeAttributesLimits(t *testing.T) {
	ctx := context.Background()
	eng := open(t)
	if err := eng.TypeAttributes(ctx, []string{"ok", "bad'key"}); !errors.Is(err, duckdb.ErrInvalid) {
		t.Errorf("an invalid key: %v, want ErrInvalid", err)
	}
	if n := len(eng.Tables().Typed); n != 0 {
		t.Errorf("a refused call typed %d keys", n)
	}
	keys := make([]string, duckdb.MaxTypedAttributes+2)
	for i := range keys {
		keys[i] = fmt.Sprintf("k%d", i)
	}
	if err := eng.TypeAttributes(ctx, keys); !errors.Is(err, duckdb.ErrTooManyTyped) {
		t.Errorf("%d keys: %v, want ErrTooManyTyped", len(keys), err)
	}
	if n := len(eng.Tables().Typed); n != duckdb.MaxTypedAttributes {
		t.Errorf("%d keys typed, want the %d that fit", n, duckdb.MaxTypedAttributes)
	}
	if err := eng.TypeAttributes(ctx, keys[:3]); err != nil {
		t.Errorf("keys typed already: %v", err)
	}
}

// BenchmarkPutUser writes profiles (a patch of one user of 100,000, in a
// database file) with no key typed and with the six keys the segbench
// suite reads typed: what typed columns cost a profile write.
func BenchmarkPutUser(b *testing.B) {
	ctx := context.Background()
	data := dataset.Generate(dataset.Config{Users: 100_000, Events: 1, Seed: 1, Start: t0.AddDate(0, -1, 0), End: t0, AsOf: t0})
	for _, keys := range [][]string{nil, {"country", "age", "email", "member", "plan", "vip"}} {
		b.Run(fmt.Sprintf("typed=%d", len(keys)), func(b *testing.B) {
			eng, err := duckdb.Open(ctx, filepath.Join(b.TempDir(), "bench.duckdb"))
			if err != nil {
				b.Fatal(err)
			}
			defer eng.Close()
			if err := eng.TypeAttributes(ctx, keys); err != nil {
				b.Fatal(err)
			}
			if err := eng.Load(ctx, "bench", data); err != nil {
				b.Fatal(err)
			}
			if _, err := eng.DB().ExecContext(ctx, "CHECKPOINT"); err != nil {
				b.Fatal(err)
			}
			i := 0
			for b.Loop() {
				u := data.Users[(i*7919)%len(data.Users)].UserID
				if _, err := eng.PatchUser(ctx, "bench", u, map[string]any{"plan": fmt.Sprint("p", i%3), "age": float64(i % 90)}); err != nil {
					b.Fatal(err)
				}
				i++
			}
		})
	}
}
