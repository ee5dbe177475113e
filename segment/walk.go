package segment

import (
	"fmt"
	"slices"
)

// The JSON keys an operator's children sit under: an array under
// "children" (and, or), one node under "child" (not).
const (
	keyChildren = "children"
	keyChild    = "child"
)

// shape is what the passes over a tree need to know of a node without
// knowing its type: the name in its JSON "type" field and, for an operator,
// the key its children sit under, the children, and how to build the same
// operator over other children (build is nil for a leaf).
type shape struct {
	name     string
	key      string
	children []Node
	build    func(children []Node) Node
}

// shapeOf is the one type switch over the node set: Walk, Rewrite,
// Children and the canonical form all go through it. As go/ast's Walk
// does, it panics on a type it does not know. The set is sealed, so that
// can only be a node type added to the set without a case here (or a nil
// node), and failing at once beats a traversal that silently skips it.
func shapeOf(n Node) shape {
	switch n := n.(type) {
	case *And:
		return shape{"and", keyChildren, n.Children, func(cs []Node) Node { return &And{Children: cs} }}
	case *Or:
		return shape{"or", keyChildren, n.Children, func(cs []Node) Node { return &Or{Children: cs} }}
	case *Not:
		return shape{"not", keyChild, []Node{n.Child}, func(cs []Node) Node { return &Not{Child: cs[0]} }}
	case *Attribute:
		return shape{name: "attribute"}
	case *Event:
		return shape{name: "event"}
	case *Funnel:
		return shape{name: "funnel"}
	case *SegmentRef:
		return shape{name: "segment"}
	}
	panic(fmt.Sprintf("segment: %T is not a node type", n))
}

// pointer returns the JSON Pointer of the i-th child of the node at ptr.
func (s shape) pointer(ptr string, i int) string {
	p := Pointer(ptr, s.key)
	if s.key == keyChildren {
		p = Pointer(p, i)
	}
	return p
}

// Walk visits n and its descendants depth first, children in order. fn
// receives each node with its JSON Pointer (relative to base) and its depth
// (1 for n); when fn returns false, the node's children are skipped. A nil
// node (the missing child of a not built by hand) is not visited.
//
// Walk is the one traversal of a tree: every pass that inspects nodes uses
// it rather than its own recursion. It panics on a node type it does not
// know.
func Walk(n Node, base string, fn func(n Node, ptr string, depth int) bool) {
	walk(n, base, 1, fn)
}

func walk(n Node, ptr string, depth int, fn func(Node, string, int) bool) {
	if n == nil || !fn(n, ptr, depth) {
		return
	}
	s := shapeOf(n)
	for i, c := range s.children {
		walk(c, s.pointer(ptr, i), depth+1, fn)
	}
}

// Rewrite rebuilds the tree bottom-up: the children of an operator are
// rewritten first, then fn replaces the node itself (returning it as it is
// keeps it). The input tree is not modified. It panics on a node type it
// does not know.
func Rewrite(n Node, fn func(Node) (Node, error)) (Node, error) {
	s := shapeOf(n)
	if s.build == nil {
		return fn(n)
	}
	cs := make([]Node, len(s.children))
	for i, c := range s.children {
		var err error
		if cs[i], err = Rewrite(c, fn); err != nil {
			return nil, err
		}
	}
	return fn(s.build(cs))
}

// TypeName is the node's "type" in JSON: "and", "event", …. It panics on
// a node type it does not know.
func TypeName(n Node) string { return shapeOf(n).name }

// Children returns the direct children of an operator node (none for a
// leaf). It panics on a node type it does not know.
func Children(n Node) []Node { return shapeOf(n).children }

// References returns the IDs of the segments n references directly, in
// order, each once.
func References(n Node) []string {
	var ids []string
	seen := map[string]bool{}
	Walk(n, "", func(c Node, _ string, _ int) bool {
		if ref, ok := c.(*SegmentRef); ok && !seen[ref.SegmentID] {
			seen[ref.SegmentID] = true
			ids = append(ids, ref.SegmentID)
		}
		return true
	})
	return ids
}

// AttributeKeys is the first keys of the attribute paths n's attribute
// conditions read (the built-in fields aside), each once, in tree order.
// References are not followed.
func AttributeKeys(n Node) []string {
	var keys []string
	Walk(n, "", func(c Node, _ string, _ int) bool {
		a, ok := c.(*Attribute)
		if !ok || a.Field == FieldUserID || IsTimeField(a.Field) {
			return true
		}
		if k := PathSegments(a.Field)[0]; !slices.Contains(keys, k) {
			keys = append(keys, k)
		}
		return true
	})
	return keys
}
