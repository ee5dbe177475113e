package compile

import (
	"reflect"
	"strings"
	"testing"
	"testing/fstest"
)

func TestStatements(t *testing.T) {
	st := MustStatements(fstest.MapFS{"ops.sql.tmpl": {Data: []byte(
		`{{define "del"}}DELETE FROM {{.Table}} WHERE app_id = {{param .App}} AND day IN ({{params .Days}}){{end}}`)}}, "*.sql.tmpl")
	q, err := st.Render("del", map[string]any{"Table": `"t"`, "App": "a'; --", "Days": []string{"2026-01-01", "2026-01-02"}})
	if err != nil {
		t.Fatal(err)
	}
	if want := `DELETE FROM "t" WHERE app_id = ? AND day IN (?, ?)`; q.Text != want {
		t.Fatalf("text %q, want %q", q.Text, want)
	}
	if want := []any{"a'; --", "2026-01-01", "2026-01-02"}; !reflect.DeepEqual(q.Params, want) {
		t.Fatalf("params %v, want %v", q.Params, want)
	}
	for _, at := range q.Marks {
		if q.Text[at] != '?' {
			t.Fatalf("mark %d is not a ?", at)
		}
	}
	// A missing key and an empty IN list are errors, not SQL.
	for _, data := range []map[string]any{{"Table": "t", "App": "a"}, {"Table": "t", "App": "a", "Days": []string{}}} {
		if _, err := st.Render("del", data); err == nil || !strings.Contains(err.Error(), "del") {
			t.Errorf("Render(%v) = %v, want an error", data, err)
		}
	}
}
