package query

import (
	"context"
	"reflect"
	"testing"
	"time"

	"github.com/segmentd/segmentd/internal/record"
	"github.com/segmentd/segmentd/internal/store"
)

// segmentsOf is a segment store of one app holding trees by ID.
type segmentsOf map[string]string

func (s segmentsOf) GetApp(context.Context, string) (store.App, error) { return store.App{}, nil }
func (s segmentsOf) GetSegment(_ context.Context, appID, id string) (store.Segment, error) {
	tree, ok := s[id]
	if !ok {
		return store.Segment{}, record.ErrNotFound
	}
	return store.Segment{AppID: appID, ID: id, Version: 1, Tree: tree}, nil
}
func (s segmentsOf) GetSegmentVersion(ctx context.Context, appID, id string, _ int) (store.Segment, error) {
	return s.GetSegment(ctx, appID, id)
}

// TestPrepareWarnings: Prepare finds the warnings of the tree as given, at
// the request's as_of, with pointers into the caller's document; a
// referenced segment's conditions are not its warnings.
func TestPrepareWarnings(t *testing.T) {
	const never = `{"type":"event","event":"buy","op":"lt","value":0}`
	svc := New(Config{Segments: segmentsOf{"seg_ref": `{"type":"not","child":{"type":"not","child":` + never + `}}`}})
	app := store.App{ID: "shop", TimeZone: "Asia/Tokyo"}
	asOf := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	tree := `{"type":"and","children":[` + never + `,{"type":"segment","segment_id":"seg_ref"},
		{"type":"event","event":"buy","window":{"since":"2026-03-02T00:00:00Z"}}]}`
	req, err := svc.Prepare(context.Background(), app, []byte(tree), "/tree", asOf)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, w := range req.Warnings {
		got = append(got, w.Pointer+" "+w.Code)
	}
	want := []string{"/tree/children/0 never_true", "/tree/children/2/window/since empty_window"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("warnings %q, want %q", got, want)
	}

	req, err = svc.Prepare(context.Background(), app, []byte(`{"type":"segment","segment_id":"seg_ref"}`), "/tree", asOf)
	if err != nil {
		t.Fatal(err)
	}
	if req.Warnings == nil || len(req.Warnings) != 0 {
		t.Errorf("warnings %#v, want an empty list", req.Warnings)
	}
}

// TestWarningsWithoutAsOf: a save has no as_of; the rules that need one
// are skipped, the others apply.
func TestWarningsWithoutAsOf(t *testing.T) {
	svc := New(Config{Segments: segmentsOf{}})
	req, err := svc.Prepare(context.Background(), store.App{ID: "shop", TimeZone: "UTC"}, []byte(`{"type":"and","children":[
		{"type":"event","event":"buy","window":{"since":"2026-03-02T00:00:00Z"}},
		{"type":"event","event":"buy","op":"gte","value":0}]}`), "", time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC))
	if err != nil {
		t.Fatal(err)
	}
	if len(req.Warnings) != 2 {
		t.Fatalf("at as_of: %v", req.Warnings)
	}
	ws := Warnings(req.Tree, "", time.Time{}, nil)
	if len(ws) != 1 || ws[0].Code != "always_true" || ws[0].Pointer != "/children/1" {
		t.Errorf("without as_of: %v", ws)
	}
}
