package segment

import (
	"errors"
	"fmt"
	"reflect"
	"testing"
)

const walkTree = `{"type":"and","children":[
	{"type":"attribute","field":"a","op":"exists"},
	{"type":"not","child":{"type":"or","children":[
		{"type":"event","event":"e"},
		{"type":"segment","segment_id":"s"}]}},
	{"type":"funnel","steps":[{"event":"a"},{"event":"b"}]},
	{"type":"or","children":[{"type":"not","child":{"type":"attribute","field":"b","op":"exists"}}]}]}`

type visit struct {
	kind  string
	ptr   string
	depth int
}

func kindOf(n Node) string {
	switch n := n.(type) {
	case *And:
		return "and"
	case *Or:
		return "or"
	case *Not:
		return "not"
	case *Attribute:
		return "attribute:" + n.Field
	case *Event:
		return "event"
	case *Funnel:
		return "funnel"
	case *SegmentRef:
		return "segment"
	}
	return fmt.Sprintf("%T", n)
}

func TestWalk(t *testing.T) {
	tree := mustDecode(t, walkTree)
	all := []visit{
		{"and", "/tree", 1},
		{"attribute:a", "/tree/children/0", 2},
		{"not", "/tree/children/1", 2},
		{"or", "/tree/children/1/child", 3},
		{"event", "/tree/children/1/child/children/0", 4},
		{"segment", "/tree/children/1/child/children/1", 4},
		{"funnel", "/tree/children/2", 2},
		{"or", "/tree/children/3", 2},
		{"not", "/tree/children/3/children/0", 3},
		{"attribute:b", "/tree/children/3/children/0/child", 4},
	}
	skipNot := []visit{all[0], all[1], all[2], all[6], all[7], all[8]}
	skipRoot := []visit{all[0]}
	skipDepth3 := []visit{all[0], all[1], all[2], all[3], all[6], all[7], all[8]}
	cases := []struct {
		name string
		base string
		cont func(Node, string, int) bool
		want []visit
	}{
		{"everything", "/tree", func(Node, string, int) bool { return true }, all},
		{"skip under not", "/tree", func(n Node, _ string, _ int) bool { _, isNot := n.(*Not); return !isNot }, skipNot},
		{"skip under root", "/tree", func(Node, string, int) bool { return false }, skipRoot},
		{"stop at depth 3", "/tree", func(_ Node, _ string, d int) bool { return d < 3 }, skipDepth3},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var got []visit
			Walk(tree, c.base, func(n Node, ptr string, depth int) bool {
				got = append(got, visit{kindOf(n), ptr, depth})
				return c.cont(n, ptr, depth)
			})
			if !reflect.DeepEqual(got, c.want) {
				t.Errorf("Walk visited\n%v\nwant\n%v", got, c.want)
			}
		})
	}

	// With an empty base the pointers are relative to the tree.
	var ptrs []string
	Walk(tree, "", func(_ Node, ptr string, _ int) bool { ptrs = append(ptrs, ptr); return true })
	if ptrs[0] != "" || ptrs[4] != "/children/1/child/children/0" {
		t.Errorf("pointers with an empty base: %q", ptrs)
	}

	// A nil tree is not visited.
	Walk(nil, "", func(Node, string, int) bool { t.Error("visited nil"); return true })
	// A not without its child (built by hand) visits only the not.
	n := 0
	Walk(&Not{}, "", func(Node, string, int) bool { n++; return true })
	if n != 1 {
		t.Errorf("visited %d nodes of an empty not", n)
	}
}

// TestWalkPointersMatchDecode checks that Walk's pointers are those Decode
// uses: a tree whose every leaf is broken reports problems exactly under
// the pointers Walk gives for the leaves.
func TestWalkPointersMatchDecode(t *testing.T) {
	const bad = `{"type":"attribute","field":"a","op":"exists","oops":1}`
	src := `{"type":"and","children":[` + bad + `,{"type":"not","child":{"type":"or","children":[` + bad + `,` + bad + `]}}]}`
	_, err := Decode([]byte(src), "/tree")
	got := paths(problemsOf(t, err))

	good := `{"type":"and","children":[` + leaf + `,{"type":"not","child":{"type":"or","children":[` + leaf + `,` + leaf + `]}}]}`
	var want []string
	Walk(mustDecode(t, good), "/tree", func(n Node, ptr string, _ int) bool {
		if _, ok := n.(*Attribute); ok {
			want = append(want, ptr+"/oops")
		}
		return true
	})
	if !equalStrings(got, sortedCopy(want)) {
		t.Errorf("Decode reports %q, Walk gives %q", got, want)
	}
}

func TestRewrite(t *testing.T) {
	tree := mustDecode(t, walkTree)
	before := tree.String()
	root := tree.(*And)
	child0 := root.Children[0]
	notNode := root.Children[1].(*Not)
	notChild := notNode.Child

	// Replace every attribute by an event and record the order of calls.
	var order []string
	out, err := Rewrite(tree, func(n Node) (Node, error) {
		order = append(order, kindOf(n))
		if a, ok := n.(*Attribute); ok {
			return &Event{Event: "was_" + a.Field, Aggregate: Aggregate{Fn: AggCount}, Op: OpGte, Value: Number(1)}, nil
		}
		return n, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	wantOrder := []string{"attribute:a", "event", "segment", "or", "not", "funnel", "attribute:b", "not", "or", "and"}
	if !reflect.DeepEqual(order, wantOrder) {
		t.Errorf("Rewrite called fn in order %v, want %v (children first)", order, wantOrder)
	}
	// The input is untouched: same text, same nodes at the same places.
	if tree.String() != before {
		t.Errorf("Rewrite modified its input:\n%s\n%s", before, tree.String())
	}
	if root.Children[0] != child0 || root.Children[1] != Node(notNode) || notNode.Child != notChild {
		t.Error("Rewrite replaced nodes in its input")
	}
	// The output has the replacements, in fresh operator nodes.
	if out == tree || out.(*And) == root {
		t.Error("Rewrite returned its input operator")
	}
	var events []string
	Walk(out, "", func(n Node, _ string, _ int) bool {
		if e, ok := n.(*Event); ok {
			events = append(events, e.Event)
		}
		if _, ok := n.(*Attribute); ok {
			t.Error("an attribute survived the rewrite")
		}
		return true
	})
	if !reflect.DeepEqual(events, []string{"was_a", "e", "was_b"}) {
		t.Errorf("events after rewrite: %v", events)
	}

	// The identity rewrite gives an equal tree.
	same, err := Rewrite(tree, func(n Node) (Node, error) { return n, nil })
	if err != nil || same.String() != before {
		t.Errorf("identity rewrite: %v\n%s", err, same)
	}

	// An error stops the rewrite and is returned as it is.
	boom := errors.New("boom")
	calls := 0
	_, err = Rewrite(tree, func(n Node) (Node, error) {
		calls++
		if _, ok := n.(*SegmentRef); ok {
			return nil, boom
		}
		return n, nil
	})
	if err != boom {
		t.Errorf("Rewrite error = %v, want boom", err)
	}
	if calls != 3 {
		t.Errorf("fn called %d times, want 3 (it stops at the first error)", calls)
	}
	if tree.String() != before {
		t.Error("a failed rewrite modified its input")
	}

	// Replacing an operator node is possible too.
	flipped, err := Rewrite(tree, func(n Node) (Node, error) {
		if o, ok := n.(*Or); ok {
			return &And{Children: o.Children}, nil
		}
		return n, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	ors := 0
	Walk(flipped, "", func(n Node, _ string, _ int) bool {
		if _, ok := n.(*Or); ok {
			ors++
		}
		return true
	})
	if ors != 0 || tree.String() != before {
		t.Errorf("%d or nodes remain, input changed: %v", ors, tree.String() != before)
	}
}

func TestChildren(t *testing.T) {
	a := &Attribute{Field: "a", Op: OpExists}
	b := &SegmentRef{SegmentID: "b"}
	cases := []struct {
		n    Node
		want []Node
	}{
		{&And{Children: []Node{a, b}}, []Node{a, b}},
		{&Or{Children: []Node{b}}, []Node{b}},
		{&Not{Child: a}, []Node{a}},
		{a, nil},
		{b, nil},
		{&Event{}, nil},
		{&Funnel{}, nil},
	}
	for _, c := range cases {
		if got := Children(c.n); !reflect.DeepEqual(got, c.want) {
			t.Errorf("Children(%s) = %v, want %v", kindOf(c.n), got, c.want)
		}
	}
}

func TestAttributeKeys(t *testing.T) {
	n, err := Decode([]byte(`{"type":"and","children":[
		{"type":"attribute","field":"address.city","op":"eq","value":"Seoul"},
		{"type":"attribute","field":"user_id","op":"exists"},
		{"type":"not","child":{"type":"attribute","field":"first_seen","op":"gt","value":"2026-01-01T00:00:00Z"}},
		{"type":"or","children":[
			{"type":"attribute","field":"plan","op":"in","value":["pro"]},
			{"type":"attribute","field":"address","op":"exists"},
			{"type":"event","event":"e","where":[{"property":"country","op":"eq","value":"JP"}]},
			{"type":"segment","segment_id":"s"}]}]}`), "")
	if err != nil {
		t.Fatal(err)
	}
	if got, want := AttributeKeys(n), []string{"address", "plan"}; !reflect.DeepEqual(got, want) {
		t.Errorf("AttributeKeys = %q, want %q", got, want)
	}
}
