package ingest

import (
	"encoding/json"
	"regexp"

	"github.com/segmentd/segmentd/segment"
)

// attributeKeyRE is the segment language's key pattern without dots: a
// dot in a condition's field walks into nested objects, so a top-level
// key "address.city" could never be named.
var attributeKeyRE = regexp.MustCompile(`^[A-Za-z_$][A-Za-z0-9_$-]{0,127}$`)

// ValidAttributeKey reports whether key may be a top-level attribute key:
// it matches ^[A-Za-z_$][A-Za-z0-9_$-]{0,127}$ and is not one of the
// built-in fields user_id, first_seen and last_seen (which take
// precedence in conditions, so such an attribute could never be read).
func ValidAttributeKey(key string) bool {
	return attributeKeyRE.MatchString(key) && !isBuiltin(key)
}

func isBuiltin(key string) bool {
	return key == segment.FieldUserID || key == segment.FieldFirstSeen || key == segment.FieldLastSeen
}

// DecodeAttributes reads a PUT or PATCH /users/{user_id} body,
//
//	{"attributes": {…}}
//
// and returns the attributes, or a *segment.Error. The rules:
//
//   - the body is an object whose only field is "attributes" (required),
//     a JSON object (not null) whose text is at most MaxAttributesBytes
//     bytes and which holds at most MaxAttributes keys;
//   - each top-level key is valid (see ValidAttributeKey) and given once;
//   - values are any JSON: strings, numbers (as float64), booleans,
//     nested objects and arrays (a dotted field such as address.city
//     reads into them), at most MaxDepth levels deep, the attributes
//     object being level 1;
//   - a top-level null is returned as a nil value, which means "delete
//     this key" to a PATCH and "no such key" to a PUT (the segment
//     language treats a null attribute as missing anyway). Nulls inside
//     nested values are kept.
func DecodeAttributes(body []byte) (map[string]any, error) {
	fields, err := topLevel(body, "attributes")
	if err != nil {
		return nil, err
	}
	var ps problems
	raw, ok := fields["attributes"]
	switch {
	case !ok:
		ps.add("/attributes", "attributes is required")
		return nil, ps.err()
	case raw[0] != '{':
		ps.add("/attributes", "must be an object, not %s", rawType(raw))
		return nil, ps.err()
	case len(raw) > MaxAttributesBytes:
		ps.add("/attributes", "must be at most %d bytes of JSON, not %d", MaxAttributesBytes, len(raw))
		return nil, ps.err()
	}
	o := splitObject(raw)
	if len(o.order) > MaxAttributes {
		ps.add("/attributes", "must hold at most %d keys, not %d", MaxAttributes, len(o.order))
		return nil, ps.err()
	}
	attrs := make(map[string]any, len(o.order))
	for _, k := range o.order {
		p := segment.Pointer("/attributes", k)
		switch {
		case isBuiltin(k):
			ps.add(p, "%q is a built-in field, not an attribute", k)
			continue
		case !attributeKeyRE.MatchString(k):
			ps.add(p, "the key %q is not valid: it must match %s", clip(k), attributeKeyRE)
			continue
		}
		v := o.fields[k]
		if !checkStrings(v) {
			ps.add(p, "strings must be valid UTF-8 (no unpaired surrogate escapes)")
			continue
		}
		if val, ok := decodeValue(v, p, 2, &ps); ok {
			attrs[k] = val
		}
	}
	for _, k := range o.dups {
		ps.add(segment.Pointer("/attributes", k), "key %q is given more than once", clip(k))
	}
	if err := ps.err(); err != nil {
		return nil, err
	}
	return attrs, nil
}

// CheckProfile checks the limits on a whole profile's attributes, as a
// PATCH merges them: at most MaxAttributes keys and MaxAttributesBytes of
// compact JSON. Its problems point at /attributes.
func CheckProfile(attrs map[string]any) error {
	var ps problems
	if len(attrs) > MaxAttributes {
		ps.add("/attributes", "the profile would hold %d attributes, more than %d", len(attrs), MaxAttributes)
		return ps.err()
	}
	b, err := json.Marshal(attrs)
	if err != nil {
		ps.add("/attributes", "%v", err)
		return ps.err()
	}
	if len(b) > MaxAttributesBytes {
		ps.add("/attributes", "the profile's attributes would be %d bytes of JSON, more than %d", len(b), MaxAttributesBytes)
	}
	return ps.err()
}
