package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"

	"github.com/jmoiron/sqlx"
	"github.com/segmentd/segmentd/internal/record"
	"github.com/segmentd/segmentd/internal/store"
)

// Schema: segments holds one row per live segment with its current version;
// segment_versions every version (immutable); segment_refs the direct
// references of every version. A segment may be deleted while old versions
// of others name it; only current versions keep a reference alive.
//
// Concurrency. SQLite: every write transaction is alone (one writer
// connection, BEGIN IMMEDIATE). MySQL (READ COMMITTED write transactions):
// UpdateSegment and DeleteSegment lock the segment's row FOR UPDATE, so
// updates of one segment are serialised and versions are contiguous;
// CreateSegment and UpdateSegment lock the rows of the segments they
// reference in share mode, and DeleteSegment reads the referrers only once
// it holds the exclusive lock of the row: a reference is either committed
// before the delete looks (409) or checked after the delete committed (404).

const segmentColumns = `s.app_id, s.segment_id, v.version, v.name, v.description, v.tree, v.schedule, s.created_at, v.created_at AS updated_at`

type segmentRow struct {
	AppID       string `db:"app_id"`
	ID          string `db:"segment_id"`
	Version     int    `db:"version"`
	Name        string `db:"name"`
	Description string `db:"description"`
	Tree        string `db:"tree"`
	Schedule    string `db:"schedule"`
	CreatedAt   dbTime `db:"created_at"`
	UpdatedAt   dbTime `db:"updated_at"`
}

func (r segmentRow) segment() store.Segment {
	return store.Segment{
		AppID: r.AppID, ID: r.ID, Version: r.Version,
		Name: r.Name, Description: r.Description, Tree: r.Tree, Schedule: r.Schedule,
		Refs:      []string{},
		CreatedAt: r.CreatedAt.Time, UpdatedAt: r.UpdatedAt.Time,
	}
}

// normRefs sorts and deduplicates references; never nil.
func normRefs(refs []string) []string {
	out := slices.Clone(refs)
	slices.Sort(out)
	out = slices.Compact(out)
	if out == nil {
		out = []string{}
	}
	return out
}

func checkSegment(seg store.Segment) error {
	if err := checkID("app ID", seg.AppID, store.MaxAppIDLen); err != nil {
		return err
	}
	if err := checkID("segment ID", seg.ID, store.MaxSegmentIDLen); err != nil {
		return err
	}
	for _, r := range seg.Refs {
		if err := checkID("referenced segment ID", r, store.MaxSegmentIDLen); err != nil {
			return err
		}
	}
	if len(seg.Schedule) > store.MaxScheduleLen {
		return fmt.Errorf("store: schedule longer than %d bytes: %w", store.MaxScheduleLen, store.ErrInvalid)
	}
	return nil
}

// lockRefs checks that every referenced segment exists in the app and, on
// MySQL, holds share locks on their rows until the transaction ends, so
// that none can be deleted before this one commits.
func (s *SQL) lockRefs(ctx context.Context, tx *sqlx.Tx, appID string, refs []string) error {
	if len(refs) == 0 {
		return nil
	}
	q, args, err := sqlx.In(`SELECT segment_id FROM segments WHERE app_id = ? AND segment_id IN (?) ORDER BY segment_id`+s.d.forShare, appID, refs)
	if err != nil {
		return err
	}
	var found []string
	if err := tx.SelectContext(ctx, &found, q, args...); err != nil {
		return err
	}
	slices.Sort(found)
	var missing []string
	for _, r := range refs {
		if _, ok := slices.BinarySearch(found, r); !ok {
			missing = append(missing, r)
		}
	}
	if len(missing) > 0 {
		return fmt.Errorf("store: segment: %w", &store.MissingRefsError{AppID: appID, IDs: missing})
	}
	return nil
}

func (s *SQL) insertVersion(ctx context.Context, tx *sqlx.Tx, seg store.Segment) error {
	if _, err := tx.ExecContext(ctx, `INSERT INTO segment_versions (app_id, segment_id, version, name, description, tree, schedule, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
		seg.AppID, seg.ID, seg.Version, seg.Name, seg.Description, seg.Tree, seg.Schedule, s.timeArg(seg.UpdatedAt)); err != nil {
		return err
	}
	for _, r := range seg.Refs {
		if _, err := tx.ExecContext(ctx, `INSERT INTO segment_refs (app_id, segment_id, version, ref_id) VALUES (?, ?, ?, ?)`,
			seg.AppID, seg.ID, seg.Version, r); err != nil {
			return err
		}
	}
	return nil
}

// CreateSegment stores version 1 of a new segment whose ID the caller chose.
// record.ErrNotFound if the app or a referenced segment does not exist
// (*MissingRefsError for the latter); record.ErrConflict if the ID exists in the app.
func (s *SQL) CreateSegment(ctx context.Context, seg store.Segment) (store.Segment, error) {
	if err := checkSegment(seg); err != nil {
		return store.Segment{}, err
	}
	seg.Refs = normRefs(seg.Refs)
	seg.Version = 1
	seg.CreatedAt = now()
	seg.UpdatedAt = seg.CreatedAt
	err := s.write(ctx, func(tx *sqlx.Tx) error {
		if err := s.appExists(ctx, tx, seg.AppID); err != nil {
			return err
		}
		var one int
		err := tx.GetContext(ctx, &one, `SELECT 1 FROM segments WHERE app_id = ? AND segment_id = ?`, seg.AppID, seg.ID)
		if err == nil {
			return fmt.Errorf("store: segment %q already exists: %w", seg.ID, record.ErrConflict)
		}
		if !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		if err := s.lockRefs(ctx, tx, seg.AppID, seg.Refs); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO segments (app_id, segment_id, current_version, created_at, updated_at) VALUES (?, ?, 1, ?, ?)`,
			seg.AppID, seg.ID, s.timeArg(seg.CreatedAt), s.timeArg(seg.UpdatedAt)); err != nil {
			if isDuplicate(err) { // created concurrently (MySQL)
				return fmt.Errorf("store: segment %q already exists: %w", seg.ID, record.ErrConflict)
			}
			return err
		}
		return s.insertVersion(ctx, tx, seg)
	})
	if err != nil {
		return store.Segment{}, wrapSegmentErr("create", seg, err)
	}
	return seg, nil
}

// UpdateSegment stores the next version of a segment (name, description,
// tree, refs and schedule replaced); older versions stay readable. record.ErrNotFound if the
// segment or a referenced segment does not exist.
func (s *SQL) UpdateSegment(ctx context.Context, seg store.Segment) (store.Segment, error) {
	if err := checkSegment(seg); err != nil {
		return store.Segment{}, err
	}
	seg.Refs = normRefs(seg.Refs)
	var out store.Segment
	err := s.write(ctx, func(tx *sqlx.Tx) error {
		var cur struct {
			Version   int    `db:"current_version"`
			CreatedAt dbTime `db:"created_at"`
		}
		err := tx.GetContext(ctx, &cur, `SELECT current_version, created_at FROM segments WHERE app_id = ? AND segment_id = ?`+s.d.forUpdate,
			seg.AppID, seg.ID)
		if errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("store: segment %q: %w", seg.ID, record.ErrNotFound)
		}
		if err != nil {
			return err
		}
		if err := s.lockRefs(ctx, tx, seg.AppID, seg.Refs); err != nil {
			return err
		}
		next := seg
		next.Version = cur.Version + 1
		next.CreatedAt = cur.CreatedAt.Time
		next.UpdatedAt = now()
		if next.UpdatedAt.Before(next.CreatedAt) { // clock stepped back
			next.UpdatedAt = next.CreatedAt
		}
		if err := s.insertVersion(ctx, tx, next); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE segments SET current_version = ?, updated_at = ? WHERE app_id = ? AND segment_id = ?`,
			next.Version, s.timeArg(next.UpdatedAt), seg.AppID, seg.ID); err != nil {
			return err
		}
		out = next
		return nil
	})
	if err != nil {
		return store.Segment{}, wrapSegmentErr("update", seg, err)
	}
	return out, nil
}

func wrapSegmentErr(op string, seg store.Segment, err error) error {
	if errors.Is(err, record.ErrNotFound) || errors.Is(err, record.ErrConflict) {
		return err
	}
	if isForeignKey(err) {
		return fmt.Errorf("store: %s segment %q: %w", op, seg.ID, record.ErrNotFound)
	}
	return fmt.Errorf("store: %s segment %q: %w", op, seg.ID, err)
}

// GetSegment returns the current version of a segment with its refs.
func (s *SQL) GetSegment(ctx context.Context, appID, id string) (store.Segment, error) {
	return s.getSegment(ctx, appID, id, 0)
}

// GetSegmentVersion returns one version of a segment; record.ErrNotFound if the
// segment or that version does not exist.
func (s *SQL) GetSegmentVersion(ctx context.Context, appID, id string, version int) (store.Segment, error) {
	if version < 1 {
		return store.Segment{}, fmt.Errorf("store: segment %q version %d: %w", id, version, record.ErrNotFound)
	}
	return s.getSegment(ctx, appID, id, version)
}

// getSegment reads version (0: the current one).
func (s *SQL) getSegment(ctx context.Context, appID, id string, version int) (store.Segment, error) {
	var seg store.Segment
	err := s.read(ctx, func(tx *sqlx.Tx) error {
		var r segmentRow
		var err error
		if version == 0 {
			err = tx.GetContext(ctx, &r, `SELECT `+segmentColumns+` FROM segments s
				JOIN segment_versions v ON v.app_id = s.app_id AND v.segment_id = s.segment_id AND v.version = s.current_version
				WHERE s.app_id = ? AND s.segment_id = ?`, appID, id)
		} else {
			err = tx.GetContext(ctx, &r, `SELECT `+segmentColumns+` FROM segments s
				JOIN segment_versions v ON v.app_id = s.app_id AND v.segment_id = s.segment_id
				WHERE s.app_id = ? AND s.segment_id = ? AND v.version = ?`, appID, id, version)
		}
		if errors.Is(err, sql.ErrNoRows) {
			if version == 0 {
				return fmt.Errorf("store: segment %q: %w", id, record.ErrNotFound)
			}
			return fmt.Errorf("store: segment %q version %d: %w", id, version, record.ErrNotFound)
		}
		if err != nil {
			return err
		}
		seg = r.segment()
		return tx.SelectContext(ctx, &seg.Refs, `SELECT ref_id FROM segment_refs WHERE app_id = ? AND segment_id = ? AND version = ? ORDER BY ref_id`,
			appID, id, seg.Version)
	})
	if err != nil {
		if errors.Is(err, record.ErrNotFound) {
			return store.Segment{}, err
		}
		return store.Segment{}, fmt.Errorf("store: get segment %q: %w", id, err)
	}
	return seg, nil
}

// ListSegments returns the current versions of the app's segments whose ID
// is after the cursor, ascending by ID (byte order), at most limit of them
// (none for limit <= 0).
func (s *SQL) ListSegments(ctx context.Context, appID, after string, limit int) ([]store.Segment, error) {
	segs := []store.Segment{}
	if limit <= 0 {
		return segs, nil
	}
	err := s.read(ctx, func(tx *sqlx.Tx) error {
		var rows []segmentRow
		if err := tx.SelectContext(ctx, &rows, `SELECT `+segmentColumns+` FROM segments s
			JOIN segment_versions v ON v.app_id = s.app_id AND v.segment_id = s.segment_id AND v.version = s.current_version
			WHERE s.app_id = ? AND s.segment_id > ?
			ORDER BY s.segment_id LIMIT ?`, appID, after, limit); err != nil {
			return err
		}
		if len(rows) == 0 {
			return nil
		}
		index := make(map[string]int, len(rows))
		for i, r := range rows {
			segs = append(segs, r.segment())
			index[r.ID] = i
		}
		var refs []struct {
			ID  string `db:"segment_id"`
			Ref string `db:"ref_id"`
		}
		if err := tx.SelectContext(ctx, &refs, `SELECT r.segment_id, r.ref_id FROM segment_refs r
			JOIN segments s ON s.app_id = r.app_id AND s.segment_id = r.segment_id AND s.current_version = r.version
			WHERE r.app_id = ? AND r.segment_id > ? AND r.segment_id <= ?
			ORDER BY r.segment_id, r.ref_id`, appID, after, rows[len(rows)-1].ID); err != nil {
			return err
		}
		for _, r := range refs {
			if i, ok := index[r.ID]; ok {
				segs[i].Refs = append(segs[i].Refs, r.Ref)
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("store: list segments of %q: %w", appID, err)
	}
	return segs, nil
}

// DeleteSegment deletes a segment and all its versions. record.ErrNotFound if it
// does not exist; record.ErrConflict (*ReferencedError, naming the referrers) while
// the current version of another segment references it. The check and the
// delete are one transaction.
func (s *SQL) DeleteSegment(ctx context.Context, appID, id string) error {
	err := s.write(ctx, func(tx *sqlx.Tx) error {
		var one int
		err := tx.GetContext(ctx, &one, `SELECT 1 FROM segments WHERE app_id = ? AND segment_id = ?`+s.d.forUpdate, appID, id)
		if errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("store: segment %q: %w", id, record.ErrNotFound)
		}
		if err != nil {
			return err
		}
		var referrers []string
		if err := tx.SelectContext(ctx, &referrers, `SELECT DISTINCT s.segment_id FROM segment_refs r
			JOIN segments s ON s.app_id = r.app_id AND s.segment_id = r.segment_id AND s.current_version = r.version
			WHERE r.app_id = ? AND r.ref_id = ? AND r.segment_id <> ?
			ORDER BY s.segment_id`, appID, id, id); err != nil {
			return err
		}
		if len(referrers) > 0 {
			return fmt.Errorf("store: delete: %w", &store.ReferencedError{AppID: appID, ID: id, Referrers: referrers})
		}
		for _, q := range []string{
			`DELETE FROM segment_refs WHERE app_id = ? AND segment_id = ?`,
			`DELETE FROM segment_versions WHERE app_id = ? AND segment_id = ?`,
			`DELETE FROM segments WHERE app_id = ? AND segment_id = ?`,
		} {
			if _, err := tx.ExecContext(ctx, q, appID, id); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		if errors.Is(err, record.ErrNotFound) || errors.Is(err, record.ErrConflict) {
			return err
		}
		return fmt.Errorf("store: delete segment %q: %w", id, err)
	}
	return nil
}
