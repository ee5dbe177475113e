package duckdb

import "time"

// Test hooks into the engine's internals.

// SetClock replaces the clock of watermarks.
func SetClock(e *Engine, now func() time.Time) { e.now = now }

// SetSerialize turns the write lock on or off (off: concurrent writes
// rely on retrying DuckDB's transaction conflicts).
func SetSerialize(e *Engine, on bool) { e.serialize = on }

// SetBeforeCommit sets a function run just before each write commits; an
// error fails the write.
func SetBeforeCommit(e *Engine, f func() error) { e.beforeCommit = f }
