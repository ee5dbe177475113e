package segment

import (
	"regexp"
	"strings"
)

// Limits of the language (spec, "Limits").
const (
	MaxDepth       = 16
	MaxNodes       = 256
	MaxChildren    = 64
	MaxInValues    = 1000
	MaxStringBytes = 1024
	MaxEventName   = 256
	MinSteps       = 2
	MaxSteps       = 16
	MaxOffset      = 1000
)

// Built-in user fields that an attribute condition can name.
const (
	FieldUserID    = "user_id"
	FieldFirstSeen = "first_seen"
	FieldLastSeen  = "last_seen"
)

// IsTimeField reports whether field is one of the built-in time fields.
func IsTimeField(field string) bool { return field == FieldFirstSeen || field == FieldLastSeen }

var keyRE = regexp.MustCompile(`^[A-Za-z_$][A-Za-z0-9_$.-]{0,127}$`)

// ValidPath reports whether s is a valid attribute key or property path:
// the spec's key pattern, with no empty segment between dots.
func ValidPath(s string) bool {
	return keyRE.MatchString(s) && !strings.HasSuffix(s, ".") && !strings.Contains(s, "..")
}

var pathKeyRE = regexp.MustCompile(`^[A-Za-z0-9_$-]{1,128}$`)

// ValidPathKey reports whether s is one key of a valid path, between its
// dots: only the first key of a path must start with a letter, _ or $
// ("items.0.price" is a path).
func ValidPathKey(s string) bool { return pathKeyRE.MatchString(s) }

// PathSegments splits a valid path at its dots.
func PathSegments(path string) []string { return strings.Split(path, ".") }
