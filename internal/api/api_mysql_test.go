//go:build integration

package api

import (
	"context"
	"testing"

	"github.com/segmentd/segmentd/internal/store/sqlstore"
	"github.com/segmentd/segmentd/internal/store/storetest"
)

// TestAPIMySQL runs the end-to-end suite with the segment store on MySQL.
func TestAPIMySQL(t *testing.T) {
	newDSN := storetest.MySQL(t)
	runSuite(t, func(t *testing.T) *sqlstore.SQL {
		st, err := sqlstore.Open(context.Background(), newDSN(t))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { st.Close() })
		return st
	})
}
