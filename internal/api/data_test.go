package api

import (
	"github.com/segmentd/segmentd/internal/engine"
	"github.com/segmentd/segmentd/internal/ingest"
)

// dataPath is a data path whose query engine is also its fresh store, as
// the embedded engine is: the tests' servers run on it, or on a wrapper
// of it that changes one method.
type dataPath interface {
	engine.Engine
	ingest.Fresh
}
