package compile_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/segmentd/segmentd/internal/compile"
	"github.com/segmentd/segmentd/internal/corpus"
	"github.com/segmentd/segmentd/segment"
)

// TestUnexpandedReference checks that a reference left in a tree is a bug
// of the caller, reported as the reference evaluator reports it: an error
// wrapping segment.ErrUnexpanded that names the segment, in both
// dialects and both strategies.
func TestUnexpandedReference(t *testing.T) {
	tree, err := segment.Decode([]byte(`{"type":"and","children":[
		{"type":"attribute","field":"plan","op":"exists"},
		{"type":"not","child":{"type":"segment","segment_id":"seg_vip"}}]}`), "")
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range []*compile.Dialect{compile.DuckDB, compile.Trino} {
		for _, st := range []compile.Strategy{compile.Fused, compile.Naive} {
			opt := compile.Options{AppID: "app", AsOf: corpus.AsOf, Strategy: st}
			_, err := compile.Compile(tree, d, opt, compile.DefaultTables)
			if !errors.Is(err, segment.ErrUnexpanded) || !strings.Contains(err.Error(), `"seg_vip"`) {
				t.Errorf("%s %s: Compile = %v, want segment.ErrUnexpanded naming seg_vip", d.Name, st, err)
			}
		}
	}
}
