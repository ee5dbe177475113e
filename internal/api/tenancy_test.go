package api

import (
	"context"
	"fmt"
	"net/http/httptest"
	"path/filepath"
	"testing"
	"time"

	"github.com/segmentd/segmentd/internal/engine"
	"github.com/segmentd/segmentd/internal/engine/duckdb"
	"github.com/segmentd/segmentd/internal/ingest"
	"github.com/segmentd/segmentd/internal/store"
	"github.com/segmentd/segmentd/internal/store/sqlstore"
)

// sameWatermark gives every app the same watermark, as two apps written
// in the same instant have: only the app then tells their answers apart.
type sameWatermark struct {
	ingest.Fresh
	at time.Time
}

func (d sameWatermark) Watermark(context.Context, string) (time.Time, error) { return d.at, nil }

// TestTwoAppsNeverShareACount: the count cache, the counts in flight,
// runs and snapshots are keyed by app. Two apps counting and running the
// same tree at the same as_of and watermark get their own answers.
func TestTwoAppsNeverShareACount(t *testing.T) {
	eng, err := duckdb.Open(context.Background(), "")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { eng.Close() })
	twoAppsApart(t, func(*sqlstore.SQL) (engine.Engine, ingest.Fresh) { return eng, eng }, "tenant")
}

// twoAppsApart writes one buyer into app A and two into app B of the
// data path open makes over the segment store, then counts and runs the
// same tree in both.
func twoAppsApart(t *testing.T, open func(*sqlstore.SQL) (engine.Engine, ingest.Fresh), prefix string) {
	ctx := context.Background()
	st, err := sqlstore.Open(ctx, "sqlite:"+filepath.Join(t.TempDir(), "segmentd.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	done := make(chan store.Run, 4)
	eng, fresh := open(st)
	s := New(Config{Store: st, Engine: eng, Fresh: sameWatermark{Fresh: fresh, at: time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)},
		AdminKey: adminKey, Runs: RunConfig{OnDone: func(r store.Run) { done <- r }}})
	if err := s.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Shutdown(context.Background()) })
	srv := httptest.NewServer(s)
	t.Cleanup(srv.Close)
	c := client{t: t, base: srv.URL}

	apps := []string{fmt.Sprintf("%sa%d", prefix, time.Now().UnixNano()), fmt.Sprintf("%sb%d", prefix, time.Now().UnixNano())}
	tree := map[string]any{"type": "event", "event": "purchase", "window": map[string]any{"all": true}}
	body := map[string]any{"tree": tree, "as_of": "2026-11-01T00:00:00Z"}
	for i, app := range apps {
		c.want(c.do("POST", "/v1/apps", adminKey, map[string]any{"app_id": app, "time_zone": "UTC"}), 201, "", "")
		var events []map[string]any
		for u := 0; u <= i; u++ {
			events = append(events, event(fmt.Sprint("e", u), fmt.Sprint("u", u), "purchase", "2026-10-27T10:00:00Z", nil))
		}
		c.want(c.do("POST", "/v1/apps/"+app+"/events", adminKey, eventsBody(events...)), 202, "", "")
	}
	for i, app := range apps {
		m := c.want(c.do("POST", "/v1/apps/"+app+"/count", adminKey, body), 200, "", "")
		if m["count"] != float64(i+1) || m["cached"] != false {
			t.Fatalf("count in %s: %v cached %v, want %d uncached", app, m["count"], m["cached"], i+1)
		}
	}
	for i, app := range apps {
		seg := c.want(c.do("POST", "/v1/apps/"+app+"/segments", adminKey, map[string]any{"name": "buyers", "tree": tree}), 201, "", "")
		run := c.want(c.do("POST", "/v1/apps/"+app+"/segments/"+seg["id"].(string)+"/runs", adminKey, map[string]any{"as_of": "2026-11-01T00:00:00Z"}), 202, "", "")
		select {
		case r := <-done:
			if r.State != store.RunSucceeded {
				t.Fatalf("run in %s: %s %s", app, r.State, r.Error)
			}
		case <-time.After(time.Minute):
			t.Fatal("no run finished within a minute")
		}
		m := c.want(c.do("GET", "/v1/apps/"+app+"/runs/"+run["id"].(string), adminKey, nil), 200, "", "")
		if m["count"] != float64(i+1) {
			t.Fatalf("run in %s: %v members, want %d", app, m["count"], i+1)
		}
	}
}
