package enginetest

import (
	"context"
	"errors"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/segmentd/segmentd/internal/compile"
	"github.com/segmentd/segmentd/internal/engine"
	"github.com/segmentd/segmentd/internal/evaluate"
	"github.com/segmentd/segmentd/internal/query"
	"github.com/segmentd/segmentd/internal/record"
)

// UnknownUser is an ID no corpus user has: MembershipAgreement checks it
// with every case, and it must be in no segment.
const UnknownUser = "enginetest-never-seen"

// MembershipAgreement is the differential test of the two ways segmentd
// answers "is this user in the segment": the single-user check (the
// reference evaluator over the engine's own read of one user,
// Writer.UserData of the events the tree reads, as GET
// …/members/{user_id} does) and the engine's query
// (as a run does). For each case, at s.AsOf with s.Split, it runs the
// query and checks perCase users drawn with the seed: half from the
// query's members (when it has any), the rest from candidates, and
// UnknownUser. A user the store does not know (an error wrapping
// record.ErrNotFound) is a member of nothing; any other error of UserData
// fails the test.
func MembershipAgreement(t *testing.T, eng engine.Engine, w Writer, s Setup, cases []Case, candidates []string, perCase int, seed uint64) {
	t.Helper()
	ctx := context.Background()
	rng := rand.New(rand.NewPCG(seed, seed^0x5eed))
	var checked, members int
	for _, c := range cases {
		t.Run(c.Name, func(t *testing.T) {
			tree, err := query.Tree(ctx, c.JSON, "", s.Lookup)
			if err != nil {
				t.Fatalf("decode and expand: %v", err)
			}
			opt := compile.Options{AppID: s.AppID, AsOf: s.AsOf, Location: s.Location, Split: s.Split}
			q, err := compile.Compile(tree, eng.Dialect(), opt, eng.Tables())
			if err != nil {
				t.Fatalf("compile: %v", err)
			}
			got, err := engine.Members(ctx, eng, q)
			if err != nil {
				t.Fatalf("run: %v\n%s", err, q.Text)
			}
			users := []string{UnknownUser}
			for range perCase / 2 {
				if len(got) > 0 {
					users = append(users, got[rng.IntN(len(got))])
				}
			}
			for len(users) < perCase+1 {
				users = append(users, candidates[rng.IntN(len(candidates))])
			}
			eopt := evaluate.Options{AsOf: s.AsOf, Location: s.Location}
			reads := evaluate.Reads(tree)
			for _, id := range users {
				member := false
				u, events, err := w.UserData(ctx, s.AppID, id, reads)
				switch {
				case errors.Is(err, record.ErrNotFound):
				case err != nil:
					t.Fatalf("user %q: %v", id, err)
				default:
					member = evaluate.Member(tree, u, events, eopt)
				}
				_, inRun := slices.BinarySearch(got, id)
				if member != inRun {
					t.Errorf("user %q: the single-user check says member %v (profile %v, %d events), the %s query %v\nSQL:\n%s",
						id, member, u.Attributes, len(events), eng.Dialect().Name, inRun, q.Text)
				}
				checked++
				if inRun {
					members++
				}
			}
		})
	}
	// The check is only worth something if it met members.
	if len(cases) > 0 && members == 0 {
		t.Errorf("%d checks of %d trees met no member", checked, len(cases))
	}
	t.Logf("membership: %d users checked over %d trees, %d of them members", checked, len(cases), members)
}
