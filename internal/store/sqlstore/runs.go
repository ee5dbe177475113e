package sqlstore

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/base32"
	"errors"
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/segmentd/segmentd/internal/record"
	"github.com/segmentd/segmentd/internal/store"
)

const runColumns = `run_id, app_id, segment_id, version, state, progress, member_count, as_of, watermark, error, dedupe_key, snapshot, created_at, started_at, finished_at, purged_at, scheduled, lease_until`

type runRow struct {
	ID         string        `db:"run_id"`
	AppID      string        `db:"app_id"`
	SegmentID  string        `db:"segment_id"`
	Version    int           `db:"version"`
	State      string        `db:"state"`
	Progress   float64       `db:"progress"`
	Count      sql.NullInt64 `db:"member_count"`
	AsOf       dbTime        `db:"as_of"`
	Watermark  dbTime        `db:"watermark"`
	Error      string        `db:"error"`
	Key        string        `db:"dedupe_key"`
	Snapshot   string        `db:"snapshot"`
	CreatedAt  dbTime        `db:"created_at"`
	StartedAt  dbTime        `db:"started_at"`
	FinishedAt dbTime        `db:"finished_at"`
	PurgedAt   dbTime        `db:"purged_at"`
	Scheduled  bool          `db:"scheduled"`
	LeaseUntil dbTime        `db:"lease_until"`
}

func (r runRow) run() store.Run {
	run := store.Run{
		ID: r.ID, AppID: r.AppID, SegmentID: r.SegmentID, Version: r.Version,
		State: store.RunState(r.State), Progress: r.Progress,
		AsOf: r.AsOf.Time, Watermark: r.Watermark.Time,
		Error: r.Error, Key: r.Key, Snapshot: r.Snapshot,
		CreatedAt: r.CreatedAt.Time, StartedAt: r.StartedAt.Time, FinishedAt: r.FinishedAt.Time, PurgedAt: r.PurgedAt.Time,
		Scheduled: r.Scheduled, LeaseUntil: r.LeaseUntil.Time,
	}
	if r.Count.Valid {
		run.Count = &r.Count.Int64
	}
	return run
}

// nullTimeArg is timeArg with NULL for the zero time.
func (s *SQL) nullTimeArg(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return s.timeArg(t)
}

// runIDEncoding spells run IDs: lower-case base32, safe in a URL path.
var runIDEncoding = base32.NewEncoding("abcdefghijklmnopqrstuvwxyz234567").WithPadding(base32.NoPadding)

// newRunID returns "run_" and 20 random base32 characters (100 bits).
func newRunID() string {
	var b [13]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails
	return "run_" + runIDEncoding.EncodeToString(b[:])[:20]
}

// CreateRun stores a new queued run of an existing app (record.ErrNotFound
// otherwise) from its AppID, SegmentID, Version, AsOf, Key and LeaseUntil
// (zero: none); the store sets its ID and CreatedAt and ignores the other
// fields.
func (s *SQL) CreateRun(ctx context.Context, r store.Run) (store.Run, error) {
	if err := checkID("app ID", r.AppID, store.MaxAppIDLen); err != nil {
		return store.Run{}, err
	}
	if err := checkID("segment ID", r.SegmentID, store.MaxSegmentIDLen); err != nil {
		return store.Run{}, err
	}
	if err := checkID("run key", r.Key, store.MaxRunKeyLen); err != nil {
		return store.Run{}, err
	}
	if r.Version < 1 || r.AsOf.IsZero() {
		return store.Run{}, fmt.Errorf("store: run of segment %q: version %d, as_of %v: %w", r.SegmentID, r.Version, r.AsOf, store.ErrInvalid)
	}
	r = store.Run{
		ID: newRunID(), AppID: r.AppID, SegmentID: r.SegmentID, Version: r.Version,
		State: store.RunQueued, AsOf: r.AsOf.UTC().Truncate(time.Microsecond), Key: r.Key, CreatedAt: now(),
		LeaseUntil: leaseTime(r.LeaseUntil),
	}
	err := s.write(ctx, func(tx *sqlx.Tx) error {
		if err := s.appExists(ctx, tx, r.AppID); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO runs (`+runColumns+`) VALUES (?, ?, ?, ?, ?, 0, NULL, ?, NULL, '', ?, '', ?, NULL, NULL, NULL, 0, ?)`,
			r.ID, r.AppID, r.SegmentID, r.Version, r.State, s.timeArg(r.AsOf), r.Key, s.timeArg(r.CreatedAt), s.nullTimeArg(r.LeaseUntil))
		return err
	})
	switch {
	case err == nil:
		return r, nil
	case errors.Is(err, record.ErrNotFound):
		return store.Run{}, err
	case isForeignKey(err):
		return store.Run{}, fmt.Errorf("store: app %q: %w", r.AppID, record.ErrNotFound)
	}
	return store.Run{}, fmt.Errorf("store: create run of segment %q: %w", r.SegmentID, err)
}

// GetRun returns a run of an app; record.ErrNotFound if the app has none with
// that ID (also when another app has).
func (s *SQL) GetRun(ctx context.Context, appID, runID string) (store.Run, error) {
	var r runRow
	err := s.r.GetContext(ctx, &r, `SELECT `+runColumns+` FROM runs WHERE app_id = ? AND run_id = ?`, appID, runID)
	if errors.Is(err, sql.ErrNoRows) {
		return store.Run{}, fmt.Errorf("store: run %q: %w", runID, record.ErrNotFound)
	}
	if err != nil {
		return store.Run{}, fmt.Errorf("store: get run %q: %w", runID, err)
	}
	return r.run(), nil
}

// ListRunsByState returns the runs of every app in any of the states,
// oldest first: what a scheduler picks up again when it starts.
func (s *SQL) ListRunsByState(ctx context.Context, states ...store.RunState) ([]store.Run, error) {
	runs := []store.Run{}
	if len(states) == 0 {
		return runs, nil
	}
	q, args, err := sqlx.In(`SELECT `+runColumns+` FROM runs WHERE state IN (?) ORDER BY created_at, run_id`, states)
	if err == nil {
		runs, err = s.selectRuns(ctx, q, args...)
	}
	if err != nil {
		return nil, fmt.Errorf("store: list runs: %w", err)
	}
	return runs, nil
}

// ReusableRuns returns the runs of the app with the key that a new run of
// the same key may reuse instead: the queued and running ones, and the
// succeeded ones finished at or after succeededSince and not purged; newest
// first, at most a few (older ones are never better).
func (s *SQL) ReusableRuns(ctx context.Context, appID, key string, succeededSince time.Time) ([]store.Run, error) {
	runs, err := s.selectRuns(ctx, `SELECT `+runColumns+` FROM runs
		WHERE app_id = ? AND dedupe_key = ? AND (state IN (?, ?) OR (state = ? AND finished_at >= ? AND purged_at IS NULL))
		ORDER BY created_at DESC, run_id DESC LIMIT 8`,
		appID, key, store.RunQueued, store.RunRunning, store.RunSucceeded, s.timeArg(succeededSince))
	if err != nil {
		return nil, fmt.Errorf("store: reusable runs of %q: %w", appID, err)
	}
	return runs, nil
}

// ListRuns returns a page of the runs of an app's segment, newest first
// (created_at, then run_id, descending); page.Succeeded keeps only the
// succeeded runs not purged. A segment with no runs, or another app's, has
// an empty page.
func (s *SQL) ListRuns(ctx context.Context, appID, segmentID string, page store.RunPage) ([]store.Run, error) {
	if page.Limit <= 0 {
		return []store.Run{}, nil
	}
	q := `SELECT ` + runColumns + ` FROM runs WHERE app_id = ? AND segment_id = ?`
	args := []any{appID, segmentID}
	if page.BeforeID != "" {
		before := s.timeArg(page.BeforeCreatedAt)
		q += ` AND (created_at < ? OR (created_at = ? AND run_id < ?))`
		args = append(args, before, before, page.BeforeID)
	}
	if page.Succeeded {
		q += ` AND state = ? AND purged_at IS NULL`
		args = append(args, store.RunSucceeded)
	}
	q += ` ORDER BY created_at DESC, run_id DESC LIMIT ?`
	runs, err := s.selectRuns(ctx, q, append(args, page.Limit)...)
	if err != nil {
		return nil, fmt.Errorf("store: runs of segment %q: %w", segmentID, err)
	}
	return runs, nil
}

func (s *SQL) selectRuns(ctx context.Context, q string, args ...any) ([]store.Run, error) {
	var rows []runRow
	if err := s.r.SelectContext(ctx, &rows, q, args...); err != nil {
		return nil, err
	}
	runs := make([]store.Run, len(rows))
	for i, r := range rows {
		runs[i] = r.run()
	}
	return runs, nil
}

// StartRun moves a queued run to running, with progress 0. ok is false,
// and the run is returned as it is, when it was not queued (canceled
// meanwhile, say): then it must not be executed.
func (s *SQL) StartRun(ctx context.Context, appID, runID string) (r store.Run, ok bool, err error) {
	return s.transition(ctx, appID, runID, []store.RunState{store.RunQueued},
		`state = ?, progress = 0, started_at = ?`, store.RunRunning, s.timeArg(now()))
}

// RequeueRun moves a running run back to queued, with progress 0 and no
// lease (any server may take it), so that it runs again from the start.
// ok is false when it was not running.
func (s *SQL) RequeueRun(ctx context.Context, appID, runID string) (r store.Run, ok bool, err error) {
	return s.transition(ctx, appID, runID, []store.RunState{store.RunRunning},
		`state = ?, progress = 0, started_at = NULL, lease_until = NULL`, store.RunQueued)
}

// SetRunProgress records the progress (clamped to 0..1) of a running run;
// ok is false, and nothing changes, when the run is not running.
func (s *SQL) SetRunProgress(ctx context.Context, appID, runID string, progress float64) (ok bool, err error) {
	if math.IsNaN(progress) {
		return false, fmt.Errorf("store: run %q: progress NaN: %w", runID, store.ErrInvalid)
	}
	_, ok, err = s.transition(ctx, appID, runID, []store.RunState{store.RunRunning},
		`progress = ?`, min(max(progress, 0), 1))
	return ok, err
}

// FinishRun moves a queued or running run to the final state end.State:
// succeeded with end.Count, end.Watermark and end.Snapshot (and progress
// 1), failed with end.Error, or canceled. ok is false, and the run is
// returned as it is, when it was already final: the first end wins.
func (s *SQL) FinishRun(ctx context.Context, end store.Run) (r store.Run, ok bool, err error) {
	if !end.State.Final() || (end.State == store.RunSucceeded) != (end.Count != nil) || len(end.Snapshot) > store.MaxSnapshotLen {
		return store.Run{}, false, fmt.Errorf("store: finish run %q as %q (count %v, snapshot of %d bytes): %w",
			end.ID, end.State, end.Count, len(end.Snapshot), store.ErrInvalid)
	}
	set, args := `state = ?, error = ?, finished_at = ?`, []any{end.State, end.Error, s.timeArg(now())}
	if end.State == store.RunSucceeded {
		set += `, progress = 1, member_count = ?, watermark = ?, snapshot = ?`
		args = append(args, *end.Count, s.nullTimeArg(end.Watermark), end.Snapshot)
	}
	// The webhooks' outbox rows commit with the final state (or not at all).
	return s.transitionThen(ctx, end.AppID, end.ID, []store.RunState{store.RunQueued, store.RunRunning}, s.enqueueDeliveries, set, args...)
}

// PurgeRun records that a final run's members are purged: its PurgedAt is
// set, once (a second purge keeps the first time), and ReusableRuns no
// longer returns it. ok is false, and nothing changes, when the run is not
// final. Deleting the snapshot is the caller's (internal/query).
func (s *SQL) PurgeRun(ctx context.Context, appID, runID string) (r store.Run, ok bool, err error) {
	return s.transition(ctx, appID, runID, []store.RunState{store.RunSucceeded, store.RunFailed, store.RunCanceled},
		`purged_at = COALESCE(purged_at, ?)`, s.timeArg(now()))
}

// transition applies `UPDATE runs SET <set>` to the run if it is in one of
// the states from, and returns the run as it is afterwards. The state is
// checked both by the locking read and in the UPDATE's WHERE.
func (s *SQL) transition(ctx context.Context, appID, runID string, from []store.RunState, set string, args ...any) (store.Run, bool, error) {
	return s.transitionThen(ctx, appID, runID, from, nil, set, args...)
}

// transitionThen is transition, and then, when the run changed, calls
// then (if not nil) in the same transaction with the run as it is
// afterwards.
func (s *SQL) transitionThen(ctx context.Context, appID, runID string, from []store.RunState,
	then func(ctx context.Context, tx *sqlx.Tx, r runRow) error, set string, args ...any) (store.Run, bool, error) {
	var r runRow
	var ok bool
	err := s.write(ctx, func(tx *sqlx.Tx) error {
		get := func() error {
			err := tx.GetContext(ctx, &r, `SELECT `+runColumns+` FROM runs WHERE app_id = ? AND run_id = ?`+s.d.forUpdate, appID, runID)
			if errors.Is(err, sql.ErrNoRows) {
				return fmt.Errorf("store: run %q: %w", runID, record.ErrNotFound)
			}
			return err
		}
		if err := get(); err != nil {
			return err
		}
		ok = false
		for _, st := range from {
			ok = ok || store.RunState(r.State) == st
		}
		if !ok {
			return nil
		}
		q, qargs, err := sqlx.In(`UPDATE runs SET `+set+` WHERE app_id = ? AND run_id = ? AND state IN (?)`,
			append(slices.Clone(args), appID, runID, from)...)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, q, qargs...); err != nil {
			return err
		}
		if err := get(); err != nil || then == nil {
			return err
		}
		return then(ctx, tx, r)
	})
	if err != nil {
		if errors.Is(err, record.ErrNotFound) {
			return store.Run{}, false, err
		}
		return store.Run{}, false, fmt.Errorf("store: run %q: %w", runID, err)
	}
	return r.run(), ok, nil
}
