package segment

import (
	"fmt"
	"strconv"
	"strings"
)

// Problem codes, as the API reports them.
const (
	CodeInvalidJSON = "invalid_json"
	CodeInvalidTree = "invalid_tree"
)

// Problem is one thing wrong with a tree, located by a JSON Pointer into
// the request body.
type Problem struct {
	Code    string `json:"code"`
	Message string `json:"message"`
	Path    string `json:"path"`
}

// Error collects every problem found in a tree. Decode, Expand and
// CheckLimits return it.
type Error struct {
	Problems []Problem
}

func (e *Error) Error() string {
	var b strings.Builder
	for i, p := range e.Problems {
		if i > 0 {
			b.WriteString("; ")
		}
		fmt.Fprintf(&b, "%s: %s", p.Path, p.Message)
	}
	return b.String()
}

// problems accumulates Problems while a pass runs.
type problems []Problem

func (ps *problems) add(path, format string, args ...any) {
	*ps = append(*ps, Problem{Code: CodeInvalidTree, Message: fmt.Sprintf(format, args...), Path: path})
}

func (ps problems) err() error {
	if len(ps) == 0 {
		return nil
	}
	return &Error{Problems: ps}
}

// Pointer extends a JSON Pointer by one reference token, escaping it.
func Pointer(base string, token any) string {
	var s string
	switch t := token.(type) {
	case int:
		return base + "/" + strconv.Itoa(t)
	case string:
		s = t
	default:
		s = fmt.Sprint(t)
	}
	if strings.ContainsAny(s, "~/") {
		s = strings.ReplaceAll(strings.ReplaceAll(s, "~", "~0"), "/", "~1")
	}
	return base + "/" + s
}
