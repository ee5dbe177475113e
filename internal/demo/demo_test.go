package demo

import (
	"context"
	"io"
	"log/slog"
	"path/filepath"
	"testing"
	"time"

	"github.com/segmentd/segmentd/internal/engine/duckdb"
	"github.com/segmentd/segmentd/internal/store/sqlstore"
)

func TestEnsure(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	st, err := sqlstore.Open(ctx, "sqlite:"+filepath.Join(dir, "s.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	eng, err := duckdb.Open(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	defer eng.Close()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	cfg := Config{Users: 500, Events: 10000, KeyFile: filepath.Join(dir, "demo.key"), Now: time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)}

	first, err := Ensure(ctx, st, eng, cfg, log)
	if err != nil {
		t.Fatal(err)
	}
	if !first.Created || first.Key == "" || first.Users != 500 || first.Events != 10000 {
		t.Fatalf("%+v", first)
	}
	second, err := Ensure(ctx, st, eng, cfg, log)
	if err != nil {
		t.Fatal(err)
	}
	if second.Created || second.Key != first.Key {
		t.Fatalf("a second start must keep the demo and its key: %+v", second)
	}
	segs, err := st.ListSegments(ctx, AppID, "", 100)
	if err != nil {
		t.Fatal(err)
	}
	files, _ := segmentFiles.ReadDir("segments")
	if len(segs) != len(files) {
		t.Fatalf("%d segments saved, %d files", len(segs), len(files))
	}
	app, err := st.GetApp(ctx, AppID)
	if err != nil || app.TimeZone != TimeZone {
		t.Fatalf("%+v %v", app, err)
	}
	var users int
	if err := eng.DB().QueryRow("SELECT count(*) FROM users WHERE app_id = ?", AppID).Scan(&users); err != nil || users != 500 {
		t.Fatalf("%d users loaded: %v", users, err)
	}
}
