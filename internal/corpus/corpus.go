// Package corpus is the shared test corpus of segment trees: the cases the
// agreement tests evaluate with the reference evaluator and with every SQL
// engine, over one fixed data set, at one fixed instant, in one time zone
// with DST. Together the trees use every node type, operator, aggregate and
// window form of the language, and the data holds the awkward cases
// (ties, nulls, missing attributes, type mismatches, DST, odd strings)
// those trees are meant to meet.
//
// Adding a case: put one tree in trees/NNN-short-name.json (the JSON that
// segment.Decode reads; saved segments it references go in
// segments/<id>.json as {"name", "description", "tree"}). The tests fail
// when a case does not decode or expand, when the corpus stops covering a
// part of the language, and when a case selects nobody or everybody on the
// corpus data, unless its name says so with "-empty" or "-all".
package corpus

import (
	"bytes"
	"context"
	"embed"
	"encoding/json"
	"errors"
	"io/fs"
	"path"
	"slices"
	"strings"
	"time"
	_ "time/tzdata" // the cases mean the same on a machine without a zone database

	"github.com/segmentd/segmentd/internal/dataset"
	"github.com/segmentd/segmentd/internal/randtree"
	"github.com/segmentd/segmentd/segment"
)

//go:embed trees/*.json segments/*.json
var files embed.FS

// TimeZone is the app's time zone for every case: Europe/Berlin changes
// between CEST and CET on 2026-10-25, in the week before AsOf.
const TimeZone = "Europe/Berlin"

// AsOf is the instant every case is evaluated at: Wednesday 2026-10-28,
// 15:30 CET. The previous calendar week (Monday 2026-10-19 to Sunday
// 2026-10-25) is 169 hours long, and three calendar days back is the
// 25-hour Sunday of the change.
var AsOf = time.Date(2026, time.October, 28, 14, 30, 0, 0, time.UTC)

// Location returns TimeZone loaded.
func Location() *time.Location {
	loc, err := time.LoadLocation(TimeZone)
	if err != nil {
		panic("corpus: " + err.Error()) // time/tzdata is linked in: cannot happen
	}
	return loc
}

// Config is the dataset.Config of the corpus data: about fourteen months
// of activity before AsOf and four days after it (which no case may count).
var Config = dataset.Config{
	Users:    3000,
	Events:   75000,
	Seed:     20261028,
	Start:    AsOf.AddDate(0, -14, 0),
	End:      AsOf.AddDate(0, 0, 4),
	AsOf:     AsOf,
	TimeZone: TimeZone,
}

// Dataset generates the corpus data. Each call makes a fresh copy.
func Dataset() *dataset.Data { return dataset.Generate(Config) }

// Case is one tree of the corpus: Name is its file name without ".json"
// ("017-attr-city-starts-with"), JSON the tree as segment.Decode reads it.
// A name containing "-empty" or "-all" marks a tree that selects nobody or
// everybody on purpose.
type Case struct {
	Name string
	JSON []byte
}

// Cases returns every tree of the corpus, sorted by name.
func Cases() []Case {
	var out []Case
	entries, _ := fs.ReadDir(files, "trees") // embedded: cannot fail
	for _, e := range entries {
		data, _ := files.ReadFile(path.Join("trees", e.Name()))
		out = append(out, Case{Name: strings.TrimSuffix(e.Name(), ".json"), JSON: data})
	}
	slices.SortFunc(out, func(a, b Case) int { return strings.Compare(a.Name, b.Name) })
	return out
}

// Saved is a saved segment the trees refer to: the body one would POST to
// create it ({"name", "description", "tree"}) under the ID the trees use.
type Saved struct {
	ID   string
	JSON []byte
}

// SavedSegments returns the saved segments, sorted by ID.
func SavedSegments() []Saved {
	var out []Saved
	entries, _ := fs.ReadDir(files, "segments")
	for _, e := range entries {
		data, _ := files.ReadFile(path.Join("segments", e.Name()))
		out = append(out, Saved{ID: strings.TrimSuffix(e.Name(), ".json"), JSON: data})
	}
	slices.SortFunc(out, func(a, b Saved) int { return strings.Compare(a.ID, b.ID) })
	return out
}

// Lookup resolves the saved segments of the corpus; any other ID is
// segment.ErrNotFound.
func Lookup() segment.Lookup {
	return segment.LookupFunc(func(_ context.Context, id string) (segment.Node, error) {
		if id == "" || strings.ContainsAny(id, "/\\.") {
			return nil, segment.ErrNotFound
		}
		data, err := files.ReadFile(path.Join("segments", id+".json"))
		if err != nil {
			return nil, segment.ErrNotFound
		}
		return decodeSaved(data)
	})
}

// decodeSaved decodes the tree of a saved segment body.
func decodeSaved(data []byte) (segment.Node, error) {
	var body struct {
		Name        string          `json:"name"`
		Description string          `json:"description"`
		Tree        json.RawMessage `json:"tree"`
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&body); err != nil {
		return nil, err
	}
	if body.Name == "" || len(body.Tree) == 0 {
		return nil, errors.New("corpus: a saved segment needs a name and a tree")
	}
	return segment.Decode(body.Tree, "/tree")
}

// Vocabulary is what random trees over data at asOf draw from
// (randtree.FromData), with the saved segments to refer to, resolved by
// lookup.
func Vocabulary(data *dataset.Data, asOf time.Time, lookup segment.Lookup) (*randtree.Vocabulary, error) {
	v := randtree.FromData(data, asOf)
	var ids []string
	for _, s := range SavedSegments() {
		ids = append(ids, s.ID)
	}
	if err := v.WithSegments(context.Background(), lookup, ids...); err != nil {
		return nil, err
	}
	return v, nil
}
