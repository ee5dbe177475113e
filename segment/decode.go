package segment

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sort"
	"unicode/utf8"
)

// Decoding is split by concern: this file reads the JSON shape (objects,
// their keys, strings), decode_node.go builds the nodes, decode_operand.go
// reads comparisons and their values, decode_window.go windows and
// durations. Every reader reports its problems at the JSON Pointer it is
// given and goes on, so that one pass finds every problem of a tree.

// Decode reads one tree from JSON. base is the JSON Pointer of the tree in
// the request body ("" when data is the tree itself, "/tree" inside a
// segment), so that every problem points into what the client sent. It
// reports every problem it finds, as an *Error; malformed JSON gives a
// single invalid_json problem.
func Decode(data []byte, base string) (Node, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var raw any
	if err := dec.Decode(&raw); err != nil {
		return nil, invalidJSON(base, err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, invalidJSON(base, errors.New("unexpected data after the tree"))
	}
	return DecodeValue(raw, base)
}

// DecodeValue is Decode for a tree already parsed by encoding/json with
// UseNumber.
func DecodeValue(raw any, base string) (Node, error) {
	d := &decoder{}
	n := d.node(raw, base)
	if err := d.problems.err(); err != nil {
		return nil, err
	}
	return n, nil
}

func invalidJSON(base string, err error) error {
	return &Error{Problems: []Problem{{Code: CodeInvalidJSON, Message: err.Error(), Path: base}}}
}

type decoder struct {
	problems problems
}

// object checks that raw is an object with only the allowed keys; it
// returns nil (after reporting) otherwise.
func (d *decoder) object(raw any, path string, allowed ...string) map[string]any {
	obj, ok := raw.(map[string]any)
	if !ok {
		d.problems.add(path, "must be an object, not %s", jsonType(raw))
		return nil
	}
	var unknown []string
	for k := range obj {
		if !contains(allowed, k) {
			unknown = append(unknown, k)
		}
	}
	sort.Strings(unknown)
	for _, k := range unknown {
		d.problems.add(Pointer(path, k), "unknown field %q", k)
	}
	return obj
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// str reads a string field, checking the length limit.
func (d *decoder) str(obj map[string]any, key, path string, required bool) string {
	raw, present := obj[key]
	if !present {
		if required {
			d.problems.add(Pointer(path, key), "%s is required", key)
		}
		return ""
	}
	s, ok := raw.(string)
	if !ok {
		d.problems.add(Pointer(path, key), "must be a string, not %s", jsonType(raw))
		return ""
	}
	d.checkString(s, Pointer(path, key))
	return s
}

func (d *decoder) checkString(s, path string) {
	if len(s) > MaxStringBytes {
		d.problems.add(path, "a string may hold at most %d bytes", MaxStringBytes)
	}
	if !utf8.ValidString(s) {
		d.problems.add(path, "must be valid UTF-8")
	}
}

// path reads a required field that names an attribute or a property.
func (d *decoder) path(obj map[string]any, key, path string) string {
	s := d.str(obj, key, path, true)
	if isString(obj[key]) && !ValidPath(s) {
		d.problems.add(Pointer(path, key), "%q is not a valid name: it must match %s with no empty segment", s, keyRE)
	}
	return s
}

func isString(v any) bool { _, ok := v.(string); return ok }

func jsonType(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case bool:
		return "a boolean"
	case json.Number:
		return "a number"
	case string:
		return "a string"
	case []any:
		return "an array"
	default:
		return "an object"
	}
}

func jsonText(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	if len(b) > 64 {
		return string(b[:64]) + "…"
	}
	return string(b)
}
