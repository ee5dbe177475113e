package query

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/segmentd/segmentd/internal/evaluate"
	"github.com/segmentd/segmentd/internal/record"
	"github.com/segmentd/segmentd/internal/store"
)

// Why is why one user is or is not in a tree: the reference evaluator's
// decision at every node (evaluate.Explain).
type Why struct {
	Member bool
	AsOf   time.Time
	// UserKnown is false for a user the app has never seen: no member of
	// any node, with nothing observed (as Member answers).
	UserKnown bool
	// Version is the segment's, for a saved segment.
	Version int
	Nodes   []evaluate.Explanation
}

// WhyRequest is a tree to explain for one user.
type WhyRequest struct {
	Request
	UserID           string
	ExpandReferences bool
}

// Why explains a tree for one user over the user's own data as the fresh
// store has it, as Member decides membership.
func (s *Service) Why(ctx context.Context, req WhyRequest) (Why, error) {
	w := Why{AsOf: req.AsOf}
	xopt := evaluate.ExplainOptions{ExpandReferences: req.ExpandReferences}
	user, events, err := s.cfg.Fresh.UserData(ctx, req.App.ID, req.UserID, evaluate.Reads(req.Tree))
	switch {
	case errors.Is(err, record.ErrNotFound):
		// A user the app has never seen is in no segment: every node is
		// no member, and there is nothing to observe.
		w.Nodes = evaluate.Unobserved(req.Given, req.Tree, xopt)
	case err != nil:
		return Why{}, unavailable(err)
	default:
		w.UserKnown = true
		w.Nodes = evaluate.Explain(req.Given, req.Tree, user, events, evaluate.Options{AsOf: req.AsOf, Location: req.Loc}, xopt)
		w.Member = w.Nodes[0].Member
	}
	return w, nil
}

// MemberWhy is Member explained: the current version of a saved segment
// for a user, now (to the microsecond), node by node.
func (s *Service) MemberWhy(ctx context.Context, app store.App, segmentID, userID string, now time.Time, expandRefs bool) (Why, error) {
	seg, err := s.cfg.Segments.GetSegment(ctx, app.ID, segmentID)
	if err != nil {
		return Why{}, err
	}
	req, err := s.Prepare(ctx, app, []byte(seg.Tree), "", now.UTC().Truncate(time.Microsecond))
	if err != nil {
		return Why{}, fmt.Errorf("segment %s version %d: %w", segmentID, seg.Version, err)
	}
	w, err := s.Why(ctx, WhyRequest{Request: req, UserID: userID, ExpandReferences: expandRefs})
	w.Version = seg.Version
	return w, err
}
