package segment_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/segmentd/segmentd/segment"
)

// FuzzDecode feeds arbitrary bytes to Decode. Nothing may panic, and a
// tree that decodes must round-trip through its canonical form: decoding
// n.String() gives a tree whose canonical form is n.String() again, so
// the cache keys built from it identify the tree. Seeded from the corpus
// trees.
func FuzzDecode(f *testing.F) {
	files, err := filepath.Glob("../internal/corpus/trees/*.json")
	if err != nil || len(files) == 0 {
		f.Fatalf("no corpus trees to seed from: %v", err)
	}
	for _, file := range files {
		b, err := os.ReadFile(file)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte(`{"type":"and","children":[{"type":"not","child":{"type":"segment","segment_id":"s"}}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		n, err := segment.Decode(data, "")
		if err != nil {
			return
		}
		text := n.String()
		again, err := segment.Decode([]byte(text), "")
		if err != nil {
			t.Fatalf("the canonical form of a valid tree does not decode: %v\n%s", err, text)
		}
		if again.String() != text {
			t.Fatalf("the canonical form does not round-trip:\n%s\n%s", text, again.String())
		}
	})
}
