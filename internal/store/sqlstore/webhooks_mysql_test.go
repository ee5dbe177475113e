//go:build integration

package sqlstore

import (
	"testing"

	"github.com/segmentd/segmentd/internal/store/storetest"
)

// TestMySQLWebhooks runs the webhooks' store tests on MySQL/MariaDB.
func TestMySQLWebhooks(t *testing.T) {
	webhookSuite(t, storetest.MySQL(t))
}
