package compile

import (
	"fmt"
	"regexp"
	"strings"
	"text/template"
	"time"

	"github.com/segmentd/segmentd/segment"
	"github.com/segmentd/segmentd/templates"
)

// Dialect is a SQL dialect: its name and its templates, parsed once.
type Dialect struct {
	Name string
	tmpl *template.Template
}

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

// funcs are the template functions. Those that depend on one rendering
// (param, app, asof, table) are placeholders here and bound per call.
var funcs = template.FuncMap{
	"kind":     kind,
	"steps":    steps,
	"operand":  func(x string, zero bool, c Comparison) operand { return operand{X: x, Zero: zero, Cmp: c} },
	"arg":      func(c Comparison, i int) any { return c.Args[i] },
	"inc":      func(i int) int { return i + 1 },
	"key":      pathKey,
	"lit":      Literal,
	"micros":   func(d time.Duration) int64 { return d.Microseconds() },
	"millis":   func(d time.Duration) int64 { return d.Milliseconds() },
	"rfc3339":  func() string { return segment.RFC3339Pattern },
	"fail":     func(msg string, v any) (string, error) { return "", fmt.Errorf("%s %v", msg, v) },
	"param":    func(any) string { panic("unbound") },
	"params":   func(any) string { panic("unbound") },
	"app":      func() string { panic("unbound") },
	"asof":     func() string { panic("unbound") },
	"table":    func(string) string { panic("unbound") },
}

func mustDialect(name string) *Dialect {
	t, err := template.New(name).Option("missingkey=error").Funcs(funcs).
		ParseFS(templates.FS, "common/*.sql.tmpl", name+"/*.sql.tmpl")
	if err != nil {
		panic(fmt.Sprintf("templates/%s: %v", name, err))
	}
	return &Dialect{Name: name, tmpl: t}
}

// Tables names the tables a query reads, each a dotted name of plain
// identifiers (catalog.schema.table on Trino).
type Tables struct {
	Users  string
	Events string
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
}

// Render writes a plan in a dialect.
func Render(p Plan, d *Dialect, opt Options, tables Tables) (*SQL, error) {
	r := &renderer{out: &SQL{}}
	names := map[string]string{}
	for key, name := range map[string]string{"users": tables.Users, "events": tables.Events} {
		q, err := QuoteName(name)
		if err != nil {
			return nil, err
		}
		names[key] = q
	}
	t, err := d.tmpl.Clone()
	if err != nil {
		return nil, err
	}
	t.Funcs(template.FuncMap{
		"param":  r.param,
		"params": r.params,
		"app":    func() string { return r.param(opt.AppID) },
		"asof":   func() string { return r.param(opt.AsOf.UTC()) },
		"table":  func(key string) string { return names[key] },
	})
	var b strings.Builder
	if err := t.ExecuteTemplate(&b, "plan", p); err != nil {
		return nil, fmt.Errorf("compile: rendering %s: %w", d.Name, err)
	}
	r.out.Text = b.String()
	return r.out, nil
}

type renderer struct{ out *SQL }

func (r *renderer) param(v any) string {
	if t, ok := v.(time.Time); ok {
		v = t.UTC()
	}
	r.out.Params = append(r.out.Params, v)
	return "?"
}

func (r *renderer) params(vs any) string {
	var list []any
	switch vs := vs.(type) {
	case []string:
		for _, v := range vs {
			list = append(list, v)
		}
	case []any:
		list = vs
	}
	marks := make([]string, len(list))
	for i, v := range list {
		marks[i] = r.param(v)
	}
	return strings.Join(marks, ", ")
}

// Compile plans and renders an expanded tree.
func Compile(tree segment.Node, d *Dialect, opt Options, tables Tables) (*SQL, error) {
	p, err := MakePlan(tree, opt)
	if err != nil {
		return nil, err
	}
	return Render(p, d, opt, tables)
}

// operand is what the cmp template compares: the value struct X (Zero:
// its number is 0 when NULL) and the comparison.
type operand struct {
	X    string
	Zero bool
	Cmp  Comparison
}

// kind names a plan or expression node for the templates, which cannot
// switch on types.
func kind(v any) string {
	switch v.(type) {
	case *SetOp:
		return "setop"
	case *Query:
		return "query"
	case *BoolOp:
		return "bool"
	case *NotExpr:
		return "not"
	case *FunnelCond:
		return "funnel"
	case *Cond:
		return "cond"
	}
	return fmt.Sprintf("%T", v)
}

// pathSteps is a Source's path seen as nested steps for the recursive
// path template: Parent drops the last key.
type pathSteps struct {
	Root string
	Keys []string
}

func (p pathSteps) Parent() pathSteps { return pathSteps{Root: p.Root, Keys: p.Keys[:len(p.Keys)-1]} }
func (p pathSteps) Last() string      { return p.Keys[len(p.Keys)-1] }

func steps(s *Source) pathSteps {
	root := "u.attributes"
	if s.Root == "properties" {
		root = "e.properties"
	}
	return pathSteps{Root: root, Keys: s.Path}
}

// pathKey quotes one key of a property path for a JSON path ("key").
// Keys were validated when the tree was decoded; checking again here keeps
// anything else out of SQL text.
func pathKey(key string) (string, error) {
	if !segment.ValidPath(key) || strings.Contains(key, ".") {
		return "", fmt.Errorf("compile: %q is not a valid path key", key)
	}
	return `"` + key + `"`, nil
}
