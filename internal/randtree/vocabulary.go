// Package randtree makes random valid segment trees from a seed, over the
// vocabulary of a data set: its event names, property paths and attribute
// keys, and values that occur in it, so that conditions select some users
// and not all. The agreement suite (internal/enginetest) runs them on every
// engine against the reference evaluator; a fixed corpus only finds the
// bugs someone thought of, random trees find the others.
//
// Trees cover every node type, operator, aggregate and window form; funnels
// with repeated names, equal timestamps and where on missing properties;
// references to saved segments; literals at the exact values users have
// (averages like 2.8333333333333335, instants to the microsecond, written
// with offsets like +05:45); and, one tree in ten, the language's limits
// (256 nodes, depth 16, 64 children, 16 steps, 1000 values in an in list).
package randtree

import (
	"cmp"
	"context"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/segmentd/segmentd/internal/dataset"
	"github.com/segmentd/segmentd/internal/evaluate"
	"github.com/segmentd/segmentd/segment"
)

// Vocabulary is what trees are made of. FromData derives it from a data
// set; the same data always gives the same Vocabulary.
type Vocabulary struct {
	AsOf time.Time
	// Events are the event names of the data, sorted, each with the
	// property paths its events hold.
	Events []Event
	// Attributes are the attribute paths of the users, user_id included.
	Attributes []Path
	// Times are event times that occur (at or before AsOf and after it),
	// for since/until bounds and time literals that fall on events.
	Times []time.Time
	// Segments are saved segments trees may reference.
	Segments []Segment
}

// Event is an event name and the paths of its properties.
type Event struct {
	Name       string
	Properties []Path
}

// Path is an attribute or property path and values found there.
type Path struct {
	Path    string
	Strings []string
	Numbers []float64
	Bools   bool
	// Totals are sums and averages of the path's numbers over one user's
	// events, computed as the evaluator does: a literal equal to one is a
	// comparison on the boundary, where precision decides.
	Totals []float64
}

// Segment is a saved segment with the depth and node count of its
// expanded tree, which count against a referring tree's limits.
type Segment struct {
	ID           string
	Depth, Nodes int
}

// maxValues bounds the values kept for one path.
const maxValues = 64

// totalUsers is how many users' sums and averages FromData computes.
const totalUsers = 300

// FromData collects the vocabulary of data, to be evaluated at asOf.
func FromData(data *dataset.Data, asOf time.Time) *Vocabulary {
	v := &Vocabulary{AsOf: asOf}
	events := map[string]*collector{}
	for _, e := range data.Events {
		c := events[e.Name]
		if c == nil {
			c = newCollector()
			events[e.Name] = c
		}
		c.object("", e.Properties)
	}
	for _, name := range sortedKeys(events) {
		v.Events = append(v.Events, Event{Name: name, Properties: events[name].paths()})
	}

	attrs := newCollector()
	for _, u := range data.Users {
		attrs.object("", u.Attributes)
	}
	ids := newCollector()
	for i, u := range data.Users {
		if i%max(1, len(data.Users)/maxValues) == 0 {
			ids.add(segment.FieldUserID, u.UserID)
		}
	}
	v.Attributes = append(attrs.paths(), ids.paths()...)

	step := max(1, len(data.Events)/512)
	for i := 0; i < len(data.Events); i += step {
		v.Times = append(v.Times, data.Events[i].Time)
	}
	v.addTotals(data)
	return v
}

// addTotals gives each numeric property path the sums and averages of its
// values over whole histories (up to AsOf) of the first users.
func (v *Vocabulary) addTotals(data *dataset.Data) {
	byUser := data.EventsByUser()
	for ui, u := range data.Users {
		if ui == totalUsers {
			break
		}
		for ei := range v.Events {
			ev := &v.Events[ei]
			for pi := range ev.Properties {
				p := &ev.Properties[pi]
				if len(p.Numbers) == 0 {
					continue
				}
				var nums []float64
				for _, e := range byUser[u.UserID] {
					if e.Name != ev.Name || e.Time.After(v.AsOf) {
						continue
					}
					nums = append(nums, numbersAt(e.Properties, segment.PathSegments(p.Path))...)
				}
				if n := len(nums); n > 1 && len(p.Totals) < maxValues {
					sum := evaluate.Sum(nums)
					p.Totals = append(p.Totals, sum, sum/float64(n))
				}
			}
		}
	}
}

// numbersAt are the numbers at a path, through arrays of objects, as the
// language reads them.
func numbersAt(v any, keys []string) []float64 {
	if arr, ok := v.([]any); ok {
		var out []float64
		for _, x := range arr {
			if _, nested := x.([]any); !nested {
				out = append(out, numbersAt(x, keys)...)
			}
		}
		return out
	}
	if len(keys) == 0 {
		if f, ok := v.(float64); ok {
			return []float64{f}
		}
		return nil
	}
	obj, ok := v.(map[string]any)
	if !ok {
		return nil
	}
	return numbersAt(obj[keys[0]], keys[1:])
}

// WithSegments adds the saved segments ids, expanded through lookup to
// know their size.
func (v *Vocabulary) WithSegments(ctx context.Context, lookup segment.Lookup, ids ...string) error {
	for _, id := range ids {
		n, err := segment.Expand(ctx, &segment.SegmentRef{SegmentID: id}, "", lookup)
		if err != nil {
			return fmt.Errorf("randtree: segment %s: %w", id, err)
		}
		s := Segment{ID: id}
		segment.Walk(n, "", func(_ segment.Node, _ string, depth int) bool {
			s.Nodes++
			s.Depth = max(s.Depth, depth)
			return true
		})
		v.Segments = append(v.Segments, s)
	}
	return nil
}

// collector gathers the values found at each path.
type collector struct {
	byPath map[string]*Path
	seen   map[string]map[any]bool
}

func newCollector() *collector {
	return &collector{byPath: map[string]*Path{}, seen: map[string]map[any]bool{}}
}

func (c *collector) object(prefix string, obj map[string]any) {
	for k, x := range obj {
		p := k
		if prefix != "" {
			p = prefix + "." + k
		}
		if !segment.ValidPath(p) {
			continue
		}
		c.value(p, x)
	}
}

func (c *collector) value(p string, x any) {
	switch x := x.(type) {
	case map[string]any:
		c.object(p, x)
	case []any:
		for _, el := range x {
			if obj, ok := el.(map[string]any); ok {
				c.object(p, obj)
			} else if _, nested := el.([]any); !nested {
				c.value(p, el)
			}
		}
	default:
		c.add(p, x)
	}
}

// add records a scalar (nil records the path only).
func (c *collector) add(p string, x any) {
	path := c.byPath[p]
	if path == nil {
		path = &Path{Path: p}
		c.byPath[p] = path
		c.seen[p] = map[any]bool{}
	}
	if c.seen[p][x] {
		return
	}
	c.seen[p][x] = true
	switch x := x.(type) {
	case string:
		if len(path.Strings) < maxValues && len(x) <= segment.MaxStringBytes {
			path.Strings = append(path.Strings, x)
		}
	case float64:
		if len(path.Numbers) < maxValues && !math.IsInf(x, 0) {
			path.Numbers = append(path.Numbers, x)
		}
	case bool:
		path.Bools = true
	}
}

func (c *collector) paths() []Path {
	out := make([]Path, 0, len(c.byPath))
	for _, k := range sortedKeys(c.byPath) {
		p := *c.byPath[k]
		slices.Sort(p.Strings)
		slices.Sort(p.Numbers)
		out = append(out, p)
	}
	return out
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, strings.Compare)
	return keys
}

// byName finds an event of the vocabulary.
func (v *Vocabulary) byName(name string) (Event, bool) {
	i, ok := slices.BinarySearchFunc(v.Events, name, func(e Event, n string) int { return cmp.Compare(e.Name, n) })
	if !ok {
		return Event{}, false
	}
	return v.Events[i], true
}
