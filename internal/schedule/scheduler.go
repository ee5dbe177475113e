package schedule

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"time"

	"github.com/segmentd/segmentd/internal/record"
	"github.com/segmentd/segmentd/internal/store"
)

// Store is what the Scheduler reads schedules from and claims slots in;
// *sqlstore.SQL implements it.
type Store interface {
	ListScheduledSegments(ctx context.Context) ([]store.Segment, error)
	SegmentRefs(ctx context.Context, appID string) (map[string][]string, error)
	GetApp(ctx context.Context, appID string) (store.App, error)
	ClaimSlot(ctx context.Context, sl store.Slot) (bool, error)
	GetSlot(ctx context.Context, appID, segmentID string, slot time.Time) (store.Slot, error)
	WaitingSlots(ctx context.Context) ([]store.Slot, error)
	GetRun(ctx context.Context, appID, runID string) (store.Run, error)
}

// Create creates the run of a claimed slot, once whatever the number of
// callers (the store's CreateSlotRun), and queues it; with fail not
// empty, the run is created failed with that reason (a dependency
// failed). An error leaves the slot waiting: the next tick tries again.
type Create func(ctx context.Context, sl store.Slot, fail string) error

// Config configures a Scheduler.
type Config struct {
	Store  Store  // required
	Create Create // required
	// Now is the clock (default time.Now): tests drive Tick with a fake one.
	Now func() time.Time
	// Every is how often Run ticks (default 10s): a slot's run is created
	// at most that long after the slot (its as_of is the slot all the same).
	Every  time.Duration
	Logger *slog.Logger
}

// Scheduler claims the due slots of every schedule and creates their runs
// in dependency order. Several Schedulers (servers) may share a store:
// the store's slot key makes each slot's claim, and its run, once.
type Scheduler struct {
	cfg  Config
	poke chan struct{}

	mu   sync.Mutex
	seen map[string]time.Time // app\x00segment → the latest slot claimed (by anyone)

	stop context.CancelFunc
	done chan struct{}
}

// New returns a Scheduler; Start runs it, or call Tick.
func New(cfg Config) *Scheduler {
	if cfg.Store == nil || cfg.Create == nil {
		panic("schedule: Config.Store and Config.Create are required")
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Every <= 0 {
		cfg.Every = 10 * time.Second
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	return &Scheduler{cfg: cfg, poke: make(chan struct{}, 1), seen: map[string]time.Time{}}
}

// Start ticks at once (a slot missed while no server ran is run once,
// now), then every Config.Every and whenever Poke is called, until Stop.
func (s *Scheduler) Start() {
	ctx, cancel := context.WithCancel(context.Background())
	s.stop, s.done = cancel, make(chan struct{})
	go func() {
		defer close(s.done)
		t := time.NewTicker(s.cfg.Every)
		defer t.Stop()
		for {
			tctx, tcancel := context.WithTimeout(ctx, max(s.cfg.Every, time.Minute))
			if err := s.Tick(tctx); err != nil && ctx.Err() == nil {
				s.cfg.Logger.Warn("schedule: tick", "err", err)
			}
			tcancel()
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			case <-s.poke:
			}
		}
	}()
}

// Stop ends the loop Start started and waits for it.
func (s *Scheduler) Stop() {
	if s.stop != nil {
		s.stop()
		<-s.done
	}
}

// Poke asks for a tick soon: a run ended, so a slot waiting for it may
// start.
func (s *Scheduler) Poke() {
	select {
	case s.poke <- struct{}{}:
	default:
	}
}

// due is a segment whose latest slot is due.
type due struct {
	seg  store.Segment
	slot time.Time
}

// Tick claims the slots due at Now (for each schedule only the latest
// slot at or before Now, after the version that set it was saved: missed
// slots run once) and creates the runs of the claimed slots whose
// dependencies are done, apps in turn.
func (s *Scheduler) Tick(ctx context.Context) error {
	now := s.cfg.Now()
	claimErr := s.claim(ctx, now)
	return errors.Join(claimErr, s.advance(ctx))
}

func (s *Scheduler) claim(ctx context.Context, now time.Time) error {
	segs, err := s.cfg.Store.ListScheduledSegments(ctx)
	if err != nil {
		return err
	}
	byApp := map[string][]due{}
	var apps []string
	locs := map[string]*time.Location{}
	var errs []error
	for _, seg := range segs {
		loc, ok := locs[seg.AppID]
		if !ok {
			loc = time.UTC
			if app, err := s.cfg.Store.GetApp(ctx, seg.AppID); err != nil {
				errs = append(errs, err)
				continue
			} else if l, err := time.LoadLocation(app.TimeZone); err == nil {
				loc = l
			}
			locs[seg.AppID] = loc
		}
		spec, err := Parse([]byte(seg.Schedule))
		if err != nil || spec == nil {
			s.cfg.Logger.Warn("schedule: a segment's schedule cannot be read", "app", seg.AppID, "segment", seg.ID, "err", err)
			continue
		}
		slot := spec.Latest(now, loc)
		if slot.IsZero() || !slot.After(seg.UpdatedAt) {
			continue
		}
		s.mu.Lock()
		seen := s.seen[seg.AppID+"\x00"+seg.ID]
		s.mu.Unlock()
		if !slot.After(seen) {
			continue
		}
		if byApp[seg.AppID] == nil {
			apps = append(apps, seg.AppID)
		}
		byApp[seg.AppID] = append(byApp[seg.AppID], due{seg, slot.UTC()})
	}
	for _, app := range apps {
		ds := byApp[app]
		deps := map[string][]store.SlotRef{}
		if len(ds) > 1 {
			refs, err := s.cfg.Store.SegmentRefs(ctx, app)
			if err != nil {
				errs = append(errs, err)
				continue
			}
			deps = dependencies(ds, refs)
		}
		for _, d := range ds {
			_, err := s.cfg.Store.ClaimSlot(ctx, store.Slot{AppID: app, SegmentID: d.seg.ID, Slot: d.slot, Deps: deps[d.seg.ID]})
			if err != nil {
				errs = append(errs, err)
				continue
			}
			s.mu.Lock()
			s.seen[app+"\x00"+d.seg.ID] = d.slot
			s.mu.Unlock()
		}
	}
	return errors.Join(errs...)
}

// dependencies gives each due segment the slots of the due segments it
// references, directly or through other segments (refs: every current
// version's direct references): those must succeed first. A cycle (which
// saves refuse) adds no dependency of a segment on itself.
func dependencies(ds []due, refs map[string][]string) map[string][]store.SlotRef {
	slots := map[string]time.Time{}
	for _, d := range ds {
		slots[d.seg.ID] = d.slot
	}
	out := map[string][]store.SlotRef{}
	for _, d := range ds {
		seen := map[string]bool{d.seg.ID: true}
		stack := slices.Clone(refs[d.seg.ID])
		var deps []store.SlotRef
		for len(stack) > 0 {
			id := stack[len(stack)-1]
			stack = stack[:len(stack)-1]
			if seen[id] {
				continue
			}
			seen[id] = true
			if slot, ok := slots[id]; ok {
				deps = append(deps, store.SlotRef{SegmentID: id, Slot: slot})
			}
			stack = append(stack, refs[id]...)
		}
		slices.SortFunc(deps, func(a, b store.SlotRef) int { return compareStrings(a.SegmentID, b.SegmentID) })
		out[d.seg.ID] = deps
	}
	return out
}

func compareStrings(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// depWait is how long a slot waits for a dependency's slot that nobody
// claimed (a server whose clock disagreed on what was due) before it
// runs without it.
const depWait = 10 * time.Minute

// advance creates the runs of the waiting slots whose dependencies are
// done, taking apps in turn.
func (s *Scheduler) advance(ctx context.Context) error {
	waiting, err := s.cfg.Store.WaitingSlots(ctx)
	if err != nil {
		return err
	}
	var errs []error
	for _, sl := range roundRobin(waiting) {
		ready, fail, err := s.ready(ctx, sl)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if !ready {
			continue
		}
		if err := s.cfg.Create(ctx, sl, fail); err != nil {
			errs = append(errs, fmt.Errorf("schedule: run of %s at %s: %w", sl.SegmentID, sl.Slot.Format(time.RFC3339), err))
		}
	}
	return errors.Join(errs...)
}

// ready reports whether a waiting slot may get its run: every dependency's
// run is final. fail is the reason when one did not succeed.
func (s *Scheduler) ready(ctx context.Context, sl store.Slot) (ok bool, fail string, err error) {
	for _, d := range sl.Deps {
		dep, err := s.cfg.Store.GetSlot(ctx, sl.AppID, d.SegmentID, d.Slot)
		switch {
		case errors.Is(err, record.ErrNotFound):
			if s.cfg.Now().Sub(sl.CreatedAt) < depWait {
				return false, "", nil
			}
			continue
		case err != nil:
			return false, "", err
		case dep.Closed:
			continue
		case dep.RunID == "":
			return false, "", nil
		}
		run, err := s.cfg.Store.GetRun(ctx, sl.AppID, dep.RunID)
		if err != nil {
			return false, "", err
		}
		switch run.State {
		case store.RunSucceeded:
		case store.RunFailed:
			if fail == "" {
				fail = fmt.Sprintf("dependency %s failed (run %s): %s", d.SegmentID, run.ID, run.Error)
			}
		case store.RunCanceled:
			if fail == "" {
				fail = fmt.Sprintf("dependency %s was canceled (run %s)", d.SegmentID, run.ID)
			}
		default:
			return false, "", nil
		}
	}
	return true, fail, nil
}

// roundRobin orders slots one app at a time in turn, each app's in the
// order given.
func roundRobin(slots []store.Slot) []store.Slot {
	byApp := map[string][]store.Slot{}
	var apps []string
	for _, sl := range slots {
		if byApp[sl.AppID] == nil {
			apps = append(apps, sl.AppID)
		}
		byApp[sl.AppID] = append(byApp[sl.AppID], sl)
	}
	out := make([]store.Slot, 0, len(slots))
	for len(out) < len(slots) {
		for _, app := range apps {
			if q := byApp[app]; len(q) > 0 {
				out = append(out, q[0])
				byApp[app] = q[1:]
			}
		}
	}
	return out
}
