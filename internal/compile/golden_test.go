package compile_test

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"github.com/segmentd/segmentd/internal/compile"
	"github.com/segmentd/segmentd/internal/corpus"
	"github.com/segmentd/segmentd/segment"
)

var update = flag.Bool("update", false, "rewrite the golden SQL files in testdata/golden")

// TestGolden compiles every corpus tree (fused) in each dialect and
// compares the SQL and its parameters with testdata/golden/<case>/<dialect>.sql.
// Run with -update after an intended change, and read the diff.
func TestGolden(t *testing.T) {
	for _, c := range corpus.Cases() {
		t.Run(c.Name, func(t *testing.T) {
			tree := expanded(t, c.JSON)
			for _, d := range []*compile.Dialect{compile.DuckDB, compile.Trino} {
				opt := compile.Options{AppID: "corpus", AsOf: corpus.AsOf, Location: corpus.Location()}
				q, err := compile.Compile(tree, d, opt, compile.DefaultTables)
				if err != nil {
					t.Fatalf("%s: %v", d.Name, err)
				}
				params, err := json.Marshal(q.Params)
				if err != nil {
					t.Fatal(err)
				}
				got := q.Text + "\n-- params: " + string(params) + "\n"
				file := filepath.Join("testdata", "golden", c.Name, d.Name+".sql")
				if *update {
					if err := os.MkdirAll(filepath.Dir(file), 0o755); err != nil {
						t.Fatal(err)
					}
					if err := os.WriteFile(file, []byte(got), 0o644); err != nil {
						t.Fatal(err)
					}
					continue
				}
				want, err := os.ReadFile(file)
				if err != nil {
					t.Fatalf("%v (run go test -update to create it)", err)
				}
				if got != string(want) {
					t.Errorf("%s: the SQL differs from %s (run go test -update and read the diff)\ngot:\n%s", d.Name, file, got)
				}
			}
		})
	}
}

// expanded decodes a corpus tree and expands its references.
func expanded(t testing.TB, data []byte) segment.Node {
	t.Helper()
	tree, err := segment.Decode(data, "")
	if err != nil {
		t.Fatal(err)
	}
	tree, err = segment.Expand(context.Background(), tree, "", corpus.Lookup())
	if err != nil {
		t.Fatal(err)
	}
	return tree
}

// TestRenderCache checks the premise of the render cache: plans of the same
// shape render alike. Every corpus tree is compiled at two instants and
// with another app, once through the cache (warmed by the first) and once
// straight from the templates; text and parameters must match.
func TestRenderCache(t *testing.T) {
	for _, c := range corpus.Cases() {
		tree := expanded(t, c.JSON)
		for _, d := range []*compile.Dialect{compile.DuckDB, compile.Trino} {
			for _, st := range []compile.Strategy{compile.Fused, compile.Naive} {
				for i, asOf := range []time.Time{corpus.AsOf, corpus.AsOf.Add(-400 * time.Hour)} {
					opt := compile.Options{AppID: fmt.Sprint("app", i), AsOf: asOf, Location: corpus.Location(), Strategy: st}
					p, err := compile.MakePlan(tree, opt)
					if err != nil {
						t.Fatal(err)
					}
					cached, err := compile.Render(p, d, compile.DefaultTables)
					if err != nil {
						t.Fatal(err)
					}
					direct, err := compile.RenderUncached(p, d, compile.DefaultTables)
					if err != nil {
						t.Fatal(err)
					}
					if cached.Text != direct.Text || !reflect.DeepEqual(cached.Params, direct.Params) {
						t.Fatalf("%s %s %s: the cached rendering differs from the templates'", c.Name, d.Name, st)
					}
				}
			}
		}
	}
}
