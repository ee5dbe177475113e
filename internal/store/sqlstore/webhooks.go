package sqlstore

import (
	"context"
	"crypto/rand"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/segmentd/segmentd/internal/record"
	"github.com/segmentd/segmentd/internal/store"
)

// newID returns prefix and 20 random base32 characters (100 bits).
func newID(prefix string) string {
	var b [13]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails
	return prefix + runIDEncoding.EncodeToString(b[:])[:20]
}

const webhookColumns = `webhook_id, app_id, url, events, secret, created_at`

type webhookRow struct {
	ID        string `db:"webhook_id"`
	AppID     string `db:"app_id"`
	URL       string `db:"url"`
	Events    string `db:"events"`
	Secret    string `db:"secret"`
	CreatedAt dbTime `db:"created_at"`
}

func (r webhookRow) webhook() store.Webhook {
	return store.Webhook{ID: r.ID, AppID: r.AppID, URL: r.URL, Events: strings.Fields(r.Events), Secret: r.Secret, CreatedAt: r.CreatedAt.Time}
}

// CreateWebhook stores a webhook of an existing app (record.ErrNotFound
// otherwise) from its AppID, URL, Events and Secret; the store sets its ID
// and CreatedAt.
func (s *SQL) CreateWebhook(ctx context.Context, w store.Webhook) (store.Webhook, error) {
	if err := checkID("app ID", w.AppID, store.MaxAppIDLen); err != nil {
		return store.Webhook{}, err
	}
	if w.URL == "" || w.Secret == "" || len(w.Secret) > 128 || len(w.Events) == 0 {
		return store.Webhook{}, fmt.Errorf("store: webhook without URL, secret or events: %w", store.ErrInvalid)
	}
	w.ID, w.CreatedAt, w.Events = newID("wh_"), now(), slices.Clone(w.Events)
	err := s.write(ctx, func(tx *sqlx.Tx) error {
		if err := s.appExists(ctx, tx, w.AppID); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO webhooks (`+webhookColumns+`) VALUES (?, ?, ?, ?, ?, ?)`,
			w.ID, w.AppID, w.URL, strings.Join(w.Events, " "), w.Secret, s.timeArg(w.CreatedAt))
		return err
	})
	switch {
	case err == nil:
		return w, nil
	case errors.Is(err, record.ErrNotFound):
		return store.Webhook{}, err
	case isForeignKey(err):
		return store.Webhook{}, fmt.Errorf("store: app %q: %w", w.AppID, record.ErrNotFound)
	}
	return store.Webhook{}, fmt.Errorf("store: create webhook: %w", err)
}

// GetWebhook returns a webhook of an app; record.ErrNotFound if the app has
// none with that ID (also when another app has).
func (s *SQL) GetWebhook(ctx context.Context, appID, id string) (store.Webhook, error) {
	var r webhookRow
	err := s.r.GetContext(ctx, &r, `SELECT `+webhookColumns+` FROM webhooks WHERE app_id = ? AND webhook_id = ?`, appID, id)
	if errors.Is(err, sql.ErrNoRows) {
		return store.Webhook{}, fmt.Errorf("store: webhook %q: %w", id, record.ErrNotFound)
	}
	if err != nil {
		return store.Webhook{}, fmt.Errorf("store: get webhook %q: %w", id, err)
	}
	return r.webhook(), nil
}

// ListWebhooks returns an app's webhooks, oldest first.
func (s *SQL) ListWebhooks(ctx context.Context, appID string) ([]store.Webhook, error) {
	var rows []webhookRow
	if err := s.r.SelectContext(ctx, &rows, `SELECT `+webhookColumns+` FROM webhooks WHERE app_id = ? ORDER BY created_at, webhook_id`, appID); err != nil {
		return nil, fmt.Errorf("store: webhooks of %q: %w", appID, err)
	}
	out := make([]store.Webhook, len(rows))
	for i, r := range rows {
		out[i] = r.webhook()
	}
	return out, nil
}

// DeleteWebhook deletes a webhook of the app and its deliveries, pending
// ones included (an attempt in flight is not recorded);
// record.ErrNotFound if the app has no such webhook.
func (s *SQL) DeleteWebhook(ctx context.Context, appID, id string) error {
	var n int64
	err := s.write(ctx, func(tx *sqlx.Tx) error {
		if _, err := tx.ExecContext(ctx, `DELETE FROM webhook_deliveries WHERE app_id = ? AND webhook_id = ?`, appID, id); err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, `DELETE FROM webhooks WHERE app_id = ? AND webhook_id = ?`, appID, id)
		if err != nil {
			return err
		}
		n, err = res.RowsAffected()
		return err
	})
	if err != nil {
		return fmt.Errorf("store: delete webhook %q: %w", id, err)
	}
	if n == 0 {
		return fmt.Errorf("store: webhook %q of app %q: %w", id, appID, record.ErrNotFound)
	}
	return nil
}

// enqueueDeliveries writes, in FinishRun's transaction, a pending delivery
// of the run's event to each of its app's webhooks subscribed to it: the
// outbox row commits with the final state or not at all.
func (s *SQL) enqueueDeliveries(ctx context.Context, tx *sqlx.Tx, r runRow) error {
	event := store.RunEvent(store.RunState(r.State))
	if event == "" {
		return nil
	}
	var hooks []webhookRow
	if err := tx.SelectContext(ctx, &hooks, `SELECT `+webhookColumns+` FROM webhooks WHERE app_id = ? ORDER BY created_at, webhook_id`, r.AppID); err != nil {
		return fmt.Errorf("webhooks of %q: %w", r.AppID, err)
	}
	t := s.timeArg(now())
	for _, h := range hooks {
		if !slices.Contains(strings.Fields(h.Events), event) {
			continue
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO webhook_deliveries (`+deliveryColumns+`)
			VALUES (?, ?, ?, ?, ?, ?, 0, ?, NULL, NULL, NULL, '', NULL, ?, ?, NULL)`,
			newID("dlv_"), h.ID, r.AppID, r.ID, event, store.DeliveryPending, t, t, t); err != nil {
			return fmt.Errorf("delivery to webhook %q: %w", h.ID, err)
		}
	}
	return nil
}

const deliveryColumns = `delivery_id, webhook_id, app_id, run_id, event, state, attempts, next_attempt_at, lease_owner, lease_until, last_status, last_error, payload, created_at, updated_at, finished_at`

type deliveryRow struct {
	ID            string         `db:"delivery_id"`
	WebhookID     string         `db:"webhook_id"`
	AppID         string         `db:"app_id"`
	RunID         string         `db:"run_id"`
	Event         string         `db:"event"`
	State         string         `db:"state"`
	Attempts      int            `db:"attempts"`
	NextAttemptAt dbTime         `db:"next_attempt_at"`
	LeaseOwner    sql.NullString `db:"lease_owner"`
	LeaseUntil    dbTime         `db:"lease_until"`
	LastStatus    sql.NullInt64  `db:"last_status"`
	LastError     string         `db:"last_error"`
	Payload       []byte         `db:"payload"`
	CreatedAt     dbTime         `db:"created_at"`
	UpdatedAt     dbTime         `db:"updated_at"`
	FinishedAt    dbTime         `db:"finished_at"`
}

func (r deliveryRow) delivery() store.Delivery {
	return store.Delivery{
		ID: r.ID, WebhookID: r.WebhookID, AppID: r.AppID, RunID: r.RunID, Event: r.Event,
		State: store.DeliveryState(r.State), Attempts: r.Attempts, NextAttemptAt: r.NextAttemptAt.Time,
		LeaseOwner: r.LeaseOwner.String, LeaseUntil: r.LeaseUntil.Time, LastStatus: int(r.LastStatus.Int64),
		LastError: r.LastError, Payload: r.Payload, CreatedAt: r.CreatedAt.Time, UpdatedAt: r.UpdatedAt.Time, FinishedAt: r.FinishedAt.Time,
	}
}

func (s *SQL) selectDeliveries(ctx context.Context, db sqlx.QueryerContext, q string, args ...any) ([]store.Delivery, error) {
	var rows []deliveryRow
	if err := sqlx.SelectContext(ctx, db, &rows, q, args...); err != nil {
		return nil, err
	}
	out := make([]store.Delivery, len(rows))
	for i, r := range rows {
		out[i] = r.delivery()
	}
	return out, nil
}

// ClaimDeliveries leases up to limit pending deliveries due at now (their
// lease absent or expired) to owner until leaseUntil, and returns them,
// earliest due first. Each is claimed by an UPDATE that checks the lease
// in its WHERE, so two servers never hold one delivery at once; a server
// that dies holding one leaves it to be claimed again once the lease
// expires. owner must be new for each call (a random token).
func (s *SQL) ClaimDeliveries(ctx context.Context, owner string, at, leaseUntil time.Time, limit int) ([]store.Delivery, error) {
	if owner == "" || limit <= 0 {
		return nil, fmt.Errorf("store: claim deliveries: owner %q, limit %d: %w", owner, limit, store.ErrInvalid)
	}
	nowArg := s.timeArg(at)
	var ids []string
	err := s.r.SelectContext(ctx, &ids, `SELECT delivery_id FROM webhook_deliveries
		WHERE state = ? AND next_attempt_at <= ? AND (lease_until IS NULL OR lease_until < ?)
		ORDER BY next_attempt_at, delivery_id LIMIT ?`, store.DeliveryPending, nowArg, nowArg, limit)
	if err != nil {
		return nil, fmt.Errorf("store: due deliveries: %w", err)
	}
	if len(ids) == 0 {
		return []store.Delivery{}, nil
	}
	var claimed []store.Delivery
	err = s.write(ctx, func(tx *sqlx.Tx) error {
		n := 0
		for _, id := range ids {
			res, err := tx.ExecContext(ctx, `UPDATE webhook_deliveries SET lease_owner = ?, lease_until = ?
				WHERE delivery_id = ? AND state = ? AND next_attempt_at <= ? AND (lease_until IS NULL OR lease_until < ?)`,
				owner, s.timeArg(leaseUntil), id, store.DeliveryPending, nowArg, nowArg)
			if err != nil {
				return err
			}
			k, err := res.RowsAffected()
			if err != nil {
				return err
			}
			n += int(k)
		}
		if n == 0 {
			claimed = []store.Delivery{}
			return nil
		}
		var err error
		claimed, err = s.selectDeliveries(ctx, tx, `SELECT `+deliveryColumns+` FROM webhook_deliveries WHERE lease_owner = ? ORDER BY next_attempt_at, delivery_id`, owner)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("store: claim deliveries: %w", err)
	}
	return claimed, nil
}

// RecordAttempt records how an attempt of a delivery ended and releases
// its lease. ok is false, and nothing changes, when a.LeaseOwner no longer
// holds the delivery (its lease expired and another server claimed it, or
// the webhook was deleted).
func (s *SQL) RecordAttempt(ctx context.Context, a store.Attempt) (ok bool, err error) {
	if a.State != store.DeliveryPending && a.State != store.DeliveryDelivered && a.State != store.DeliveryFailed {
		return false, fmt.Errorf("store: delivery %q: state %q: %w", a.DeliveryID, a.State, store.ErrInvalid)
	}
	var status any
	if a.Status != 0 {
		status = a.Status
	}
	var finished any
	if a.State != store.DeliveryPending {
		finished = s.timeArg(a.At)
	}
	next := a.NextAttemptAt
	if next.IsZero() {
		next = a.At
	}
	var payload any
	if a.Payload != nil {
		payload = a.Payload
	}
	var n int64
	err = s.write(ctx, func(tx *sqlx.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE webhook_deliveries SET state = ?, attempts = attempts + 1, next_attempt_at = ?,
			last_status = ?, last_error = ?, payload = COALESCE(payload, ?), updated_at = ?, finished_at = ?, lease_owner = NULL, lease_until = NULL
			WHERE delivery_id = ? AND lease_owner = ? AND state = ?`,
			a.State, s.timeArg(next), status, a.Error, payload, s.timeArg(a.At), finished, a.DeliveryID, a.LeaseOwner, store.DeliveryPending)
		if err != nil {
			return err
		}
		n, err = res.RowsAffected()
		return err
	})
	if err != nil {
		return false, fmt.Errorf("store: record attempt of delivery %q: %w", a.DeliveryID, err)
	}
	return n == 1, nil
}

// ListDeliveries returns a page of a webhook's deliveries, newest first; a
// webhook of another app has none.
func (s *SQL) ListDeliveries(ctx context.Context, appID, webhookID string, page store.DeliveryPage) ([]store.Delivery, error) {
	if page.Limit <= 0 {
		return []store.Delivery{}, nil
	}
	q := `SELECT ` + deliveryColumns + ` FROM webhook_deliveries WHERE app_id = ? AND webhook_id = ?`
	args := []any{appID, webhookID}
	if page.BeforeID != "" {
		before := s.timeArg(page.BeforeCreatedAt)
		q += ` AND (created_at < ? OR (created_at = ? AND delivery_id < ?))`
		args = append(args, before, before, page.BeforeID)
	}
	q += ` ORDER BY created_at DESC, delivery_id DESC LIMIT ?`
	out, err := s.selectDeliveries(ctx, s.r, q, append(args, page.Limit)...)
	if err != nil {
		return nil, fmt.Errorf("store: deliveries of webhook %q: %w", webhookID, err)
	}
	return out, nil
}
