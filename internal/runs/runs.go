// Package runs schedules runs: a saved segment evaluated at a fixed as_of,
// its result kept as an immutable snapshot. The Scheduler persists every
// run in the store, executes them on a bounded pool of workers, fairly
// across apps, and knows nothing of engines: the caller's Exec evaluates.
//
// A run's state lives in the store, not in memory, so that a restart loses
// no run. Runs a crash left queued or running are queued again at Start,
// from the start. That is safe because a run is pinned to its segment
// version and its as_of: evaluating it again gives the same answer, except
// for events that arrived late (after the first attempt, with times before
// as_of), which the new answer includes and its watermark accounts for. A
// half-done attempt leaves nothing visible: a run names its snapshot only
// when it succeeds. A graceful Shutdown puts running runs back to queued for
// the same reason.
//
// Without Config.Lease, one Scheduler serves a store: a second process's
// Start would queue again the runs the first is running. With a Lease,
// several servers share one store: each run carries the lease of the
// server that queued or runs it, renewed every Lease/3; a run whose lease
// has passed (its server died) is taken by another server's sweep, also
// every Lease/3, and queued there: it runs again at most Lease + Lease/3
// after its server stopped renewing (plus its wait for a worker).
package runs

import (
	"context"
	"errors"
	"fmt"
	"hash/maphash"
	"log/slog"
	"math"
	"runtime/debug"
	"sync"
	"time"

	"github.com/segmentd/segmentd/internal/store"
)

// Store is what the Scheduler keeps runs in; *sqlstore.SQL implements it.
type Store interface {
	CreateRun(ctx context.Context, r store.Run) (store.Run, error)
	ReusableRuns(ctx context.Context, appID, key string, succeededSince time.Time) ([]store.Run, error)
	ListRunsByState(ctx context.Context, states ...store.RunState) ([]store.Run, error)
	StartRun(ctx context.Context, appID, runID string) (store.Run, bool, error)
	SetRunProgress(ctx context.Context, appID, runID string, progress float64) (bool, error)
	RequeueRun(ctx context.Context, appID, runID string) (store.Run, bool, error)
	FinishRun(ctx context.Context, end store.Run) (store.Run, bool, error)
}

// LeaseStore is what a Scheduler with a Lease needs of its store as well.
type LeaseStore interface {
	RenewRunLeases(ctx context.Context, runIDs []string, until time.Time) error
	TakeExpiredRuns(ctx context.Context, now, until time.Time, limit int) ([]store.Run, error)
}

// Result is what an Exec computed: the number of members, the watermark of
// the data it read and the key of the snapshot it wrote.
type Result struct {
	Count     int64
	Watermark time.Time
	Snapshot  string
}

// Exec evaluates a run and writes its snapshot. It must return soon after
// ctx is canceled (the run was canceled, or the server stops), and may call
// progress, from any goroutine, with the fraction done (0..1). Its error
// becomes the failed run's reason through *Error; any other error is
// recorded as "internal error" and logged.
type Exec func(ctx context.Context, run store.Run, progress func(float64)) (Result, error)

// Error is an error of Exec that tells the user why the run failed, e.g.
// &Error{Reason: "engine unavailable: try again in a minute", Err: err}.
// Reason becomes the run's error; Err, the cause, only goes to the log: it
// may hold what users must not see, such as an engine's address.
type Error struct {
	Reason string
	Err    error
}

func (e *Error) Error() string {
	if e.Err == nil {
		return e.Reason
	}
	return e.Reason + ": " + e.Err.Error()
}

// Unwrap gives the cause.
func (e *Error) Unwrap() error { return e.Err }

// ErrNotRunning is returned by Submit before Start has returned and after
// Shutdown.
var ErrNotRunning = errors.New("runs: the scheduler is not running")

// Reasons recorded by the Scheduler itself.
const (
	ReasonInternal    = "internal error"
	ReasonTimeout     = "timed out"
	ReasonInterrupted = "interrupted by a restart"
)

// Config configures a Scheduler. Zero values are the defaults.
type Config struct {
	Exec Exec // required
	// Workers is how many runs execute at once (default 2).
	Workers int
	// PerApp caps the runs of one app executing at once, so that one app's
	// long runs leave workers to the others (default: no cap but Workers).
	PerApp int
	// ReuseMaxAge is how long after it succeeded a run is returned by
	// Submit for the same key instead of a new one, if SnapshotExists says
	// its snapshot is still there. 0 or a nil SnapshotExists: never.
	ReuseMaxAge    time.Duration
	SnapshotExists func(ctx context.Context, run store.Run) bool
	// RecoverMaxAge: Start fails the queued and running runs created longer
	// ago than this with ReasonInterrupted instead of running them again,
	// since nobody may wait for them any more (default: no limit).
	RecoverMaxAge time.Duration
	// ProgressEvery is the least time between two progress writes of a run
	// (default 500ms). Progress reported in between is dropped.
	ProgressEvery time.Duration
	// OnDone, if set, is called with the run as stored after a worker is
	// done with it (final, or queued again by Shutdown, or skipped because
	// it was canceled while queued), e.g. for metrics. Not called when the
	// store failed.
	OnDone func(run store.Run)
	// Lease, if set, lets several servers share the store (see the package
	// doc); ignored unless the store is a LeaseStore. 0: this process
	// alone.
	Lease  time.Duration
	Logger *slog.Logger // default slog.Default()
}

// storeTimeout bounds a worker's store writes, which are not tied to a
// request.
const storeTimeout = 30 * time.Second

// Causes of the cancellation of an Exec's context.
var (
	errCanceled = errors.New("run canceled")
	errShutdown = errors.New("scheduler shut down")
)

type phase int

const (
	phaseNew phase = iota
	phaseRecovering
	phaseRunning
	phaseClosed
)

// Scheduler queues, executes and cancels runs. It is safe for concurrent
// use.
type Scheduler struct {
	st  Store
	cfg Config
	now func() time.Time // the clock; tests replace it before Start

	// Submits of one app and key are serialised, so that concurrent
	// identical Submits create one run. Striped: keys that share a lock
	// only wait for each other.
	submit [64]sync.Mutex
	seed   maphash.Seed

	mu     sync.Mutex
	cond   *sync.Cond // on mu: a run may be startable, or the phase changed
	phase  phase
	queue  *fairQueue
	active map[string]context.CancelCauseFunc // of the runs workers took, by run ID
	queued map[string]bool                    // the run IDs in queue
	wg     sync.WaitGroup                     // workers
	stop   chan struct{}                      // closed by Shutdown: ends the lease loop
}

// New returns a Scheduler; Start starts it.
func New(st Store, cfg Config) *Scheduler {
	if cfg.Exec == nil {
		panic("runs: Config.Exec is nil")
	}
	if cfg.Workers <= 0 {
		cfg.Workers = 2
	}
	if cfg.ProgressEvery <= 0 {
		cfg.ProgressEvery = 500 * time.Millisecond
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if _, ok := st.(LeaseStore); !ok {
		cfg.Lease = 0
	}
	s := &Scheduler{
		st: st, cfg: cfg, now: time.Now, seed: maphash.MakeSeed(),
		queue: newFairQueue(cfg.PerApp), active: map[string]context.CancelCauseFunc{}, queued: map[string]bool{},
		stop: make(chan struct{}),
	}
	s.cond = sync.NewCond(&s.mu)
	return s
}

// Start recovers the runs a previous process left queued or running (see
// the package doc): in creation order, running ones back to queued with
// progress 0, those older than RecoverMaxAge failed instead. Then it starts
// the workers. Call it once, before Submit.
func (s *Scheduler) Start(ctx context.Context) error {
	s.mu.Lock()
	switch s.phase {
	case phaseClosed:
		s.mu.Unlock()
		return ErrNotRunning
	case phaseRecovering, phaseRunning:
		s.mu.Unlock()
		return errors.New("runs: Start called twice")
	}
	s.phase = phaseRecovering
	s.mu.Unlock()

	var queued []store.Run
	var err error
	if s.cfg.Lease > 0 {
		queued, err = s.takeExpired(ctx)
	} else {
		queued, err = s.recoverRuns(ctx)
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	switch {
	case s.phase == phaseClosed:
		return ErrNotRunning
	case err != nil:
		s.phase = phaseNew
		return fmt.Errorf("runs: recover: %w", err)
	}
	for _, r := range queued {
		s.enqueue(r.AppID, r.ID)
	}
	s.phase = phaseRunning
	for range s.cfg.Workers {
		s.wg.Go(s.work)
	}
	if s.cfg.Lease > 0 {
		go s.leaseLoop()
	}
	return nil
}

// enqueue queues a run unless it is queued or running here already. The
// caller holds mu.
func (s *Scheduler) enqueue(appID, runID string) {
	if s.queued[runID] || s.active[runID] != nil {
		return
	}
	s.queued[runID] = true
	s.queue.push(appID, runID)
}

// LeaseUntil is the lease a run queued now by this Scheduler gets (Queue):
// zero without Config.Lease.
func (s *Scheduler) LeaseUntil() time.Time {
	if s.cfg.Lease <= 0 {
		return time.Time{}
	}
	return s.now().Add(s.cfg.Lease)
}

// Queue queues a run stored queued by someone else (a schedule's slot
// run, created with LeaseUntil), as Submit queues the runs it creates.
// ErrNotRunning before Start and after Shutdown (the run stays queued in
// the store, for a Start or another server's sweep).
func (s *Scheduler) Queue(r store.Run) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.phase != phaseRunning {
		return ErrNotRunning
	}
	s.enqueue(r.AppID, r.ID)
	s.cond.Broadcast()
	return nil
}

// leaseLoop renews this process's leases and takes expired runs, every
// Lease/3, until Shutdown.
func (s *Scheduler) leaseLoop() {
	t := time.NewTicker(s.cfg.Lease / 3)
	defer t.Stop()
	for {
		select {
		case <-s.stop:
			return
		case <-t.C:
			ctx, cancel := context.WithTimeout(context.Background(), s.cfg.Lease/3)
			if err := s.Sweep(ctx); err != nil {
				s.cfg.Logger.Warn("runs: lease sweep", "err", err)
			}
			cancel()
		}
	}
}

// Sweep renews the leases of the runs queued or running here, then takes
// the runs whose lease has passed (their server stopped) and queues them
// here. The lease loop calls it every Lease/3; tests call it with a fake
// clock. Nothing without Config.Lease.
func (s *Scheduler) Sweep(ctx context.Context) error {
	if s.cfg.Lease <= 0 {
		return nil
	}
	s.mu.Lock()
	ids := make([]string, 0, len(s.queued)+len(s.active))
	for id := range s.queued {
		ids = append(ids, id)
	}
	for id := range s.active {
		ids = append(ids, id)
	}
	s.mu.Unlock()
	if err := s.st.(LeaseStore).RenewRunLeases(ctx, ids, s.LeaseUntil()); err != nil {
		return err
	}
	taken, err := s.takeExpired(ctx)
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.phase == phaseRunning {
		for _, r := range taken {
			s.enqueue(r.AppID, r.ID)
		}
		s.cond.Broadcast()
	}
	return err
}

// takeExpired takes the runs whose lease has passed, failing those
// created longer than RecoverMaxAge ago (ReasonInterrupted), and returns
// the others, to queue.
func (s *Scheduler) takeExpired(ctx context.Context) ([]store.Run, error) {
	var queued []store.Run
	failed := 0
	for {
		taken, err := s.st.(LeaseStore).TakeExpiredRuns(ctx, s.now(), s.LeaseUntil(), 500)
		if err != nil {
			return queued, err
		}
		for _, r := range taken {
			if s.cfg.RecoverMaxAge > 0 && s.now().Sub(r.CreatedAt) > s.cfg.RecoverMaxAge {
				if _, _, err := s.st.FinishRun(ctx, store.Run{AppID: r.AppID, ID: r.ID, State: store.RunFailed, Error: ReasonInterrupted}); err != nil {
					return queued, err
				}
				failed++
				continue
			}
			queued = append(queued, r)
		}
		if len(taken) < 500 {
			break
		}
	}
	if len(queued)+failed > 0 {
		s.cfg.Logger.Info("runs: recovered the runs whose lease had passed", "queued", len(queued), "failed", failed)
	}
	return queued, nil
}

// recoverRuns prepares the store's queued and running runs for this process
// and returns those to queue.
func (s *Scheduler) recoverRuns(ctx context.Context) ([]store.Run, error) {
	runs, err := s.st.ListRunsByState(ctx, store.RunQueued, store.RunRunning)
	if err != nil {
		return nil, err
	}
	var queued []store.Run
	for _, r := range runs {
		stale := s.cfg.RecoverMaxAge > 0 && s.now().Sub(r.CreatedAt) > s.cfg.RecoverMaxAge
		switch {
		case stale:
			_, _, err = s.st.FinishRun(ctx, store.Run{AppID: r.AppID, ID: r.ID, State: store.RunFailed, Error: ReasonInterrupted})
		case r.State == store.RunRunning:
			_, _, err = s.st.RequeueRun(ctx, r.AppID, r.ID)
		}
		if err != nil {
			return nil, err
		}
		if !stale {
			queued = append(queued, r)
		}
	}
	if len(runs) > 0 {
		s.cfg.Logger.Info("runs: recovered", "queued", len(queued), "failed", len(runs)-len(queued))
	}
	return queued, nil
}

// Submit stores a new queued run from r's AppID, SegmentID, Version, AsOf
// and Key (the caller's hash of what the run computes: segment, version,
// as_of, engine…) and queues it. If the app has a queued or running run
// with the same key, or one that succeeded within ReuseMaxAge and whose
// snapshot exists, Submit returns that run instead, with reused true.
// Concurrent Submits of one key in this process create one run.
// ErrNotRunning before Start and after Shutdown; the store's errors
// otherwise (record.ErrNotFound for an unknown app, store.ErrInvalid).
func (s *Scheduler) Submit(ctx context.Context, r store.Run) (run store.Run, reused bool, err error) {
	lock := &s.submit[maphash.String(s.seed, r.AppID+"\x00"+r.Key)%uint64(len(s.submit))]
	lock.Lock()
	defer lock.Unlock()
	if !s.running() {
		return store.Run{}, false, ErrNotRunning
	}
	olds, err := s.st.ReusableRuns(ctx, r.AppID, r.Key, s.now().Add(-s.cfg.ReuseMaxAge))
	if err != nil {
		return store.Run{}, false, err
	}
	for _, old := range olds {
		if old.State != store.RunSucceeded || s.snapshotExists(ctx, old) {
			return old, true, nil
		}
	}
	r.LeaseUntil = s.LeaseUntil()
	if r, err = s.st.CreateRun(ctx, r); err != nil {
		return store.Run{}, false, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	// After a concurrent Shutdown the run stays queued in the store, for
	// the next Start.
	if s.phase == phaseRunning {
		s.enqueue(r.AppID, r.ID)
		s.cond.Broadcast()
	}
	return r, false, nil
}

func (s *Scheduler) running() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.phase == phaseRunning
}

func (s *Scheduler) snapshotExists(ctx context.Context, r store.Run) bool {
	return s.cfg.ReuseMaxAge > 0 && s.cfg.SnapshotExists != nil && s.cfg.SnapshotExists(ctx, r)
}

// Cancel cancels a run of the app and returns it as stored afterwards. A
// queued run becomes canceled and is never executed; a running one becomes
// canceled at once and its Exec's context is canceled, so the engine query
// stops; a run already final is returned unchanged. record.ErrNotFound if
// the app has no such run. It works before Start and after Shutdown too.
func (s *Scheduler) Cancel(ctx context.Context, appID, runID string) (store.Run, error) {
	r, _, err := s.st.FinishRun(ctx, store.Run{AppID: appID, ID: runID, State: store.RunCanceled})
	if err != nil {
		return store.Run{}, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if cancel, ok := s.active[runID]; ok {
		cancel(errCanceled)
	}
	return r, nil
}

// Shutdown stops taking runs, cancels the running Execs and waits for the
// workers until ctx ends. Runs that were running are put back to queued
// with progress 0 (unless their Exec succeeded anyway, then they are
// kept), and queued ones stay queued: the next Start runs them, which is
// what a graceful restart should do. A run whose Exec outlives ctx stays
// running in the store and is recovered by the next Start as well.
func (s *Scheduler) Shutdown(ctx context.Context) error {
	s.mu.Lock()
	wasClosed := s.phase == phaseClosed
	s.phase = phaseClosed
	for _, cancel := range s.active {
		cancel(errShutdown)
	}
	s.cond.Broadcast()
	var release []string
	for id := range s.queued {
		release = append(release, id)
	}
	s.mu.Unlock()
	if !wasClosed {
		close(s.stop)
	}
	if s.cfg.Lease > 0 && len(release) > 0 {
		// Another server may take the runs queued here at once.
		if err := s.st.(LeaseStore).RenewRunLeases(ctx, release, time.Time{}); err != nil {
			s.cfg.Logger.Warn("runs: release leases", "err", err)
		}
	}
	done := make(chan struct{})
	go func() {
		s.wg.Wait()
		close(done)
	}()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("runs: shutdown: %w", ctx.Err())
	}
}

// task is a run a worker took from the queue.
type task struct {
	appID, runID string
	ctx          context.Context // of its Exec
	cancel       context.CancelCauseFunc
}

func (s *Scheduler) work() {
	for {
		t, ok := s.take()
		if !ok {
			return
		}
		s.execute(t)
		s.mu.Lock()
		delete(s.active, t.runID)
		s.queue.done(t.appID)
		s.cond.Broadcast()
		s.mu.Unlock()
		t.cancel(nil)
	}
}

// take waits for a run to start; ok is false once the Scheduler is shut
// down. The run's context is registered before it starts, so that a Cancel
// from then on reaches its Exec.
func (s *Scheduler) take() (t task, ok bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for s.phase == phaseRunning {
		if appID, runID, ok := s.queue.pop(); ok {
			ctx, cancel := context.WithCancelCause(context.Background())
			delete(s.queued, runID)
			s.active[runID] = cancel
			return task{appID: appID, runID: runID, ctx: ctx, cancel: cancel}, true
		}
		s.cond.Wait()
	}
	return task{}, false
}

// execute starts the run in the store unless it was canceled meanwhile,
// calls Exec and records how it ended.
func (s *Scheduler) execute(t task) {
	ctx, cancel := context.WithTimeout(context.Background(), storeTimeout)
	r, ok, err := s.st.StartRun(ctx, t.appID, t.runID)
	cancel()
	if err != nil {
		// It stays queued in the store, for the next Start.
		s.cfg.Logger.Error("runs: start", "app", t.appID, "run", t.runID, "err", err)
		return
	}
	if ok {
		res, err := s.call(t.ctx, r)
		if r, err = s.end(t.ctx, r, res, err); err != nil {
			s.cfg.Logger.Error("runs: end", "app", t.appID, "run", t.runID, "err", err)
			return
		}
	}
	if s.cfg.OnDone != nil {
		s.cfg.OnDone(r)
	}
}

// call runs Exec, turning a panic into an error.
func (s *Scheduler) call(ctx context.Context, r store.Run) (res Result, err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("panic: %v\n%s", p, debug.Stack())
		}
	}()
	return s.cfg.Exec(ctx, r, s.progress(r))
}

// end records how Exec ended: a result wins over a cancellation that came
// too late to stop it; a canceled context decides over Exec's error.
func (s *Scheduler) end(ctx context.Context, r store.Run, res Result, err error) (store.Run, error) {
	sctx, cancel := context.WithTimeout(context.Background(), storeTimeout)
	defer cancel()
	end := store.Run{AppID: r.AppID, ID: r.ID}
	switch cause := context.Cause(ctx); {
	case err == nil:
		end.State, end.Count, end.Watermark, end.Snapshot = store.RunSucceeded, &res.Count, res.Watermark, res.Snapshot
	case errors.Is(cause, errShutdown):
		r, _, err = s.st.RequeueRun(sctx, r.AppID, r.ID)
		return r, err
	case errors.Is(cause, errCanceled):
		end.State = store.RunCanceled
	default:
		end.State, end.Error = store.RunFailed, reason(err)
		s.cfg.Logger.Warn("runs: failed", "app", r.AppID, "run", r.ID, "segment", r.SegmentID, "err", err)
	}
	r, _, err = s.st.FinishRun(sctx, end)
	return r, err
}

// reason is what a failed run tells the user.
func reason(err error) string {
	var e *Error
	switch {
	case errors.As(err, &e):
		return e.Reason
	case errors.Is(err, context.DeadlineExceeded):
		return ReasonTimeout
	}
	return ReasonInternal
}

// progress returns the progress function of a run's Exec: it writes a
// changed value at most every ProgressEvery, and never for a run that is
// no longer running (the store checks).
func (s *Scheduler) progress(r store.Run) func(float64) {
	var mu sync.Mutex
	var last float64 // the run starts at 0
	var at time.Time
	return func(p float64) {
		if math.IsNaN(p) {
			return
		}
		p = min(max(p, 0), 1)
		mu.Lock()
		defer mu.Unlock()
		now := s.now()
		if p == last || (!at.IsZero() && now.Sub(at) < s.cfg.ProgressEvery) {
			return
		}
		ctx, cancel := context.WithTimeout(context.Background(), storeTimeout)
		defer cancel()
		if _, err := s.st.SetRunProgress(ctx, r.AppID, r.ID, p); err != nil {
			s.cfg.Logger.Warn("runs: progress", "app", r.AppID, "run", r.ID, "err", err)
			return
		}
		last, at = p, now
	}
}
