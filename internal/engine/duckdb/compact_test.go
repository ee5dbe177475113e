package duckdb_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/segmentd/segmentd/internal/compact"
	"github.com/segmentd/segmentd/internal/compile"
	"github.com/segmentd/segmentd/internal/corpus"
	"github.com/segmentd/segmentd/internal/dataset"
	"github.com/segmentd/segmentd/internal/engine/duckdb"
	"github.com/segmentd/segmentd/internal/enginetest"
	"github.com/segmentd/segmentd/internal/store"
)

// TestCompactionAgreement is the distributed path's compaction test on
// the embedded engine: the events table as the fresh store, local Parquet
// files as history, through the same compact.Compactor.
func TestCompactionAgreement(t *testing.T) {
	ctx := context.Background()
	st, eng, _ := engineWithHistory(t)
	for _, app := range []string{"corpus", "other"} {
		if _, err := st.CreateApp(ctx, store.App{ID: app, TimeZone: corpus.TimeZone}); err != nil {
			t.Fatal(err)
		}
	}
	// Another app's data, late and fresh, compacted too, must never show.
	other := corpus.Config
	other.Seed++
	duckdb.SetClock(eng, func() time.Time { return corpus.AsOf.Add(-10 * 24 * time.Hour) })
	if err := eng.Load(ctx, "other", dataset.Generate(other)); err != nil {
		t.Fatal(err)
	}
	comp := &compact.Compactor{Stores: eng, State: st, Margin: time.Hour, Now: time.Now}
	if _, err := comp.Run(ctx, "other"); err != nil {
		t.Fatal(err)
	}
	enginetest.CompactionAgreement(t, enginetest.Compaction{
		AppID: "corpus", Store: st, Engine: eng, Writer: eng,
		SetNow:  func(now func() time.Time) { duckdb.SetClock(eng, now) },
		Stores:  eng,
		Split:   func(b time.Time) *compile.Split { return &compile.Split{Boundary: b.Format(time.DateOnly)} },
		Eraser:  eng,
		Failing: failingErasure{eng},
	})
}

// failingErasure is an erasure whose delete from the tables fails, after
// the history files are rewritten.
type failingErasure struct{ eng *duckdb.Engine }

func (f failingErasure) EraseUser(ctx context.Context, appID, userID string) error {
	duckdb.SetBeforeCommit(f.eng, func() error { return errors.New("the erasure died here") })
	defer duckdb.SetBeforeCommit(f.eng, nil)
	return f.eng.EraseUser(ctx, appID, userID)
}
