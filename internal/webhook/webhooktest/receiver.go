// Package webhooktest is a webhook receiver for tests, in process or
// against a `segmentd serve`: it checks every attempt's signature and
// body, records the attempts, and fails or holds them on demand.
package webhooktest

import (
	"encoding/json"
	"io"
	"maps"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/segmentd/segmentd/internal/webhook"
)

// Attempt is one request the receiver got.
type Attempt struct {
	At      time.Time
	ID      string // the Segmentd-Delivery header, equal to the body's id
	Body    []byte // as received
	Payload webhook.Payload
	// Status is the answer, 0 for an attempt held until its sender hung
	// up.
	Status int
}

// Receiver is a webhook endpoint on loopback. It answers 500 to the first
// Fail attempts of each delivery (and to all while down), holds attempts
// while held (until the sender hangs up), and 200 otherwise; a wrong
// signature or body fails the test.
type Receiver struct {
	URL string

	t        testing.TB
	mu       sync.Mutex
	secret   string
	fail     int
	down     bool
	hold     bool
	tries    map[string]int
	attempts []Attempt
}

// New starts a receiver (closed when the test ends) that fails the first
// fail attempts of each delivery.
func New(t testing.TB, fail int) *Receiver {
	rc := &Receiver{t: t, fail: fail, tries: map[string]int{}}
	srv := httptest.NewServer(http.HandlerFunc(rc.serve))
	rc.URL = srv.URL
	t.Cleanup(srv.Close)
	return rc
}

func (rc *Receiver) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	a := Attempt{At: time.Now(), ID: r.Header.Get(webhook.DeliveryHeader), Body: body}
	rc.mu.Lock()
	if err := webhook.Verify(rc.secret, r.Header.Get(webhook.SignatureHeader), body, a.At, 5*time.Minute); err != nil {
		rc.t.Errorf("signature %q: %v", r.Header.Get(webhook.SignatureHeader), err)
	}
	if err := json.Unmarshal(body, &a.Payload); err != nil || a.Payload.ID != a.ID {
		rc.t.Errorf("body %s (%v), %s %q", body, err, webhook.DeliveryHeader, a.ID)
	}
	rc.tries[a.ID]++
	hold := rc.hold
	switch {
	case hold:
	case rc.down || rc.tries[a.ID] <= rc.fail:
		a.Status = http.StatusInternalServerError
	default:
		a.Status = http.StatusOK
	}
	rc.attempts = append(rc.attempts, a)
	rc.mu.Unlock()
	if hold {
		// Until the sender gives up or dies: the attempt stays in flight.
		<-r.Context().Done()
		return
	}
	w.WriteHeader(a.Status)
}

// SetSecret sets the secret the signatures are checked with.
func (rc *Receiver) SetSecret(secret string) {
	rc.mu.Lock()
	rc.secret = secret
	rc.mu.Unlock()
}

// SetDown makes every attempt fail with 500 while down.
func (rc *Receiver) SetDown(down bool) {
	rc.mu.Lock()
	rc.down = down
	rc.mu.Unlock()
}

// SetHold makes new attempts wait, unanswered, for their sender to hang
// up while held.
func (rc *Receiver) SetHold(hold bool) {
	rc.mu.Lock()
	rc.hold = hold
	rc.mu.Unlock()
}

// Attempts returns the attempts so far, in the order they came.
func (rc *Receiver) Attempts() []Attempt {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return slices.Clone(rc.attempts)
}

// Tries returns the attempts so far by delivery ID.
func (rc *Receiver) Tries() map[string]int {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return maps.Clone(rc.tries)
}

// Delivered returns the payloads answered with 200, by delivery ID: one
// per time the delivery was received.
func (rc *Receiver) Delivered() map[string][]webhook.Payload {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	out := map[string][]webhook.Payload{}
	for _, a := range rc.attempts {
		if a.Status == http.StatusOK {
			out[a.ID] = append(out[a.ID], a.Payload)
		}
	}
	return out
}

// Wait waits up to d for n attempts and returns them all.
func (rc *Receiver) Wait(n int, d time.Duration) []Attempt {
	rc.t.Helper()
	for deadline := time.Now().Add(d); ; time.Sleep(5 * time.Millisecond) {
		if as := rc.Attempts(); len(as) >= n {
			return as
		}
		if time.Now().After(deadline) {
			rc.t.Fatalf("webhook receiver: %d attempts after %v, want %d", len(rc.Attempts()), d, n)
		}
	}
}
