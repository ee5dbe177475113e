package api

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/segmentd/segmentd/internal/engine/duckdb"
	"github.com/segmentd/segmentd/internal/store/sqlstore"
)

// embedded opens the embedded default for a test: a SQLite segment store
// in a temporary folder and an in-memory DuckDB, closed at its end.
func embedded(t *testing.T) (*sqlstore.SQL, *duckdb.Engine) {
	t.Helper()
	ctx := context.Background()
	st, err := sqlstore.Open(ctx, "sqlite:"+filepath.Join(t.TempDir(), "segmentd.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	eng, err := duckdb.Open(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { eng.Close() })
	return st, eng
}
