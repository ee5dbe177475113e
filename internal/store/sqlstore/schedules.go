package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/segmentd/segmentd/internal/record"
	"github.com/segmentd/segmentd/internal/store"
)

// Schedules (migration 0007): schedule_slots holds one row per claimed slot
// (primary key app, segment, slot), so that several servers claim a slot
// once; its run is created by the conditional UPDATE that sets run_id, so
// once. A run's lease (runs.lease_until) is renewed by the server that
// queued or runs it; a run whose lease has passed is taken by another.

// closedSlot is the run_id of a slot that will have no run.
const closedSlot = ""

// leaseTime is a lease as stored: microseconds, zero for none.
func leaseTime(t time.Time) time.Time {
	if t.IsZero() {
		return t
	}
	return t.UTC().Truncate(time.Microsecond)
}

// ListScheduledSegments returns the current version of every segment of
// every app that has a schedule, ordered by app and ID, with its refs.
func (s *SQL) ListScheduledSegments(ctx context.Context) ([]store.Segment, error) {
	segs := []store.Segment{}
	err := s.read(ctx, func(tx *sqlx.Tx) error {
		var rows []segmentRow
		if err := tx.SelectContext(ctx, &rows, `SELECT `+segmentColumns+` FROM segments s
			JOIN segment_versions v ON v.app_id = s.app_id AND v.segment_id = s.segment_id AND v.version = s.current_version
			WHERE v.schedule <> '' ORDER BY s.app_id, s.segment_id`); err != nil {
			return err
		}
		for _, r := range rows {
			seg := r.segment()
			if err := tx.SelectContext(ctx, &seg.Refs, `SELECT ref_id FROM segment_refs WHERE app_id = ? AND segment_id = ? AND version = ? ORDER BY ref_id`,
				seg.AppID, seg.ID, seg.Version); err != nil {
				return err
			}
			segs = append(segs, seg)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("store: scheduled segments: %w", err)
	}
	return segs, nil
}

// SegmentRefs returns the direct references of the current version of
// every segment of the app that references any: ID → refs, ascending.
func (s *SQL) SegmentRefs(ctx context.Context, appID string) (map[string][]string, error) {
	var rows []struct {
		ID  string `db:"segment_id"`
		Ref string `db:"ref_id"`
	}
	if err := s.r.SelectContext(ctx, &rows, `SELECT r.segment_id, r.ref_id FROM segment_refs r
		JOIN segments s ON s.app_id = r.app_id AND s.segment_id = r.segment_id AND s.current_version = r.version
		WHERE r.app_id = ? ORDER BY r.segment_id, r.ref_id`, appID); err != nil {
		return nil, fmt.Errorf("store: references of %q: %w", appID, err)
	}
	out := map[string][]string{}
	for _, r := range rows {
		out[r.ID] = append(out[r.ID], r.Ref)
	}
	return out, nil
}

type slotRow struct {
	AppID     string         `db:"app_id"`
	SegmentID string         `db:"segment_id"`
	Slot      dbTime         `db:"slot"`
	Deps      string         `db:"deps"`
	RunID     sql.NullString `db:"run_id"`
	CreatedAt dbTime         `db:"created_at"`
}

const slotColumns = `app_id, segment_id, slot, deps, run_id, created_at`

func (r slotRow) slot() (store.Slot, error) {
	sl := store.Slot{AppID: r.AppID, SegmentID: r.SegmentID, Slot: r.Slot.Time, RunID: r.RunID.String,
		Closed: r.RunID.Valid && r.RunID.String == closedSlot, CreatedAt: r.CreatedAt.Time}
	if err := json.Unmarshal([]byte(r.Deps), &sl.Deps); err != nil {
		return store.Slot{}, fmt.Errorf("slot of %q at %v: deps: %w", r.SegmentID, sl.Slot, err)
	}
	for i := range sl.Deps {
		sl.Deps[i].Slot = sl.Deps[i].Slot.UTC()
	}
	return sl, nil
}

// ClaimSlot records the slot (AppID, SegmentID, Slot, Deps) unless it is
// recorded already: claimed is true for the one caller that recorded it,
// whatever the number of servers.
func (s *SQL) ClaimSlot(ctx context.Context, sl store.Slot) (claimed bool, err error) {
	if err := checkID("app ID", sl.AppID, store.MaxAppIDLen); err != nil {
		return false, err
	}
	if err := checkID("segment ID", sl.SegmentID, store.MaxSegmentIDLen); err != nil {
		return false, err
	}
	deps := sl.Deps
	if deps == nil {
		deps = []store.SlotRef{}
	}
	for i := range deps {
		deps[i].Slot = deps[i].Slot.UTC().Truncate(time.Microsecond)
	}
	b, err := json.Marshal(deps)
	if err != nil {
		return false, err
	}
	_, err = s.w.ExecContext(ctx, `INSERT INTO schedule_slots (`+slotColumns+`) VALUES (?, ?, ?, ?, NULL, ?)`,
		sl.AppID, sl.SegmentID, s.timeArg(sl.Slot), string(b), s.timeArg(now()))
	switch {
	case err == nil:
		return true, nil
	case isDuplicate(err):
		return false, nil
	case isForeignKey(err):
		return false, fmt.Errorf("store: app %q: %w", sl.AppID, record.ErrNotFound)
	}
	return false, fmt.Errorf("store: claim slot of %q at %v: %w", sl.SegmentID, sl.Slot, err)
}

// GetSlot returns a claimed slot; record.ErrNotFound if it is not claimed.
func (s *SQL) GetSlot(ctx context.Context, appID, segmentID string, slot time.Time) (store.Slot, error) {
	var r slotRow
	err := s.r.GetContext(ctx, &r, `SELECT `+slotColumns+` FROM schedule_slots WHERE app_id = ? AND segment_id = ? AND slot = ?`,
		appID, segmentID, s.timeArg(slot))
	if errors.Is(err, sql.ErrNoRows) {
		return store.Slot{}, fmt.Errorf("store: slot of %q at %v: %w", segmentID, slot, record.ErrNotFound)
	}
	if err != nil {
		return store.Slot{}, fmt.Errorf("store: slot of %q at %v: %w", segmentID, slot, err)
	}
	return r.slot()
}

// WaitingSlots returns the claimed slots that have no run yet and are not
// closed, oldest claim first.
func (s *SQL) WaitingSlots(ctx context.Context) ([]store.Slot, error) {
	var rows []slotRow
	if err := s.r.SelectContext(ctx, &rows, `SELECT `+slotColumns+` FROM schedule_slots WHERE run_id IS NULL ORDER BY created_at, app_id, segment_id`); err != nil {
		return nil, fmt.Errorf("store: waiting slots: %w", err)
	}
	out := make([]store.Slot, 0, len(rows))
	for _, r := range rows {
		sl, err := r.slot()
		if err != nil {
			return nil, fmt.Errorf("store: %w", err)
		}
		out = append(out, sl)
	}
	return out, nil
}

// CreateSlotRun creates the slot's run, once: a queued run from r's
// SegmentID, Version, Key and LeaseUntil, with AsOf the slot and Scheduled
// set. created is false, and the run already created for the slot is
// returned, when another caller created it first (a zero Run if the slot
// was closed). record.ErrNotFound if the slot is not claimed.
func (s *SQL) CreateSlotRun(ctx context.Context, sl store.Slot, r store.Run) (run store.Run, created bool, err error) {
	if err := checkID("run key", r.Key, store.MaxRunKeyLen); err != nil {
		return store.Run{}, false, err
	}
	if r.Version < 1 {
		return store.Run{}, false, fmt.Errorf("store: run of slot %q at %v: version %d: %w", sl.SegmentID, sl.Slot, r.Version, store.ErrInvalid)
	}
	r = store.Run{
		ID: newRunID(), AppID: sl.AppID, SegmentID: sl.SegmentID, Version: r.Version,
		State: store.RunQueued, AsOf: sl.Slot.UTC().Truncate(time.Microsecond), Key: r.Key, CreatedAt: now(),
		Scheduled: true, LeaseUntil: leaseTime(r.LeaseUntil),
	}
	var existing string
	err = s.write(ctx, func(tx *sqlx.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE schedule_slots SET run_id = ? WHERE app_id = ? AND segment_id = ? AND slot = ? AND run_id IS NULL`,
			r.ID, sl.AppID, sl.SegmentID, s.timeArg(sl.Slot))
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil || n == 1 {
			if err != nil {
				return err
			}
			created = true
			_, err = tx.ExecContext(ctx, `INSERT INTO runs (`+runColumns+`) VALUES (?, ?, ?, ?, ?, 0, NULL, ?, NULL, '', ?, '', ?, NULL, NULL, NULL, 1, ?)`,
				r.ID, r.AppID, r.SegmentID, r.Version, r.State, s.timeArg(r.AsOf), r.Key, s.timeArg(r.CreatedAt), s.nullTimeArg(r.LeaseUntil))
			return err
		}
		created = false
		var id sql.NullString
		err = tx.GetContext(ctx, &id, `SELECT run_id FROM schedule_slots WHERE app_id = ? AND segment_id = ? AND slot = ?`,
			sl.AppID, sl.SegmentID, s.timeArg(sl.Slot))
		if errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("store: slot of %q at %v: %w", sl.SegmentID, sl.Slot, record.ErrNotFound)
		}
		existing = id.String
		return err
	})
	if err != nil {
		if errors.Is(err, record.ErrNotFound) {
			return store.Run{}, false, err
		}
		return store.Run{}, false, fmt.Errorf("store: create run of slot %q at %v: %w", sl.SegmentID, sl.Slot, err)
	}
	if created {
		return r, true, nil
	}
	if existing == closedSlot {
		return store.Run{}, false, nil
	}
	run, err = s.GetRun(ctx, sl.AppID, existing)
	return run, false, err
}

// CloseSlot records that a waiting slot will have no run (its segment was
// deleted); ok is false when it had a run or was closed already.
func (s *SQL) CloseSlot(ctx context.Context, sl store.Slot) (ok bool, err error) {
	res, err := s.w.ExecContext(ctx, `UPDATE schedule_slots SET run_id = ? WHERE app_id = ? AND segment_id = ? AND slot = ? AND run_id IS NULL`,
		closedSlot, sl.AppID, sl.SegmentID, s.timeArg(sl.Slot))
	if err != nil {
		return false, fmt.Errorf("store: close slot of %q at %v: %w", sl.SegmentID, sl.Slot, err)
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

// RenewRunLeases sets the lease of the runs that are still queued or
// running to until (zero: no lease, any server may take them now).
func (s *SQL) RenewRunLeases(ctx context.Context, runIDs []string, until time.Time) error {
	if len(runIDs) == 0 {
		return nil
	}
	q, args, err := sqlx.In(`UPDATE runs SET lease_until = ? WHERE run_id IN (?) AND state IN (?, ?)`,
		s.nullTimeArg(until), runIDs, store.RunQueued, store.RunRunning)
	if err == nil {
		_, err = s.w.ExecContext(ctx, q, args...)
	}
	if err != nil {
		return fmt.Errorf("store: renew leases: %w", err)
	}
	return nil
}

// TakeExpiredRuns takes, for the caller, the queued and running runs whose
// lease ended before now (or who have none), oldest first, at most limit:
// each becomes queued, progress 0, leased until until. A run is taken by
// one caller only (the UPDATE checks the lease again).
func (s *SQL) TakeExpiredRuns(ctx context.Context, now, until time.Time, limit int) ([]store.Run, error) {
	cands, err := s.selectRuns(ctx, `SELECT `+runColumns+` FROM runs
		WHERE state IN (?, ?) AND (lease_until IS NULL OR lease_until < ?)
		ORDER BY created_at, run_id LIMIT ?`, store.RunQueued, store.RunRunning, s.timeArg(now), limit)
	if err != nil {
		return nil, fmt.Errorf("store: expired runs: %w", err)
	}
	taken := []store.Run{}
	for _, r := range cands {
		res, err := s.w.ExecContext(ctx, `UPDATE runs SET state = ?, progress = 0, started_at = NULL, lease_until = ?
			WHERE run_id = ? AND state IN (?, ?) AND (lease_until IS NULL OR lease_until < ?)`,
			store.RunQueued, s.timeArg(until), r.ID, store.RunQueued, store.RunRunning, s.timeArg(now))
		if err != nil {
			return nil, fmt.Errorf("store: take run %q: %w", r.ID, err)
		}
		if n, err := res.RowsAffected(); err != nil || n != 1 {
			continue
		}
		r.State, r.Progress, r.StartedAt, r.LeaseUntil = store.RunQueued, 0, time.Time{}, leaseTime(until)
		taken = append(taken, r)
	}
	return taken, nil
}
