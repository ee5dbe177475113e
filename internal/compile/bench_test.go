package compile_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/segmentd/segmentd/internal/compile"
	"github.com/segmentd/segmentd/internal/corpus"
	"github.com/segmentd/segmentd/segment"
)

// tree50 is a 50-node tree: an and of 7 ors of 6 leaves each, the leaves
// cycling through attribute, event and funnel conditions with predicates
// and windows of every kind.
func tree50() []byte {
	leaves := []string{
		`{"type":"attribute","field":"country","op":"in","value":["JP","KR","US"]}`,
		`{"type":"event","event":"$buy","where":[{"property":"items.price","op":"gte","value":1000}],"aggregate":{"fn":"sum","property":"items.price"},"window":{"calendar":"week","offset":-1},"op":"lte","value":100}`,
		`{"type":"event","event":"$session","window":{"last":"7d"},"op":"gt","value":10}`,
		`{"type":"attribute","field":"first_seen","op":"lt","value":{"ago":"30d"}}`,
		`{"type":"event","event":"$meta","aggregate":{"fn":"last","property":"isMember"},"window":{"calendar":"day","offset":0},"op":"eq","value":1}`,
		`{"type":"funnel","steps":[{"event":"view_item"},{"event":"add_to_cart"},{"event":"$buy"}],"within":"1d","window":{"last":"30d"}}`,
	}
	ors := make([]string, 7)
	for i := range ors {
		ors[i] = `{"type":"or","children":[` + strings.Join(leaves, ",") + `]}`
	}
	return []byte(`{"type":"and","children":[` + strings.Join(ors, ",") + `]}`)
}

func TestTree50HasFiftyNodes(t *testing.T) {
	tree, err := segment.Decode(tree50(), "")
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	segment.Walk(tree, "", func(segment.Node, string, int) bool { n++; return true })
	if n != 50 {
		t.Fatalf("tree50 has %d nodes", n)
	}
}

func BenchmarkDecodeValidate50(b *testing.B) {
	data := tree50()
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		tree, err := segment.Decode(data, "")
		if err != nil {
			b.Fatal(err)
		}
		if _, err := segment.Expand(ctx, tree, "", nil); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkCompile50 is a compilation whose plan shape was seen before (a
// segment counted again): planning, the render cache and parameters.
// BenchmarkCompile50Cold runs the templates every time.
func BenchmarkCompile50(b *testing.B) { benchCompile(b, compile.Render) }

func BenchmarkCompile50Cold(b *testing.B) { benchCompile(b, compile.RenderUncached) }

func benchCompile(b *testing.B, render func(*compile.Plan, *compile.Dialect, compile.Tables) (*compile.SQL, error)) {
	tree, err := segment.Decode(tree50(), "")
	if err != nil {
		b.Fatal(err)
	}
	for _, d := range []*compile.Dialect{compile.DuckDB, compile.Trino} {
		for _, st := range []compile.Strategy{compile.Fused, compile.Naive} {
			b.Run(fmt.Sprintf("%s/%s", d.Name, st), func(b *testing.B) {
				opt := compile.Options{AppID: "bench", AsOf: corpus.AsOf, Location: corpus.Location(), Strategy: st}
				b.ReportAllocs()
				for b.Loop() {
					p, err := compile.MakePlan(tree, opt)
					if err != nil {
						b.Fatal(err)
					}
					if _, err := render(p, d, compile.DefaultTables); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}
