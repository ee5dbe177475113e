package lint_test

import (
	"os/exec"
	"strings"
	"testing"
)

// TestDependsOnTheLanguageOnly: the rules read trees, nothing else, so
// any layer (the API, explain, the single-user checks) may call them.
func TestDependsOnTheLanguageOnly(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", "-f", "{{if not .Standard}}{{.ImportPath}}{{end}}", ".").Output()
	if err != nil {
		t.Fatalf("go list -deps: %v", err)
	}
	for _, dep := range strings.Fields(string(out)) {
		switch dep {
		case "github.com/segmentd/segmentd/internal/lint", "github.com/segmentd/segmentd/segment":
		default:
			t.Errorf("internal/lint depends on %s", dep)
		}
	}
}
