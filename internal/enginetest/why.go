package enginetest

import (
	"context"
	"math/rand/v2"
	"slices"
	"strings"
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
// their pointers. Every node's member must be the user's membership in
// the engine's members of that node alone (its own query, run once per
// node and case).
func WhyAgreement(t *testing.T, eng engine.Engine, s Setup, cases []Case, perCase int, seed uint64) {
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
			given, expanded, loc := c.trees(t, s)
			// The engine's members of each node alone, by the node's
			// pointer in the expanded tree (where an expanded reference's
			// tree stands at the reference's pointer, without /tree).
			byPtr := map[string]segment.Node{}
			segment.Walk(expanded, "", func(n segment.Node, ptr string, _ int) bool {
				byPtr[ptr] = n
				return true
			})
			nodeMembers := map[string][]string{}
			membersOf := func(ptr string) []string {
				ptr = strings.Replace(ptr, "/tree", "", 1)
				if m, ok := nodeMembers[ptr]; ok {
					return m
				}
				q, err := compile.Compile(byPtr[ptr], eng.Dialect(), compile.Options{AppID: s.AppID, AsOf: s.AsOf, Location: loc, Split: s.Split}, eng.Tables())
				if err != nil {
					t.Fatalf("compile %q: %v", ptr, err)
				}
				m, err := engine.Members(ctx, eng, q)
				if err != nil {
					t.Fatalf("run %q: %v\n%s", ptr, err, q.Text)
				}
				nodeMembers[ptr] = m
				return m
			}
			got := membersOf("")
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
				if len(nodes) == 0 || nodes[0].Pointer != "" {
					t.Fatalf("user %q: the explanation does not start at the root: %+v", id, nodes[:min(1, len(nodes))])
				}
				for _, n := range nodes {
					if _, in := slices.BinarySearch(membersOf(n.Pointer), id); n.Member != in {
						t.Errorf("user %q, node %q (%s): the explanation's member %v, the %s query's %v", id, n.Pointer, n.Type, n.Member, eng.Dialect().Name, in)
					}
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
