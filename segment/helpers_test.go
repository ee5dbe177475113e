package segment

import (
	"errors"
	"sort"
	"strings"
	"testing"
	"time"
	_ "time/tzdata" // the zone tests must not depend on the host's zoneinfo
)

// mustDecode decodes a tree that must be valid.
func mustDecode(t *testing.T, src string) Node {
	t.Helper()
	n, err := Decode([]byte(src), "")
	if err != nil {
		t.Fatalf("Decode(%s): %v", src, err)
	}
	return n
}

// problemsOf returns the problems of err, failing unless err is an *Error.
func problemsOf(t *testing.T, err error) []Problem {
	t.Helper()
	var e *Error
	if !errors.As(err, &e) {
		t.Fatalf("error %v (%T) is not an *Error", err, err)
	}
	if len(e.Problems) == 0 {
		t.Fatalf("*Error without problems")
	}
	return e.Problems
}

// paths returns the sorted pointers of ps.
func paths(ps []Problem) []string {
	out := make([]string, len(ps))
	for i, p := range ps {
		out[i] = p.Path
	}
	sort.Strings(out)
	return out
}

func sortedCopy(s []string) []string {
	out := append([]string(nil), s...)
	sort.Strings(out)
	return out
}

func equalStrings(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// mustTime parses an RFC 3339 time that must be valid.
func mustTime(t *testing.T, s string) time.Time {
	t.Helper()
	tm, ok := ParseTime(s)
	if !ok {
		t.Fatalf("ParseTime(%q) failed", s)
	}
	return tm
}

func mustLoad(t *testing.T, name string) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation(name)
	if err != nil {
		t.Fatalf("LoadLocation(%q): %v", name, err)
	}
	return loc
}

// leaf is a small valid node in JSON.
const leaf = `{"type":"attribute","field":"plan","op":"eq","value":"pro"}`

// repeatJSON joins n copies of s with commas.
func repeatJSON(s string, n int) string {
	return strings.TrimSuffix(strings.Repeat(s+",", n), ",")
}
