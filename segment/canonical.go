package segment

import (
	"bytes"
	"encoding/json"
	"strconv"
	"time"
)

// The canonical form is JSON with a fixed field order, defaults written
// out (aggregate count, op gte 1, window all, reached = number of steps),
// times in UTC with the shortest fraction, and numbers in their shortest
// round-tripping form. It is the input of cache keys, so equal meanings
// must print equally.

func (n *And) String() string        { return canonical(n) }
func (n *Or) String() string         { return canonical(n) }
func (n *Not) String() string        { return canonical(n) }
func (n *Attribute) String() string  { return canonical(n) }
func (n *Event) String() string      { return canonical(n) }
func (n *Funnel) String() string     { return canonical(n) }
func (n *SegmentRef) String() string { return canonical(n) }

func canonical(n Node) string {
	var w writer
	w.node(n)
	return w.String()
}

type writer struct{ bytes.Buffer }

// field writes ,"key": (the comma only after the first field).
func (w *writer) field(key string) {
	if b := w.Bytes(); len(b) > 0 && b[len(b)-1] != '{' {
		w.WriteByte(',')
	}
	w.quote(key)
	w.WriteByte(':')
}

func (w *writer) quote(s string) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(s) // a string always encodes
	w.Write(bytes.TrimSuffix(b.Bytes(), []byte("\n")))
}

// node writes n: its type, then its children (an operator) or its own
// fields (a leaf). A missing child (a not built by hand) prints as {}.
func (w *writer) node(n Node) {
	w.WriteByte('{')
	if n != nil {
		s := shapeOf(n)
		w.field("type")
		w.quote(s.name)
		switch s.key {
		case keyChildren:
			w.nodes(s.children)
		case keyChild:
			w.field(keyChild)
			w.node(s.children[0])
		default:
			n.(leafNode).fields(w)
		}
	}
	w.WriteByte('}')
}

// leafNode is a node without children, which writes its own fields of the
// canonical form after its type.
type leafNode interface {
	Node
	fields(w *writer)
}

func (n *Attribute) fields(w *writer) {
	w.field("field")
	w.quote(n.Field)
	w.comparison(n.Op, n.Value)
}

func (n *Event) fields(w *writer) {
	w.field("event")
	w.quote(n.Event)
	w.predicates(n.Where)
	w.field("aggregate")
	w.WriteByte('{')
	w.field("fn")
	w.quote(string(n.Aggregate.Fn))
	if n.Aggregate.Property != "" {
		w.field("property")
		w.quote(n.Aggregate.Property)
	}
	w.WriteByte('}')
	w.window(n.Window)
	w.comparison(n.Op, n.Value)
}

func (n *Funnel) fields(w *writer) {
	w.field("steps")
	w.WriteByte('[')
	for i, s := range n.Steps {
		if i > 0 {
			w.WriteByte(',')
		}
		w.WriteByte('{')
		w.field("event")
		w.quote(s.Event)
		w.predicates(s.Where)
		w.WriteByte('}')
	}
	w.WriteByte(']')
	if n.Within != nil {
		w.field("within")
		w.quote(durationText(*n.Within))
	}
	w.window(n.Window)
	w.field("reached")
	w.WriteString(strconv.Itoa(n.Reached))
	w.field("exact")
	w.WriteString(strconv.FormatBool(n.Exact))
}

func (n *SegmentRef) fields(w *writer) {
	w.field("segment_id")
	w.quote(n.SegmentID)
}

func (w *writer) nodes(ns []Node) {
	w.field(keyChildren)
	w.WriteByte('[')
	for i, c := range ns {
		if i > 0 {
			w.WriteByte(',')
		}
		w.node(c)
	}
	w.WriteByte(']')
}

func (w *writer) predicates(ps []Predicate) {
	if len(ps) == 0 {
		return
	}
	w.field("where")
	w.WriteByte('[')
	for i, p := range ps {
		if i > 0 {
			w.WriteByte(',')
		}
		w.WriteByte('{')
		w.field("property")
		w.quote(p.Property)
		w.comparison(p.Op, p.Value)
		w.WriteByte('}')
	}
	w.WriteByte(']')
}

func (w *writer) comparison(op Op, v Value) {
	w.field("op")
	w.quote(string(op))
	if op.TakesValue() {
		w.field("value")
		w.value(v)
	}
}

func (w *writer) value(v Value) {
	switch v.Kind {
	case KindNumber:
		n := v.Num
		if n == 0 {
			n = 0 // -0 compares equal to 0 and prints as 0
		}
		w.WriteString(strconv.FormatFloat(n, 'g', -1, 64))
	case KindString:
		w.quote(v.Str)
	case KindBool:
		w.WriteString(strconv.FormatBool(v.Bool))
	case KindTime:
		if v.Ago != nil {
			w.WriteString(`{"ago":`)
			w.quote(durationText(*v.Ago))
			w.WriteByte('}')
		} else {
			w.quote(FormatTime(v.At))
		}
	case KindList:
		w.WriteByte('[')
		for i, x := range v.List {
			if i > 0 {
				w.WriteByte(',')
			}
			w.value(x)
		}
		w.WriteByte(']')
	default:
		w.WriteString("null")
	}
}

func (w *writer) window(win Window) {
	w.field("window")
	w.WriteByte('{')
	switch win.Kind {
	case WindowAll:
		w.field("all")
		w.WriteString("true")
	case WindowLast:
		w.field("last")
		w.quote(durationText(win.Last))
	case WindowCalendar:
		w.field("calendar")
		w.quote(win.Period)
		w.field("offset")
		w.WriteString(strconv.Itoa(win.Offset))
	case WindowRange:
		if !win.Since.IsZero() {
			w.field("since")
			w.quote(FormatTime(win.Since))
		}
		if !win.Until.IsZero() {
			w.field("until")
			w.quote(FormatTime(win.Until))
		}
	}
	w.WriteByte('}')
}

// durationText prints a duration in the largest unit that divides it, so
// that equal spans ("7d", "1w", "168h") print alike.
func durationText(d Duration) string {
	span := d.Std()
	for _, u := range []byte("wdh") {
		if span%unitLength[u] == 0 {
			return Duration{N: int64(span / unitLength[u]), Unit: u}.String()
		}
	}
	return d.String()
}

// FormatTime prints a time in the canonical form: UTC, RFC 3339, with the
// shortest fraction that keeps its microseconds.
func FormatTime(t time.Time) string {
	return t.UTC().Truncate(time.Microsecond).Format(time.RFC3339Nano)
}
