package enginetest

import (
	"context"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/segmentd/segmentd/internal/compile"
	"github.com/segmentd/segmentd/internal/engine"
	"github.com/segmentd/segmentd/internal/evaluate"
	"github.com/segmentd/segmentd/segment"
)

// WhyAgreement holds the single-user explanation (evaluate.Explain, what
// POST …/users/{user_id}/explain answers) to the engine: for each case,
// at s.AsOf with s.Split, it runs the engine's query for the members and
// explains perCase users drawn with the seed (half from the members when
// there are any, the rest from the data's users) and UnknownUser, each
// over the user's own data in s.Data, with references expanded under
// their pointers. The root's member must be the engine's membership of
// the user; every node of the explanation is checked by checkNodes when
// it is set (nil: the root only), with the user's membership by the
// engine.
func WhyAgreement(t *testing.T, eng engine.Engine, s Setup, cases []Case, perCase int, seed uint64,
	checkNodes func(t *testing.T, user string, nodes []evaluate.Explanation)) {
	t.Helper()
	ctx := context.Background()
	rng := rand.New(rand.NewPCG(seed, seed^0x3779))
	byUser := s.Data.EventsByUser()
	users := map[string]int{}
	for i, u := range s.Data.Users {
		users[u.UserID] = i
	}
	var checked, members int
	for _, c := range cases {
		t.Run(c.Name, func(t *testing.T) {
			given, err := segment.Decode(c.JSON, "")
			if err != nil {
				t.Fatal(err)
			}
			expanded, err := segment.Expand(ctx, given, "", s.Lookup)
			if err != nil {
				t.Fatal(err)
			}
			loc := s.Location
			if c.Location != nil {
				loc = c.Location
			}
			q, err := compile.Compile(expanded, eng.Dialect(), compile.Options{AppID: s.AppID, AsOf: s.AsOf, Location: loc, Split: s.Split}, eng.Tables())
			if err != nil {
				t.Fatalf("compile: %v", err)
			}
			got, err := engine.Members(ctx, eng, q)
			if err != nil {
				t.Fatalf("run: %v\n%s", err, q.Text)
			}
			picked := []string{UnknownUser}
			for range perCase / 2 {
				if len(got) > 0 {
					picked = append(picked, got[rng.IntN(len(got))])
				}
			}
			for len(picked) < perCase+1 {
				picked = append(picked, s.Data.Users[rng.IntN(len(s.Data.Users))].UserID)
			}
			xopt := evaluate.ExplainOptions{ExpandReferences: true}
			for _, id := range picked {
				var nodes []evaluate.Explanation
				if i, known := users[id]; known {
					nodes = evaluate.Explain(given, expanded, s.Data.Users[i], byUser[id], evaluate.Options{AsOf: s.AsOf, Location: loc}, xopt)
				} else {
					nodes = evaluate.Unobserved(given, expanded, xopt)
				}
				_, inEngine := slices.BinarySearch(got, id)
				if len(nodes) == 0 || nodes[0].Pointer != "" || nodes[0].Member != inEngine {
					t.Errorf("user %q: the explanation's root %+v, the %s query's membership %v\nSQL:\n%s", id, nodes[:min(1, len(nodes))], eng.Dialect().Name, inEngine, q.Text)
				}
				if checkNodes != nil {
					checkNodes(t, id, nodes)
				}
				checked++
				if inEngine {
					members++
				}
			}
		})
	}
	if len(cases) > 0 && members == 0 {
		t.Errorf("%d explanations of %d trees met no member", checked, len(cases))
	}
	t.Logf("why: %d users explained over %d trees, %d of them members", checked, len(cases), members)
}
