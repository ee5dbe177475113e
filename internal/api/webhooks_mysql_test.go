//go:build integration

package api

import (
	"testing"

	"github.com/segmentd/segmentd/internal/store/storetest"
)

// TestWebhookTwoWorkersMySQL: two servers' workers on one MariaDB
// (SEGMENTD_TEST_MYSQL_DSN) deliver each delivery once.
func TestWebhookTwoWorkersMySQL(t *testing.T) {
	testTwoWorkers(t, storetest.MySQL(t)(t))
}
