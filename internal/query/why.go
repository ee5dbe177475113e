package query

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/segmentd/segmentd/internal/evaluate"
	"github.com/segmentd/segmentd/internal/record"
	"github.com/segmentd/segmentd/internal/store"
	"github.com/segmentd/segmentd/segment"
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

// WhyRequest is a tree to explain for one user: Given as written,
// Request.Tree expanded as a count expands it.
type WhyRequest struct {
	Request
	Given            segment.Node
	UserID           string
	ExpandReferences bool
}

// PrepareWhy decodes a tree (pointer: where it sits in the caller's
// document) and expands its references in the app, as Prepare does,
// keeping the tree as given for the nodes' pointers.
func (s *Service) PrepareWhy(ctx context.Context, app store.App, tree []byte, pointer string, asOf time.Time, userID string, expandRefs bool) (WhyRequest, error) {
	req := WhyRequest{Request: Request{App: app, AsOf: asOf}, UserID: userID, ExpandReferences: expandRefs}
	var err error
	if req.Loc, err = location(app); err != nil {
		return req, err
	}
	if req.Given, err = segment.Decode(tree, pointer); err != nil {
		return req, err
	}
	req.Tree, err = segment.Expand(ctx, req.Given, pointer, Lookup{Segments: s.cfg.Segments, AppID: app.ID})
	return req, err
}

// Why explains a tree for one user over the user's own data as the fresh
// store has it, as Member decides membership.
func (s *Service) Why(ctx context.Context, req WhyRequest) (Why, error) {
	w := Why{AsOf: req.AsOf}
	xopt := evaluate.ExplainOptions{ExpandReferences: req.ExpandReferences}
	user, events, err := s.cfg.Fresh.UserData(ctx, req.App.ID, req.UserID)
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
	req, err := s.PrepareWhy(ctx, app, []byte(seg.Tree), "", now.UTC().Truncate(time.Microsecond), userID, expandRefs)
	if err != nil {
		return Why{}, fmt.Errorf("segment %s version %d: %w", segmentID, seg.Version, err)
	}
	w, err := s.Why(ctx, req)
	w.Version = seg.Version
	return w, err
}
