package segment

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"
)

func ref(id string) string { return `{"type":"segment","segment_id":"` + id + `"}` }

// lookupOf serves saved segments from JSON text, counting the lookups.
func lookupOf(t *testing.T, saved map[string]string) (Lookup, *int) {
	t.Helper()
	trees := map[string]Node{}
	for id, src := range saved {
		trees[id] = mustDecode(t, src)
	}
	calls := new(int)
	return LookupFunc(func(ctx context.Context, id string) (Node, error) {
		*calls++
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		n, ok := trees[id]
		if !ok {
			return nil, fmt.Errorf("segment %q: %w", id, ErrNotFound)
		}
		return n, nil
	}), calls
}

func hasRef(n Node) bool {
	found := false
	Walk(n, "", func(c Node, _ string, _ int) bool {
		if _, ok := c.(*SegmentRef); ok {
			found = true
		}
		return true
	})
	return found
}

func TestExpand(t *testing.T) {
	const (
		ev    = `{"type":"event","event":"buy","window":{"last":"7d"}}`
		attrX = `{"type":"attribute","field":"x","op":"exists"}`
	)
	saved := map[string]string{
		"A":     `{"type":"or","children":[` + ref("B") + `,` + attrX + `]}`,
		"B":     `{"type":"not","child":` + ref("C") + `}`,
		"C":     ev,
		"D":     `{"type":"and","children":[` + ref("C") + `,` + ref("C") + `]}`, // a diamond, not a cycle
		"E":     `{"type":"and","children":[` + ref("D") + `,` + ref("B") + `]}`,
		"leaf":  leaf,
		"inner": `{"type":"and","children":[` + leaf + `]}`,
	}
	cases := []struct {
		name string
		tree string
		want string // the expanded tree, written out by hand
	}{
		{"no references", leaf, leaf},
		{"one reference", ref("leaf"), leaf},
		{"three deep", `{"type":"and","children":[` + ref("A") + `,` + leaf + `]}`,
			`{"type":"and","children":[{"type":"or","children":[{"type":"not","child":` + ev + `},` + attrX + `]},` + leaf + `]}`},
		{"diamond", ref("D"), `{"type":"and","children":[` + ev + `,` + ev + `]}`},
		{"same segment twice in the top tree", `{"type":"or","children":[` + ref("C") + `,` + ref("C") + `]}`,
			`{"type":"or","children":[` + ev + `,` + ev + `]}`},
		{"reference under not", `{"type":"not","child":` + ref("inner") + `}`,
			`{"type":"not","child":{"type":"and","children":[` + leaf + `]}}`},
		{"four deep with diamond", ref("E"),
			`{"type":"and","children":[{"type":"and","children":[` + ev + `,` + ev + `]},{"type":"not","child":` + ev + `}]}`},
	}
	lookup, _ := lookupOf(t, saved)
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			tree := mustDecode(t, c.tree)
			before := tree.String()
			out, err := Expand(context.Background(), tree, "/tree", lookup)
			if err != nil {
				t.Fatalf("Expand: %v", err)
			}
			if want := mustDecode(t, c.want).String(); out.String() != want {
				t.Errorf("Expand =\n%s\nwant\n%s", out, want)
			}
			if hasRef(out) {
				t.Error("a reference survived expansion")
			}
			if tree.String() != before {
				t.Error("Expand modified its input")
			}
		})
	}
}

func TestExpandProblems(t *testing.T) {
	saved := map[string]string{
		"ok":        leaf,
		"self":      ref("self"),
		"A":         `{"type":"and","children":[` + leaf + `,` + ref("B") + `]}`,
		"B":         `{"type":"not","child":` + ref("A") + `}`,
		"toMissing": `{"type":"or","children":[` + ref("nope") + `]}`,
		"deepCycle": ref("A"),
		"loop1":     ref("loop2"),
		"loop2":     ref("loop3"),
		"loop3":     ref("loop1"),
		"selfDeep":  `{"type":"and","children":[` + leaf + `,{"type":"not","child":` + ref("selfDeep") + `}]}`,
	}
	cases := []struct {
		name string
		tree string
		want []string
	}{
		{"missing", `{"type":"and","children":[` + leaf + `,` + ref("nope") + `]}`, []string{"/tree/children/1/segment_id"}},
		{"missing at the root", ref("nope"), []string{"/tree/segment_id"}},
		{"two missing", `{"type":"or","children":[` + ref("x") + `,{"type":"not","child":` + ref("y") + `}]}`,
			[]string{"/tree/children/0/segment_id", "/tree/children/1/child/segment_id"}},
		{"missing inside a referenced segment", `{"type":"and","children":[` + leaf + `,` + ref("toMissing") + `]}`, []string{"/tree/children/1"}},
		{"self reference", `{"type":"and","children":[` + leaf + `,` + ref("self") + `]}`, []string{"/tree/children/1"}},
		{"self reference below the top", ref("selfDeep"), []string{"/tree"}},
		{"cycle A B A", `{"type":"or","children":[` + ref("ok") + `,` + ref("A") + `]}`, []string{"/tree/children/1"}},
		{"cycle B A B", `{"type":"not","child":` + ref("B") + `}`, []string{"/tree/child"}},
		{"cycle below the reference", ref("deepCycle"), []string{"/tree"}},
		{"three-segment loop", `{"type":"and","children":[` + ref("loop2") + `]}`, []string{"/tree/children/0"}},
		{"cycle and missing", `{"type":"and","children":[` + ref("A") + `,` + ref("gone") + `,` + ref("ok") + `]}`,
			[]string{"/tree/children/0", "/tree/children/1/segment_id"}},
	}
	lookup, _ := lookupOf(t, saved)
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			tree := mustDecode(t, c.tree)
			out, err := Expand(context.Background(), tree, "/tree", lookup)
			if out != nil {
				t.Errorf("Expand returned a tree with an error: %s", out)
			}
			ps := problemsOf(t, err)
			if got := paths(ps); !equalStrings(got, sortedCopy(c.want)) {
				t.Errorf("problems at %q, want %q\n%v", got, c.want, err)
			}
			for _, p := range ps {
				if p.Code != CodeInvalidTree || p.Message == "" {
					t.Errorf("problem %+v", p)
				}
			}
		})
	}

	// The cycle message names the chain.
	_, err := Expand(context.Background(), mustDecode(t, ref("A")), "", lookup)
	if err == nil || !strings.Contains(err.Error(), "cycle") || !strings.Contains(err.Error(), "A → B → A") {
		t.Errorf("cycle error = %v", err)
	}
}

func TestExpandLookupErrors(t *testing.T) {
	boom := errors.New("database is down")
	lookup := LookupFunc(func(_ context.Context, id string) (Node, error) {
		switch id {
		case "ok":
			return mustDecode(t, leaf), nil
		case "outer":
			return mustDecode(t, `{"type":"not","child":`+ref("broken")+`}`), nil
		case "missing":
			return nil, ErrNotFound
		}
		return nil, boom
	})
	for _, tree := range []string{
		ref("broken"),
		ref("outer"),
		`{"type":"and","children":[` + ref("ok") + `,` + ref("broken") + `]}`,
		`{"type":"and","children":[` + ref("missing") + `,` + ref("broken") + `]}`,
	} {
		out, err := Expand(context.Background(), mustDecode(t, tree), "/tree", lookup)
		if err != boom || out != nil {
			t.Errorf("Expand(%s) = %v, %v; want the lookup's error as it is", tree, out, err)
		}
	}

	// The context reaches the lookup.
	type key struct{}
	ctx := context.WithValue(context.Background(), key{}, "here")
	var seen any
	_, err := Expand(ctx, mustDecode(t, ref("x")), "", LookupFunc(func(ctx context.Context, _ string) (Node, error) {
		seen = ctx.Value(key{})
		return mustDecode(t, leaf), nil
	}))
	if err != nil || seen != "here" {
		t.Errorf("context value %v, err %v", seen, err)
	}
	cancelled, cancel := context.WithCancel(context.Background())
	cancel()
	l, _ := lookupOf(t, map[string]string{"x": leaf})
	if _, err := Expand(cancelled, mustDecode(t, ref("x")), "", l); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled context: %v", err)
	}

	// Without a lookup, a reference is a problem and a plain tree passes.
	if _, err := Expand(context.Background(), mustDecode(t, `{"type":"not","child":`+ref("x")+`}`), "/tree", nil); err == nil {
		t.Error("a reference expanded without a lookup")
	} else if got := paths(problemsOf(t, err)); !equalStrings(got, []string{"/tree/child"}) {
		t.Errorf("problems at %q", got)
	}
	if out, err := Expand(context.Background(), mustDecode(t, leaf), "", nil); err != nil || out.String() != mustDecode(t, leaf).String() {
		t.Errorf("plain tree without lookup: %v", err)
	}
}

// nested returns n nodes nested as not(not(...(leaf))): depth n.
func nested(n int) string {
	return strings.Repeat(`{"type":"not","child":`, n-1) + leaf + strings.Repeat("}", n-1)
}

// nestedRef is like nested with a reference as its innermost node.
func nestedRef(n int, id string) string {
	return strings.Repeat(`{"type":"not","child":`, n-1) + ref(id) + strings.Repeat("}", n-1)
}

// wide returns an or of n-1 leaves: n nodes, depth 2.
func wide(n int) string {
	return `{"type":"or","children":[` + repeatJSON(leaf, n-1) + `]}`
}

// sized returns a tree of exactly n nodes (n >= 2) of depth 3: an and of ors
// of up to 64 leaves.
func sized(n int) string {
	if n == 2 {
		return `{"type":"and","children":[` + leaf + `]}`
	}
	var ors []string
	rest := n - 1
	for rest > 0 {
		k := min(rest, 65)
		if k == 1 { // an or needs a child: take one from the previous or
			k = 2
			last := len(ors) - 1
			ors[last] = wide(64)
		}
		ors = append(ors, wide(k))
		rest -= k
	}
	return `{"type":"and","children":[` + strings.Join(ors, ",") + `]}`
}

func countNodes(n Node) (nodes, depth int) {
	Walk(n, "", func(_ Node, _ string, d int) bool {
		nodes++
		depth = max(depth, d)
		return true
	})
	return nodes, depth
}

func TestCheckLimits(t *testing.T) {
	cases := []struct {
		name string
		tree string
		want []string
	}{
		{"one node", leaf, nil},
		{"depth 16", nested(16), nil},
		{"depth 17", nested(17), []string{"/tree" + strings.Repeat("/child", 16)}},
		{"depth 30", nested(30), []string{"/tree" + strings.Repeat("/child", 16)}},
		{"256 nodes", sized(256), nil},
		{"257 nodes", sized(257), []string{"/tree"}},
		{"1000 nodes", sized(1000), []string{"/tree"}},
		{"deep and large", `{"type":"and","children":[` + sized(300) + `,` + nested(16) + `]}`,
			[]string{"/tree", "/tree/children/1" + strings.Repeat("/child", 15)}},
		{"unexpanded reference counts as one node", `{"type":"and","children":[` + ref("x") + `]}`, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			tree := mustDecode(t, c.tree)
			err := CheckLimits(tree, "/tree")
			if c.want == nil {
				if err != nil {
					t.Fatalf("CheckLimits: %v", err)
				}
				return
			}
			if got := paths(problemsOf(t, err)); !equalStrings(got, sortedCopy(c.want)) {
				t.Errorf("problems at %q, want %q\n%v", got, c.want, err)
			}
		})
	}
	// The helpers build what they say.
	for _, n := range []int{2, 65, 66, 67, 130, 256, 257} {
		if got, _ := countNodes(mustDecode(t, sized(n))); got != n {
			t.Errorf("sized(%d) has %d nodes", n, got)
		}
	}
	if _, d := countNodes(mustDecode(t, nested(17))); d != 17 {
		t.Errorf("nested(17) has depth %d", d)
	}
}

// TestExpandLimits checks the limits on the expanded tree, for trees
// within them before expansion.
func TestExpandLimits(t *testing.T) {
	saved := map[string]string{
		"w65":    wide(65),           // 65 nodes
		"w64":    wide(64),           // 64 nodes
		"d8":     nested(8),          // depth 8
		"d7":     nested(7),          // depth 7
		"viaD8":  ref("d8"),          // depth 8 through another reference
		"deepD8": nestedRef(3, "d8"), // depth 10
		"big":    sized(256),
		"pair":   `{"type":"and","children":[` + ref("w64") + `,` + ref("w64") + `]}`, // 129 nodes
		"one":    leaf,
		// 256 nodes of which 251 are references: 252 lookups to expand "fan".
		"fan": `{"type":"and","children":[` + repeatJSON(`{"type":"or","children":[`+repeatJSON(ref("one"), 63)+`]}`, 3) +
			`,{"type":"or","children":[` + repeatJSON(ref("one"), 62) + `]}]}`,
	}
	three := func(id string, n int) string {
		refs := make([]string, n)
		for i := range refs {
			refs[i] = ref(id)
		}
		return `{"type":"and","children":[` + strings.Join(refs, ",") + `]}`
	}
	cases := []struct {
		name string
		tree string
		want []string
	}{
		{"3 x 65 + 1 nodes", three("w65", 3), nil},
		{"4 x 65 + 1 nodes", three("w65", 4), []string{"/tree"}},
		{"3 x 64 + 1 + 64 nodes", `{"type":"and","children":[` + ref("w64") + `,` + ref("w64") + `,` + ref("w64") + `,` + wide(63) + `]}`, nil}, // 1+192+63
		{"257 nodes", `{"type":"and","children":[` + ref("w64") + `,` + ref("w64") + `,` + ref("w64") + `,` + wide(64) + `]}`, []string{"/tree"}},
		{"a 256-node segment alone", ref("big"), nil},
		{"a 256-node segment under not", `{"type":"not","child":` + ref("big") + `}`, []string{"/tree"}},
		{"two pairs", three("pair", 2), []string{"/tree"}}, // 1 + 2 x 129
		{"one pair", three("pair", 1), nil},                // 130
		{"252 lookups, 256 nodes", ref("fan"), nil},
		{"252 lookups, 257 nodes", `{"type":"not","child":` + ref("fan") + `}`, []string{"/tree"}},
		{"depth 9 + 7", nestedRef(10, "d7"), nil}, // depth 9 - 1 + ... = 16
		{"depth 9 + 8", nestedRef(10, "d8"), []string{"/tree" + strings.Repeat("/child", 9)}},
		{"depth 9 + 8 through a reference", nestedRef(10, "viaD8"), []string{"/tree" + strings.Repeat("/child", 9)}},
		{"depth 7 + 10", nestedRef(8, "deepD8"), []string{"/tree" + strings.Repeat("/child", 7)}},
		{"depth 6 + 10", nestedRef(7, "deepD8"), nil},
		{"deep and large", `{"type":"and","children":[` + ref("big") + `,` + nestedRef(9, "d8") + `]}`,
			[]string{"/tree", "/tree/children/1" + strings.Repeat("/child", 8)}},
	}
	lookup, _ := lookupOf(t, saved)
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			tree := mustDecode(t, c.tree)
			if err := CheckLimits(tree, "/tree"); err != nil {
				t.Fatalf("the tree is over the limits before expansion: %v", err)
			}
			out, err := Expand(context.Background(), tree, "/tree", lookup)
			if c.want == nil {
				if err != nil {
					t.Fatalf("Expand: %v", err)
				}
				if nodes, depth := countNodes(out); nodes > MaxNodes || depth > MaxDepth {
					t.Errorf("expanded to %d nodes, depth %d", nodes, depth)
				}
				if err := CheckLimits(out, "/tree"); err != nil {
					t.Errorf("CheckLimits on the expanded tree: %v", err)
				}
				return
			}
			if out != nil {
				t.Error("Expand returned a tree with an error")
			}
			if got := paths(problemsOf(t, err)); !equalStrings(got, sortedCopy(c.want)) {
				t.Errorf("problems at %q, want %q\n%v", got, c.want, err)
			}
		})
	}
}

// TestExpandBlowUp: saved segments that each reference the next many times
// expand exponentially. Every segment is small, and each could have been
// saved while the ones it references were still leaves. Expand must give up
// early with a limit problem, without expanding (or looking up) them all.
func TestExpandBlowUp(t *testing.T) {
	const levels = 6 // 64^6 nodes if expanded in full
	saved := map[string]string{fmt.Sprint("L", levels): leaf}
	for i := levels - 1; i >= 0; i-- {
		refs := make([]string, 64)
		for j := range refs {
			refs[j] = ref(fmt.Sprint("L", i+1))
		}
		saved[fmt.Sprint("L", i)] = `{"type":"or","children":[` + strings.Join(refs, ",") + `]}`
	}
	lookup, calls := lookupOf(t, saved)
	done := make(chan error, 1)
	go func() {
		_, err := Expand(context.Background(), mustDecode(t, `{"type":"not","child":`+ref("L0")+`}`), "/tree", lookup)
		done <- err
	}()
	select {
	case err := <-done:
		ps := problemsOf(t, err)
		if len(ps) != 1 || (ps[0].Path != "/tree" && ps[0].Path != "/tree/child") {
			t.Errorf("problems %+v", ps)
		}
		if *calls > 2*MaxNodes {
			t.Errorf("%d lookups for a tree that cannot have more than %d nodes", *calls, MaxNodes)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("Expand did not return")
	}
}
