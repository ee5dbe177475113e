package segbench

import (
	"context"
	"errors"
	"slices"
	"testing"

	"github.com/segmentd/segmentd/internal/compile"
	"github.com/segmentd/segmentd/internal/corpus"
	"github.com/segmentd/segmentd/internal/dataset"
	"github.com/segmentd/segmentd/internal/engine"
	"github.com/segmentd/segmentd/internal/engine/duckdb"
	"github.com/segmentd/segmentd/internal/enginetest"
	"github.com/segmentd/segmentd/segment"
)

// TestSuiteAgreement runs every tree of the suite on the embedded engine
// over the corpus data (3,000 users, Europe/Berlin, a DST change the week
// before as_of): the fused plan, the naive plan and the hand-written query
// must select exactly the reference evaluator's members, or the benchmark
// would compare queries that do different work.
func TestSuiteAgreement(t *testing.T) {
	ctx := context.Background()
	eng, err := duckdb.Open(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	defer eng.Close()
	data := corpus.Dataset()
	if err := eng.Load(ctx, "bench", data); err != nil {
		t.Fatal(err)
	}
	// Another app's data must never show in any of the queries.
	other := corpus.Config
	other.Seed++
	if err := eng.Load(ctx, "other", dataset.Generate(other)); err != nil {
		t.Fatal(err)
	}
	s := enginetest.Setup{AppID: "bench", Data: data, AsOf: corpus.AsOf, Location: corpus.Location()}
	agree(t, engineMembers(eng), s, func(t *testing.T, tree Tree, n segment.Node) map[string]*compile.SQL {
		queries := map[string]*compile.SQL{}
		for _, st := range []compile.Strategy{compile.Fused, compile.Naive} {
			opt := compile.Options{AppID: s.AppID, AsOf: s.AsOf, Location: s.Location, Strategy: st}
			q, err := compile.Compile(n, eng.Dialect(), opt, eng.Tables())
			if err != nil {
				t.Fatalf("%s: %v", st, err)
			}
			queries[string(st)] = q
		}
		q, err := tree.HandSQL(eng.Dialect().Name, s.AppID, s.AsOf, s.Location)
		if err != nil {
			t.Fatal(err)
		}
		queries["hand"] = q
		return queries
	})
}

// agree runs the queries of each tree of the suite (queries gets the tree
// and its expansion) through members: each must select exactly the
// reference evaluator's members over the setup's data. Each tree must also
// be selective, or it would measure an empty or a trivial answer.
func agree(t *testing.T, members func(*compile.SQL) ([]string, error), s enginetest.Setup, queries func(t *testing.T, tree Tree, n segment.Node) map[string]*compile.SQL) {
	ctx := context.Background()
	for _, tree := range Suite() {
		t.Run(tree.Name, func(t *testing.T) {
			n, err := tree.Expand(ctx)
			if err != nil {
				t.Fatal(err)
			}
			want := enginetest.Expected(n, s)
			t.Logf("%d members of %d users", len(want), len(s.Data.Users))
			if len(want) == 0 || len(want) == len(s.Data.Users) {
				t.Errorf("selects %d of %d users: a suite tree must select some users, not all", len(want), len(s.Data.Users))
			}
			for way, q := range queries(t, tree, n) {
				got, err := members(q)
				if err != nil {
					t.Fatalf("%s: %v\n%s", way, err, q.Text)
				}
				if !slices.Equal(got, want) {
					t.Errorf("%s: %d members, want %d; the first different: %s", way, len(got), len(want), firstDiff(got, want))
				}
			}
		})
	}
}

// engineMembers is the members of a query on an engine, for agree.
func engineMembers(eng engine.Engine) func(*compile.SQL) ([]string, error) {
	return func(q *compile.SQL) ([]string, error) { return engine.Members(context.Background(), eng, q) }
}

// TestSaved checks that the saved segments of a tree come in an order in
// which they can be created: each after those it refers to.
func TestSaved(t *testing.T) {
	var got []string
	for _, tree := range Suite() {
		for _, s := range tree.Saved {
			got = append(got, tree.Name+": "+s.ID)
		}
	}
	want := []string{
		"5-references-3-deep: seg_bench_big_spenders",
		"5-references-3-deep: seg_bench_lapsed",
		"5-references-3-deep: seg_bench_winback",
	}
	if !slices.Equal(got, want) {
		t.Errorf("saved segments %q, want %q", got, want)
	}
}

// TestHandSQLDialect checks that a dialect without hand-written SQL says
// so, so that a run there can measure the compiled queries alone.
func TestHandSQLDialect(t *testing.T) {
	tree := Suite()[0]
	if _, err := tree.HandSQL("postgres", "bench", corpus.AsOf, nil); !errors.Is(err, ErrNoHandSQL) {
		t.Errorf("postgres: got %v, want ErrNoHandSQL", err)
	}
}

// TestBind checks that only :name parameters become ?s: a colon in a
// string, a comment, a struct literal or a :: cast must stay as written.
func TestBind(t *testing.T) {
	q, err := bind(`SELECT {'a': :x}, ':x', ":x", :y::INT -- :x
FROM t WHERE a = :x`, map[string]any{"x": 1, "y": 2})
	if err != nil {
		t.Fatal(err)
	}
	wantText := `SELECT {'a': ?}, ':x', ":x", ?::INT -- :x
FROM t WHERE a = ?`
	if q.Text != wantText || !slices.Equal(q.Params, []any{1, 2, 1}) || !slices.Equal(q.Marks, []int{13, 29, 59}) {
		t.Errorf("bind: %q %v %v", q.Text, q.Params, q.Marks)
	}
	if _, err := bind(`SELECT :z`, nil); err == nil {
		t.Error("an unknown parameter: no error")
	}
	// A list is one ? a value.
	q, err = bind(`WHERE d IN (:days) AND a = :x`, map[string]any{"days": []string{"a", "b"}, "x": 1})
	if err != nil || q.Text != `WHERE d IN (?, ?) AND a = ?` || !slices.Equal(q.Params, []any{"a", "b", 1}) || !slices.Equal(q.Marks, []int{12, 15, 26}) {
		t.Errorf("bind of a list: %q %v %v (%v)", q.Text, q.Params, q.Marks, err)
	}
	if _, err := bind(`WHERE d IN (:days)`, map[string]any{"days": []string{}}); err == nil {
		t.Error("an empty list: no error")
	}
}
