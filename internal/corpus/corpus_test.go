package corpus

import (
	"context"
	"errors"
	"regexp"
	"testing"

	"github.com/segmentd/segmentd/segment"
)

// expanded decodes a case and expands its references.
func expanded(t *testing.T, c Case) segment.Node {
	t.Helper()
	n, err := segment.Decode(c.JSON, "")
	if err != nil {
		t.Fatalf("%s: decode: %v", c.Name, err)
	}
	x, err := segment.Expand(context.Background(), n, "", Lookup())
	if err != nil {
		t.Fatalf("%s: expand: %v", c.Name, err)
	}
	return x
}

var caseName = regexp.MustCompile(`^[0-9]{3}-[a-z0-9]+(-[a-z0-9]+)*$`)

func TestCasesDecodeAndExpand(t *testing.T) {
	cases := Cases()
	if len(cases) < 75 {
		t.Fatalf("%d cases, want at least 75", len(cases))
	}
	numbers := map[string]string{}
	for i, c := range cases {
		if !caseName.MatchString(c.Name) {
			t.Errorf("case name %q is not NNN-short-name", c.Name)
		}
		if other, dup := numbers[c.Name[:3]]; dup {
			t.Errorf("cases %s and %s share a number", other, c.Name)
		}
		numbers[c.Name[:3]] = c.Name
		if i > 0 && cases[i-1].Name >= c.Name {
			t.Errorf("cases not sorted: %s before %s", cases[i-1].Name, c.Name)
		}
		x := expanded(t, c)
		// The canonical form of every case reads back to itself.
		back, err := segment.Decode([]byte(x.String()), "")
		if err != nil || back.String() != x.String() {
			t.Errorf("%s: canonical form does not round-trip: %v", c.Name, err)
		}
	}
}

func TestSavedSegments(t *testing.T) {
	saved := SavedSegments()
	if len(saved) == 0 {
		t.Fatal("no saved segments")
	}
	for _, s := range saved {
		n, err := Lookup().Segment(context.Background(), s.ID)
		if err != nil {
			t.Errorf("%s: %v", s.ID, err)
			continue
		}
		if _, err := segment.Expand(context.Background(), n, "/tree", Lookup()); err != nil {
			t.Errorf("%s: expand: %v", s.ID, err)
		}
	}
	for _, id := range []string{"seg_nope", "", "../trees/001-attr-country-eq", "seg_vip.json"} {
		if _, err := Lookup().Segment(context.Background(), id); !errors.Is(err, segment.ErrNotFound) {
			t.Errorf("Lookup(%q) = %v, want ErrNotFound", id, err)
		}
	}
}

func TestDatasetSize(t *testing.T) {
	d := Dataset()
	if len(d.Users) < 2000 || len(d.Events) < 50000 {
		t.Fatalf("%d users and %d events, want at least 2000 and 50000", len(d.Users), len(d.Events))
	}
	span := Config.End.Sub(Config.Start)
	if Config.Start.After(AsOf.AddDate(0, -13, 0)) || !Config.End.After(AsOf) || span.Hours() > 24*450 {
		t.Fatalf("data spans %v to %v; want about 14 months before AsOf and a few days after", Config.Start, Config.End)
	}
	after := 0
	for _, e := range d.Events {
		if e.Time.After(AsOf) {
			after++
		}
	}
	if after == 0 {
		t.Fatal("no events after AsOf: nothing checks that they never count")
	}
}
