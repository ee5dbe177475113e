package api

import (
	"context"
	"errors"
	"time"

	"github.com/segmentd/segmentd/internal/record"
	"github.com/segmentd/segmentd/internal/runs"
	"github.com/segmentd/segmentd/internal/schedule"
	"github.com/segmentd/segmentd/internal/store"
	"github.com/segmentd/segmentd/segment"
)

// ScheduleStore is what schedules need of the store (migration 0007).
type ScheduleStore interface {
	schedule.Store
	runs.LeaseStore
	CreateSlotRun(ctx context.Context, sl store.Slot, r store.Run) (store.Run, bool, error)
	CloseSlot(ctx context.Context, sl store.Slot) (bool, error)
}

// ScheduleConfig configures the segments' schedules and the runs' leases.
type ScheduleConfig struct {
	// Lease is the lease of a queued or running run (runs.Config.Lease):
	// a server that stops renewing it (it died) has its runs taken by
	// another within Lease + Lease/3. Default 30s; negative: none (one
	// server alone on its store, which recovers everything at start).
	Lease time.Duration
	// Tick is how often the server looks for due slots (default 10s): a
	// slot's run is created that late at most (its as_of is the slot).
	Tick time.Duration
	// Off: this server runs no schedule.
	Off bool
}

// DefaultLease is ScheduleConfig.Lease's default.
const DefaultLease = 30 * time.Second

func (c *ScheduleConfig) lease() time.Duration {
	switch {
	case c.Lease < 0:
		return 0
	case c.Lease == 0:
		return DefaultLease
	}
	return c.Lease
}

// newSchedules builds the schedule scheduler; Start starts it.
func (s *Server) newSchedules(cfg ScheduleConfig) {
	s.schedCfg = cfg
	if cfg.Off || s.store == nil {
		return
	}
	s.sched = schedule.New(schedule.Config{Store: s.store, Create: s.createSlotRun, Now: s.now, Every: cfg.Tick, Logger: s.log})
}

// onRunDone pokes the schedules when a scheduled run ends (its dependents
// may go), then calls the configured OnDone.
func (s *Server) onRunDone(r store.Run) {
	if r.Scheduled && s.sched != nil && r.State.Final() {
		s.sched.Poke()
	}
	if s.runCfg.OnDone != nil {
		s.runCfg.OnDone(r)
	}
}

// createSlotRun creates the run of a claimed slot (schedule.Create): the
// segment's current version at the slot, queued here, or failed at once
// with fail. A deleted segment closes the slot; a segment that cannot be
// evaluated gets a failed run saying why.
func (s *Server) createSlotRun(ctx context.Context, sl store.Slot, fail string) error {
	app, err := s.store.GetApp(ctx, sl.AppID)
	if err != nil {
		return err
	}
	run, err := s.svc.NewRun(ctx, app, sl.SegmentID, sl.Slot)
	var segErr *segment.Error
	switch {
	case errors.Is(err, record.ErrNotFound):
		_, err = s.store.CloseSlot(ctx, sl)
		return err
	case errors.As(err, &segErr):
		seg, gerr := s.store.GetSegment(ctx, sl.AppID, sl.SegmentID)
		if gerr != nil {
			return gerr
		}
		run = store.Run{Version: seg.Version, Key: "invalid"}
		if fail == "" {
			fail = "the segment cannot be evaluated: " + err.Error()
		}
	case err != nil:
		return err
	}
	run.LeaseUntil = s.runs.LeaseUntil()
	r, created, err := s.store.CreateSlotRun(ctx, sl, run)
	if err != nil || !created {
		return err
	}
	if fail != "" {
		r, _, err = s.store.FinishRun(ctx, store.Run{AppID: r.AppID, ID: r.ID, State: store.RunFailed, Error: fail})
		if err == nil {
			s.onRunDone(r)
		}
		return err
	}
	if err := s.runs.Queue(r); err != nil && !errors.Is(err, runs.ErrNotRunning) {
		return err
	}
	// Not running: the run stays queued in the store, for a Start or
	// another server's sweep once its lease passes.
	return nil
}
