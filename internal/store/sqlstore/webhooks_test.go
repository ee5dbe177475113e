package sqlstore

import (
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/segmentd/segmentd/internal/record"
	"github.com/segmentd/segmentd/internal/store"
)

// TestSQLiteWebhooks runs the webhooks' store tests on SQLite.
func TestSQLiteWebhooks(t *testing.T) {
	webhookSuite(t, func(t *testing.T) string {
		return "sqlite:" + filepath.Join(t.TempDir(), "segmentd.db")
	})
}

func webhookSuite(t *testing.T, newDSN func(t *testing.T) string) {
	run := func(name string, fn func(t *testing.T, s *SQL)) {
		t.Run(name, func(t *testing.T) {
			defer catchMust(t)
			fn(t, openDSN(t, newDSN(t)))
		})
	}
	run("Webhooks", testWebhooks)
	run("OutboxWithFinishRun", testOutbox)
	run("ClaimOnce", testClaimOnce)
}

func testWebhooks(t *testing.T, s *SQL) {
	ctx := ctxT(t)
	mkApp(t, s, "shop")
	mkApp(t, s, "bakery")
	w := must(s.CreateWebhook(ctx, store.Webhook{AppID: "shop", URL: "https://example.com/h", Events: []string{store.EventRunSucceeded}, Secret: "whsec_x"}))
	if w.ID == "" || w.CreatedAt.IsZero() {
		t.Fatalf("created %+v", w)
	}
	if _, err := s.CreateWebhook(ctx, store.Webhook{AppID: "nope", URL: "https://example.com/h", Events: []string{store.EventRunSucceeded}, Secret: "s"}); !errors.Is(err, record.ErrNotFound) {
		t.Fatalf("webhook of a missing app: %v", err)
	}
	got := must(s.GetWebhook(ctx, "shop", w.ID))
	if got.URL != w.URL || got.Secret != "whsec_x" || !slices.Equal(got.Events, w.Events) {
		t.Fatalf("got %+v, want %+v", got, w)
	}
	if _, err := s.GetWebhook(ctx, "bakery", w.ID); !errors.Is(err, record.ErrNotFound) {
		t.Fatalf("another app's webhook: %v", err)
	}
	if l := must(s.ListWebhooks(ctx, "bakery")); len(l) != 0 {
		t.Fatalf("bakery lists %v", l)
	}
	if l := must(s.ListWebhooks(ctx, "shop")); len(l) != 1 || l[0].ID != w.ID {
		t.Fatalf("shop lists %v", l)
	}
	if err := s.DeleteWebhook(ctx, "bakery", w.ID); !errors.Is(err, record.ErrNotFound) {
		t.Fatalf("delete of another app's webhook: %v", err)
	}
	if err := s.DeleteWebhook(ctx, "shop", w.ID); err != nil {
		t.Fatal(err)
	}
	if l := must(s.ListWebhooks(ctx, "shop")); len(l) != 0 {
		t.Fatalf("after delete: %v", l)
	}
}

// testOutbox: a delivery is written with a run's final state, per
// subscribed webhook, and only for the events subscribed.
func testOutbox(t *testing.T, s *SQL) {
	ctx := ctxT(t)
	mkApp(t, s, "shop")
	mkApp(t, s, "bakery")
	both := must(s.CreateWebhook(ctx, store.Webhook{AppID: "shop", URL: "https://a.example/", Events: store.WebhookEvents, Secret: "s1"}))
	failedOnly := must(s.CreateWebhook(ctx, store.Webhook{AppID: "shop", URL: "https://b.example/", Events: []string{store.EventRunFailed}, Secret: "s2"}))
	other := must(s.CreateWebhook(ctx, store.Webhook{AppID: "bakery", URL: "https://c.example/", Events: store.WebhookEvents, Secret: "s3"}))

	n := int64(7)
	ok := mkRun(t, s, "shop", "k1")
	applied(s.FinishRun(ctx, store.Run{AppID: "shop", ID: ok.ID, State: store.RunSucceeded, Count: &n, Snapshot: "snap"}))
	bad := mkRun(t, s, "shop", "k2")
	applied(s.FinishRun(ctx, store.Run{AppID: "shop", ID: bad.ID, State: store.RunFailed, Error: "boom"}))
	canceled := mkRun(t, s, "shop", "k3")
	applied(s.FinishRun(ctx, store.Run{AppID: "shop", ID: canceled.ID, State: store.RunCanceled}))
	// A second end is refused and writes nothing.
	if _, done, _ := s.FinishRun(ctx, store.Run{AppID: "shop", ID: bad.ID, State: store.RunFailed, Error: "again"}); done {
		t.Fatal("a final run finished twice")
	}

	page := store.DeliveryPage{Limit: 10}
	events := func(hook string, app string) []string {
		var out []string
		for _, d := range must(s.ListDeliveries(ctx, app, hook, page)) {
			if d.State != store.DeliveryPending || d.Attempts != 0 || d.AppID != app {
				t.Errorf("delivery %+v", d)
			}
			out = append(out, d.Event+" "+d.RunID)
		}
		slices.Sort(out)
		return out
	}
	want := []string{"run.failed " + bad.ID, "run.succeeded " + ok.ID}
	slices.Sort(want)
	if got := events(both.ID, "shop"); !slices.Equal(got, want) {
		t.Errorf("both: %v, want %v", got, want)
	}
	if got := events(failedOnly.ID, "shop"); !slices.Equal(got, []string{"run.failed " + bad.ID}) {
		t.Errorf("failed only: %v", got)
	}
	if got := events(other.ID, "bakery"); len(got) != 0 {
		t.Errorf("another app's webhook: %v", got)
	}
	if got := events(both.ID, "bakery"); len(got) != 0 {
		t.Errorf("listed through another app: %v", got)
	}

	// Claimed, then recorded; a wrong owner records nothing.
	now := time.Now()
	claimed := must(s.ClaimDeliveries(ctx, "owner-1", now, now.Add(time.Minute), 10))
	if len(claimed) != 3 {
		t.Fatalf("claimed %d, want 3", len(claimed))
	}
	if again := must(s.ClaimDeliveries(ctx, "owner-2", now, now.Add(time.Minute), 10)); len(again) != 0 {
		t.Fatalf("claimed again while leased: %d", len(again))
	}
	d := claimed[0]
	if ok := must(s.RecordAttempt(ctx, store.Attempt{DeliveryID: d.ID, LeaseOwner: "owner-2", State: store.DeliveryDelivered, At: now})); ok {
		t.Fatal("recorded by a worker without the lease")
	}
	if ok := must(s.RecordAttempt(ctx, store.Attempt{DeliveryID: d.ID, LeaseOwner: "owner-1", State: store.DeliveryPending,
		NextAttemptAt: now.Add(time.Hour), Status: 503, Error: "503", Payload: []byte(`{"a":1}`), At: now})); !ok {
		t.Fatal("not recorded")
	}
	// Not due yet, then due with an expired lease.
	if c := must(s.ClaimDeliveries(ctx, "owner-3", now.Add(2*time.Minute), now.Add(3*time.Minute), 10)); len(c) != 2 {
		t.Fatalf("claimed %d after the others' leases expired, want 2", len(c))
	}
	c := must(s.ClaimDeliveries(ctx, "owner-4", now.Add(2*time.Hour), now.Add(3*time.Hour), 10))
	if len(c) != 3 {
		t.Fatalf("claimed %d when all are due, want 3", len(c))
	}
	for _, x := range c {
		if x.ID == d.ID && (x.Attempts != 1 || x.LastStatus != 503 || string(x.Payload) != `{"a":1}`) {
			t.Errorf("after an attempt: %+v", x)
		}
		state := store.DeliveryDelivered
		if x.ID != d.ID {
			state = store.DeliveryFailed
		}
		if !must(s.RecordAttempt(ctx, store.Attempt{DeliveryID: x.ID, LeaseOwner: "owner-4", State: state, Status: 200, Payload: []byte(`{"b":2}`), At: now})) {
			t.Fatal("not recorded")
		}
	}
	for _, x := range must(s.ListDeliveries(ctx, "shop", both.ID, page)) {
		if x.State == store.DeliveryPending || x.FinishedAt.IsZero() || x.LeaseOwner != "" {
			t.Errorf("final: %+v", x)
		}
		if x.ID == d.ID && string(x.Payload) != `{"a":1}` {
			t.Errorf("the payload changed: %s", x.Payload)
		}
	}
	if c := must(s.ClaimDeliveries(ctx, "owner-5", now.Add(48*time.Hour), now.Add(49*time.Hour), 10)); len(c) != 0 {
		t.Fatalf("claimed final deliveries: %d", len(c))
	}
	// Deleting a webhook deletes its deliveries.
	must(0, s.DeleteWebhook(ctx, "shop", both.ID))
	if l := must(s.ListDeliveries(ctx, "shop", both.ID, page)); len(l) != 0 {
		t.Fatalf("deliveries of a deleted webhook: %d", len(l))
	}
}

// testClaimOnce: workers claiming concurrently never hold one delivery
// together.
func testClaimOnce(t *testing.T, s *SQL) {
	ctx := ctxT(t)
	mkApp(t, s, "shop")
	must(s.CreateWebhook(ctx, store.Webhook{AppID: "shop", URL: "https://a.example/", Events: store.WebhookEvents, Secret: "s1"}))
	const runs = 40
	for i := range runs {
		r := mkRun(t, s, "shop", fmt.Sprint("k", i))
		applied(s.FinishRun(ctx, store.Run{AppID: "shop", ID: r.ID, State: store.RunFailed, Error: "x"}))
	}
	now := time.Now()
	var mu sync.Mutex
	seen := map[string]int{}
	var wg sync.WaitGroup
	for w := range 6 {
		wg.Go(func() {
			for {
				c, err := s.ClaimDeliveries(ctx, fmt.Sprintf("w%d-%d", w, time.Now().UnixNano()), now, now.Add(time.Hour), 3)
				if err != nil {
					t.Error(err)
					return
				}
				if len(c) == 0 {
					return
				}
				mu.Lock()
				for _, d := range c {
					seen[d.ID]++
				}
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if len(seen) != runs {
		t.Fatalf("claimed %d deliveries, want %d", len(seen), runs)
	}
	for id, n := range seen {
		if n != 1 {
			t.Errorf("delivery %s claimed %d times", id, n)
		}
	}
}
