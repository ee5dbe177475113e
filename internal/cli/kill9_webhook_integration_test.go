//go:build integration

package cli

import (
	"bytes"
	"fmt"
	"testing"
	"time"

	"github.com/segmentd/segmentd/internal/cache/cachetest"
	"github.com/segmentd/segmentd/internal/store/storetest"
	"github.com/segmentd/segmentd/internal/webhook/webhooktest"
)

// Of a server's webhook worker (webhook.Config's defaults, not flags): a
// delivery a killed server held is sent again once its lease has passed,
// by a server that polls the outbox every second.
const (
	deliveryLease = time.Minute
	deliveryPoll  = time.Second
)

// TestKill9WebhookOutboxMySQL: a `segmentd serve` on MariaDB, with its
// snapshots in Redis, is killed with SIGKILL while its receiver holds a
// delivery's attempt unanswered; a server started on the same store then
// sends it again once its lease has passed (within deliveryLease +
// deliveryPoll of the first attempt): the same idempotency key and body,
// signed with the webhook's secret, and its delivery log says delivered.
func TestKill9WebhookOutboxMySQL(t *testing.T) {
	dsn := storetest.MySQL(t)(t)
	bin := buildSegmentd(t)
	// The second server reads the first run's members from Redis, for the
	// body's entered and exited.
	flags := []string{"--webhooks-allow-private", "--redis", cachetest.RedisAddr(t), "--snapshot-ttl", "10m"}
	a := startServer(t, bin, dsn, append(flags, "--demo-users", "2000", "--demo-events", "40000")...)
	rc := webhooktest.New(t, 0)
	h := a.call("POST", "/v1/apps/demo/webhooks", fmt.Sprintf(`{"url":%q,"events":["run.succeeded"]}`, rc.URL))
	hook := h["id"].(string)
	rc.SetSecret(h["secret"].(string))

	seg := a.call("POST", "/v1/apps/demo/segments", `{"name":"buyers","tree":{"type":"event","event":"purchase","window":{"last":"7d"}}}`)["id"].(string)
	now := time.Now().UTC().Truncate(time.Second)
	runAt := func(asOf time.Time) string {
		run := a.call("POST", "/v1/apps/demo/segments/"+seg+"/runs", fmt.Sprintf(`{"as_of":%q}`, asOf.Format(time.RFC3339)))["id"].(string)
		a.waitRun(run)
		return run
	}
	runAt(now.AddDate(0, 0, -7))
	if first := rc.Wait(1, 30*time.Second)[0]; first.Status != 200 {
		t.Fatalf("the first run's delivery: %+v", first)
	}
	rc.SetHold(true)
	run := runAt(now)
	held := rc.Wait(2, 30*time.Second)[1]
	killed := a.kill()
	rc.SetHold(false)
	if held.Payload.Run != run || held.Status != 0 {
		t.Fatalf("the held attempt %+v, want one of run %s", held, run)
	}

	b := startServer(t, bin, dsn, append(flags, "--demo=false")...)
	again := rc.Wait(3, deliveryLease+time.Minute)[2]
	if again.ID != held.ID || !bytes.Equal(again.Body, held.Body) || again.Status != 200 || again.Payload.Entered == nil {
		t.Fatalf("sent again %+v (%s), want %s as first sent: %s", again, again.Body, held.ID, held.Body)
	}
	resumed := again.At.Sub(held.At)
	t.Logf("delivery %s sent again %v after its first attempt (%v after the kill; bound %v)",
		held.ID, resumed.Round(time.Millisecond), again.At.Sub(killed).Round(time.Millisecond), deliveryLease+deliveryPoll)
	// Not before the lease has passed (nobody sends it twice meanwhile),
	// nor later than a poll after (a second for the clocks).
	if resumed < deliveryLease-time.Second || resumed > deliveryLease+deliveryPoll+time.Second {
		t.Fatalf("sent again %v after the first attempt, want within %v–%v", resumed, deliveryLease, deliveryLease+deliveryPoll)
	}

	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		var d map[string]any
		for _, x := range b.call("GET", "/v1/apps/demo/webhooks/"+hook+"/deliveries", "")["deliveries"].([]any) {
			if x.(map[string]any)["id"] == held.ID {
				d = x.(map[string]any)
			}
		}
		if d["state"] == "delivered" {
			if d["run"] != run || d["last_status"] != 200.0 || d["attempts"] != 1.0 {
				t.Fatalf("delivery log %v: want run %s, 200, the one attempt recorded (the killed server's never was)", d, run)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("delivery log of %s: %v, want delivered", held.ID, d)
		}
	}
	if n := len(rc.Delivered()[held.ID]); n != 1 {
		t.Fatalf("delivery %s received %d times after the kill, want 1", held.ID, n)
	}
}
