package duckdb_test

import (
	"os/exec"
	"slices"
	"strings"
	"testing"
)

// TestNoOtherPathsDrivers keeps the embedded engine apart from the
// distributed path and the segment store: it builds with none of the
// Cassandra, MySQL or SQLite drivers, which a binary of the embedded
// default would otherwise carry. The records it shares with them are in
// internal/record.
func TestNoOtherPathsDrivers(t *testing.T) {
	const self = "github.com/segmentd/segmentd/internal/engine/duckdb"
	out, err := exec.Command("go", "list", "-deps", ".").Output()
	if err != nil {
		t.Fatalf("go list -deps: %v", err)
	}
	deps := strings.Fields(string(out))
	if !slices.Contains(deps, self) {
		t.Fatalf("go list -deps did not list %s itself: %q", self, deps)
	}
	for _, dep := range deps {
		for _, driver := range []string{"gocql", "cassandra-gocql-driver", "go-sql-driver/mysql", "modernc.org/sqlite", "jmoiron/sqlx", "segmentd/internal/store/sqlstore"} {
			if strings.Contains(dep, driver) {
				t.Errorf("the embedded engine depends on %s", dep)
			}
		}
	}
}
