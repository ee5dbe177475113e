package segment

// Walk visits n and its descendants depth first, children in order. fn
// receives each node with its JSON Pointer (relative to base) and its depth
// (1 for n); when fn returns false, the node's children are skipped.
//
// Walk is the one traversal of a tree: every pass that inspects nodes uses
// it rather than its own recursion.
func Walk(n Node, base string, fn func(n Node, ptr string, depth int) bool) {
	walk(n, base, 1, fn)
}

func walk(n Node, ptr string, depth int, fn func(Node, string, int) bool) {
	if n == nil || !fn(n, ptr, depth) {
		return
	}
	switch n := n.(type) {
	case *And:
		for i, c := range n.Children {
			walk(c, Pointer(Pointer(ptr, "children"), i), depth+1, fn)
		}
	case *Or:
		for i, c := range n.Children {
			walk(c, Pointer(Pointer(ptr, "children"), i), depth+1, fn)
		}
	case *Not:
		walk(n.Child, Pointer(ptr, "child"), depth+1, fn)
	case *Attribute, *Event, *Funnel, *SegmentRef:
		// leaves
	}
}

// Rewrite rebuilds the tree bottom-up: the children of an operator are
// rewritten first, then fn replaces the node itself (returning it as it is
// keeps it). The input tree is not modified.
func Rewrite(n Node, fn func(Node) (Node, error)) (Node, error) {
	switch n := n.(type) {
	case *And:
		cs, err := rewriteAll(n.Children, fn)
		if err != nil {
			return nil, err
		}
		return fn(&And{Children: cs})
	case *Or:
		cs, err := rewriteAll(n.Children, fn)
		if err != nil {
			return nil, err
		}
		return fn(&Or{Children: cs})
	case *Not:
		c, err := Rewrite(n.Child, fn)
		if err != nil {
			return nil, err
		}
		return fn(&Not{Child: c})
	default:
		return fn(n)
	}
}

func rewriteAll(ns []Node, fn func(Node) (Node, error)) ([]Node, error) {
	out := make([]Node, len(ns))
	for i, c := range ns {
		var err error
		if out[i], err = Rewrite(c, fn); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// Children returns the direct children of an operator node (none for a
// leaf).
func Children(n Node) []Node {
	switch n := n.(type) {
	case *And:
		return n.Children
	case *Or:
		return n.Children
	case *Not:
		return []Node{n.Child}
	}
	return nil
}

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
