package segment_test

import (
	"os/exec"
	"slices"
	"strings"
	"testing"
)

// TestStandardLibraryOnly keeps the tree language on the ground floor:
// every layer above imports it, so it imports nothing but the standard
// library (no driver, no HTTP, none of internal/).
func TestStandardLibraryOnly(t *testing.T) {
	const self = "github.com/segmentd/segmentd/segment"
	out, err := exec.Command("go", "list", "-deps", "-f", "{{if not .Standard}}{{.ImportPath}}{{end}}", ".").Output()
	if err != nil {
		t.Fatalf("go list -deps: %v", err)
	}
	listed := strings.Fields(string(out))
	if !slices.Contains(listed, self) {
		t.Fatalf("go list -deps did not list %s itself: %q", self, listed)
	}
	for _, dep := range listed {
		if dep != self {
			t.Errorf("%s depends on %s, outside the standard library", self, dep)
		}
	}
}
