package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/segmentd/segmentd/internal/record"
	"github.com/segmentd/segmentd/internal/store"
)

// GetCompaction returns the app's compaction state; record.ErrNotFound before the
// first compaction.
func (s *SQL) GetCompaction(ctx context.Context, appID string) (store.Compaction, error) {
	var row struct {
		Boundary string `db:"boundary"`
		Cleaned  string `db:"cleaned"`
	}
	err := s.r.GetContext(ctx, &row, `SELECT boundary, cleaned FROM compactions WHERE app_id = ?`, appID)
	if errors.Is(err, sql.ErrNoRows) {
		return store.Compaction{}, fmt.Errorf("store: compaction of %q: %w", appID, record.ErrNotFound)
	}
	if err != nil {
		return store.Compaction{}, fmt.Errorf("store: compaction of %q: %w", appID, err)
	}
	c := store.Compaction{AppID: appID}
	if c.Boundary, err = time.Parse(time.DateOnly, row.Boundary); err == nil {
		c.Cleaned, err = time.Parse(time.DateOnly, row.Cleaned)
	}
	return c, err
}

// SetCompaction records the app's compaction state. It never moves either
// day back: a compaction that finishes late cannot undo a newer one.
func (s *SQL) SetCompaction(ctx context.Context, c store.Compaction) error {
	return s.write(ctx, func(tx *sqlx.Tx) error {
		var old struct {
			Boundary string `db:"boundary"`
			Cleaned  string `db:"cleaned"`
		}
		b, cl := c.Boundary.Format(time.DateOnly), c.Cleaned.Format(time.DateOnly)
		err := tx.GetContext(ctx, &old, `SELECT boundary, cleaned FROM compactions WHERE app_id = ?`+s.d.forUpdate, c.AppID)
		if errors.Is(err, sql.ErrNoRows) {
			_, err = tx.ExecContext(ctx, `INSERT INTO compactions (app_id, boundary, cleaned) VALUES (?, ?, ?)`, c.AppID, b, cl)
			return err
		}
		if err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `UPDATE compactions SET boundary = ?, cleaned = ? WHERE app_id = ?`,
			max(b, old.Boundary), max(cl, old.Cleaned), c.AppID)
		return err
	})
}
