package api

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/segmentd/segmentd/internal/query"
	"github.com/segmentd/segmentd/internal/record"
	"github.com/segmentd/segmentd/internal/snapshot"
	"github.com/segmentd/segmentd/internal/store"
	"github.com/segmentd/segmentd/internal/webhook"
)

// Webhooks (docs/api.md, "Webhooks"): the handlers call webhook.Service;
// the server's webhook.Worker sends the outbox's deliveries. Managing
// them takes the segments scope: a webhook sends what runs of the app's
// segments found.

// newWebhooks builds the webhooks' use cases and worker from the config.
func (s *Server) newWebhooks(cfg webhook.Config) {
	cfg.Store = s.store
	if cfg.Diff == nil {
		cfg.Diff = s.webhookDiff
	}
	// Not s.now, which is the clock of as_of: the outbox's times are the
	// store's, the wall clock.
	if cfg.Logger == nil {
		cfg.Logger = s.log
	}
	s.hooks = webhook.NewService(s.store, cfg.AllowPrivate, nil)
	s.hookWorker = webhook.NewWorker(cfg)
}

// webhookDiff counts who entered and exited a run against the previous
// one: null without one, or when either's members are gone.
func (s *Server) webhookDiff(ctx context.Context, run store.Run) (*int64, *int64, error) {
	d, err := s.svc.Diff(ctx, run.AppID, run.ID, query.Previous)
	if err == nil {
		var e, x int64
		if e, x, err = d.Counts(ctx); err == nil {
			return &e, &x, nil
		}
	}
	if errors.Is(err, record.ErrNotFound) || errors.Is(err, query.ErrPurged) || errors.Is(err, snapshot.ErrNotFound) {
		return nil, nil, nil
	}
	return nil, nil, err
}

type webhookReply struct {
	ID        string    `json:"id"`
	URL       string    `json:"url"`
	Events    []string  `json:"events"`
	CreatedAt time.Time `json:"created_at"`
	Secret    string    `json:"secret,omitempty"` // at creation only
}

func toWebhookReply(w store.Webhook) webhookReply {
	return webhookReply{ID: w.ID, URL: w.URL, Events: w.Events, CreatedAt: w.CreatedAt.UTC(), Secret: w.Secret}
}

func webhookError(err error) error {
	var inv *webhook.InvalidError
	switch {
	case errors.As(err, &inv):
		return errorf(CodeInvalidArgument, "/"+inv.Field, "%s", inv.Reason)
	case errors.Is(err, record.ErrNotFound):
		return errorf(CodeNotFound, "", "no such webhook")
	}
	return err
}

func (s *Server) createWebhook(r *http.Request) (reply, error) {
	app, err := s.app(r)
	if err != nil {
		return reply{}, err
	}
	body, err := readBody(r)
	if err != nil {
		return reply{}, err
	}
	var in struct {
		URL    *string   `json:"url"`
		Events *[]string `json:"events"`
	}
	if err := decodeStrict(body, &in); err != nil {
		return reply{}, err
	}
	if in.URL == nil {
		return reply{}, errorf(CodeInvalidArgument, "/url", "url is required")
	}
	events := store.WebhookEvents
	if in.Events != nil {
		events = *in.Events
	}
	w, err := s.hooks.Create(r.Context(), app.ID, strings.TrimSpace(*in.URL), events)
	if err != nil {
		return reply{}, webhookError(err)
	}
	return created(toWebhookReply(w)), nil
}

func (s *Server) listWebhooks(r *http.Request) (reply, error) {
	app, err := s.app(r)
	if err != nil {
		return reply{}, err
	}
	hooks, err := s.hooks.List(r.Context(), app.ID)
	if err != nil {
		return reply{}, err
	}
	out := struct {
		Webhooks []webhookReply `json:"webhooks"`
	}{Webhooks: []webhookReply{}}
	for _, w := range hooks {
		out.Webhooks = append(out.Webhooks, toWebhookReply(w))
	}
	return ok(out), nil
}

func (s *Server) deleteWebhook(r *http.Request) (reply, error) {
	app, id, err := s.appAnd(r, "id")
	if err != nil {
		return reply{}, err
	}
	if err := s.hooks.Delete(r.Context(), app.ID, id); err != nil {
		return reply{}, webhookError(err)
	}
	return reply{status: http.StatusNoContent}, nil
}

type deliveryReply struct {
	ID            string     `json:"id"`
	Event         string     `json:"event"`
	Run           string     `json:"run"`
	State         string     `json:"state"`
	Attempts      int        `json:"attempts"`
	LastStatus    *int       `json:"last_status"`
	LastError     *string    `json:"last_error"`
	NextAttemptAt *time.Time `json:"next_attempt_at"` // pending only
	CreatedAt     time.Time  `json:"created_at"`
	UpdatedAt     time.Time  `json:"updated_at"`
	FinishedAt    *time.Time `json:"finished_at"`
}

func toDeliveryReply(d store.Delivery) deliveryReply {
	out := deliveryReply{ID: d.ID, Event: d.Event, Run: d.RunID, State: string(d.State), Attempts: d.Attempts,
		CreatedAt: d.CreatedAt.UTC(), UpdatedAt: d.UpdatedAt.UTC()}
	if d.LastStatus != 0 {
		out.LastStatus = &d.LastStatus
	}
	if d.LastError != "" {
		out.LastError = &d.LastError
	}
	if d.State == store.DeliveryPending {
		t := d.NextAttemptAt.UTC()
		out.NextAttemptAt = &t
	}
	if !d.FinishedAt.IsZero() {
		t := d.FinishedAt.UTC()
		out.FinishedAt = &t
	}
	return out
}

// cursorDeliveries tags the cursors of a delivery log: the last
// delivery's created_at and ID.
const cursorDeliveries = "deliveries"

func (s *Server) listDeliveries(r *http.Request) (reply, error) {
	app, id, err := s.appAnd(r, "id")
	if err != nil {
		return reply{}, err
	}
	limit, err := queryLimit(r, defaultListLimit, maxListLimit)
	if err != nil {
		return reply{}, err
	}
	c, err := queryCursor(r, cursorDeliveries)
	if err != nil {
		return reply{}, err
	}
	page := store.DeliveryPage{Limit: limit + 1}
	if c != "" {
		at, last, ok := strings.Cut(c, " ")
		t, err := time.Parse(time.RFC3339Nano, at)
		if !ok || err != nil || last == "" {
			return reply{}, errorf(CodeInvalidArgument, "/cursor", "the cursor is not one this list returned")
		}
		page.BeforeCreatedAt, page.BeforeID = t, last
	}
	ds, err := s.hooks.Deliveries(r.Context(), app.ID, id, page)
	if err != nil {
		return reply{}, webhookError(err)
	}
	out := struct {
		Deliveries []deliveryReply `json:"deliveries"`
		NextCursor string          `json:"next_cursor,omitempty"`
	}{Deliveries: []deliveryReply{}}
	if len(ds) > limit {
		ds = ds[:limit]
		last := ds[limit-1]
		out.NextCursor = encodeCursor(cursorDeliveries, last.CreatedAt.UTC().Format(time.RFC3339Nano)+" "+last.ID)
	}
	for _, d := range ds {
		out.Deliveries = append(out.Deliveries, toDeliveryReply(d))
	}
	return ok(out), nil
}
