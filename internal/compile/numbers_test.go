package compile_test

import (
	"slices"
	"testing"

	"github.com/segmentd/segmentd/internal/compile"
	"github.com/segmentd/segmentd/segment"
)

// TestNumericProperties lists the paths whose numbers alone decide a
// condition: numeric aggregates, and predicates only a number satisfies
// (not not_in, which a string satisfies, nor exists, nor a string or time
// operand), in events and funnel steps.
func TestNumericProperties(t *testing.T) {
	tree, err := segment.Decode([]byte(`{"type":"and","children":[
		{"type":"event","event":"buy","aggregate":{"fn":"sum","property":"items.price"},"op":"gte","value":1,
		 "where":[{"property":"total","op":"between","value":[1,2]},{"property":"coupon","op":"in","value":[1,"x"]},
		          {"property":"qty","op":"not_in","value":[1]},{"property":"sku","op":"eq","value":"a"}]},
		{"type":"event","event":"buy","aggregate":{"fn":"last","property":"price"},"op":"gt","value":1,
		 "where":[{"property":"total","op":"lt","value":5},{"property":"gift","op":"exists"}]},
		{"type":"funnel","steps":[{"event":"view","where":[{"property":"price","op":"in","value":[1,2]}]},
		 {"event":"cart","where":[{"property":"price","op":"neq","value":3}]}]}]}`), "")
	if err != nil {
		t.Fatal(err)
	}
	want := []compile.TypedProperty{{"buy", "total"}, {"buy", "items.price"}, {"view", "price"}, {"cart", "price"}}
	if got := compile.NumericProperties(tree); !slices.Equal(got, want) {
		t.Errorf("got %v, want %v", got, want)
	}
}
