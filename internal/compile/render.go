package compile

import (
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"text/template"

	"github.com/segmentd/segmentd/segment"
	"github.com/segmentd/segmentd/templates"
)

// Dialect is a SQL dialect: its name and its templates, parsed once.
type Dialect struct {
	Name  string
	tmpl  *template.Template
	cache *renderCache
}

// renderCacheSize bounds each dialect's cache of rendered plan shapes.
const renderCacheSize = 1024

// The dialects segmentd renders.
var (
	DuckDB = mustDialect("duckdb")
	Trino  = mustDialect("trino")
)

// DialectByName returns the dialect called name, or nil.
func DialectByName(name string) *Dialect {
	switch name {
	case DuckDB.Name:
		return DuckDB
	case Trino.Name:
		return Trino
	}
	return nil
}

// Rendering writes markers where parameters and tables go, and Render
// replaces them afterwards. So the template functions are pure, and the
// templates are shared by every rendering without cloning. A marker is
// \x00<slot>\x00 for a parameter and \x00users\x00 or \x00events\x00 for a
// table. NUL cannot occur otherwise: values never enter the text, and
// names and literals hold no control characters.
func marker(p Param) string { return "\x00" + strconv.Itoa(int(p)) + "\x00" }

// funnelStep is what a dialect's "nextstep" template reads: step Next of
// funnel F, reached from the rows of step Prev.
type funnelStep struct {
	F          *FunnelPlan
	Prev, Next int
}

// typedValues is a Source with the fields of its typed values {n, s, b, t}
// that are read: a dialect may leave the others NULL and skip the work of
// typing them.
type typedValues struct {
	*Source
	N, S, B bool
}

// typedFor is what a comparison reads of a source's values: nothing for
// exists and not_exists (only that a value is there), the string for the
// string operators and for times (an instant property is an RFC 3339
// string), both string and number for in and not_in.
func typedFor(s *Source, c Comparison) typedValues {
	v := typedValues{Source: s}
	switch c.Op {
	case segment.OpExists, segment.OpNotExists:
	case segment.OpIn, segment.OpNotIn:
		v.N, v.S = true, true
	case segment.OpContains, segment.OpNotContains, segment.OpStartsWith, segment.OpEndsWith:
		v.S = true
	default:
		v.N, v.S, v.B = c.Kind == "number", c.Kind == "string" || c.Kind == "time", c.Kind == "bool"
	}
	return v
}

// funcs are the template functions.
var funcs = template.FuncMap{
	"kind":         kind,
	"steps":        steps,
	"operand":      func(x string, zero bool, c Comparison) operand { return operand{X: x, Zero: zero, Cmp: c} },
	"numoperand":   func(x string, zero bool, c Comparison) operand { return operand{X: x, Zero: zero, Num: true, Cmp: c} },
	"arg":          func(c Comparison, i int) Param { return c.Args[i] },
	"inc":          func(i int) int { return i + 1 },
	"typedfor":     typedFor,
	"typedall":     func(s *Source) typedValues { return typedValues{Source: s, N: true, S: true, B: true} },
	"nextstep":     func(f *FunnelPlan, prev int) funnelStep { return funnelStep{F: f, Prev: prev, Next: prev + 1} },
	"last":         func(steps []Filter) int { return len(steps) - 1 },
	"key":          pathKey,
	"direct":       direct,
	"jsonnumber":   jsonNumber,
	"row":          row,
	"valuerow":     valueRow,
	"parsetime":    parseTime,
	"preextracted": preextracted,
	"one":          func(v string, s *Source, c Comparison) oneValue { return oneValue{V: v, Source: s, Cmp: c} },
	"lit":          Literal,
	"rfc3339":      func() string { return segment.RFC3339Pattern },
	"fail":         func(msg string, v any) (string, error) { return "", fmt.Errorf("%s %v", msg, v) },
	"param": func(p any) string {
		if ptr, ok := p.(*Param); ok {
			p = *ptr
		}
		return marker(p.(Param))
	},
	"params": func(ps []Param) string {
		marks := make([]string, len(ps))
		for i, p := range ps {
			marks[i] = marker(p)
		}
		return strings.Join(marks, ", ")
	},
	"app":   func() string { return marker(ParamApp) },
	"asof":  func() string { return marker(ParamAsOf) },
	"table": func(key string) string { return "\x00" + key + "\x00" },
}

func mustDialect(name string) *Dialect {
	t, err := template.New(name).Option("missingkey=error").Funcs(funcs).
		ParseFS(templates.FS, "common/*.sql.tmpl", name+"/*.sql.tmpl")
	if err != nil {
		panic(fmt.Sprintf("templates/%s: %v", name, err))
	}
	return &Dialect{Name: name, tmpl: t, cache: newRenderCache(renderCacheSize)}
}

// Tables names the tables a query reads, each a dotted name of plain
// identifiers (catalog.schema.table on Trino). With a Split, Users and
// Events are the fresh store's tables, History the history of events and
// Late the late events.
type Tables struct {
	Users   string
	Events  string
	History string
	Late    string
	// Typed maps attribute keys to the users' columns that keep their
	// values typed (DuckDB: TypedAttribute), for the dialect to read.
	Typed map[string]string
	// Numbers maps an event name and property path to the events' column
	// that keeps, for the events of the name, the numbers at the path
	// (DuckDB: PropertyNumbers), or NULL where it was not computed yet;
	// the numeric aggregates and predicates read it (DuckDB).
	Numbers map[TypedProperty]string
	// EventsProfiled: the user of every event has a profile in Users
	// (the embedded engine makes one on ingestion and on loads), so that
	// an explain may count the users without events by their number
	// (Explain.ScanOnly).
	EventsProfiled bool
}

// DefaultTables are the tables of the embedded schema.
var DefaultTables = Tables{Users: "users", Events: "events"}

var identRE = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// QuoteName quotes a dotted name part by part, after checking each part is
// a plain identifier: identifiers never come from user input, and this
// keeps it so.
func QuoteName(name string) (string, error) {
	parts := strings.Split(name, ".")
	for i, p := range parts {
		if !identRE.MatchString(p) {
			return "", fmt.Errorf("compile: %q is not a plain SQL identifier", name)
		}
		parts[i] = `"` + p + `"`
	}
	return strings.Join(parts, "."), nil
}

// Literal is the one function that puts a string into SQL text: a
// single-quoted literal with its quotes doubled. Both dialects read
// backslashes literally. It is used for JSON paths of validated names and
// constant patterns; user values travel as parameters.
func Literal(s string) string {
	return "'" + strings.ReplaceAll(s, "'", "''") + "'"
}

// SQL is rendered SQL with its positional (?) parameters.
type SQL struct {
	Text   string
	Params []any
	// Marks are the byte offsets in Text of the parameters' ?s (a ? may
	// stand in a literal too), for tools that must inline the values.
	Marks []int
}

// Inline returns the text with each parameter i written in place by
// literal(i), for statements that cannot take parameters (EXPLAIN on some
// engines).
func (q *SQL) Inline(literal func(i int) (string, error)) (string, error) {
	var b strings.Builder
	last := 0
	for i, at := range q.Marks {
		lit, err := literal(i)
		if err != nil {
			return "", err
		}
		b.WriteString(q.Text[last:at])
		b.WriteString(lit)
		last = at + 1
	}
	b.WriteString(q.Text[last:])
	return b.String(), nil
}

// Render writes a plan in a dialect.
func Render(p *Plan, d *Dialect, tables Tables) (*SQL, error) {
	text, err := d.render(p.Root)
	if err != nil {
		return nil, err
	}
	return d.substitute(text, p, tables)
}

// substitute replaces the markers of rendered text: parameters by ?, in
// text order, which is the order of the returned parameters, and tables by
// their quoted names or, with a split, by the dialect's split sources
// (themselves rendered with markers).
func (d *Dialect) substitute(text string, p *Plan, tables Tables) (*SQL, error) {
	names := map[string]string{}
	for marker, name := range map[string]string{"users": tables.Users, "events": tables.Events,
		"fresh_users": tables.Users, "fresh_events": tables.Events, "history_events": tables.History, "late_events": tables.Late} {
		if name == "" && (p.Split != nil || marker == "users" || marker == "events") {
			return nil, fmt.Errorf("compile: no table for %s", marker)
		}
		if name != "" {
			q, err := QuoteName(name)
			if err != nil {
				return nil, err
			}
			names[marker] = q
		}
	}
	if p.Split != nil {
		for _, source := range []string{"users", "events"} {
			var b strings.Builder
			if err := d.tmpl.ExecuteTemplate(&b, source+"_split", p.Split); err != nil {
				return nil, fmt.Errorf("compile: rendering %s: %w", d.Name, err)
			}
			names[source] = b.String()
		}
	}
	out := &SQL{}
	var sb strings.Builder
	sb.Grow(len(text))
	var write func(text string)
	write = func(text string) {
		for {
			i := strings.IndexByte(text, 0)
			if i < 0 {
				sb.WriteString(text)
				return
			}
			sb.WriteString(text[:i])
			end := i + 1 + strings.IndexByte(text[i+1:], 0)
			body := text[i+1 : end]
			if source, ok := names[body]; ok {
				write(source) // a split source holds markers of its own
			} else {
				slot, _ := strconv.Atoi(body) // written by marker
				out.Params = append(out.Params, p.Params[slot])
				out.Marks = append(out.Marks, sb.Len())
				sb.WriteByte('?')
			}
			text = text[end+1:]
		}
	}
	write(text)
	out.Text = sb.String()
	return out, nil
}

// render executes the templates for a plan's relation, or finds the text
// of an earlier plan of the same shape.
func (d *Dialect) render(root Relation) (string, error) {
	shape, err := json.Marshal(root)
	if err != nil {
		return "", fmt.Errorf("compile: plan shape: %w", err)
	}
	if text, ok := d.cache.get(string(shape)); ok {
		return text, nil
	}
	text, err := d.execute(root)
	if err == nil {
		d.cache.put(string(shape), text)
	}
	return text, err
}

// execute runs the templates.
func (d *Dialect) execute(root Relation) (string, error) {
	var b strings.Builder
	if err := d.tmpl.ExecuteTemplate(&b, "plan", root); err != nil {
		return "", fmt.Errorf("compile: rendering %s: %w", d.Name, err)
	}
	return b.String(), nil
}

// Compile plans and renders an expanded tree.
func Compile(tree segment.Node, d *Dialect, opt Options, tables Tables) (*SQL, error) {
	opt.typed, opt.numbers = tables.Typed, tables.Numbers
	p, err := MakePlan(tree, opt)
	if err != nil {
		return nil, err
	}
	return Render(p, d, tables)
}

// operand is what the cmp template compares: the value row X (Zero: its
// number is 0 when NULL) and the comparison. With Num, X is a number, not
// a row: a numeric aggregate's column, which has no other field (a row
// built for each of a scan's users costs explain, which reads every
// user's, a fifth of its time).
type operand struct {
	X    string
	Zero bool
	Num  bool
	Cmp  Comparison
}

// Field is the field f (n, s, b or t) of an operand's value: NULL for a
// number's other fields.
func (o operand) Field(f string) string {
	switch {
	case !o.Num:
		return o.X + "." + f
	case f == "n":
		return o.X
	}
	return "NULL"
}

// kind names a plan or expression node for the templates, which cannot
// switch on types.
func kind(v any) string {
	switch v.(type) {
	case *SetOp:
		return "setop"
	case *Query:
		return "query"
	case *Explain:
		return "explain"
	case *LeafRef:
		return "leaf"
	case *BoolOp:
		return "bool"
	case *NotExpr:
		return "not"
	case *FunnelCond:
		return "funnel"
	case *Cond:
		return "cond"
	case *Guard:
		return "guard"
	}
	return fmt.Sprintf("%T", v)
}

// pathSteps is a Source's path seen as nested steps for the recursive
// path template: Parent drops the last key. Pre is the Source's.
type pathSteps struct {
	Root  string
	Keys  []string
	Pre   int
	Typed string
}

func (p pathSteps) Parent() pathSteps {
	p.Keys = p.Keys[:len(p.Keys)-1]
	return p
}
func (p pathSteps) Last() string { return p.Keys[len(p.Keys)-1] }

func steps(s *Source) pathSteps {
	root := "u.attributes"
	if s.Root == "properties" {
		root = "e.properties"
	}
	return pathSteps{Root: root, Keys: s.Path, Pre: s.Pre, Typed: s.Typed}
}

// directPath is how the DuckDB "members" template reads the values of a
// path's last key: Value, an expression that is the one value (the first
// key's, extracted before); else, with Walk, Plain read from each value of
// the path's parent; else Wild and Plain read from Root. The language
// enters an array met at a key (one level): a JSON path with [*] after a
// key enters it, and one without reads no member of an array, so with one
// key before the last, Wild ("$.a[*].b") yields the values when a is an
// array and Plain ("$.a.b") when it is not, never both. With more keys
// before the last the shapes mix (some elements' key an array, others'
// not), and one JSON path no longer keeps the values' order, which first
// and last read.
type directPath struct {
	Value, Root, Wild, Plain string
	Walk                     bool
}

func direct(p pathSteps) (directPath, error) {
	first := firstValue(&Source{Path: p.Keys[:1], Pre: p.Pre, Typed: p.Typed})
	if first != "" && len(p.Keys) == 1 {
		return directPath{Value: first}, nil
	}
	last, err := pathKey(p.Last())
	if err != nil {
		return directPath{}, err
	}
	// before: the accessors of the keys before the last; with Pre the
	// first is the value extracted already, which needs none.
	d := directPath{Root: p.Root}
	before := make([]string, 0, len(p.Keys))
	for i, k := range p.Keys[:len(p.Keys)-1] {
		if i == 0 && first != "" {
			d.Root = first
			before = append(before, "")
			continue
		}
		q, err := pathKey(k)
		if err != nil {
			return directPath{}, err
		}
		before = append(before, "."+q)
	}
	switch len(before) {
	case 0:
		d.Wild, d.Plain = "$."+last, "$."+last
	case 1:
		d.Wild, d.Plain = "$"+before[0]+"[*]."+last, "$"+before[0]+"."+last
	default:
		return directPath{Walk: true, Plain: "$." + last}, nil
	}
	return d, nil
}

// jsonNumber is the DuckDB JSON value v as a DOUBLE if it is a number,
// else NULL. Extracted JSON is minified text, and the text of every other
// JSON value starts with a quote, a brace, a bracket or the letter of
// true, false or null, none of which a DOUBLE reads: the text is cast, not
// the JSON, which would read the string "1000" as 1000. Adding 0.0 makes
// -0 0.
func jsonNumber(v string) string { return "TRY_CAST(" + v + "::VARCHAR AS DOUBLE) + 0.0" }

// row is the DuckDB JSON value v (no array) typed as a row {n, s, b, t},
// with only the fields t reads filled in.
func row(v string, t typedValues) string {
	n, s, b := "NULL::DOUBLE", "NULL::VARCHAR", "NULL::BOOLEAN"
	if t.N {
		n = jsonNumber(v)
	}
	if t.S {
		s = jsonString(v)
	}
	if t.B {
		b = jsonBool(v)
	}
	return "{\n    'n': " + n + ",\n    's': " + s + ",\n    'b': " + b + ",\n    't': NULL::TIMESTAMPTZ}"
}

func jsonString(v string) string {
	return "CASE WHEN starts_with(" + v + `, '"') THEN ` + v + "->>'$' END"
}
func jsonBool(v string) string {
	return "CASE " + v + "::VARCHAR WHEN 'true' THEN true WHEN 'false' THEN false END"
}

// valueRow is the row {n, s, b, t} of the one JSON value v of a source
// (no array): its typed column when it has one, else v typed for t.
func valueRow(v string, t typedValues) string {
	if t.Typed != "" && len(t.Path) == 1 {
		return "u." + t.Typed
	}
	return "(" + row(v, t) + ")"
}

// TypedAttributeType is the DuckDB type of a typed attribute column: the
// value's JSON text j (NULL: missing) and the value typed as a row
// {n, s, b, t} as the conditions read it (t: the string read as an
// RFC 3339 instant).
const TypedAttributeType = "STRUCT(j JSON, n DOUBLE, s VARCHAR, b BOOLEAN, t TIMESTAMPTZ)"

// TypedAttribute is the DuckDB expression of the typed column of the
// attribute key (TypedAttributeType) in a users row whose attributes are
// the JSON expression attributes: typed the way row types a value when a
// query reads the JSON, so a condition reads the same from either.
func TypedAttribute(key, attributes string) (string, error) {
	q, err := pathKey(key)
	if err != nil {
		return "", err
	}
	v := "json_extract(" + attributes + ", " + Literal("$."+q) + ")"
	s := jsonString(v)
	return "CASE WHEN " + v + " IS NOT NULL THEN {'j': " + v + ", 'n': " + jsonNumber(v) + ", 's': " + s +
		", 'b': " + jsonBool(v) + ", 't': " + parseTime(s) + "} END", nil
}

// TypedProperty is an event name and a property path of which the
// conditions on its events read only the numbers: numeric aggregates
// (sum, avg, min, max) and predicates that only a number can satisfy.
type TypedProperty struct{ Event, Path string }

// NumericProperties lists the event names and property paths whose
// numbers an expanded tree reads (numericAgg, numericPredicate), each
// once, in tree order: what an engine may keep typed (Tables.Numbers).
func NumericProperties(tree segment.Node) []TypedProperty {
	var out []TypedProperty
	add := func(event, path string) {
		if tp := (TypedProperty{event, path}); !slices.Contains(out, tp) {
			out = append(out, tp)
		}
	}
	where := func(event string, preds []segment.Predicate) {
		for _, pr := range preds {
			if numericPredicate(pr.Op, pr.Value) {
				add(event, pr.Property)
			}
		}
	}
	segment.Walk(tree, "", func(n segment.Node, _ string, _ int) bool {
		switch n := n.(type) {
		case *segment.Event:
			where(n.Event, n.Where)
			if n.Aggregate.Property != "" && numericAgg(n.Aggregate.Fn) {
				add(n.Event, n.Aggregate.Property)
			}
		case *segment.Funnel:
			for _, s := range n.Steps {
				where(s.Event, s.Where)
			}
		}
		return true
	})
	return out
}

// numericAgg says whether an aggregate reads the numbers of its property
// only (the "numbers" template).
func numericAgg(fn segment.AggFn) bool {
	return fn == segment.AggSum || fn == segment.AggAvg || fn == segment.AggMin || fn == segment.AggMax
}

// numericPredicate says whether only a number can satisfy a predicate:
// a comparison with number operands other than not_in (which a string
// satisfies) and exists (which any value does). A value of another type
// makes such a comparison false, so the predicate holds when one of the
// path's numbers satisfies it.
func numericPredicate(op segment.Op, v segment.Value) bool {
	switch op {
	case segment.OpEq, segment.OpNeq, segment.OpLt, segment.OpLte, segment.OpGt, segment.OpGte:
		return v.Kind == segment.KindNumber
	case segment.OpBetween, segment.OpIn:
		return v.Kind == segment.KindList && !slices.ContainsFunc(v.List, func(x segment.Value) bool { return x.Kind != segment.KindNumber })
	}
	return false
}

// PropertyNumbers is the DuckDB expression of the numbers at a property
// path in an events row e (its properties JSON): exactly what a numeric
// aggregate reads from the JSON, for an engine to keep in the column that
// Tables.Numbers names.
func PropertyNumbers(path string) (string, error) {
	var b strings.Builder
	if err := DuckDB.tmpl.ExecuteTemplate(&b, "jsonnumbers", &Source{Root: "properties", Path: segment.PathSegments(path)}); err != nil {
		return "", fmt.Errorf("compile: the numbers of %q: %w", path, err)
	}
	return b.String(), nil
}

// preextracted is, for a source of one key whose value is at hand (a
// typed column, or explain's extraction: Pre), the DuckDB expression of
// that value; else "".
func preextracted(s *Source) string {
	if s == nil || len(s.Path) != 1 {
		return ""
	}
	return firstValue(s)
}

// firstValue is the DuckDB expression of the value of a source's first
// key when it is at hand; else "".
func firstValue(s *Source) string {
	switch {
	case s.Builtin != "":
		return ""
	case s.Typed != "":
		return "u." + s.Typed + ".j"
	case s.Pre > 0:
		return fmt.Sprintf("u.explain_attrs[%d]", s.Pre)
	}
	return ""
}

// parseTime is the DuckDB string s read as an instant when it is an
// RFC 3339 one, else NULL.
func parseTime(s string) string {
	return "CASE WHEN regexp_full_match(" + s + ", " + Literal(segment.RFC3339Pattern) + ") THEN TRY_CAST(" + s + " AS TIMESTAMPTZ) END"
}

// oneValue is a comparison of one JSON value V of a source.
type oneValue struct {
	V      string
	Source *Source
	Cmp    Comparison
}

// pathKey quotes one key of a property path for a JSON path ("key").
// Keys were validated when the tree was decoded; checking again here keeps
// anything else out of SQL text.
func pathKey(key string) (string, error) {
	if !segment.ValidPathKey(key) {
		return "", fmt.Errorf("compile: %q is not a valid path key", key)
	}
	return `"` + key + `"`, nil
}
