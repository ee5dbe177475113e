package segment

import (
	"strings"
	"testing"
)

// alien is a node type the traversal does not know: a node type added to
// the sealed set without its case in shapeOf.
type alien struct{}

func (alien) String() string { return "alien" }
func (alien) node()          {}

// TestUnknownNodePanics checks that every pass over a tree fails loudly on
// a node type it does not know, wherever the node sits, rather than
// skipping it as a leaf.
func TestUnknownNodePanics(t *testing.T) {
	inside := &And{Children: []Node{&Attribute{Field: "a", Op: OpExists}, &Not{Child: alien{}}}}
	keep := func(n Node) (Node, error) { return n, nil }
	cases := []struct {
		name string
		pass func()
	}{
		{"Walk", func() { Walk(alien{}, "", func(Node, string, int) bool { return true }) }},
		{"Walk inside", func() { Walk(inside, "", func(Node, string, int) bool { return true }) }},
		{"Rewrite", func() { _, _ = Rewrite(alien{}, keep) }},
		{"Rewrite inside", func() { _, _ = Rewrite(inside, keep) }},
		{"Children", func() { Children(alien{}) }},
		{"String inside", func() { _ = inside.String() }},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			defer func() {
				r := recover()
				if msg, _ := r.(string); !strings.Contains(msg, "segment.alien is not a node type") {
					t.Errorf("recovered %v, want a panic naming the type", r)
				}
			}()
			c.pass()
		})
	}
}
