package segment

import (
	"context"
	"errors"
	"fmt"
	"strings"
)

// ErrNotFound is what a Lookup returns for a segment that does not exist in
// the app (including one that exists only in another app).
var ErrNotFound = errors.New("segment not found")

// ErrUnexpanded is the error of a pass that needs an expanded tree
// (evaluation, compilation) and meets a segment reference. Expand removes
// every reference, and the application layer expands a tree before it
// evaluates or compiles it, so this is a bug of the caller, never a
// problem of the client's tree: the compiler returns it wrapped, and the
// reference evaluator, which returns no errors, panics with it.
var ErrUnexpanded = errors.New("segment reference not expanded")

// Lookup finds the current tree of a saved segment of the app being
// evaluated.
type Lookup interface {
	Segment(ctx context.Context, id string) (Node, error)
}

// LookupFunc adapts a function to Lookup.
type LookupFunc func(ctx context.Context, id string) (Node, error)

// Segment calls f.
func (f LookupFunc) Segment(ctx context.Context, id string) (Node, error) { return f(ctx, id) }

// Expand replaces every segment reference by the referenced tree, expanded
// in turn, and then checks the limits on the result. A missing segment, a
// cycle or a tree over the limits is reported as an *Error whose problems
// point at the reference in n (base is n's pointer in the request body).
// Other lookup failures are returned as they are.
func Expand(ctx context.Context, n Node, base string, lookup Lookup) (Node, error) {
	x := &expander{ctx: ctx, lookup: lookup, size: map[Node]size{}}
	out, err := x.expand(n, base, nil)
	if errors.Is(err, errTooLarge) {
		x.problems.add(base, "the tree has more than %d nodes once references are expanded", MaxNodes)
		return nil, x.problems.err()
	}
	if err != nil {
		return nil, err
	}
	if err := x.problems.err(); err != nil {
		return nil, err
	}
	if err := checkLimits(n, base, x.size); err != nil {
		return nil, err
	}
	return out, nil
}

// CheckLimits checks depth and node count of a tree that holds no
// references (or whose references are not expanded yet).
func CheckLimits(n Node, base string) error { return checkLimits(n, base, nil) }

// size is the depth and node count of an expanded reference.
type size struct{ depth, nodes int }

type expander struct {
	ctx      context.Context
	lookup   Lookup
	problems problems
	// size records, for each reference of the top tree, what it expands to.
	size map[Node]size
	// lookups counts the segments looked up so far. Each one becomes at
	// least one node of the expanded tree, so past MaxNodes the tree is
	// over the limit: stopping there keeps references that fan out at every
	// level from expanding exponentially before the limits are checked.
	lookups int
}

// errTooLarge stops an expansion that is over MaxNodes already.
var errTooLarge = errors.New("expansion over the node limit")

// expand rewrites n, whose references are located by base when n is the
// top tree; chain is the list of segment IDs being expanded (empty at the
// top).
func (x *expander) expand(n Node, base string, chain []string) (Node, error) {
	at := map[Node]string{}
	Walk(n, base, func(c Node, ptr string, _ int) bool {
		if _, ok := c.(*SegmentRef); ok {
			at[c] = ptr
		}
		return true
	})
	return Rewrite(n, func(c Node) (Node, error) {
		ref, ok := c.(*SegmentRef)
		if !ok {
			return c, nil
		}
		ptr := at[c]
		if len(chain) > 0 {
			ptr = "" // inside a referenced segment: the top reference is reported
		}
		return x.resolve(ref, ptr, chain)
	})
}

func (x *expander) resolve(ref *SegmentRef, ptr string, chain []string) (Node, error) {
	top := len(chain) == 0
	report := func(format string, args ...any) (Node, error) {
		if top {
			x.problems.add(ptr, format, args...)
			return ref, nil
		}
		return nil, &chainError{msg: fmt.Sprintf(format, args...)}
	}
	for _, id := range chain {
		if id == ref.SegmentID {
			return report("segment references form a cycle: %s", strings.Join(append(chain, ref.SegmentID), " → "))
		}
	}
	if x.lookup == nil {
		return report("segment %q cannot be resolved here", ref.SegmentID)
	}
	if x.lookups++; x.lookups > MaxNodes {
		return nil, errTooLarge
	}
	tree, err := x.lookup.Segment(x.ctx, ref.SegmentID)
	if err == nil && tree == nil {
		err = ErrNotFound // a lookup that found nothing, said otherwise
	}
	if errors.Is(err, ErrNotFound) {
		if top {
			x.problems.add(Pointer(ptr, "segment_id"), "segment %q does not exist in this app", ref.SegmentID)
			return ref, nil
		}
		return report("segment %q, referenced through %s, does not exist in this app", ref.SegmentID, strings.Join(chain, " → "))
	}
	if err != nil {
		return nil, err
	}
	out, err := x.expand(tree, "", append(chain[:len(chain):len(chain)], ref.SegmentID))
	var ce *chainError
	if errors.As(err, &ce) && top {
		return report("%s", ce.msg)
	}
	if err != nil {
		return nil, err
	}
	if top {
		s := size{}
		Walk(out, "", func(_ Node, _ string, depth int) bool {
			s.nodes++
			s.depth = max(s.depth, depth)
			return true
		})
		x.size[ref] = s
	}
	return out, nil
}

// chainError carries a problem found inside a referenced segment up to the
// reference in the top tree, where it is reported.
type chainError struct{ msg string }

func (e *chainError) Error() string { return e.msg }

// checkLimits walks the top tree, counting each expanded reference as the
// tree it stands for.
func checkLimits(n Node, base string, refs map[Node]size) error {
	var ps problems
	nodes, tooDeep := 0, false
	Walk(n, base, func(c Node, ptr string, depth int) bool {
		s, expanded := refs[c]
		if !expanded {
			s = size{depth: 1, nodes: 1}
		}
		nodes += s.nodes
		if depth-1+s.depth > MaxDepth && !tooDeep {
			tooDeep = true
			if expanded {
				ps.add(ptr, "this reference makes the tree deeper than %d levels once expanded", MaxDepth)
			} else {
				ps.add(ptr, "the tree is deeper than %d levels", MaxDepth)
			}
		}
		return true
	})
	if nodes > MaxNodes {
		ps.add(base, "the tree has %d nodes once references are expanded; at most %d are allowed", nodes, MaxNodes)
	}
	return ps.err()
}
