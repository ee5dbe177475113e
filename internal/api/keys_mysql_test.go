//go:build integration

package api

import (
	"context"
	"testing"

	"github.com/segmentd/segmentd/internal/store"
	"github.com/segmentd/segmentd/internal/store/storetest"
)

// TestRevokedOnEveryServerMySQL: two servers on one MySQL store.
func TestRevokedOnEveryServerMySQL(t *testing.T) {
	dsn := storetest.MySQL(t)(t)
	revokedEverywhere(t, func(t *testing.T) *store.SQL {
		st, err := store.Open(context.Background(), dsn)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { st.Close() })
		return st
	}, "shop")
}
