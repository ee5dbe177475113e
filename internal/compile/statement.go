package compile

import (
	"fmt"
	"io/fs"
	"reflect"
	"strconv"
	"strings"
	"text/template"
)

// Statements are the SQL templates of operations (compaction, say),
// written with the convention of segment queries: a value never enters
// the text; {{param .X}}, or {{params .Xs}} for an IN list, writes its
// placeholder, and the value travels as a positional parameter in text
// order. Identifiers come in as data, quoted by QuoteName; {{source .Q}}
// writes a relation of Sources with its parameters.
type Statements struct {
	tmpl *template.Template
}

// MustStatements parses the templates of fsys that match patterns, with
// missing keys as errors; it panics on a template that does not parse
// (they are embedded).
func MustStatements(fsys fs.FS, patterns ...string) *Statements {
	t := template.New("statements").Option("missingkey=error").Funcs(statementFuncs(nil))
	return &Statements{tmpl: template.Must(t.ParseFS(fsys, patterns...))}
}

// Render executes the template name with data.
func (s *Statements) Render(name string, data any) (*SQL, error) {
	t, err := s.tmpl.Clone()
	if err != nil {
		return nil, err
	}
	var params []any
	t.Funcs(statementFuncs(&params))
	var b strings.Builder
	if err := t.ExecuteTemplate(&b, name, data); err != nil {
		return nil, fmt.Errorf("compile: statement %s: %w", name, err)
	}
	out := &SQL{}
	var sb strings.Builder
	text := b.String()
	for {
		i := strings.IndexByte(text, 0)
		if i < 0 {
			sb.WriteString(text)
			break
		}
		end := i + 1 + strings.IndexByte(text[i+1:], 0)
		slot, _ := strconv.Atoi(text[i+1 : end]) // written by marker
		sb.WriteString(text[:i])
		out.Params = append(out.Params, params[slot])
		out.Marks = append(out.Marks, sb.Len())
		sb.WriteByte('?')
		text = text[end+1:]
	}
	out.Text = sb.String()
	return out, nil
}

// statementFuncs collect the values of one execution into params (nil
// while parsing, when the functions only need to exist).
func statementFuncs(params *[]any) template.FuncMap {
	param := func(v any) string {
		*params = append(*params, v)
		return marker(Param(len(*params) - 1))
	}
	return template.FuncMap{
		"param": param,
		"params": func(list any) (string, error) {
			v := reflect.ValueOf(list)
			if v.Kind() != reflect.Slice || v.Len() == 0 {
				return "", fmt.Errorf("params wants a list of at least one value, not %v", list)
			}
			marks := make([]string, v.Len())
			for i := range marks {
				marks[i] = param(v.Index(i).Interface())
			}
			return strings.Join(marks, ", "), nil
		},
		// source writes rendered SQL (Sources) in place, its parameters
		// in their order.
		"source": func(q *SQL) string {
			var b strings.Builder
			last := 0
			for i, at := range q.Marks {
				b.WriteString(q.Text[last:at])
				b.WriteString(param(q.Params[i]))
				last = at + 1
			}
			b.WriteString(q.Text[last:])
			return b.String()
		},
	}
}
