package duckdb_test

import (
	"context"
	"testing"
	"time"

	"github.com/segmentd/segmentd/internal/compile"
	"github.com/segmentd/segmentd/internal/corpus"
	"github.com/segmentd/segmentd/internal/dataset"
	"github.com/segmentd/segmentd/internal/engine/duckdb"
	"github.com/segmentd/segmentd/internal/enginetest"
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
	if err := eng.Load(ctx, "corpus", data); err != nil {
		t.Fatal(err)
	}
	// Another app's data, generated from another seed, must never show.
	other := corpus.Config
	other.Seed++
	if err := eng.Load(ctx, "other", dataset.Generate(other)); err != nil {
		t.Fatal(err)
	}
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
// and naive, with explain.
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
	s := enginetest.Setup{AppID: "shapes", Data: data, AsOf: enginetest.ShapesAsOf, Location: time.UTC}
	r := enginetest.Agreement(t, eng, s, cases, compile.Fused, compile.Naive)
	if r.Nobody+r.Everybody == r.Cases {
		t.Errorf("every case selects nobody or everybody: %+v", r)
	}
	t.Run("explain", func(t *testing.T) { enginetest.ExplainAgreement(t, eng, s, cases) })
}
