//go:build integration

package sqlstore

import (
	"testing"

	"github.com/segmentd/segmentd/internal/store/storetest"
)

// TestHistoryLockMySQL takes the lock from two stores on one database,
// as two servers of a deployment do.
func TestHistoryLockMySQL(t *testing.T) {
	dsn := storetest.MySQL(t)(t)
	testHistoryLock(t, openDSN(t, dsn), openDSN(t, dsn))
}
