//go:build integration

package api

import (
	"testing"

	"github.com/segmentd/segmentd/internal/store/storetest"
)

// TestRevokedOnEveryServerMySQL: two servers on one MySQL store.
func TestRevokedOnEveryServerMySQL(t *testing.T) {
	revokedEverywhere(t, storeAt(storetest.MySQL(t)(t)), "shop")
}
