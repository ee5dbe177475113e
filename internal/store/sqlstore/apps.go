package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/segmentd/segmentd/internal/record"
	"github.com/segmentd/segmentd/internal/store"
)

type appRow struct {
	ID        string `db:"app_id"`
	TimeZone  string `db:"time_zone"`
	CreatedAt dbTime `db:"created_at"`
}

// CreateApp stores a new app; its CreatedAt is set here. record.ErrConflict if the
// ID exists.
func (s *SQL) CreateApp(ctx context.Context, a store.App) (store.App, error) {
	if err := checkID("app ID", a.ID, store.MaxAppIDLen); err != nil {
		return store.App{}, err
	}
	a.CreatedAt = now()
	err := s.write(ctx, func(tx *sqlx.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO apps (app_id, time_zone, created_at) VALUES (?, ?, ?)`,
			a.ID, a.TimeZone, s.timeArg(a.CreatedAt))
		return err
	})
	if isDuplicate(err) {
		return store.App{}, fmt.Errorf("store: app %q already exists: %w", a.ID, record.ErrConflict)
	}
	if err != nil {
		return store.App{}, fmt.Errorf("store: create app %q: %w", a.ID, err)
	}
	return a, nil
}

// GetApp returns an app; record.ErrNotFound if there is none with that ID.
func (s *SQL) GetApp(ctx context.Context, appID string) (store.App, error) {
	var r appRow
	err := s.r.GetContext(ctx, &r, `SELECT app_id, time_zone, created_at FROM apps WHERE app_id = ?`, appID)
	if errors.Is(err, sql.ErrNoRows) {
		return store.App{}, fmt.Errorf("store: app %q: %w", appID, record.ErrNotFound)
	}
	if err != nil {
		return store.App{}, fmt.Errorf("store: get app %q: %w", appID, err)
	}
	return store.App{ID: r.ID, TimeZone: r.TimeZone, CreatedAt: r.CreatedAt.Time}, nil
}

// appExists fails with record.ErrNotFound unless the app exists.
func (s *SQL) appExists(ctx context.Context, tx *sqlx.Tx, appID string) error {
	var one int
	err := tx.GetContext(ctx, &one, `SELECT 1 FROM apps WHERE app_id = ?`, appID)
	if errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("store: app %q: %w", appID, record.ErrNotFound)
	}
	return err
}

type keyRow struct {
	ID         string `db:"key_id"`
	AppID      string `db:"app_id"`
	Name       string `db:"name"`
	Scopes     string `db:"scopes"`
	SecretHash []byte `db:"secret_hash"`
	CreatedAt  dbTime `db:"created_at"`
	LastUsedAt dbTime `db:"last_used_at"`
}

const keyColumns = `key_id, app_id, name, scopes, secret_hash, created_at, last_used_at`

func (r keyRow) key() store.Key {
	return store.Key{ID: r.ID, AppID: r.AppID, Name: r.Name, Scopes: strings.Fields(r.Scopes), SecretHash: r.SecretHash,
		CreatedAt: r.CreatedAt.Time, LastUsedAt: r.LastUsedAt.Time}
}

// CreateKey stores an API key of an existing app (record.ErrNotFound otherwise);
// its CreatedAt is set here. record.ErrConflict if the key ID exists.
func (s *SQL) CreateKey(ctx context.Context, k store.Key) error {
	if err := checkID("key ID", k.ID, store.MaxKeyIDLen); err != nil {
		return err
	}
	if err := checkID("app ID", k.AppID, store.MaxAppIDLen); err != nil {
		return err
	}
	if len(k.SecretHash) == 0 || len(k.SecretHash) > 64 {
		return fmt.Errorf("store: key %q: secret hash of %d bytes: %w", k.ID, len(k.SecretHash), store.ErrInvalid)
	}
	scopes := strings.Join(k.Scopes, " ")
	if len(k.Name) > store.MaxKeyNameLen || len(scopes) > store.MaxKeyNameLen {
		return fmt.Errorf("store: key %q: name or scopes longer than %d bytes: %w", k.ID, store.MaxKeyNameLen, store.ErrInvalid)
	}
	err := s.write(ctx, func(tx *sqlx.Tx) error {
		if err := s.appExists(ctx, tx, k.AppID); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO api_keys (key_id, app_id, name, scopes, secret_hash, created_at) VALUES (?, ?, ?, ?, ?, ?)`,
			k.ID, k.AppID, k.Name, scopes, k.SecretHash, s.timeArg(now()))
		return err
	})
	switch {
	case err == nil:
		return nil
	case errors.Is(err, record.ErrNotFound):
		return err
	case isDuplicate(err):
		return fmt.Errorf("store: key %q already exists: %w", k.ID, record.ErrConflict)
	case isForeignKey(err):
		return fmt.Errorf("store: app %q: %w", k.AppID, record.ErrNotFound)
	}
	return fmt.Errorf("store: create key %q: %w", k.ID, err)
}

// GetKey returns a key by its ID, whatever its app; record.ErrNotFound if none
// (or revoked: a revoked key is deleted).
func (s *SQL) GetKey(ctx context.Context, keyID string) (store.Key, error) {
	var r keyRow
	err := s.r.GetContext(ctx, &r, `SELECT `+keyColumns+` FROM api_keys WHERE key_id = ?`, keyID)
	if errors.Is(err, sql.ErrNoRows) {
		return store.Key{}, fmt.Errorf("store: key %q: %w", keyID, record.ErrNotFound)
	}
	if err != nil {
		return store.Key{}, fmt.Errorf("store: get key %q: %w", keyID, err)
	}
	return r.key(), nil
}

// ListKeys returns the keys of an app, oldest first.
func (s *SQL) ListKeys(ctx context.Context, appID string) ([]store.Key, error) {
	var rows []keyRow
	if err := s.r.SelectContext(ctx, &rows, `SELECT `+keyColumns+` FROM api_keys WHERE app_id = ? ORDER BY created_at, key_id`, appID); err != nil {
		return nil, fmt.Errorf("store: list keys of %q: %w", appID, err)
	}
	keys := make([]store.Key, len(rows))
	for i, r := range rows {
		keys[i] = r.key()
	}
	return keys, nil
}

// DeleteKey revokes a key of the app: record.ErrNotFound if the app has no such
// key (another app's key included).
func (s *SQL) DeleteKey(ctx context.Context, appID, keyID string) error {
	var n int64
	err := s.write(ctx, func(tx *sqlx.Tx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM api_keys WHERE app_id = ? AND key_id = ?`, appID, keyID)
		if err != nil {
			return err
		}
		n, err = res.RowsAffected()
		return err
	})
	if err != nil {
		return fmt.Errorf("store: delete key %q: %w", keyID, err)
	}
	if n == 0 {
		return fmt.Errorf("store: key %q of app %q: %w", keyID, appID, record.ErrNotFound)
	}
	return nil
}

// TouchKey records that the key was used at t.
func (s *SQL) TouchKey(ctx context.Context, keyID string, t time.Time) error {
	err := s.write(ctx, func(tx *sqlx.Tx) error {
		_, err := tx.ExecContext(ctx, `UPDATE api_keys SET last_used_at = ? WHERE key_id = ?`, s.timeArg(t), keyID)
		return err
	})
	if err != nil {
		return fmt.Errorf("store: touch key %q: %w", keyID, err)
	}
	return nil
}

// ListApps returns every app, by ID.
func (s *SQL) ListApps(ctx context.Context) ([]store.App, error) {
	var rows []appRow
	if err := s.r.SelectContext(ctx, &rows, `SELECT app_id, time_zone, created_at FROM apps ORDER BY app_id`); err != nil {
		return nil, fmt.Errorf("store: list apps: %w", err)
	}
	apps := make([]store.App, len(rows))
	for i, r := range rows {
		apps[i] = store.App{ID: r.ID, TimeZone: r.TimeZone, CreatedAt: r.CreatedAt.Time}
	}
	return apps, nil
}
