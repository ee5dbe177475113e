package corpus_test

import (
	"context"
	"testing"

	"github.com/segmentd/segmentd/internal/corpus"
	"github.com/segmentd/segmentd/segment"
)

// TestLargestAtLimits: the largest trees are valid and at the limits, so
// that the tests that compile and run them test the largest plans.
func TestLargestAtLimits(t *testing.T) {
	var depth, children, steps int
	for _, c := range append(corpus.Largest(), corpus.LargestFunnels(2)...) {
		n, err := segment.Decode(c.JSON, "")
		if err != nil {
			t.Fatalf("%s: %v", c.Name, err)
		}
		x, err := segment.Expand(context.Background(), n, "", corpus.LargestLookup())
		if err != nil {
			t.Fatalf("%s: %v", c.Name, err)
		}
		nodes := 0
		segment.Walk(x, "", func(n segment.Node, _ string, d int) bool {
			nodes++
			depth = max(depth, d)
			switch n := n.(type) {
			case *segment.And:
				children = max(children, len(n.Children))
			case *segment.Or:
				children = max(children, len(n.Children))
			case *segment.Funnel:
				steps = max(steps, len(n.Steps))
			}
			return true
		})
		if _, isFunnel := x.(*segment.Funnel); !isFunnel && nodes != segment.MaxNodes {
			t.Errorf("%s: %d nodes, want %d", c.Name, nodes, segment.MaxNodes)
		}
	}
	if depth != segment.MaxDepth || children != segment.MaxChildren || steps != segment.MaxSteps {
		t.Errorf("depth %d, children %d, steps %d: want the limits %d, %d, %d", depth, children, steps, segment.MaxDepth, segment.MaxChildren, segment.MaxSteps)
	}
}
