package duckdb

import "time"

// Test hooks into the engine's internals.

// SetClock replaces the clock of watermarks.
func SetClock(e *Engine, now func() time.Time) { e.now = now }

// SetBeforeCommit sets a function run just before each write commits; an
// error fails the write.
func SetBeforeCommit(e *Engine, f func() error) { e.beforeCommit = f }

// Queued is how many batches wait for the committer.
func Queued(e *Engine) int {
	e.commits.mu.Lock()
	defer e.commits.mu.Unlock()
	return len(e.commits.queue)
}

// SetRecluster sets when the committer reclusters: from min unclustered
// events, after idle without a batch, chunk events per transaction, and
// without a pause past max.
func SetRecluster(e *Engine, min int64, idle time.Duration, chunk int, max int64) {
	e.recluster = reclusterPolicy{min: min, idle: idle, chunk: chunk, max: max}
}
