package query

import (
	"time"

	"github.com/segmentd/segmentd/internal/lint"
	"github.com/segmentd/segmentd/segment"
)

// Warning is a condition of a tree that cannot change its result (a
// comparison no count satisfies, a double negation, …): advice that never
// blocks a save or a count. The rules and codes are internal/lint's.
type Warning = lint.Warning

// Warnings are the warnings of a tree as given (decoded, references not
// expanded), each with the JSON Pointer of its condition in the caller's
// document: pointer is where the tree sits there ("/tree" in a request
// body). asOf is the instant the tree is evaluated at, zero when there is
// none (a save: the rules that need as_of are skipped); loc is the app's
// time zone. Compile, count, explain and segment saves all report these.
// The list is never nil.
func Warnings(tree segment.Node, pointer string, asOf time.Time, loc *time.Location) []Warning {
	return lint.Check(tree, pointer, lint.Context{AsOf: asOf, Loc: loc})
}
