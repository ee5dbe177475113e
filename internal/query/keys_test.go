package query

import (
	"strings"
	"testing"
	"time"

	"github.com/segmentd/segmentd/segment"
)

func TestKeysAreScopedToTheApp(t *testing.T) {
	tree, err := segment.Decode([]byte(`{"type":"attribute","field":"country","op":"eq","value":"JP"}`), "")
	if err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	a := NewAnswer("a", "duckdb", tree, at, at)
	b := NewAnswer("b", "duckdb", tree, at, at)
	if a.CountKey() == b.CountKey() || a.RunKey("s", 1) == b.RunKey("s", 1) {
		t.Fatal("two apps share a key")
	}
	if !strings.HasPrefix(a.CountKey(), "counts/a/") || !strings.HasPrefix(SnapshotKey("a", "r"), "runs/a/") {
		t.Fatalf("keys do not name their app: %s %s", a.CountKey(), SnapshotKey("a", "r"))
	}
	if a.RunKey("s", 1) == a.RunKey("s", 2) || a.CountKey() == NewAnswer("a", "duckdb", tree, at, at.Add(time.Microsecond)).CountKey() {
		t.Fatal("a new version or watermark kept the key")
	}
	for name, f := range map[string]func(){
		"answer":   func() { NewAnswer("", "duckdb", tree, at, at) },
		"snapshot": func() { SnapshotKey("", "r") },
	} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("a %s key without an app did not panic", name)
				}
			}()
			f()
		}()
	}
}
