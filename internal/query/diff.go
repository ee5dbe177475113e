package query

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/segmentd/segmentd/internal/cache"
	"github.com/segmentd/segmentd/internal/record"
	"github.com/segmentd/segmentd/internal/snapshot"
	"github.com/segmentd/segmentd/internal/store"
)

// Previous, as the run a diff is against, is the segment's latest
// succeeded run, not purged, created before the run.
const Previous = "previous"

// ErrOtherSegment is Diff's error for two runs of different segments: a
// diff compares one segment's lists.
var ErrOtherSegment = errors.New("the runs are of different segments")

// RunDiff is the difference of two succeeded runs of one segment, their
// snapshots open: the users who entered the segment (members of Run, not
// of Against) and those who exited it (the reverse). Both snapshots are
// immutable and sorted, so every answer is one merge of the two in the
// memory of a chunk of each.
type RunDiff struct {
	Run, Against store.Run
	run, against *snapshot.Reader
	// cache keeps the counts under key for ttl.
	cache cache.Store
	key   string
	ttl   time.Duration
}

// Diff opens the diff of an app's run against another run of the same
// segment (its ID) or against Previous. The errors: record.ErrNotFound for
// a run the app does not have, or no previous run; ErrOtherSegment;
// record.ErrConflict for a run that has not succeeded; ErrPurged for a
// purged run and snapshot.ErrNotFound for an expired one (wrapped), each
// checked on the run first; a snapshot store that fails, unavailable.
func (s *Service) Diff(ctx context.Context, appID, runID, against string) (*RunDiff, error) {
	run, err := s.diffRun(ctx, appID, runID)
	if err != nil {
		return nil, err
	}
	var base store.Run
	if against == Previous {
		prev, err := s.cfg.Runs.ListRuns(ctx, appID, run.SegmentID, store.RunPage{
			BeforeCreatedAt: run.CreatedAt, BeforeID: run.ID, Limit: 1, Succeeded: true})
		if err != nil {
			return nil, err
		}
		if len(prev) == 0 {
			return nil, fmt.Errorf("run %s has no previous run: segment %s has no succeeded run created before it whose members are kept (not purged): %w",
				run.ID, run.SegmentID, record.ErrNotFound)
		}
		base = prev[0]
	} else if base, err = s.diffRun(ctx, appID, against); err != nil {
		return nil, err
	}
	if base.SegmentID != run.SegmentID {
		return nil, fmt.Errorf("run %s is of segment %s, run %s of segment %s: %w", run.ID, run.SegmentID, base.ID, base.SegmentID, ErrOtherSegment)
	}
	d := &RunDiff{Run: run, Against: base, cache: s.cfg.Local, key: "diffs/" + appID + "/" + run.ID + "/" + base.ID,
		ttl: s.cfg.SnapshotTTL}
	if s.cfg.Cache != nil {
		d.cache = s.cfg.Cache
	}
	for _, r := range []struct {
		run store.Run
		rd  **snapshot.Reader
	}{{run, &d.run}, {base, &d.against}} {
		if err := diffable(r.run); err != nil {
			return nil, err
		}
		if *r.rd, err = s.OpenSnapshot(ctx, r.run); err != nil {
			return nil, snapshotFailed(r.run, err)
		}
	}
	return d, nil
}

// diffRun reads a run of the app.
func (s *Service) diffRun(ctx context.Context, appID, runID string) (store.Run, error) {
	run, err := s.cfg.Runs.GetRun(ctx, appID, runID)
	if errors.Is(err, record.ErrNotFound) {
		return run, fmt.Errorf("no such run %s: %w", runID, record.ErrNotFound)
	}
	return run, err
}

// diffable tells whether a run's members can be diffed: purged first, as
// the members routes do.
func diffable(run store.Run) error {
	if !run.PurgedAt.IsZero() {
		return fmt.Errorf("run %s: purged at %s: %w", run.ID, run.PurgedAt.UTC().Format("2006-01-02T15:04:05Z07:00"), ErrPurged)
	}
	if run.State != store.RunSucceeded {
		return fmt.Errorf("run %s is %s: a diff reads two succeeded runs: %w", run.ID, run.State, record.ErrConflict)
	}
	return nil
}

// snapshotFailed keeps a snapshot's absence or purge as it is and marks
// any other failure of its store as one to retry.
func snapshotFailed(run store.Run, err error) error {
	err = fmt.Errorf("run %s: %w", run.ID, err)
	if errors.Is(err, snapshot.ErrNotFound) || errors.Is(err, ErrPurged) {
		return err
	}
	return unavailable(err)
}

// Counts returns how many users entered and exited: from the cache when a
// diff of the same two runs was counted before (snapshots never change), by
// one merge otherwise, then cached for the snapshots' life.
func (d *RunDiff) Counts(ctx context.Context) (entered, exited int64, err error) {
	if b, err := d.cache.Get(ctx, d.key); err == nil {
		if e, x, ok := strings.Cut(string(b), " "); ok {
			entered, err1 := strconv.ParseInt(e, 10, 64)
			exited, err2 := strconv.ParseInt(x, 10, 64)
			if err1 == nil && err2 == nil {
				return entered, exited, nil
			}
		}
	}
	entered, exited, err = snapshot.DiffCounts(ctx, d.run, d.against)
	if err != nil {
		return 0, 0, mergeFailed(err)
	}
	// A cache that fails costs the next request a merge, nothing else.
	_ = d.cache.Set(ctx, d.key, []byte(strconv.FormatInt(entered, 10)+" "+strconv.FormatInt(exited, 10)), d.ttl)
	return entered, exited, nil
}

// Entered calls fn with the ID of every user who entered (a member of Run,
// not of Against) greater than after, in ascending byte order, and stops
// at fn's first error, returned as is. A chunk gone since Diff (expired, or
// purged meanwhile) wraps snapshot.ErrNotFound.
func (d *RunDiff) Entered(ctx context.Context, after string, fn func(id string) error) error {
	return snapshot.Difference(ctx, d.run, d.against, after, fn)
}

// Exited is Entered the other way round: members of Against, not of Run.
func (d *RunDiff) Exited(ctx context.Context, after string, fn func(id string) error) error {
	return snapshot.Difference(ctx, d.against, d.run, after, fn)
}

// mergeFailed keeps a chunk's absence (expired or purged since the diff
// was opened) as it is and marks any other failure of the snapshot store
// as one to retry.
func mergeFailed(err error) error {
	if errors.Is(err, snapshot.ErrNotFound) {
		return err
	}
	return unavailable(err)
}
