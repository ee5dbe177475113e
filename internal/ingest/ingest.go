// Package ingest decodes and validates the bodies of the ingestion API
// (POST /events, PUT and PATCH /users/{user_id}), independently of where
// the data is stored. Every rule a body must follow is here, and a body
// that breaks one is refused whole with a *segment.Error whose problems
// carry JSON Pointers into the body:
//
//   - malformed JSON (including trailing data after the body) is one
//     problem with code invalid_json at path "";
//   - every other problem has code invalid_argument. Problems are listed in
//     document order (by event, then by field), so the first problem is the
//     first bad event's first bad field ("/events/17/time"). At most
//     MaxProblems are reported.
//
// # Strings
//
// event_id, user_id and name (and the {user_id} of a URL, see ValidUserID)
// are JSON strings of 1 to MaxIDBytes bytes once decoded, valid UTF-8
// (raw invalid bytes and unpaired UTF-16 surrogate escapes such as
// "\ud800" are refused, not replaced by U+FFFD as encoding/json would),
// without control characters (Unicode category Cc: U+0000–U+001F,
// U+007F–U+009F). Any string in a body, property values included, must be
// valid UTF-8 in the same sense.
//
// # Numbers and nesting
//
// Numbers in properties and attributes decode as float64 (JSON numbers are
// IEEE doubles in the segment language). A number too large for a float64
// (1e400) is refused; one too small rounds to zero, and integers beyond
// 2^53 round to the nearest double. Objects and arrays nest at most
// MaxDepth levels: the properties (or attributes) object itself is level 1.
//
// # Duplicate keys
//
// A field given twice in an event, a key given twice at the top level of
// the attributes, and "events" or "attributes" given twice are refused
// (encoding/json would silently keep the last one). Inside property and
// attribute values, as in encoding/json, the last of duplicate keys wins.
package ingest

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/segmentd/segmentd/internal/record"
	"github.com/segmentd/segmentd/segment"
)

// CodeInvalidArgument is the problem code of a well-formed body that breaks
// a rule (400). Malformed JSON is segment.CodeInvalidJSON.
const CodeInvalidArgument = "invalid_argument"

// Limits of ingestion bodies.
const (
	// MaxEvents is the most events one POST may carry; at least one is
	// needed.
	MaxEvents = 1000
	// MaxIDBytes bounds event_id, user_id and name (bytes of UTF-8).
	MaxIDBytes = 256
	// MaxDepth bounds the nesting of properties and attributes.
	MaxDepth = 32
	// MaxFutureSkew is how far after the server's clock an event's time
	// may be. Events after as_of never count, so an event stamped in the
	// future by a wrong device clock would stay invisible and then appear
	// unannounced (and push last_seen into the future); an hour tolerates
	// ordinary clock skew.
	MaxFutureSkew = time.Hour
	// MaxAttributes bounds the keys of a profile's attributes, in a body
	// and after a PATCH is merged.
	MaxAttributes = 256
	// MaxAttributesBytes bounds the JSON text of a profile's attributes,
	// in a body (the attributes value as sent) and after a PATCH is merged
	// (as stored, compact).
	MaxAttributesBytes = 64 << 10
	// MaxProblems bounds the problems one error reports.
	MaxProblems = 100
)

// now is the server clock for the future-time guard; tests replace it.
var now = time.Now

// ValidUserID reports whether id is a valid user ID: 1 to MaxIDBytes bytes
// of valid UTF-8 without control characters. The same rule applies to
// event_id and name. The API checks the {user_id} of a URL with it.
func ValidUserID(id string) bool { return checkID(id) == "" }

// checkID explains what is wrong with an ID or event name, "" if nothing.
func checkID(s string) string {
	switch {
	case len(s) == 0:
		return "must not be empty"
	case len(s) > MaxIDBytes:
		return fmt.Sprintf("must be at most %d bytes, not %d", MaxIDBytes, len(s))
	case !utf8.ValidString(s):
		return "must be valid UTF-8"
	}
	for _, r := range s {
		if unicode.IsControl(r) {
			return fmt.Sprintf("must not contain control characters (%U)", r)
		}
	}
	return ""
}

// timeRE is RFC 3339 as segmentd reads it: upper-case T and Z (or a
// ±hh:mm offset), and any number of fractional digits.
var timeRE = regexp.MustCompile(`^[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])T([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](\.[0-9]+)?(Z|[+-]([01][0-9]|2[0-3]):[0-5][0-9])$`)

// minTime is the earliest event time: year 1 in UTC.
var minTime = time.Date(1, 1, 1, 0, 0, 0, 0, time.UTC)

// ParseTime parses an event time: RFC 3339 with an upper-case T, Z or a
// ±hh:mm offset (hours 00–23), and any fractional precision, truncated
// (not rounded) to milliseconds; the result is in UTC. Impossible dates
// (02-30) and leap seconds (:60) are refused, and so are instants before
// 0001-01-01T00:00:00Z.
func ParseTime(s string) (time.Time, bool) {
	if !timeRE.MatchString(s) {
		return time.Time{}, false
	}
	// time.Parse reads at most nanoseconds: drop the digits past them
	// (they would be truncated away anyway).
	if dot := strings.IndexByte(s, '.'); dot >= 0 {
		end := dot + 1
		for end < len(s) && s[end] >= '0' && s[end] <= '9' {
			end++
		}
		if end-dot-1 > 9 {
			s = s[:dot+10] + s[end:]
		}
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}, false
	}
	t = t.UTC().Truncate(time.Millisecond)
	if t.Before(minTime) {
		return time.Time{}, false
	}
	return t, true
}

// DecodeEvents reads a POST /events body,
//
//	{"events": [{"event_id", "user_id", "name", "time", "properties"}, …]}
//
// and returns the events in the order sent, or a *segment.Error. The whole
// batch is refused if anything is wrong; the first problem points at the
// first bad event's field ("/events/17/time"). The rules:
//
//   - the body is an object whose only field is "events" (required), an
//     array of 1 to MaxEvents objects (an empty batch is a problem at
//     /events);
//   - an event has exactly the fields above; unknown fields are refused
//     and so is a field given twice; properties may be left out;
//   - event_id, user_id, name: strings of 1–256 bytes of valid UTF-8
//     without control characters;
//   - time: RFC 3339 (see ParseTime), stored in UTC truncated to
//     milliseconds, and not more than MaxFutureSkew after the server's
//     clock;
//   - properties: a JSON object; absent or null means {}. Values are any
//     JSON (nested objects and arrays), numbers as float64, at most
//     MaxDepth levels deep; keys are not restricted (a key that is no valid
//     path can simply never be named by a segment);
//   - the same event_id twice in one batch is allowed: it is one event,
//     and the first occurrence wins, as when a batch is retried (storage
//     keeps the event already stored, see duckdb.Engine.WriteEvents).
//     DecodeEvents returns both; the storage layer deduplicates.
func DecodeEvents(body []byte) ([]record.Event, error) {
	fields, err := topLevel(body, "events")
	if err != nil {
		return nil, err
	}
	var ps problems
	raw, ok := fields["events"]
	if !ok {
		ps.add("/events", "events is required")
		return nil, ps.err()
	}
	if raw[0] != '[' {
		ps.add("/events", "must be an array of 1 to %d events, not %s", MaxEvents, rawType(raw))
		return nil, ps.err()
	}
	list := splitArray(raw)
	if len(list) == 0 || len(list) > MaxEvents {
		ps.add("/events", "must hold 1 to %d events, not %d", MaxEvents, len(list))
		return nil, ps.err()
	}
	limit := now().Add(MaxFutureSkew)
	events := make([]record.Event, len(list))
	for i, r := range list {
		decodeEvent(r, segment.Pointer("/events", i), limit, &events[i], &ps)
		if ps.full() {
			break
		}
	}
	if err := ps.err(); err != nil {
		return nil, err
	}
	return events, nil
}

// eventFields are an event's fields, in the order problems are reported.
var eventFields = []string{"event_id", "user_id", "name", "time", "properties"}

func decodeEvent(raw json.RawMessage, path string, limit time.Time, ev *record.Event, ps *problems) {
	if raw[0] != '{' {
		ps.add(path, "an event must be an object, not %s", rawType(raw))
		return
	}
	o := splitObject(raw)
	for _, k := range eventFields {
		v, present := o.fields[k]
		p := segment.Pointer(path, k)
		switch k {
		case "event_id", "user_id", "name":
			if !present {
				ps.add(p, "%s is required", k)
				continue
			}
			s, ok := idString(v, p, ps)
			if !ok {
				continue
			}
			switch k {
			case "event_id":
				ev.EventID = s
			case "user_id":
				ev.UserID = s
			case "name":
				ev.Name = s
			}
		case "time":
			if !present {
				ps.add(p, "time is required")
				continue
			}
			s, ok := stringValue(v, p, ps)
			if !ok {
				continue
			}
			t, ok := ParseTime(s)
			switch {
			case !ok:
				ps.add(p, "must be an RFC 3339 time such as 2026-01-02T15:04:05.123Z, not %q", clip(s))
			case t.After(limit):
				ps.add(p, "is more than %v after the server's clock (%s)", MaxFutureSkew, limit.Add(-MaxFutureSkew).UTC().Format(time.RFC3339))
			default:
				ev.Time = t
			}
		case "properties":
			if !present || string(v) == "null" {
				ev.Properties = map[string]any{}
				continue
			}
			if v[0] != '{' {
				ps.add(p, "must be an object, not %s", rawType(v))
				continue
			}
			if !checkStrings(v) {
				ps.add(p, "strings must be valid UTF-8 (no unpaired surrogate escapes)")
				continue
			}
			val, ok := decodeValue(v, p, 1, ps)
			if ok {
				ev.Properties = val.(map[string]any)
			}
		}
	}
	for _, k := range o.order {
		if !contains(eventFields, k) {
			ps.add(segment.Pointer(path, k), "unknown field %q", k)
		}
	}
	for _, k := range o.dups {
		ps.add(segment.Pointer(path, k), "field %q is given more than once", k)
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// idString reads an event_id, user_id or name.
func idString(raw json.RawMessage, path string, ps *problems) (string, bool) {
	s, ok := stringValue(raw, path, ps)
	if !ok {
		return "", false
	}
	if msg := checkID(s); msg != "" {
		ps.add(path, "%s", msg)
		return "", false
	}
	return s, true
}

// stringValue reads a JSON string, refusing invalid UTF-8 and unpaired
// surrogate escapes rather than replacing them.
func stringValue(raw json.RawMessage, path string, ps *problems) (string, bool) {
	if raw[0] != '"' {
		ps.add(path, "must be a string, not %s", rawType(raw))
		return "", false
	}
	if !checkStrings(raw) {
		ps.add(path, "must be valid UTF-8 (no unpaired surrogate escapes)")
		return "", false
	}
	return unquote(raw), true
}

// topLevel checks that body is one well-formed JSON object with only the
// allowed fields, and returns them.
func topLevel(body []byte, allowed ...string) (map[string]json.RawMessage, error) {
	if !json.Valid(body) {
		var v json.RawMessage
		err := json.Unmarshal(body, &v) // for the message
		if len(bytes.TrimSpace(body)) == 0 || err == nil {
			err = errors.New("the body is empty")
		}
		return nil, invalidJSON(err)
	}
	raw := body[skipSpace(body, 0):]
	var ps problems
	if raw[0] != '{' {
		ps.add("", "the body must be a JSON object, not %s", rawType(raw))
		return nil, ps.err()
	}
	o := splitObject(raw)
	for _, k := range o.order {
		if !contains(allowed, k) {
			ps.add(segment.Pointer("", k), "unknown field %q", k)
		}
	}
	for _, k := range o.dups {
		ps.add(segment.Pointer("", k), "field %q is given more than once", k)
	}
	if err := ps.err(); err != nil {
		return nil, err
	}
	return o.fields, nil
}

func invalidJSON(err error) error {
	return &segment.Error{Problems: []segment.Problem{{Code: segment.CodeInvalidJSON, Message: "malformed JSON: " + err.Error(), Path: ""}}}
}

// clip shortens a value quoted in a message.
func clip(s string) string {
	if len(s) <= 64 {
		return s
	}
	cut := 64
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}

// problems accumulates invalid_argument problems, up to MaxProblems.
type problems []segment.Problem

func (ps *problems) add(path, format string, args ...any) {
	if ps.full() {
		return
	}
	*ps = append(*ps, segment.Problem{Code: CodeInvalidArgument, Message: fmt.Sprintf(format, args...), Path: path})
}

func (ps problems) full() bool { return len(ps) >= MaxProblems }

func (ps problems) err() error {
	if len(ps) == 0 {
		return nil
	}
	return &segment.Error{Problems: ps}
}
