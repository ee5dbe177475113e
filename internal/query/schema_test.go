package query

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/segmentd/segmentd/internal/engine"
)

// TestDictionaryBounds: paths past SchemaPaths and values past
// SchemaValues are left out (the most frequent kept), long strings are
// never values, keys no path can name are skipped, documents that are not
// objects have no paths, and a value counts once a document.
func TestDictionaryBounds(t *testing.T) {
	var docs []engine.Sampled
	for i := range 30 {
		var b strings.Builder
		b.WriteString(`{"v":` + fmt.Sprint(i%15) + `,"long":"` + strings.Repeat("x", SchemaValueBytes+1) + `","bad key":1,"a":{"1x":2},"rep":["z","z","z"]`)
		for k := range SchemaPaths + 20 {
			if k <= i*5 { // path p000 in every document, the last ones in few
				fmt.Fprintf(&b, `,"p%03d":true`, k)
			}
		}
		b.WriteString("}")
		docs = append(docs, engine.Sampled{Name: "e", JSON: b.String()})
	}
	docs = append(docs, engine.Sampled{Name: "e", JSON: `[1,2]`}, engine.Sampled{Name: "e", JSON: `"text"`})
	d := MakeDictionary("app", &engine.SchemaSample{Names: []engine.EventName{{Name: "e", Count: 32, LastSeen: time.Unix(0, 0)}}, Events: docs})
	ev := d.Events[0]
	if ev.Sampled != 32 || len(ev.Properties) != SchemaPaths || !ev.PropertiesTruncated {
		t.Fatalf("sampled %d, %d paths, truncated %v", ev.Sampled, len(ev.Properties), ev.PropertiesTruncated)
	}
	byPath := map[string]PathInfo{}
	for _, p := range ev.Properties {
		byPath[p.Path] = p
	}
	if p := byPath["v"]; p.Count != 30 || len(p.Values) != SchemaValues || p.Values[0].Count != 2 || p.Values[0].Value != 0.0 {
		t.Errorf("v: %+v", p)
	}
	if p := byPath["long"]; p.Count != 30 || len(p.Values) != 0 || fmt.Sprint(p.Types) != "[string]" {
		t.Errorf("long: %+v", p)
	}
	if p := byPath["rep"]; p.Count != 30 || fmt.Sprint(p.Values) != "[{z 30}]" || fmt.Sprint(p.Types) != "[string array]" {
		t.Errorf("rep: %+v", p)
	}
	if p := byPath["a.1x"]; p.Count != 30 {
		t.Errorf("a.1x: %+v", p) // a key after the first may start with a digit
	}
	for _, p := range ev.Properties {
		if strings.Contains(p.Path, " ") || p.Path == "p119" {
			t.Errorf("listed %q", p.Path)
		}
	}
	if d.Users.Count != 0 || len(d.Users.Attributes) != 0 || len(d.Users.Builtin) != 3 {
		t.Errorf("users: %+v", d.Users)
	}
}

// TestSchemaKey: the dictionary's key holds the app, and changes with the
// watermark and the dialect; it cannot be made without an app.
func TestSchemaKey(t *testing.T) {
	wm := time.Unix(1700000000, 0)
	a := schemaAnswer("shop", "duckdb", wm).SchemaKey()
	if !strings.HasPrefix(a, "schema/shop/") {
		t.Errorf("key %s", a)
	}
	for _, b := range []string{schemaAnswer("other", "duckdb", wm).SchemaKey(), schemaAnswer("shop", "trino", wm).SchemaKey(),
		schemaAnswer("shop", "duckdb", wm.Add(time.Microsecond)).SchemaKey()} {
		if a == b {
			t.Errorf("%s shared", a)
		}
	}
	defer func() {
		if recover() == nil {
			t.Error("a key without an app was made")
		}
	}()
	schemaAnswer("", "duckdb", wm)
}
