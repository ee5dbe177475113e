//go:build integration

package sqlstore

import (
	"testing"

	"github.com/segmentd/segmentd/internal/store/storetest"
)

// TestMySQL runs the conformance suite on MySQL/MariaDB (see storetest).
func TestMySQL(t *testing.T) {
	runSuite(t, storetest.MySQL(t))
}
