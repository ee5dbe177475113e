package duckdb_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/segmentd/segmentd/internal/compile"
	"github.com/segmentd/segmentd/internal/corpus"
	"github.com/segmentd/segmentd/internal/dataset"
	"github.com/segmentd/segmentd/internal/engine/duckdb"
	"github.com/segmentd/segmentd/internal/enginetest"
	"github.com/segmentd/segmentd/internal/query"
	"github.com/segmentd/segmentd/internal/randtree"
)

// TestCorpusAgreement runs every corpus tree, fused and naive, on the
// embedded engine and compares the members with the reference evaluator.
func TestCorpusAgreement(t *testing.T) {
	ctx := context.Background()
	eng, err := duckdb.Open(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	defer eng.Close()
	data := corpus.Dataset()
	// A third of the attribute keys typed before the loads (which type
	// what they write), a third after (typing fills the columns), a third
	// read from the JSON: the trees mix the three.
	keys := attributeKeys(data)
	before, after := thirds(keys)
	if err := eng.TypeAttributes(ctx, before); err != nil {
		t.Fatal(err)
	}
	// The same of the numeric aggregates' properties (typing fills their
	// columns, the loads compute them; the others read the JSON).
	props := numericProperties(t, data)
	propsBefore, propsAfter := thirds(props)
	if err := eng.TypeProperties(ctx, propsBefore); err != nil {
		t.Fatal(err)
	}
	if err := eng.Load(ctx, "corpus", data); err != nil {
		t.Fatal(err)
	}
	// Another app's data, generated from another seed, must never show.
	other := corpus.Config
	other.Seed++
	if err := eng.Load(ctx, "other", dataset.Generate(other)); err != nil {
		t.Fatal(err)
	}
	if err := eng.TypeAttributes(ctx, after); err != nil {
		t.Fatal(err)
	}
	if err := eng.TypeProperties(ctx, propsAfter); err != nil {
		t.Fatal(err)
	}
	t.Logf("typed before the load %q, after %q, of %q", before, after, keys)
	t.Logf("properties typed before the load %q, after %q, of %q", propsBefore, propsAfter, props)
	var cases []enginetest.Case
	for _, c := range corpus.Cases() {
		cases = append(cases, enginetest.Case{Name: c.Name, JSON: c.JSON})
	}
	s := enginetest.Setup{AppID: "corpus", Data: data, AsOf: corpus.AsOf, Location: corpus.Location(), Lookup: corpus.Lookup()}
	enginetest.Agreement(t, eng, s, cases, compile.Fused, compile.Naive)
	t.Run("explain", func(t *testing.T) { enginetest.ExplainAgreement(t, eng, s, cases) })
	// Every node of 30 random trees too (a failing subtest is named
	// after its seed, which enginetest.SeedEnv runs again).
	t.Run("explain-random", func(t *testing.T) {
		_, random := enginetest.RandomCases(t, s, 30)
		enginetest.ExplainAgreement(t, eng, s, random)
	})
	t.Run("why", func(t *testing.T) { enginetest.WhyAgreement(t, eng, s, cases, 6, 14) })
	t.Run("totals", func(t *testing.T) {
		enginetest.Agreement(t, eng, s, enginetest.TotalsCases(data, corpus.AsOf), compile.Fused, compile.Naive)
	})
	// 100 random trees (new seeds each run; enginetest.SeedEnv fixes
	// them) find what the fixed corpus does not think of.
	t.Run("random", func(t *testing.T) { enginetest.RandomAgreement(t, eng, s, 100, compile.Fused) })
}

// TestShapesAgreement runs the typing cases of enginetest.Shapes, fused
// and naive, with explain, on the JSON and then with every attribute key
// typed.
func TestShapesAgreement(t *testing.T) {
	ctx := context.Background()
	eng, err := duckdb.Open(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	defer eng.Close()
	data, cases := enginetest.Shapes(true)
	if err := eng.Load(ctx, "shapes", data); err != nil {
		t.Fatal(err)
	}
	// The user with events and no profile gets one (Load).
	s := enginetest.Setup{AppID: "shapes", Data: data.WithEventUsers(), AsOf: enginetest.ShapesAsOf, Location: time.UTC}
	agree := func(t *testing.T) {
		r := enginetest.Agreement(t, eng, s, cases, compile.Fused, compile.Naive)
		if r.Nobody+r.Everybody == r.Cases {
			t.Errorf("every case selects nobody or everybody: %+v", r)
		}
		t.Run("explain", func(t *testing.T) { enginetest.ExplainAgreement(t, eng, s, cases) })
	}
	t.Run("json", agree)
	if err := eng.TypeAttributes(ctx, attributeKeys(data)); err != nil {
		t.Fatal(err)
	}
	if len(eng.Tables().Typed) == 0 {
		t.Fatal("no key typed")
	}
	t.Run("typed", agree)
}

// thirds splits xs in turn into a first and a second third, leaving the
// last out.
func thirds[T any](xs []T) (first, second []T) {
	for i, x := range xs {
		switch i % 3 {
		case 0:
			first = append(first, x)
		case 1:
			second = append(second, x)
		}
	}
	return first, second
}

// numericProperties is the event names and property paths whose numbers
// the corpus trees read, and random trees over the corpus data (the
// first 500 seeds: RandomAgreement's draw from the same vocabulary).
func numericProperties(t *testing.T, data *dataset.Data) []compile.TypedProperty {
	t.Helper()
	ctx := context.Background()
	var trees [][]byte
	for _, c := range corpus.Cases() {
		trees = append(trees, c.JSON)
	}
	v, err := corpus.Vocabulary(data, corpus.AsOf, corpus.Lookup())
	if err != nil {
		t.Fatal(err)
	}
	for seed := range uint64(500) {
		trees = append(trees, randtree.Generate(v, seed))
	}
	var out []compile.TypedProperty
	for _, js := range trees {
		tree, err := query.Tree(ctx, js, "", corpus.Lookup())
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range compile.NumericProperties(tree) {
			if !slices.Contains(out, p) {
				out = append(out, p)
			}
		}
	}
	if len(out) < 6 {
		t.Fatalf("the trees read the numbers of %d properties", len(out))
	}
	return out
}

// attributeKeys is the keys of the users' attributes, sorted.
func attributeKeys(d *dataset.Data) []string {
	var keys []string
	for _, u := range d.Users {
		for k := range u.Attributes {
			if !slices.Contains(keys, k) {
				keys = append(keys, k)
			}
		}
	}
	slices.Sort(keys)
	return keys
}
