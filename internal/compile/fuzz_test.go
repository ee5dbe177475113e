package compile_test

import (
	"context"
	"database/sql"
	"strings"
	"sync"
	"testing"
	"unicode/utf8"

	"github.com/segmentd/segmentd/internal/compile"
	"github.com/segmentd/segmentd/internal/corpus"
	"github.com/segmentd/segmentd/internal/engine/duckdb"
	"github.com/segmentd/segmentd/segment"
)

// canary is a value that would end the query if it ever reached SQL text.
const canary = `'); DROP TABLE users; --`

var (
	fuzzOnce sync.Once
	fuzzDB   *duckdb.Engine
)

// fuzzEngine is one empty embedded database shared by the fuzz inputs:
// the point is that DuckDB accepts the SQL, not what it returns.
func fuzzEngine(t *testing.T) *duckdb.Engine {
	fuzzOnce.Do(func() {
		var err error
		if fuzzDB, err = duckdb.Open(context.Background(), ""); err != nil {
			t.Fatal(err)
		}
	})
	return fuzzDB
}

// FuzzCompile feeds arbitrary bytes through decoding, expansion and both
// strategies of both dialects. Nothing may panic, and every tree that
// validates must compile to SQL that DuckDB runs, with no user value in
// its text.
func FuzzCompile(f *testing.F) {
	for _, c := range corpus.Cases() {
		f.Add(c.JSON)
	}
	for _, s := range []string{
		`{"type":"attribute","field":"nickname","op":"eq","value":"` + canary + `"}`,
		`{"type":"attribute","field":"nickname","op":"in","value":["` + canary + `", "x'y", "\\"]}`,
		`{"type":"event","event":"` + canary + `","where":[{"property":"note","op":"contains","value":"` + canary + `"}]}`,
		`{"type":"event","event":"$buy","where":[{"property":"` + canary + `","op":"exists"}]}`,
		`{"type":"funnel","steps":[{"event":"a"},{"event":"` + canary + `"}],"within":"1h"}`,
		`{"type":"not","child":{"type":"segment","segment_id":"` + canary + `"}}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		tree, err := segment.Decode(data, "")
		if err != nil {
			return
		}
		if tree, err = segment.Expand(context.Background(), tree, "", corpus.Lookup()); err != nil {
			return
		}
		eng := fuzzEngine(t)
		for _, d := range []*compile.Dialect{compile.DuckDB, compile.Trino} {
			for _, st := range []compile.Strategy{compile.Fused, compile.Naive} {
				opt := compile.Options{AppID: canary, AsOf: corpus.AsOf, Location: corpus.Location(), Strategy: st}
				q, err := compile.Compile(tree, d, opt, compile.DefaultTables)
				if err != nil {
					t.Fatalf("%s %s: a valid tree did not compile: %v", d.Name, st, err)
				}
				if strings.Contains(q.Text, "DROP TABLE") || strings.Contains(q.Text, canary) {
					t.Fatalf("%s %s: a value reached the SQL text:\n%s", d.Name, st, q.Text)
				}
				if d != compile.DuckDB {
					continue
				}
				if _, err := eng.Members(context.Background(), q); err != nil {
					t.Fatalf("%s: DuckDB rejected the SQL of a valid tree: %v\n%s", st, err, q.Text)
				}
			}
		}
		var n int
		if err := eng.DB().QueryRow("SELECT count(*) FROM users").Scan(&n); err != nil {
			t.Fatalf("the users table is gone: %v", err)
		}
	})
}

// FuzzLiteral checks the one escaping function: whatever the string, the
// literal DuckDB reads back is that string.
func FuzzLiteral(f *testing.F) {
	for _, s := range []string{"", "a", "'", "''", `\'`, canary, "é'\n\t", `$."k"[*]`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if !utf8.ValidString(s) || strings.ContainsRune(s, 0) {
			return // not a string DuckDB can hold
		}
		var got sql.NullString
		if err := fuzzEngine(t).DB().QueryRow("SELECT " + compile.Literal(s)).Scan(&got); err != nil {
			t.Fatalf("literal of %q: %v", s, err)
		}
		if got.String != s {
			t.Fatalf("literal of %q read back as %q", s, got.String)
		}
	})
}
