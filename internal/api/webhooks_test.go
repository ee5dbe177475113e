package api

import (
	"context"
	"fmt"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/segmentd/segmentd/internal/cache"
	"github.com/segmentd/segmentd/internal/corpus"
	"github.com/segmentd/segmentd/internal/store"
	"github.com/segmentd/segmentd/internal/store/sqlstore"
	"github.com/segmentd/segmentd/internal/webhook"
	"github.com/segmentd/segmentd/internal/webhook/webhooktest"
)

// fastHooks delivers at once and retries after milliseconds.
var fastHooks = webhook.Config{AllowPrivate: true, Backoff: 5 * time.Millisecond, Poll: 5 * time.Millisecond, Timeout: 5 * time.Second}

// deliveries waits until the webhook has n deliveries, none pending, and
// returns them.
func deliveries(c client, key, app, hook string, n int) []any {
	c.t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		m := c.want(c.do("GET", "/v1/apps/"+app+"/webhooks/"+hook+"/deliveries", key, nil), 200, "", "")
		ds := m["deliveries"].([]any)
		pending := 0
		for _, d := range ds {
			if d.(map[string]any)["state"] == "pending" {
				pending++
			}
		}
		if len(ds) == n && pending == 0 {
			return ds
		}
		if time.Now().After(deadline) {
			c.t.Fatalf("deliveries: %d (%d pending), want %d delivered", len(ds), pending, n)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestWebhooks: create, list (no secret), runs that succeed are
// delivered signed, to a receiver that fails twice first, with entered
// and exited against the previous run; the delivery log; another app's
// key gets 404; delete.
func TestWebhooks(t *testing.T) {
	ctx := context.Background()
	st, eng := embedded(t)
	must(st.CreateApp(ctx, store.App{ID: "corpus", TimeZone: corpus.TimeZone}))
	createSaved(t, st)
	done := make(chan store.Run, 10)
	s := New(Config{Store: st, Engine: eng, Fresh: eng, AdminKey: adminKey, Now: func() time.Time { return corpus.AsOf },
		Runs: RunConfig{Local: cache.NewMemory(64 << 20), OnDone: func(r store.Run) { done <- r }}, Webhooks: fastHooks})
	srv := httptest.NewServer(s)
	t.Cleanup(srv.Close)
	c := client{t: t, base: srv.URL}
	if err := s.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Shutdown(context.Background()) })
	rc := webhooktest.New(t, 2)

	// Validation.
	c.want(c.do("POST", "/v1/apps/corpus/webhooks", adminKey, map[string]any{"events": []string{"run.succeeded"}}), 400, CodeInvalidArgument, "/url")
	c.want(c.do("POST", "/v1/apps/corpus/webhooks", adminKey, map[string]any{"url": "ftp://x.example/"}), 400, CodeInvalidArgument, "/url")
	c.want(c.do("POST", "/v1/apps/corpus/webhooks", adminKey, map[string]any{"url": rc.URL, "events": []string{"run.started"}}), 400, CodeInvalidArgument, "/events/0")
	c.want(c.do("POST", "/v1/apps/corpus/webhooks", adminKey, map[string]any{"url": rc.URL, "events": []string{}}), 400, CodeInvalidArgument, "/events")

	h := c.want(c.do("POST", "/v1/apps/corpus/webhooks", adminKey, map[string]any{"url": rc.URL, "events": []string{"run.succeeded"}}), 201, "", "")
	hook, secret := h["id"].(string), h["secret"].(string)
	if !strings.HasPrefix(secret, webhook.SecretPrefix) || h["url"] != rc.URL || h["created_at"] == nil {
		t.Fatalf("created %v", h)
	}
	rc.SetSecret(secret)
	l := c.want(c.do("GET", "/v1/apps/corpus/webhooks", adminKey, nil), 200, "", "")
	if ws := l["webhooks"].([]any); len(ws) != 1 || ws[0].(map[string]any)["id"] != hook || ws[0].(map[string]any)["secret"] != nil {
		t.Fatalf("list %v", l)
	}

	// Another app's key: 404 everywhere.
	other := c.want(c.do("POST", "/v1/apps", adminKey, map[string]any{"app_id": "other", "time_zone": "UTC"}), 201, "", "")["api_key"].(string)
	c.want(c.do("GET", "/v1/apps/corpus/webhooks", other, nil), 404, CodeNotFound, "")
	c.want(c.do("POST", "/v1/apps/corpus/webhooks", other, map[string]any{"url": rc.URL}), 404, CodeNotFound, "")
	c.want(c.do("DELETE", "/v1/apps/corpus/webhooks/"+hook, other, nil), 404, CodeNotFound, "")
	c.want(c.do("GET", "/v1/apps/corpus/webhooks/"+hook+"/deliveries", other, nil), 404, CodeNotFound, "")
	c.want(c.do("GET", "/v1/apps/other/webhooks/"+hook+"/deliveries", other, nil), 404, CodeNotFound, "")
	c.want(c.do("DELETE", "/v1/apps/other/webhooks/"+hook, other, nil), 404, CodeNotFound, "")

	// Two runs of a segment, a day apart.
	seg := corpus.SavedSegments()[0].ID
	var runIDs []string
	for _, asOf := range []time.Time{corpus.AsOf.Add(-24 * time.Hour), corpus.AsOf} {
		r := c.want(c.do("POST", "/v1/apps/corpus/segments/"+seg+"/runs", adminKey, map[string]any{"as_of": asOf.Format(time.RFC3339)}), 202, "", "")
		runIDs = append(runIDs, r["id"].(string))
		if got := <-done; got.State != store.RunSucceeded {
			t.Fatalf("run %+v", got)
		}
	}
	ds := deliveries(c, adminKey, "corpus", hook, 2)
	for _, x := range ds {
		d := x.(map[string]any)
		if d["state"] != "delivered" || d["attempts"] != 3.0 || d["last_status"] != 200.0 || d["event"] != "run.succeeded" || d["finished_at"] == nil {
			t.Errorf("delivery %v", d)
		}
	}
	tries := rc.Tries()
	byRun := map[string]webhook.Payload{}
	for id, ps := range rc.Delivered() {
		if tries[id] != 3 || len(ps) != 1 {
			t.Errorf("delivery %s: %d tries, %d delivered", id, tries[id], len(ps))
		}
		byRun[ps[0].Run] = ps[0]
	}
	first, second := byRun[runIDs[0]], byRun[runIDs[1]]
	if first.Entered != nil || first.Exited != nil || first.Count == nil || first.SegmentID != seg || first.App != "corpus" {
		t.Errorf("first run's payload %+v", first)
	}
	if second.Entered == nil || second.Exited == nil || second.Version != 1 || !second.AsOf.Equal(corpus.AsOf) ||
		second.Links.Members != "/v1/apps/corpus/runs/"+runIDs[1]+"/members.txt" || second.Links.Diff != "/v1/apps/corpus/runs/"+runIDs[1]+"/diff" {
		t.Errorf("second run's payload %+v", second)
	}
	c.want(c.do("DELETE", "/v1/apps/corpus/webhooks/"+hook, adminKey, nil), 204, "", "")
	c.want(c.do("GET", "/v1/apps/corpus/webhooks/"+hook+"/deliveries", adminKey, nil), 404, CodeNotFound, "")
}

// failRun finishes a new run of the app as failed: a run.failed delivery
// per subscribed webhook, without an engine.
func failRun(t *testing.T, st *sqlstore.SQL, app string, i int) string {
	t.Helper()
	ctx := context.Background()
	r := must(st.CreateRun(ctx, store.Run{AppID: app, SegmentID: "seg", Version: 1, AsOf: corpus.AsOf, Key: fmt.Sprint("k", i)}))
	if _, ok, err := st.FinishRun(ctx, store.Run{AppID: app, ID: r.ID, State: store.RunFailed, Error: "boom"}); err != nil || !ok {
		t.Fatal(ok, err)
	}
	return r.ID
}

// TestWebhookPrivateURLs: a server that does not allow private targets
// refuses them at creation and at delivery (a URL stored before, as if
// its name now resolved to loopback).
func TestWebhookPrivateURLs(t *testing.T) {
	ctx := context.Background()
	st, eng := embedded(t)
	must(st.CreateApp(ctx, store.App{ID: "shop", TimeZone: "UTC"}))
	s := New(Config{Store: st, Engine: eng, Fresh: eng, AdminKey: adminKey,
		Webhooks: webhook.Config{Backoff: time.Millisecond, Poll: 5 * time.Millisecond, MaxAttempts: 2}})
	srv := httptest.NewServer(s)
	t.Cleanup(srv.Close)
	c := client{t: t, base: srv.URL}
	for _, u := range []string{"http://127.0.0.1:8080/", "http://[::1]/", "http://10.0.0.1/", "http://192.168.0.10/", "http://169.254.169.254/latest/meta-data", "http://localhost/"} {
		c.want(c.do("POST", "/v1/apps/shop/webhooks", adminKey, map[string]any{"url": u}), 400, CodeInvalidArgument, "/url")
	}
	rc := webhooktest.New(t, 0)
	hook := must(st.CreateWebhook(ctx, store.Webhook{AppID: "shop", URL: rc.URL, Events: store.WebhookEvents, Secret: "whsec_x"}))
	if err := s.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Shutdown(context.Background()) })
	failRun(t, st, "shop", 0)
	d := deliveries(c, adminKey, "shop", hook.ID, 1)[0].(map[string]any)
	if d["state"] != "failed" || d["attempts"] != 2.0 || !strings.Contains(fmt.Sprint(d["last_error"]), "private") || d["last_status"] != nil {
		t.Fatalf("delivery %v", d)
	}
	if as := rc.Attempts(); len(as) != 0 {
		t.Fatalf("the receiver was called: %v", as)
	}
}

// TestWebhookOutboxSurvivesRestart: a server stopped with a pending
// delivery (its receiver down); a new server on the same store delivers
// it, with the same ID.
func TestWebhookOutboxSurvivesRestart(t *testing.T) {
	ctx := context.Background()
	dsn := "sqlite:" + filepath.Join(t.TempDir(), "segmentd.db")
	st1 := must(sqlstore.Open(ctx, dsn))
	_, eng := embedded(t)
	must(st1.CreateApp(ctx, store.App{ID: "shop", TimeZone: "UTC"}))
	rc := webhooktest.New(t, 0)
	rc.SetSecret("whsec_x")
	rc.SetDown(true)
	hook := must(st1.CreateWebhook(ctx, store.Webhook{AppID: "shop", URL: rc.URL, Events: store.WebhookEvents, Secret: "whsec_x"}))
	s1 := New(Config{Store: st1, Engine: eng, Fresh: eng, AdminKey: adminKey, Webhooks: fastHooks})
	if err := s1.Start(ctx); err != nil {
		t.Fatal(err)
	}
	run := failRun(t, st1, "shop", 0)
	rc.Wait(1, 10*time.Second)
	if err := s1.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	st1.Close()

	rc.SetDown(false)
	st2 := must(sqlstore.Open(ctx, dsn))
	t.Cleanup(func() { st2.Close() })
	s2 := New(Config{Store: st2, Engine: eng, Fresh: eng, AdminKey: adminKey, Webhooks: fastHooks})
	srv := httptest.NewServer(s2)
	t.Cleanup(srv.Close)
	if err := s2.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s2.Shutdown(context.Background()) })
	d := deliveries(client{t: t, base: srv.URL}, adminKey, "shop", hook.ID, 1)[0].(map[string]any)
	if got := rc.Delivered(); d["state"] != "delivered" || d["run"] != run || len(got[d["id"].(string)]) != 1 || d["attempts"].(float64) < 2 {
		t.Fatalf("delivery %v, receiver %v", d, got)
	}
}

// TestWebhookTwoWorkers: two servers' workers on one store (SQLite
// here, MariaDB in TestWebhookTwoWorkersMySQL) deliver each delivery
// once.
func TestWebhookTwoWorkers(t *testing.T) {
	testTwoWorkers(t, "sqlite:"+filepath.Join(t.TempDir(), "segmentd.db"))
}

func testTwoWorkers(t *testing.T, dsn string) {
	ctx := context.Background()
	var stores []*sqlstore.SQL
	for range 2 {
		st := must(sqlstore.Open(ctx, dsn))
		t.Cleanup(func() { st.Close() })
		stores = append(stores, st)
	}
	app := fmt.Sprintf("two%d", time.Now().UnixNano()%1e9)
	must(stores[0].CreateApp(ctx, store.App{ID: app, TimeZone: "UTC"}))
	rc := webhooktest.New(t, 0)
	rc.SetSecret("whsec_x")
	hook := must(stores[0].CreateWebhook(ctx, store.Webhook{AppID: app, URL: rc.URL, Events: store.WebhookEvents, Secret: "whsec_x"}))
	const n = 30
	for i := range n {
		failRun(t, stores[i%2], app, i)
	}
	var workers []*webhook.Worker
	for _, st := range stores {
		cfg := fastHooks
		cfg.Store, cfg.Batch = st, 4
		w := webhook.NewWorker(cfg)
		w.Start()
		workers = append(workers, w)
	}
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		ds := must(stores[0].ListDeliveries(ctx, app, hook.ID, store.DeliveryPage{Limit: 100}))
		left := 0
		for _, d := range ds {
			if d.State != store.DeliveryDelivered {
				left++
			}
		}
		if len(ds) == n && left == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d of %d deliveries not delivered", left, len(ds))
		}
	}
	for _, w := range workers {
		w.Shutdown(ctx)
	}
	got, tries := rc.Delivered(), rc.Tries()
	if len(got) != n {
		t.Fatalf("received %d deliveries, want %d", len(got), n)
	}
	for id, ps := range got {
		if len(ps) != 1 || tries[id] != 1 {
			t.Errorf("delivery %s received %d times", id, tries[id])
		}
	}
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}
