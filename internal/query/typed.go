package query

import (
	"context"

	"github.com/segmentd/segmentd/internal/engine"
	"github.com/segmentd/segmentd/internal/store"
	"github.com/segmentd/segmentd/segment"
)

// KeepTyped is what follows a segment's save: the attribute keys its tree
// reads are kept typed by the engine when it can (engine.AttributeTyper),
// so that every later query of the tree, or of another that reads them,
// compares typed columns instead of parsing each user's JSON. The keys of
// the segments it references were typed when those were saved. Typing is
// an optimization: when it fails (or the engine's limit is reached), the
// save stands, queries read the JSON, and the failure is logged.
func (s *Service) KeepTyped(ctx context.Context, saved store.Segment) {
	tree, err := segment.Decode([]byte(saved.Tree), "")
	if err == nil {
		err = engine.TypeTrees(ctx, s.cfg.Engine, tree)
	}
	if err != nil {
		s.cfg.Log.WarnContext(ctx, "typing the attribute keys of a saved segment failed: its conditions read the JSON", "segment", saved.ID, "error", err)
	}
}
