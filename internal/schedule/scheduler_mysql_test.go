//go:build integration

package schedule

import (
	"testing"

	"github.com/segmentd/segmentd/internal/store/storetest"
)

// TestTwoSchedulersOneSlotMySQL: four Schedulers on two connection pools
// of one MariaDB/MySQL store, ticking at once, create exactly one run per
// slot (SEGMENTD_TEST_MYSQL_DSN).
func TestTwoSchedulersOneSlotMySQL(t *testing.T) {
	testTwoSchedulers(t, storetest.MySQL(t)(t))
}
