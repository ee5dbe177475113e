package query

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"time"

	"github.com/segmentd/segmentd/internal/cache"
	"github.com/segmentd/segmentd/internal/engine"
	"github.com/segmentd/segmentd/segment"
)

// The data dictionary's bounds: what it samples and what it returns.
const (
	// SchemaNames is how many event names are listed, the most frequent
	// first.
	SchemaNames = 200
	// SchemaEventsPerName is how many events of each listed name are
	// sampled for its properties: the most recent.
	SchemaEventsPerName = 100
	// SchemaUsers is how many users are sampled for their attributes:
	// the most recently seen.
	SchemaUsers = 1000
	// SchemaSampleBytes bounds the JSON text sampled, in all.
	SchemaSampleBytes = 32 << 20
	// SchemaPaths is how many paths are listed for an event name or for
	// the attributes, the most frequent first.
	SchemaPaths = 100
	// SchemaValues is how many frequent values are listed for a path.
	SchemaValues = 10
	// SchemaValueBytes: a longer string is never a frequent value.
	SchemaValueBytes = 256
	// schemaTracked bounds the paths, and the distinct values of a path,
	// counted while walking a sample (the first ones met).
	schemaTracked = 1000
	// SchemaTTL is how long a dictionary is cached (under the app's
	// watermark, which any write moves).
	SchemaTTL = 5 * time.Minute
)

// Dictionary is the data dictionary of an app: its event names with
// their properties, and its users' fields.
type Dictionary struct {
	AppID string `json:"app_id"`
	// Watermark is the app's when the dictionary was computed (nil: the
	// app has had no write).
	Watermark  *time.Time  `json:"watermark"`
	ComputedAt time.Time   `json:"computed_at"`
	Events     []EventInfo `json:"events"`
	// EventsTruncated: the app has more event names than SchemaNames.
	EventsTruncated bool      `json:"events_truncated"`
	Users           UsersInfo `json:"users"`
	// SampleTruncated: SchemaSampleBytes stopped the sample.
	SampleTruncated bool        `json:"sample_truncated"`
	Limits          SchemaLimit `json:"limits"`
}

// SchemaLimit reports the bounds a dictionary was made with.
type SchemaLimit struct {
	Events        int `json:"events"`
	EventsSampled int `json:"events_sampled"`
	UsersSampled  int `json:"users_sampled"`
	Paths         int `json:"paths"`
	Values        int `json:"values"`
}

// EventInfo is an event name: how many events have it (all of them) and
// the paths of the properties of the sampled ones.
type EventInfo struct {
	Name     string    `json:"name"`
	Count    int64     `json:"count"`
	LastSeen time.Time `json:"last_seen"`
	// Sampled is how many of its events were sampled.
	Sampled             int        `json:"sampled"`
	Properties          []PathInfo `json:"properties"`
	PropertiesTruncated bool       `json:"properties_truncated"`
}

// UsersInfo is the app's users: how many, their built-in fields and the
// attribute paths of the sampled users.
type UsersInfo struct {
	Count               int64          `json:"count"`
	Sampled             int            `json:"sampled"`
	Builtin             []BuiltinField `json:"builtin"`
	Attributes          []PathInfo     `json:"attributes"`
	AttributesTruncated bool           `json:"attributes_truncated"`
}

// BuiltinField is a field every user has.
type BuiltinField struct {
	Path string `json:"path"`
	Type string `json:"type"`
}

// builtins are the built-in user fields (segment.Field*).
var builtins = []BuiltinField{{segment.FieldUserID, "string"}, {segment.FieldFirstSeen, "time"}, {segment.FieldLastSeen, "time"}}

// PathInfo is a path as the language writes it (items.price through an
// array of objects, address.city), seen in a sample.
type PathInfo struct {
	Path string `json:"path"`
	// Types are the JSON types of the values at the path (string, number,
	// boolean, object, array; an array's elements are values of the path
	// too), in that order.
	Types []string `json:"types"`
	// Count is how many sampled documents have a value at the path.
	Count int `json:"count"`
	// Values are its most frequent strings, numbers and booleans, each
	// with how many sampled documents hold it, the most frequent first.
	Values []ValueCount `json:"values"`
}

// ValueCount is a value and how many sampled documents hold it.
type ValueCount struct {
	Value any `json:"value"`
	Count int `json:"count"`
}

// SchemaKey is the key of the app's data dictionary in the cache: the
// app is in its text and its hash, with the dialect and the watermark.
func (a Answer) SchemaKey() string { return "schema/" + a.app + "/" + a.digest() }

// schemaAnswer names the data dictionary of an app at a watermark.
func schemaAnswer(appID, dialect string, wm time.Time) Answer {
	if appID == "" {
		panic("query: a data dictionary needs its app")
	}
	// The tree's place holds what no canonical tree is, and the version
	// of the dictionary's bounds.
	return Answer{app: appID, dialect: dialect, tree: "\x00schema/v1", watermark: wm.UTC()}
}

// Schema is the data dictionary of an app (GET …/schema): from the cache
// when one was made at the app's current watermark in the last
// SchemaTTL, otherwise from the engine's sample (engine.SchemaSample,
// admitted by the gate and bounded by the query timeout) at now.
func (s *Service) Schema(ctx context.Context, appID string, now time.Time) (Dictionary, bool, error) {
	wm, err := s.cfg.Fresh.Watermark(ctx, appID)
	if err != nil {
		return Dictionary{}, false, unavailable(err)
	}
	key := schemaAnswer(appID, s.Dialect().Name, wm).SchemaKey()
	store := s.counts.Cache
	if b, err := store.Get(ctx, key); err == nil {
		var d Dictionary
		if json.Unmarshal(b, &d) == nil {
			return d, true, nil
		}
	} else if !errors.Is(err, cache.ErrMiss) {
		s.cfg.Log.WarnContext(ctx, "the cache failed: the data dictionary is computed uncached", "error", err)
	}
	release, err := s.cfg.Gate.Acquire(ctx, appID)
	if err != nil {
		return Dictionary{}, false, err
	}
	defer release()
	qctx, cancel := context.WithTimeout(ctx, s.cfg.QueryTimeout)
	defer cancel()
	// Events may be up to an hour ahead of the clock (ingest): the
	// sample reads up to then.
	sample, err := s.cfg.Engine.SchemaSample(qctx, appID, now.Add(time.Hour), engine.SchemaLimits{
		Names: SchemaNames, EventsPerName: SchemaEventsPerName, Users: SchemaUsers, Bytes: SchemaSampleBytes})
	if err != nil {
		return Dictionary{}, false, classify(qctx, s.cfg.QueryTimeout, err)
	}
	d := MakeDictionary(appID, sample)
	d.ComputedAt = now.UTC().Truncate(time.Millisecond)
	if !wm.IsZero() {
		w := wm.UTC()
		d.Watermark = &w
	}
	if b, err := json.Marshal(d); err == nil {
		if err := store.Set(ctx, key, b, SchemaTTL); err != nil {
			s.cfg.Log.WarnContext(ctx, "the cache failed: the data dictionary is not cached", "error", err)
		}
	}
	return d, false, nil
}

// MakeDictionary makes the dictionary of an engine's sample: every path
// of the sampled documents, as the language walks them
// (evaluate.Values), with its types and frequent values.
func MakeDictionary(appID string, s *engine.SchemaSample) Dictionary {
	d := Dictionary{AppID: appID, Events: []EventInfo{}, EventsTruncated: s.MoreNames, SampleTruncated: s.Truncated,
		Limits: SchemaLimit{Events: SchemaNames, EventsSampled: SchemaEventsPerName, UsersSampled: SchemaUsers,
			Paths: SchemaPaths, Values: SchemaValues}}
	byName := map[string]*paths{}
	for _, ev := range s.Events {
		p := byName[ev.Name]
		if p == nil {
			p = newPaths()
			byName[ev.Name] = p
		}
		p.add(ev.JSON)
	}
	for _, n := range s.Names {
		info := EventInfo{Name: n.Name, Count: n.Count, LastSeen: n.LastSeen.UTC(), Properties: []PathInfo{}}
		if p := byName[n.Name]; p != nil {
			info.Sampled = p.docs
			info.Properties, info.PropertiesTruncated = p.list()
		}
		d.Events = append(d.Events, info)
	}
	users := newPaths()
	for _, u := range s.Attributes {
		users.add(u.JSON)
	}
	d.Users = UsersInfo{Count: s.Users, Sampled: users.docs, Builtin: builtins}
	d.Users.Attributes, d.Users.AttributesTruncated = users.list()
	return d
}

// The JSON types, in the order a path lists them.
var jsonTypes = []string{"string", "number", "boolean", "object", "array"}

const (
	tString = 1 << iota
	tNumber
	tBoolean
	tObject
	tArray
)

// paths counts the paths of sampled documents.
type paths struct {
	docs      int // documents added (the current one's number)
	byPath    map[string]*pathCount
	truncated bool // a path past schemaTracked was left out
}

type pathCount struct {
	types  int
	docs   int
	last   int // the last document counted
	values map[any]*valueCount
}

type valueCount struct {
	n, last int
}

func newPaths() *paths { return &paths{byPath: map[string]*pathCount{}} }

// add walks one document (a JSON object; anything else has no paths).
func (p *paths) add(doc string) {
	p.docs++
	var v any
	if err := json.Unmarshal([]byte(doc), &v); err != nil {
		return
	}
	if obj, ok := v.(map[string]any); ok {
		p.object("", obj)
	}
}

// object walks the keys of an object reached at prefix: each key a path
// can name continues it.
func (p *paths) object(prefix string, obj map[string]any) {
	for k, v := range obj {
		path := k
		if prefix != "" {
			path = prefix + "." + k
		}
		if !segment.ValidPathKey(k) || !segment.ValidPath(path) {
			continue
		}
		p.value(path, v, true)
	}
}

// value records the value v at path. As the language walks a path, an
// array met as a key's value stands for its elements (one level: an array
// in it is a value of the path, not entered), and an object among them
// is entered by the next key; null is no value.
func (p *paths) value(path string, v any, keyValue bool) {
	if v == nil {
		return
	}
	c := p.path(path)
	if c == nil {
		return
	}
	if x, ok := v.([]any); ok && keyValue {
		// Its elements are the values (an empty array has none).
		c.types |= tArray
		for _, el := range x {
			p.value(path, el, false)
		}
		return
	}
	if c.last != p.docs {
		c.last = p.docs
		c.docs++
	}
	switch x := v.(type) {
	case []any:
		c.types |= tArray // in an array: a value, not entered
	case map[string]any:
		c.types |= tObject
		p.object(path, x)
	case string:
		c.types |= tString
		if len(x) <= SchemaValueBytes {
			p.count(c, x)
		}
	case float64:
		c.types |= tNumber
		p.count(c, x)
	case bool:
		c.types |= tBoolean
		p.count(c, x)
	}
}

func (p *paths) path(path string) *pathCount {
	c := p.byPath[path]
	if c == nil {
		if len(p.byPath) >= schemaTracked {
			p.truncated = true
			return nil
		}
		c = &pathCount{values: map[any]*valueCount{}}
		p.byPath[path] = c
	}
	return c
}

// count counts a value once a document.
func (p *paths) count(c *pathCount, v any) {
	vc := c.values[v]
	if vc == nil {
		if len(c.values) >= schemaTracked {
			return
		}
		vc = &valueCount{}
		c.values[v] = vc
	}
	if vc.last != p.docs {
		vc.last = p.docs
		vc.n++
	}
}

// list is the most frequent paths (then by path), at most SchemaPaths,
// and whether there were more.
func (p *paths) list() ([]PathInfo, bool) {
	out := []PathInfo{}
	for path, c := range p.byPath {
		info := PathInfo{Path: path, Count: c.docs, Types: []string{}, Values: []ValueCount{}}
		for i, t := range jsonTypes {
			if c.types&(1<<i) != 0 {
				info.Types = append(info.Types, t)
			}
		}
		for v, vc := range c.values {
			info.Values = append(info.Values, ValueCount{Value: v, Count: vc.n})
		}
		slices.SortFunc(info.Values, func(a, b ValueCount) int {
			if c := cmp.Compare(b.Count, a.Count); c != 0 {
				return c
			}
			return compareValues(a.Value, b.Value)
		})
		if len(info.Values) > SchemaValues {
			info.Values = info.Values[:SchemaValues]
		}
		out = append(out, info)
	}
	slices.SortFunc(out, func(a, b PathInfo) int {
		if c := cmp.Compare(b.Count, a.Count); c != 0 {
			return c
		}
		return strings.Compare(a.Path, b.Path)
	})
	more := p.truncated || len(out) > SchemaPaths
	if len(out) > SchemaPaths {
		out = out[:SchemaPaths]
	}
	return out, more
}

// compareValues orders values of different types as jsonTypes lists
// them, and values of one type by their order.
func compareValues(a, b any) int {
	rank := func(v any) int {
		switch v.(type) {
		case string:
			return 0
		case float64:
			return 1
		}
		return 2
	}
	if c := cmp.Compare(rank(a), rank(b)); c != 0 {
		return c
	}
	switch x := a.(type) {
	case string:
		return strings.Compare(x, b.(string))
	case float64:
		return cmp.Compare(x, b.(float64))
	case bool:
		if x == b.(bool) {
			return 0
		}
		if !x {
			return -1
		}
		return 1
	}
	return 0
}
