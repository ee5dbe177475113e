package ingest

import (
	"bytes"
	"encoding/json"
	"math"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/segmentd/segmentd/segment"
)

// The helpers below read JSON text that encoding/json has already found
// valid (topLevel checks the whole body first), so they need not detect
// syntax errors: they only find where values begin and end.

// object is a JSON object split into its fields: raw values by key, the
// keys in the order given, and the keys given more than once (only the
// first value of which is kept).
type object struct {
	fields map[string]json.RawMessage
	order  []string
	dups   []string
}

// splitObject splits a valid JSON object into its fields.
func splitObject(raw []byte) object {
	o := object{fields: make(map[string]json.RawMessage, 8)}
	i := skipSpace(raw, 1) // past {
	for i < len(raw) && raw[i] != '}' {
		end := skipValue(raw, i)
		k := unquote(raw[i:end])
		i = skipSpace(raw, end)
		i = skipSpace(raw, i+1) // past :
		end = skipValue(raw, i)
		if _, dup := o.fields[k]; dup {
			if !slices.Contains(o.dups, k) {
				o.dups = append(o.dups, k)
			}
		} else {
			o.fields[k] = raw[i:end:end]
			o.order = append(o.order, k)
		}
		i = skipSpace(raw, end)
		if i < len(raw) && raw[i] == ',' {
			i = skipSpace(raw, i+1)
		}
	}
	return o
}

// splitArray splits a valid JSON array into its elements.
func splitArray(raw []byte) []json.RawMessage {
	var out []json.RawMessage
	i := skipSpace(raw, 1) // past [
	for i < len(raw) && raw[i] != ']' {
		end := skipValue(raw, i)
		out = append(out, raw[i:end:end])
		i = skipSpace(raw, end)
		if i < len(raw) && raw[i] == ',' {
			i = skipSpace(raw, i+1)
		}
	}
	return out
}

func skipSpace(raw []byte, i int) int {
	for i < len(raw) && (raw[i] == ' ' || raw[i] == '\t' || raw[i] == '\n' || raw[i] == '\r') {
		i++
	}
	return i
}

// skipValue returns the end of the valid JSON value starting at i.
func skipValue(raw []byte, i int) int {
	switch raw[i] {
	case '"':
		return skipString(raw, i)
	case '{', '[':
		depth := 0
		for ; i < len(raw); i++ {
			switch raw[i] {
			case '"':
				i = skipString(raw, i) - 1
			case '{', '[':
				depth++
			case '}', ']':
				depth--
				if depth == 0 {
					return i + 1
				}
			}
		}
		return i
	default: // a number, true, false or null
		for i < len(raw) && !strings.ContainsRune(",]} \t\n\r", rune(raw[i])) {
			i++
		}
		return i
	}
}

// skipString returns the end of the string starting at i (after its
// closing quote).
func skipString(raw []byte, i int) int {
	for i++; i < len(raw); i++ {
		switch raw[i] {
		case '\\':
			i++
		case '"':
			return i + 1
		}
	}
	return i
}

// unquote decodes a valid JSON string.
func unquote(raw []byte) string {
	if bytes.IndexByte(raw, '\\') < 0 {
		return string(raw[1 : len(raw)-1])
	}
	var s string
	_ = json.Unmarshal(raw, &s) // valid, cannot fail
	return s
}

// rawType names the JSON type of a raw value, for messages.
func rawType(raw []byte) string {
	switch raw[0] {
	case '{':
		return "an object"
	case '[':
		return "an array"
	case '"':
		return "a string"
	case 't', 'f':
		return "a boolean"
	case 'n':
		return "null"
	default:
		return "a number"
	}
}

// checkStrings reports whether the strings of a JSON text are valid UTF-8
// with every \uXXXX surrogate escape properly paired. (Backslashes occur
// only inside strings in valid JSON.)
func checkStrings(raw []byte) bool {
	if !utf8.Valid(raw) {
		return false
	}
	for i := bytes.IndexByte(raw, '\\'); i >= 0 && i < len(raw); i++ {
		if raw[i] != '\\' {
			continue
		}
		i++
		if i >= len(raw) || raw[i] != 'u' {
			continue // an escaped character, skipped
		}
		r, ok := hex4(raw, i+1)
		if !ok {
			return false
		}
		i += 4
		switch {
		case r >= 0xDC00 && r <= 0xDFFF: // a low surrogate alone
			return false
		case r >= 0xD800 && r <= 0xDBFF: // must be followed by a low one
			if i+2 >= len(raw) || raw[i+1] != '\\' || raw[i+2] != 'u' {
				return false
			}
			lo, ok := hex4(raw, i+3)
			if !ok || lo < 0xDC00 || lo > 0xDFFF {
				return false
			}
			i += 6
		}
	}
	return true
}

func hex4(b []byte, at int) (rune, bool) {
	if at+4 > len(b) {
		return 0, false
	}
	n, err := strconv.ParseUint(string(b[at:at+4]), 16, 16)
	return rune(n), err == nil
}

// decodeValue decodes a JSON value with numbers as float64, checking
// their range and the nesting depth (the value itself is at level depth).
// Its problems are reported under path, sorted by pointer (object keys
// have no order once decoded).
func decodeValue(raw json.RawMessage, path string, depth int, ps *problems) (any, bool) {
	// The fast way: numbers straight to float64, then a look at the depth.
	// An error can only be a number out of range (raw is valid JSON): the
	// slow way below finds where.
	var v any
	if err := json.Unmarshal(raw, &v); err == nil && checkDepth(v, depth) {
		return v, true
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	v = nil
	if err := dec.Decode(&v); err != nil {
		ps.add(path, "%v", err)
		return nil, false
	}
	c := converter{base: path}
	v = c.convert(v, depth)
	if len(c.problems) == 0 {
		return v, true
	}
	slices.SortFunc(c.problems, func(a, b segment.Problem) int { return strings.Compare(a.Path, b.Path) })
	for _, p := range c.problems {
		ps.add(p.Path, "%s", p.Message)
	}
	return nil, false
}

// checkDepth reports whether no container in v is deeper than MaxDepth.
func checkDepth(v any, depth int) bool {
	switch x := v.(type) {
	case map[string]any:
		if depth > MaxDepth {
			return false
		}
		for _, e := range x {
			if !checkDepth(e, depth+1) {
				return false
			}
		}
	case []any:
		if depth > MaxDepth {
			return false
		}
		for _, e := range x {
			if !checkDepth(e, depth+1) {
				return false
			}
		}
	}
	return true
}

// converter replaces json.Numbers by float64 in place, reporting numbers
// out of range and containers deeper than MaxDepth. It keeps the pointer
// of the current value as tokens and writes it out only for a problem.
type converter struct {
	base     string
	tokens   []any
	problems problems
}

func (c *converter) convert(v any, depth int) any {
	switch x := v.(type) {
	case json.Number:
		f, err := strconv.ParseFloat(string(x), 64)
		if err != nil || math.IsInf(f, 0) {
			c.problems.add(c.pointer(), "the number %s is too large for a 64-bit float", clip(string(x)))
			return nil
		}
		return f
	case map[string]any:
		if depth > MaxDepth {
			c.problems.add(c.pointer(), "nests deeper than %d levels", MaxDepth)
			return nil
		}
		for k, e := range x {
			c.tokens = append(c.tokens, k)
			x[k] = c.convert(e, depth+1)
			c.tokens = c.tokens[:len(c.tokens)-1]
		}
		return x
	case []any:
		if depth > MaxDepth {
			c.problems.add(c.pointer(), "nests deeper than %d levels", MaxDepth)
			return nil
		}
		for i, e := range x {
			c.tokens = append(c.tokens, i)
			x[i] = c.convert(e, depth+1)
			c.tokens = c.tokens[:len(c.tokens)-1]
		}
		return x
	}
	return v
}

func (c *converter) pointer() string {
	p := c.base
	for _, t := range c.tokens {
		p = segment.Pointer(p, t)
	}
	return p
}
