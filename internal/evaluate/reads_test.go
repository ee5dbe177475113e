package evaluate_test

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/segmentd/segmentd/internal/corpus"
	"github.com/segmentd/segmentd/internal/evaluate"
	"github.com/segmentd/segmentd/internal/randtree"
	"github.com/segmentd/segmentd/internal/record"
	"github.com/segmentd/segmentd/segment"
)

// keep is what a single-user read with reads returns of events.
func keep(events []record.Event, reads record.Reads) []record.Event {
	var out []record.Event
	for _, ev := range events {
		read, props := reads.Of(ev.Name)
		if !read {
			continue
		}
		if !props {
			ev.Properties = nil
		}
		out = append(out, ev)
	}
	return out
}

// TestReadsDecideAsEveryEvent: over the events Reads keeps of a tree,
// Member and Explain answer as over every event, for the corpus trees and
// seeded random trees over the corpus data, every user.
func TestReadsDecideAsEveryEvent(t *testing.T) {
	ctx := context.Background()
	data := corpus.Dataset()
	byUser := data.EventsByUser()
	v, err := corpus.Vocabulary(data, corpus.AsOf, corpus.Lookup())
	if err != nil {
		t.Fatal(err)
	}
	var trees [][]byte
	for _, c := range corpus.Cases() {
		trees = append(trees, c.JSON)
	}
	for seed := range uint64(150) {
		trees = append(trees, randtree.Generate(v, seed))
	}
	opt := evaluate.Options{AsOf: corpus.AsOf, Location: corpus.Location()}
	users := data.Users[:120]
	dropped := 0
	for _, js := range trees {
		given, err := segment.Decode(js, "")
		if err != nil {
			t.Fatal(err)
		}
		tree, err := segment.Expand(ctx, given, "", corpus.Lookup())
		if err != nil {
			t.Fatal(err)
		}
		reads := evaluate.Reads(tree)
		if reads.All {
			t.Fatalf("an expanded tree reads every event: %s", js)
		}
		for _, u := range users {
			all := byUser[u.UserID]
			kept := keep(all, reads)
			dropped += len(all) - len(kept)
			if got, want := evaluate.Member(tree, u, kept, opt), evaluate.Member(tree, u, all, opt); got != want {
				t.Fatalf("user %s: member %v over the events read, %v over all\n%s", u.UserID, got, want, js)
			}
			got, _ := json.Marshal(evaluate.Explain(given, tree, u, kept, opt, evaluate.ExplainOptions{ExpandReferences: true}))
			want, _ := json.Marshal(evaluate.Explain(given, tree, u, all, opt, evaluate.ExplainOptions{ExpandReferences: true}))
			if string(got) != string(want) {
				t.Fatalf("user %s: explained over the events read:\n%s\nover all:\n%s\ntree %s", u.UserID, got, want, js)
			}
		}
	}
	if dropped == 0 {
		t.Fatal("no tree left any event out: the test cannot fail")
	}
}

func TestReadsOfReferences(t *testing.T) {
	tree, err := segment.Decode([]byte(`{"type":"or","children":[
		{"type":"segment","segment_id":"seg_x"},
		{"type":"event","event":"buy","where":[{"property":"total","op":"gt","value":0}]}]}`), "")
	if err != nil {
		t.Fatal(err)
	}
	if r := evaluate.Reads(tree); !r.All {
		t.Fatalf("an unexpanded reference reads %v, not every event", r)
	}
}
