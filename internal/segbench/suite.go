// Package segbench is the whole-system benchmark of segmentd (issue 6):
// a fixed suite of trees, each run three ways (the fused plan, the naive
// plan, and a query an analyst would write by hand) so that the compiler
// is measured against the baselines it claims to beat.
package segbench

import (
	"bytes"
	"context"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/segmentd/segmentd/internal/compile"
	"github.com/segmentd/segmentd/internal/engine/trino"
	"github.com/segmentd/segmentd/internal/query"
	"github.com/segmentd/segmentd/segment"
)

// The suite: suite/<name>.json is a tree, suite/<name>.<dialect>.sql the
// hand-written query for it, suite/segments/<id>.json a saved segment the
// trees refer to. File names start with a number, the suite's order.
//
//go:embed suite/*.json suite/*.sql suite/segments/*.json
var files embed.FS

// Tree is one tree of the suite.
type Tree struct {
	// Name is the file name without ".json" ("1-worked-example").
	Name string
	// JSON is the tree as segment.Decode reads it.
	JSON []byte
	// Saved are the segments the tree refers to, directly or through
	// other saved segments, each after those it refers to: the order in
	// which to create them in an app.
	Saved []Saved
}

// Saved is a saved segment: the body one would POST to create it
// ({"name", "description", "tree"}) under the ID the trees use.
type Saved struct {
	ID   string
	JSON []byte
}

// ErrNoHandSQL is returned by HandSQL for a dialect without a hand-written
// query for the tree.
var ErrNoHandSQL = errors.New("segbench: no hand-written SQL")

// Suite returns the trees in the suite's order. It panics on a suite file
// that does not decode, which the tests rule out.
func Suite() []Tree {
	entries, _ := fs.Glob(files, "suite/*.json") // sorted; embedded: cannot fail
	var out []Tree
	for _, e := range entries {
		data, _ := files.ReadFile(e)
		t := Tree{Name: strings.TrimSuffix(path.Base(e), ".json"), JSON: data}
		tree, err := segment.Decode(data, "")
		if err != nil {
			panic(fmt.Sprintf("segbench: %s: %v", e, err))
		}
		if t.Saved, err = saved(tree, nil); err != nil {
			panic(fmt.Sprintf("segbench: %s: %v", e, err))
		}
		out = append(out, t)
	}
	return out
}

// saved appends the saved segments n refers to that have lacks, each
// after those it refers to in turn.
func saved(n segment.Node, have []Saved) ([]Saved, error) {
	var refs []string
	segment.Walk(n, "", func(c segment.Node, _ string, _ int) bool {
		if ref, ok := c.(*segment.SegmentRef); ok {
			refs = append(refs, ref.SegmentID)
		}
		return true
	})
	for _, id := range refs {
		if slices.ContainsFunc(have, func(s Saved) bool { return s.ID == id }) {
			continue
		}
		body, err := files.ReadFile("suite/segments/" + id + ".json")
		if err != nil {
			return nil, fmt.Errorf("segment %s: %w", id, segment.ErrNotFound)
		}
		s := Saved{ID: id, JSON: body}
		tree, err := decodeSaved(s)
		if err != nil {
			return nil, err
		}
		if have, err = saved(tree, have); err != nil {
			return nil, err
		}
		have = append(have, s)
	}
	return have, nil
}

// decodeSaved decodes the tree of a saved segment's body.
func decodeSaved(s Saved) (segment.Node, error) {
	var body struct {
		Name        string          `json:"name"`
		Description string          `json:"description"`
		Tree        json.RawMessage `json:"tree"`
	}
	dec := json.NewDecoder(bytes.NewReader(s.JSON))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&body); err != nil {
		return nil, fmt.Errorf("segment %s: %w", s.ID, err)
	}
	return segment.Decode(body.Tree, "/tree")
}

// Lookup resolves the tree's saved segments, for segment.Expand: what an
// app that holds them would answer. Any other ID is segment.ErrNotFound.
func (t Tree) Lookup() segment.Lookup {
	return segment.LookupFunc(func(_ context.Context, id string) (segment.Node, error) {
		for _, s := range t.Saved {
			if s.ID == id {
				return decodeSaved(s)
			}
		}
		return nil, segment.ErrNotFound
	})
}

// Expand decodes the tree and expands its references: the tree the
// compiler and the reference evaluator take.
func (t Tree) Expand(ctx context.Context) (segment.Node, error) {
	return query.Tree(ctx, t.JSON, "", t.Lookup())
}

// HandSQL is HandQuery for an engine that keeps its events in one table,
// under the names the dialect's files use.
func (t Tree) HandSQL(dialect, appID string, asOf time.Time, loc *time.Location) (*compile.SQL, error) {
	return t.HandQuery(dialect, compile.Options{AppID: appID, AsOf: asOf, Location: loc}, compile.Tables{})
}

// HandQuery returns the hand-written query of the tree in a dialect, or
// ErrNoHandSQL, bound for the app, as_of and time zone (an IANA zone; nil
// is UTC) of the options and, on an engine that keeps events in two
// stores, their split. Like the compiled queries, it selects the user_id
// of the members.
//
// The files name their parameters (:app_id, :as_of, :tz; with a split,
// :boundary, :fresh_days and :buckets, the last two lists) so that they
// read as an analyst writes them and can use one value many times; they
// become positional ?s, which every engine takes. The Trino files name the
// tables of deploy/trino's catalogs (trino.DefaultTables), which become
// the engine's tables.
//
// A dialect may have suite/sources.<dialect>.sql: the sources every query
// of the dialect reads (on Trino, the events of history, fresh days and
// late events as one), as the common table expressions before the query.
func (t Tree) HandQuery(dialect string, opt compile.Options, tables compile.Tables) (*compile.SQL, error) {
	text, err := files.ReadFile("suite/" + t.Name + "." + dialect + ".sql")
	if err != nil {
		return nil, fmt.Errorf("%w for %s in %s", ErrNoHandSQL, t.Name, dialect)
	}
	loc := opt.Location
	if loc == nil {
		loc = time.UTC
	}
	params := map[string]any{"app_id": opt.AppID, "as_of": opt.AsOf.UTC(), "tz": loc.String()}
	if split := opt.Split; split != nil {
		buckets := make([]string, split.Buckets)
		for i := range buckets {
			buckets[i] = strconv.Itoa(i)
		}
		params["boundary"], params["fresh_days"], params["buckets"] = split.Boundary, split.FreshDays, buckets
	}
	if sources, err := files.ReadFile("suite/sources." + dialect + ".sql"); err == nil {
		text = slices.Concat(sources, []byte("SELECT user_id FROM (\n"), text, []byte("\n) AS hand"))
	}
	return bind(renameTables(string(text), handTables[dialect], tables), params)
}

// handTables are the tables the hand-written files of a dialect name.
// DuckDB's are bare words (users, events), as in the embedded engine.
var handTables = map[string]compile.Tables{"trino": trino.DefaultTables}

// renameTables replaces each table the text names by the table of the
// same role in to (a role to leaves empty keeps its name).
func renameTables(text string, from, to compile.Tables) string {
	var pairs []string
	for _, p := range [][2]string{{from.Users, to.Users}, {from.Events, to.Events}, {from.History, to.History}, {from.Late, to.Late}} {
		if p[0] != "" && p[1] != "" {
			pairs = append(pairs, p[0], p[1])
		}
	}
	return strings.NewReplacer(pairs...).Replace(text)
}

// tokens are the parts of SQL text bind looks at: quoted strings and
// identifiers and comments (skipped whole, so that a colon inside them is
// left alone), :: casts, and :name parameters.
var tokens = regexp.MustCompile(`'[^']*'|"[^"]*"|--[^\n]*|::|:[a-z_]+`)

// bind replaces each :name of text by a positional ? for params[name],
// or a list of them for a []string.
func bind(text string, params map[string]any) (*compile.SQL, error) {
	out := &compile.SQL{}
	var b strings.Builder
	last := 0
	for _, m := range tokens.FindAllStringIndex(text, -1) {
		tok := text[m[0]:m[1]]
		if tok[0] != ':' || tok == "::" {
			continue
		}
		v, ok := params[tok[1:]]
		if !ok {
			return nil, fmt.Errorf("segbench: unknown parameter %s", tok)
		}
		b.WriteString(text[last:m[0]])
		values := []any{v}
		if list, ok := v.([]string); ok {
			if len(list) == 0 {
				return nil, fmt.Errorf("segbench: parameter %s is an empty list", tok)
			}
			values = make([]any, len(list))
			for i, s := range list {
				values[i] = s
			}
		}
		for i, x := range values {
			if i > 0 {
				b.WriteString(", ")
			}
			out.Marks = append(out.Marks, b.Len())
			b.WriteByte('?')
			out.Params = append(out.Params, x)
		}
		last = m[1]
	}
	b.WriteString(text[last:])
	out.Text = b.String()
	return out, nil
}
