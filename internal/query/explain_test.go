package query

import (
	"context"
	"fmt"
	"testing"

	"github.com/segmentd/segmentd/internal/compile"
	"github.com/segmentd/segmentd/segment"
)

type lookupMap map[string]string

func (l lookupMap) Segment(_ context.Context, id string) (segment.Node, error) {
	return segment.Decode([]byte(l[id]), "")
}

// TestExplainerNodes checks the nodes explain reports and how the columns'
// counts fill them: pointers of the tree as given, a reference as one
// node or with its tree under /tree, and the attrition of and and or.
func TestExplainerNodes(t *testing.T) {
	lookup := lookupMap{"seg_a": `{"type":"or","children":[{"type":"event","event":"b"},{"type":"event","event":"c"}]}`}
	given, err := segment.Decode([]byte(`{"type":"and","children":[
		{"type":"event","event":"a"},
		{"type":"not","child":{"type":"attribute","field":"x","op":"exists"}},
		{"type":"segment","segment_id":"seg_a"}]}`), "")
	if err != nil {
		t.Fatal(err)
	}
	expanded, err := segment.Expand(context.Background(), given, "", lookup)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		expand bool
		want   string
	}{
		{false, `[{"" and 100 [110 105 106]} {"/children/0" event 110 []} {"/children/1" not 120 []} {"/children/1/child" attribute 130 []} {"/children/2" segment seg_a 140 []}]`},
		{true, `[{"" and 100 [110 108 109]} {"/children/0" event 110 []} {"/children/1" not 120 []} {"/children/1/child" attribute 130 []} {"/children/2" segment seg_a 140 []} {"/children/2/tree" or 150 [160 110]} {"/children/2/tree/children/0" event 160 []} {"/children/2/tree/children/1" event 170 []}]`},
	} {
		ex := NewExplainer(given, expanded, c.expand)
		// The k-th node's own column counts 100 + 10k, and column i of the
		// attrition (after every node's own) 100 + i, so the test sees
		// which column went where.
		counts := make([]int64, len(ex.Columns))
		nodes := 0
		for i, col := range ex.Columns {
			if len(col.Nodes) == 1 {
				counts[i] = int64(100 + 10*nodes)
				nodes++
			} else {
				counts[i] = int64(100 + i)
			}
		}
		var got []string
		for _, n := range ex.Nodes(counts) {
			id := ""
			if n.SegmentID != "" {
				id = " " + n.SegmentID
			}
			got = append(got, fmt.Sprintf("{%q %s%s %d %v}", n.Pointer, n.Type, id, n.Count, n.Cumulative))
		}
		if s := fmt.Sprint(got); s != c.want {
			t.Errorf("expand %v:\n got %s\nwant %s", c.expand, s, c.want)
		}
		// The and's attrition: a, a∧¬x, a∧¬x∧ref.
		for _, col := range ex.Columns {
			if col.Op == "AND" && len(col.Nodes) != 2 && len(col.Nodes) != 3 {
				t.Errorf("an attrition column of %d nodes", len(col.Nodes))
			}
		}
		if _, err := compile.MakeExplain(expanded, ex.Columns, compile.Options{AppID: "a"}); err != nil {
			t.Fatal(err)
		}
	}
}
