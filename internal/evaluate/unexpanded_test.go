package evaluate_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/segmentd/segmentd/internal/evaluate"
	"github.com/segmentd/segmentd/internal/record"
	"github.com/segmentd/segmentd/segment"
)

// TestUnexpandedReference checks that a reference left in a tree is a bug
// of the caller, reported as the compiler reports it (segment.ErrUnexpanded
// naming the segment), not a silent "not a member" that would flip to
// "member" under a not.
func TestUnexpandedReference(t *testing.T) {
	for name, src := range map[string]string{
		"reference":     `{"type":"segment","segment_id":"seg_vip"}`,
		"not reference": `{"type":"not","child":{"type":"segment","segment_id":"seg_vip"}}`,
	} {
		t.Run(name, func(t *testing.T) {
			tree := decode(t, src)
			defer func() {
				err, _ := recover().(error)
				if !errors.Is(err, segment.ErrUnexpanded) || !strings.Contains(err.Error(), `"seg_vip"`) {
					t.Errorf("Member recovered %v, want a panic with segment.ErrUnexpanded naming seg_vip", err)
				}
			}()
			evaluate.Member(tree, record.User{UserID: "u1"}, nil, evaluate.Options{AsOf: time.Now()})
		})
	}
}
