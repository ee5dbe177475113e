// Package enginetest checks that an engine agrees with the reference
// evaluator: every tree of a corpus, over the same data and as_of, must
// select exactly the users the evaluator selects, under every strategy.
package enginetest

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/segmentd/segmentd/internal/compile"
	"github.com/segmentd/segmentd/internal/dataset"
	"github.com/segmentd/segmentd/internal/engine"
	"github.com/segmentd/segmentd/internal/evaluate"
	"github.com/segmentd/segmentd/internal/query"
	"github.com/segmentd/segmentd/segment"
)

// Case is one tree of a corpus.
type Case struct {
	Name string
	JSON []byte
	// Location, when set, is the app's time zone for this case instead
	// of Setup.Location (a zone is only a query option: the data stays).
	Location *time.Location
}

// Setup is what the trees run over: the data already loaded into the
// engine under AppID.
type Setup struct {
	AppID    string
	Data     *dataset.Data
	AsOf     time.Time
	Location *time.Location
	Lookup   segment.Lookup
	// Split is passed to the compiler, for an engine whose events live in
	// two stores.
	Split *compile.Split
}

// Expected evaluates an expanded tree with the reference evaluator over
// every user, returning the members in ascending order.
func Expected(tree segment.Node, s Setup) []string {
	byUser := s.Data.EventsByUser()
	opt := evaluate.Options{AsOf: s.AsOf, Location: s.Location}
	var ids []string
	for _, u := range s.Data.Users {
		if evaluate.Member(tree, u, byUser[u.UserID], opt) {
			ids = append(ids, u.UserID)
		}
	}
	slices.Sort(ids)
	return ids
}

// Report counts the cases of an Agreement that failed, and among them
// those the engine refused for its number of stages (Trino's limit on the
// size of a plan), which are a known limit of the plan rather than a
// wrong answer.
type Report struct {
	Cases, Failed, StageLimit int
	// Nobody and Everybody count the cases whose reference answer is no
	// user or every user, which say less about an engine than the others.
	Nobody, Everybody int
}

// stageLimit is how Trino refuses a plan of too many stages.
const stageLimit = "exceeds the allowed maximum"

// Agreement runs every case on the engine under each strategy and fails
// the test, per case, on any difference from the reference evaluator.
// A failure shows the tree, both counts and some of the users that differ.
func Agreement(t *testing.T, eng engine.Engine, s Setup, cases []Case, strategies ...compile.Strategy) Report {
	ctx := context.Background()
	r := Report{Cases: len(cases)}
	for _, c := range cases {
		stages := false
		passed := t.Run(c.Name, func(t *testing.T) {
			tree, err := query.Tree(ctx, c.JSON, "", s.Lookup)
			if err != nil {
				t.Fatalf("decode and expand: %v", err)
			}
			if c.Location != nil {
				s.Location = c.Location
			}
			want := Expected(tree, s)
			switch len(want) {
			case 0:
				r.Nobody++
			case len(s.Data.Users):
				r.Everybody++
			}
			for _, st := range strategies {
				opt := compile.Options{AppID: s.AppID, AsOf: s.AsOf, Location: s.Location, Strategy: st, Split: s.Split}
				q, err := compile.Compile(tree, eng.Dialect(), opt, eng.Tables())
				if err != nil {
					t.Fatalf("%s: compile: %v", st, err)
				}
				got, err := engine.Members(ctx, eng, q)
				if err != nil {
					stages = strings.Contains(err.Error(), stageLimit)
					t.Fatalf("%s: run: %v\ntree: %s\n%s", st, err, c.JSON, q.Text)
				}
				if missing, extra := diff(want, got); len(missing)+len(extra) > 0 {
					t.Errorf("%s on %s: %d members, want %d\nmissing (first 10): %v\nextra (first 10): %v\ntree (in %s): %s\nSQL:\n%s",
						st, eng.Dialect().Name, len(got), len(want), first(missing), first(extra), s.Location, c.JSON, q.Text)
				}
			}
		})
		if !passed {
			r.Failed++
		}
		if stages {
			r.StageLimit++
		}
	}
	return r
}

func diff(want, got []string) (missing, extra []string) {
	i, j := 0, 0
	for i < len(want) || j < len(got) {
		switch {
		case j == len(got) || i < len(want) && want[i] < got[j]:
			missing = append(missing, want[i])
			i++
		case i == len(want) || got[j] < want[i]:
			extra = append(extra, got[j])
			j++
		default:
			i, j = i+1, j+1
		}
	}
	return missing, extra
}

func first(ids []string) string {
	if len(ids) > 10 {
		ids = ids[:10]
	}
	return strings.Join(ids, " ")
}
