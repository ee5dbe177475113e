package compile_test

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
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
				checkGolden(t, filepath.Join("testdata", "golden", c.Name, d.Name+".sql"), q.Text+"\n-- params: "+string(params)+"\n")
			}
		})
	}
}

// checkGolden compares got with the golden file, or rewrites the file
// under -update.
func checkGolden(t *testing.T, file, got string) {
	t.Helper()
	if *update {
		if err := os.MkdirAll(filepath.Dir(file), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(file, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(file)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if got != string(want) {
		t.Errorf("the SQL differs from %s (run go test -update and read the diff)\ngot:\n%s", file, got)
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

// TrinoSplitTables are the tables of the distributed deployment
// (deploy/trino): Cassandra for fresh events and users, Parquet on S3
// through the hive catalog for history.
var TrinoSplitTables = compile.Tables{
	Users: "cassandra.segmentd.users", Events: "cassandra.segmentd.events",
	History: "hive.segmentd.events_history", Late: "cassandra.segmentd.late_events",
}

// TestGoldenSplit renders a few corpus trees for Trino with events split
// between history and the fresh store, into testdata/golden-split.
func TestGoldenSplit(t *testing.T) {
	split := &compile.Split{Boundary: "2026-10-20", FreshDays: []string{"2026-10-20", "2026-10-21"}, Buckets: 2}
	for _, name := range []string{"160-worked-example", "140-funnel-2-steps", "003-attr-country-in"} {
		var data []byte
		for _, c := range corpus.Cases() {
			if c.Name == name {
				data = c.JSON
			}
		}
		for _, st := range []compile.Strategy{compile.Fused, compile.Naive} {
			opt := compile.Options{AppID: "corpus", AsOf: corpus.AsOf, Location: corpus.Location(), Strategy: st, Split: split}
			q, err := compile.Compile(expanded(t, data), compile.Trino, opt, TrinoSplitTables)
			if err != nil {
				t.Fatal(err)
			}
			params, _ := json.Marshal(q.Params)
			checkGolden(t, filepath.Join("testdata", "golden-split", name+"."+string(st)+".trino.sql"), q.Text+"\n-- params: "+string(params)+"\n")
		}
	}
}

// TestInline: writing the parameters in place gives back the text with
// every ? that stands for a parameter replaced, and none other (the
// pattern literals hold ?s too).
func TestInline(t *testing.T) {
	q, err := compile.Compile(expanded(t, []byte(`{"type":"attribute","field":"signup_at","op":"gt","value":{"ago":"1d"}}`)),
		compile.Trino, compile.Options{AppID: "a", AsOf: corpus.AsOf}, compile.DefaultTables)
	if err != nil {
		t.Fatal(err)
	}
	text, err := q.Inline(func(i int) (string, error) { return fmt.Sprintf("<%d>", i), nil })
	if err != nil {
		t.Fatal(err)
	}
	for i := range q.Params {
		if !strings.Contains(text, fmt.Sprintf("<%d>", i)) {
			t.Fatalf("parameter %d is not in place:\n%s", i, text)
		}
	}
	if strings.Count(text, "?") != strings.Count(q.Text, "?")-len(q.Params) {
		t.Fatalf("a ? of a literal was replaced, or one of a parameter was not:\n%s", text)
	}
}
