package webhook

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"sync"
	"time"

	"github.com/segmentd/segmentd/internal/record"
	"github.com/segmentd/segmentd/internal/store"
)

// Payload is the JSON body of a delivery.
type Payload struct {
	ID        string    `json:"id"` // the delivery's: its idempotency key
	Event     string    `json:"event"`
	App       string    `json:"app"`
	Run       string    `json:"run"`
	SegmentID string    `json:"segment_id"`
	Version   int       `json:"version"`
	AsOf      time.Time `json:"as_of"`
	// Count is the members of a succeeded run, null for a failed one.
	Count *int64 `json:"count"`
	// Entered and Exited are the diff against the segment's previous
	// succeeded run; null without one (or for a failed run).
	Entered *int64 `json:"entered"`
	Exited  *int64 `json:"exited"`
	// Error is why a run failed; null for a succeeded one.
	Error *string `json:"error"`
	Links Links   `json:"links"`
}

// Links are the API paths of the run's members and diff.
type Links struct {
	Run     string `json:"run"`
	Members string `json:"members"`
	Diff    string `json:"diff"`
}

// DiffFunc counts who entered and exited a succeeded run against the
// segment's previous one: nil counts when there is none (or its members
// are gone), an error when they could not be read now (the attempt is
// tried again).
type DiffFunc func(ctx context.Context, run store.Run) (entered, exited *int64, err error)

// Config configures a Worker. Zero values are the defaults.
type Config struct {
	Store Store // required
	// Diff fills entered and exited; nil leaves them null.
	Diff DiffFunc
	// AllowPrivate lets deliveries reach private addresses (Dialer).
	AllowPrivate bool
	// Client sends the deliveries (default NewClient(AllowPrivate,
	// Timeout)).
	Client *http.Client
	// Timeout bounds one attempt (default 10s).
	Timeout time.Duration
	// Backoff is the wait after the first failed attempt, doubled after
	// each one (default 10s); MaxAttempts (default 8) and MaxAge (since
	// the delivery was written, default 24h) bound the attempts: then it
	// is failed.
	Backoff     time.Duration
	MaxAttempts int
	MaxAge      time.Duration
	// Lease is how long a claimed delivery is this worker's (default 1m;
	// at least twice Timeout): a server that dies holding one leaves it to
	// the others after that.
	Lease time.Duration
	// Poll is how often the outbox is read for due deliveries (default
	// 1s); Batch how many are claimed at once and sent in parallel
	// (default 16).
	Poll  time.Duration
	Batch int
	// Now is the clock (default time.Now).
	Now    func() time.Time
	Logger *slog.Logger
}

func (c *Config) defaults() {
	if c.Timeout <= 0 {
		c.Timeout = 10 * time.Second
	}
	if c.Backoff <= 0 {
		c.Backoff = 10 * time.Second
	}
	if c.MaxAttempts <= 0 {
		c.MaxAttempts = 8
	}
	if c.MaxAge <= 0 {
		c.MaxAge = 24 * time.Hour
	}
	if c.Lease <= 0 {
		c.Lease = time.Minute
	}
	c.Lease = max(c.Lease, 2*c.Timeout)
	if c.Poll <= 0 {
		c.Poll = time.Second
	}
	if c.Batch <= 0 {
		c.Batch = 16
	}
	if c.Client == nil {
		c.Client = NewClient(c.AllowPrivate, c.Timeout)
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
}

// Delay is the wait after the n-th failed attempt (n ≥ 1): backoff
// doubled n-1 times.
func Delay(backoff time.Duration, n int) time.Duration {
	d := backoff
	for i := 1; i < n && d < 24*time.Hour; i++ {
		d *= 2
	}
	return d
}

// Worker sends the deliveries of the store's outbox: it claims the due
// ones with a lease, sends each signed, and records the attempt (delivered
// on a 2xx, pending again after Delay otherwise, failed once the attempts
// or the age are spent). Several workers, in one process or many, may
// share a store: a delivery is claimed by one at a time, so it is sent at
// least once and twice only when a worker stops between sending it and
// recording that (then its lease expires and another sends it again).
type Worker struct {
	cfg    Config
	cancel context.CancelFunc
	done   chan struct{}
	once   sync.Once
}

// NewWorker makes a Worker; Start starts it.
func NewWorker(cfg Config) *Worker {
	cfg.defaults()
	return &Worker{cfg: cfg}
}

// Start starts the worker's loop in the background (none without a
// Store).
func (w *Worker) Start() {
	if w.cfg.Store == nil {
		return
	}
	ctx, cancel := context.WithCancel(context.Background())
	w.cancel, w.done = cancel, make(chan struct{})
	go func() {
		defer close(w.done)
		w.loop(ctx)
	}()
}

// Shutdown stops claiming and waits, until ctx ends, for the attempts in
// flight, which are recorded; a delivery whose attempt outlives ctx keeps
// its lease until it expires.
func (w *Worker) Shutdown(ctx context.Context) error {
	if w.cancel == nil {
		return nil
	}
	w.once.Do(w.cancel)
	select {
	case <-w.done:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("webhook: shutdown: %w", ctx.Err())
	}
}

func (w *Worker) loop(ctx context.Context) {
	t := time.NewTicker(w.cfg.Poll)
	defer t.Stop()
	for {
		n, err := w.RunOnce(ctx)
		if err != nil && ctx.Err() == nil {
			w.cfg.Logger.Warn("webhook: claiming deliveries", "err", err)
		}
		if n == w.cfg.Batch && err == nil {
			continue // more may be due
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// RunOnce claims the due deliveries (up to Batch), sends them in parallel
// and records each attempt; it returns how many it claimed. Attempts in
// flight finish and are recorded even if ctx ends (each is bounded by
// Timeout).
func (w *Worker) RunOnce(ctx context.Context) (int, error) {
	if ctx.Err() != nil {
		return 0, ctx.Err()
	}
	owner := newOwner()
	now := w.cfg.Now()
	ds, err := w.cfg.Store.ClaimDeliveries(ctx, owner, now, now.Add(w.cfg.Lease), w.cfg.Batch)
	if err != nil {
		return 0, err
	}
	var wg sync.WaitGroup
	for _, d := range ds {
		wg.Go(func() { w.attempt(d) })
	}
	wg.Wait()
	return len(ds), nil
}

func newOwner() string {
	b := make([]byte, 12)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// attempt sends a claimed delivery once and records how it went.
func (w *Worker) attempt(d store.Delivery) {
	// Not the loop's context: an attempt begun is finished and recorded.
	ctx, cancel := context.WithTimeout(context.Background(), 3*w.cfg.Timeout)
	defer cancel()
	log := w.cfg.Logger.With("app", d.AppID, "webhook", d.WebhookID, "delivery", d.ID, "run", d.RunID)
	hook, err := w.cfg.Store.GetWebhook(ctx, d.AppID, d.WebhookID)
	if errors.Is(err, record.ErrNotFound) {
		return // deleted with its deliveries meanwhile
	}
	a := store.Attempt{DeliveryID: d.ID, LeaseOwner: d.LeaseOwner}
	body := d.Payload
	if err == nil && body == nil {
		body, err = w.payload(ctx, d)
		a.Payload = body
	}
	if err != nil {
		a.Error = "preparing the delivery failed: " + err.Error()
		log.Warn("webhook: preparing a delivery", "err", err)
	} else {
		a.Status, a.Error = w.send(ctx, hook, d, body)
	}
	a.At = w.cfg.Now()
	switch n := d.Attempts + 1; {
	case a.Error == "":
		a.State = store.DeliveryDelivered
	case n >= w.cfg.MaxAttempts:
		a.State = store.DeliveryFailed
	default:
		a.State, a.NextAttemptAt = store.DeliveryPending, a.At.Add(Delay(w.cfg.Backoff, n))
		if a.NextAttemptAt.Sub(d.CreatedAt) > w.cfg.MaxAge {
			a.State, a.NextAttemptAt = store.DeliveryFailed, time.Time{}
		}
	}
	if ok, err := w.cfg.Store.RecordAttempt(ctx, a); err != nil {
		log.Error("webhook: recording an attempt", "err", err)
	} else if !ok {
		log.Warn("webhook: the delivery's lease was lost before its attempt was recorded")
	}
	if a.State == store.DeliveryFailed {
		log.Warn("webhook: delivery failed", "attempts", d.Attempts+1, "status", a.Status, "err", a.Error)
	}
}

// payload builds the body of a delivery from its run.
func (w *Worker) payload(ctx context.Context, d store.Delivery) ([]byte, error) {
	run, err := w.cfg.Store.GetRun(ctx, d.AppID, d.RunID)
	if err != nil {
		return nil, err
	}
	app, id := url.PathEscape(d.AppID), url.PathEscape(run.ID)
	p := Payload{ID: d.ID, Event: d.Event, App: d.AppID, Run: run.ID, SegmentID: run.SegmentID, Version: run.Version,
		AsOf: run.AsOf.UTC(), Count: run.Count,
		Links: Links{
			Run:     "/v1/apps/" + app + "/runs/" + id,
			Members: "/v1/apps/" + app + "/runs/" + id + "/members.txt",
			Diff:    "/v1/apps/" + app + "/runs/" + id + "/diff",
		}}
	if run.Error != "" {
		p.Error = &run.Error
	}
	if run.State == store.RunSucceeded && w.cfg.Diff != nil {
		if p.Entered, p.Exited, err = w.cfg.Diff(ctx, run); err != nil {
			return nil, err
		}
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(p); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}

// send POSTs a body to the webhook, signed now; it returns the status and,
// unless it is 2xx, why the attempt failed.
func (w *Worker) send(ctx context.Context, hook store.Webhook, d store.Delivery, body []byte) (int, string) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, hook.URL, bytes.NewReader(body))
	if err != nil {
		return 0, err.Error()
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "segmentd-webhooks/1")
	req.Header.Set(SignatureHeader, Sign(hook.Secret, w.cfg.Now(), body))
	req.Header.Set(DeliveryHeader, d.ID)
	req.Header.Set(EventHeader, d.Event)
	resp, err := w.cfg.Client.Do(req)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err // the URL is the webhook's, already known
		}
		return 0, err.Error()
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return resp.StatusCode, "the receiver answered " + resp.Status
	}
	return resp.StatusCode, ""
}
