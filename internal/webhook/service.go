package webhook

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/segmentd/segmentd/internal/store"
)

// Store is what webhooks are kept in: the webhooks, the outbox of their
// deliveries and the runs they tell of (*sqlstore.SQL).
type Store interface {
	CreateWebhook(ctx context.Context, w store.Webhook) (store.Webhook, error)
	GetWebhook(ctx context.Context, appID, id string) (store.Webhook, error)
	ListWebhooks(ctx context.Context, appID string) ([]store.Webhook, error)
	DeleteWebhook(ctx context.Context, appID, id string) error
	ListDeliveries(ctx context.Context, appID, webhookID string, page store.DeliveryPage) ([]store.Delivery, error)
	ClaimDeliveries(ctx context.Context, owner string, at, leaseUntil time.Time, limit int) ([]store.Delivery, error)
	RecordAttempt(ctx context.Context, a store.Attempt) (bool, error)
	GetRun(ctx context.Context, appID, runID string) (store.Run, error)
}

// InvalidError is a webhook the Service refuses to make: Field is the
// request's field (url, events, events/<i>), Reason why, for the user.
type InvalidError struct {
	Field, Reason string
}

func (e *InvalidError) Error() string { return e.Field + ": " + e.Reason }

// SecretPrefix begins every secret, so that one is recognised in a leak.
const SecretPrefix = "whsec_"

// NewSecret returns a new signing secret: SecretPrefix and 32 random
// bytes, base64url.
func NewSecret() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b) // crypto/rand.Read never fails
	return SecretPrefix + base64.RawURLEncoding.EncodeToString(b)
}

// Service is the webhooks' use cases of the API.
type Service struct {
	st           Store
	allowPrivate bool
	resolver     Resolver
}

// NewService makes the Service; allowPrivate lets webhooks reach private
// addresses (CheckURL); a nil resolver is net.DefaultResolver.
func NewService(st Store, allowPrivate bool, r Resolver) *Service {
	return &Service{st: st, allowPrivate: allowPrivate, resolver: r}
}

// Create checks a webhook (its URL by CheckURL, its events among
// store.WebhookEvents, at least one, none twice) and stores it with a new
// secret: the returned webhook carries the secret, which the caller shows
// once.
func (s *Service) Create(ctx context.Context, appID, rawURL string, events []string) (store.Webhook, error) {
	if len(events) == 0 {
		return store.Webhook{}, &InvalidError{"events", fmt.Sprintf("events must name at least one of %q", store.WebhookEvents)}
	}
	for i, e := range events {
		if !slices.Contains(store.WebhookEvents, e) {
			return store.Webhook{}, &InvalidError{fmt.Sprintf("events/%d", i), fmt.Sprintf("unknown event %q: want one of %q", e, store.WebhookEvents)}
		}
		if slices.Contains(events[:i], e) {
			return store.Webhook{}, &InvalidError{fmt.Sprintf("events/%d", i), fmt.Sprintf("event %q is listed twice", e)}
		}
	}
	if err := CheckURL(ctx, rawURL, s.allowPrivate, s.resolver); err != nil {
		var ue *URLError
		if errors.As(err, &ue) {
			return store.Webhook{}, &InvalidError{"url", ue.Reason}
		}
		return store.Webhook{}, err
	}
	return s.st.CreateWebhook(ctx, store.Webhook{AppID: appID, URL: rawURL, Events: events, Secret: NewSecret()})
}

// List returns the app's webhooks, their secrets blanked.
func (s *Service) List(ctx context.Context, appID string) ([]store.Webhook, error) {
	hooks, err := s.st.ListWebhooks(ctx, appID)
	for i := range hooks {
		hooks[i].Secret = ""
	}
	return hooks, err
}

// Get returns a webhook of the app, its secret blanked
// (record.ErrNotFound if the app has none with that ID).
func (s *Service) Get(ctx context.Context, appID, id string) (store.Webhook, error) {
	w, err := s.st.GetWebhook(ctx, appID, id)
	w.Secret = ""
	return w, err
}

// Delete deletes a webhook of the app and its deliveries.
func (s *Service) Delete(ctx context.Context, appID, id string) error {
	return s.st.DeleteWebhook(ctx, appID, id)
}

// Deliveries returns a page of a webhook's delivery log, newest first
// (record.ErrNotFound if the app has no such webhook).
func (s *Service) Deliveries(ctx context.Context, appID, id string, page store.DeliveryPage) ([]store.Delivery, error) {
	if _, err := s.st.GetWebhook(ctx, appID, id); err != nil {
		return nil, err
	}
	return s.st.ListDeliveries(ctx, appID, id, page)
}
