package query

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/segmentd/segmentd/internal/admit"
	"github.com/segmentd/segmentd/internal/cache"
	"github.com/segmentd/segmentd/internal/compile"
	"github.com/segmentd/segmentd/internal/engine"
	"github.com/segmentd/segmentd/internal/evaluate"
	"github.com/segmentd/segmentd/internal/ingest"
	"github.com/segmentd/segmentd/internal/record"
	"github.com/segmentd/segmentd/internal/runs"
	"github.com/segmentd/segmentd/internal/snapshot"
	"github.com/segmentd/segmentd/internal/store"
	"github.com/segmentd/segmentd/segment"
)

// Segments is what the use cases read of the segment store.
type Segments interface {
	GetApp(ctx context.Context, appID string) (store.App, error)
	GetSegment(ctx context.Context, appID, id string) (store.Segment, error)
	GetSegmentVersion(ctx context.Context, appID, id string, version int) (store.Segment, error)
}

// Runs is what the use cases read and write of the run store.
type Runs interface {
	GetRun(ctx context.Context, appID, runID string) (store.Run, error)
	PurgeRun(ctx context.Context, appID, runID string) (store.Run, bool, error)
	ListRuns(ctx context.Context, appID, segmentID string, page store.RunPage) ([]store.Run, error)
}

// Canceler cancels a queued or running run and returns it as stored
// afterwards, a final run unchanged (runs.Scheduler.Cancel).
type Canceler interface {
	Cancel(ctx context.Context, appID, runID string) (store.Run, error)
}

// Config is what a Service needs.
type Config struct {
	Segments Segments
	Runs     Runs
	// Engine runs the queries; Fresh has the watermarks and each user's
	// newest data.
	Engine engine.Engine
	Fresh  ingest.Fresh
	// TrinoTables are the tables compile names for the trino dialect when
	// the serving engine is another.
	TrinoTables compile.Tables
	Gate        *admit.Gate
	// QueryTimeout bounds one count.
	QueryTimeout time.Duration
	// Cache keeps snapshots and counts where every server sees them
	// (Redis); nil for none. Local keeps snapshots when there is no Cache
	// or it is down, and counts when there is no Cache.
	Cache, Local          cache.Store
	SnapshotTTL, CountTTL time.Duration
	Log                   *slog.Logger
}

// Service is the use cases: compile, count, run, single-user membership.
type Service struct {
	cfg    Config
	counts *Counts
}

// New makes a Service.
func New(cfg Config) *Service {
	countCache := cfg.Local
	if cfg.Cache != nil {
		countCache = cfg.Cache
	}
	return &Service{cfg: cfg, counts: &Counts{Engine: cfg.Engine, Cache: countCache, TTL: cfg.CountTTL, Gate: cfg.Gate,
		Timeout: cfg.QueryTimeout, Log: cfg.Log}}
}

// Request is a tree of an app to evaluate at an instant.
type Request struct {
	App  store.App
	Loc  *time.Location
	Tree segment.Node // expanded
	// Given is the tree as given, its references not expanded.
	Given segment.Node
	AsOf  time.Time
	// Warnings are the tree's as given (Warnings), set by Prepare.
	Warnings []Warning
}

// Prepare decodes a tree (pointer is where it sits in the caller's
// document, for located errors and warnings), finds its warnings and
// expands its references in the app.
func (s *Service) Prepare(ctx context.Context, app store.App, tree []byte, pointer string, asOf time.Time) (Request, error) {
	req := Request{App: app, AsOf: asOf}
	var err error
	if req.Loc, err = location(app); err != nil {
		return req, err
	}
	if req.Given, err = segment.Decode(tree, pointer); err != nil {
		return req, err
	}
	req.Warnings = Warnings(req.Given, pointer, asOf, req.Loc)
	req.Tree, err = segment.Expand(ctx, req.Given, pointer, Lookup{Segments: s.cfg.Segments, AppID: app.ID})
	return req, err
}

// Tree decodes a tree and expands its references with lookup: the first
// stage of every use case, and of the tests and benchmarks that run trees
// on an engine.
func Tree(ctx context.Context, data []byte, pointer string, lookup segment.Lookup) (segment.Node, error) {
	n, err := segment.Decode(data, pointer)
	if err != nil {
		return nil, err
	}
	return segment.Expand(ctx, n, pointer, lookup)
}

func location(app store.App) (*time.Location, error) {
	loc, err := time.LoadLocation(app.TimeZone)
	if err != nil {
		return nil, fmt.Errorf("app %s has time zone %q: %w", app.ID, app.TimeZone, err)
	}
	return loc, nil
}

// Dialect is the serving engine's.
func (s *Service) Dialect() *compile.Dialect { return s.cfg.Engine.Dialect() }

// Compile compiles a request for dialect d: against the serving engine's
// tables (and split) for its own dialect, or the configured tables of the
// other.
func (s *Service) Compile(ctx context.Context, req Request, d *compile.Dialect, st compile.Strategy) (*compile.SQL, error) {
	opt := compile.Options{AppID: req.App.ID, AsOf: req.AsOf, Location: req.Loc, Strategy: st}
	tables := compile.DefaultTables
	switch {
	case d == s.cfg.Engine.Dialect():
		split, err := s.cfg.Engine.Split(ctx, req.App.ID, req.AsOf)
		if err != nil {
			return nil, err
		}
		opt.Split, tables = split, s.cfg.Engine.Tables()
	case d == compile.Trino:
		tables = s.cfg.TrinoTables
	}
	return compile.Compile(req.Tree, d, opt, tables)
}

// CountResult is a count and what it reflects.
type CountResult struct {
	Count int64
	// Watermark is the app's when the count began: the count reflects at
	// least the writes it covers.
	Watermark time.Time
	Cached    bool
}

// Count counts a request's members: from the cache when the same answer
// is there, or by the engine (Counts).
func (s *Service) Count(ctx context.Context, req Request) (CountResult, error) {
	wm, err := s.cfg.Fresh.Watermark(ctx, req.App.ID)
	if err != nil {
		return CountResult{}, unavailable(err)
	}
	answer := NewAnswer(req.App.ID, s.Dialect().Name, req.Tree, req.AsOf, wm)
	if n, ok := s.counts.Cached(ctx, answer); ok {
		return CountResult{Count: n, Watermark: wm, Cached: true}, nil
	}
	n, err := s.counts.Count(ctx, answer, func(ctx context.Context) (*compile.SQL, error) {
		return s.Compile(ctx, req, s.Dialect(), compile.Fused)
	})
	return CountResult{Count: n, Watermark: wm}, err
}

// unavailable marks a failure of the data path the client may retry.
func unavailable(err error) error {
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	return fmt.Errorf("%w: %w", engine.ErrUnavailable, err)
}

// SegmentTree reads a version of a saved segment (0: the current one),
// expanded in the app.
func (s *Service) SegmentTree(ctx context.Context, appID, id string, version int) (store.Segment, segment.Node, error) {
	var seg store.Segment
	var err error
	if version == 0 {
		seg, err = s.cfg.Segments.GetSegment(ctx, appID, id)
	} else {
		seg, err = s.cfg.Segments.GetSegmentVersion(ctx, appID, id, version)
	}
	if err != nil {
		return seg, nil, err
	}
	tree, err := Tree(ctx, []byte(seg.Tree), "", Lookup{Segments: s.cfg.Segments, AppID: appID})
	if err != nil {
		return seg, nil, fmt.Errorf("segment %s version %d: %w", id, seg.Version, err)
	}
	return seg, tree, nil
}

// NewRun is the run of a segment's current version at asOf, keyed by
// what it computes so that identical runs are shared.
func (s *Service) NewRun(ctx context.Context, app store.App, segmentID string, asOf time.Time) (store.Run, error) {
	seg, tree, err := s.SegmentTree(ctx, app.ID, segmentID, 0)
	if err != nil {
		return store.Run{}, err
	}
	wm, err := s.cfg.Fresh.Watermark(ctx, app.ID)
	if err != nil {
		return store.Run{}, unavailable(err)
	}
	return store.Run{AppID: app.ID, SegmentID: seg.ID, Version: seg.Version, AsOf: asOf,
		Key: NewAnswer(app.ID, s.Dialect().Name, tree, asOf, wm).RunKey(seg.ID, seg.Version)}, nil
}

// Where a run's snapshot is: the run records "<place>:<key>".
const (
	PlaceCache = "cache"
	PlaceLocal = "local"
)

// ExecRun is a run's work (runs.Config.Exec): evaluate the segment
// version at as_of and write the members, sorted, into a snapshot.
func (s *Service) ExecRun(ctx context.Context, run store.Run, progress func(float64)) (runs.Result, error) {
	app, err := s.cfg.Segments.GetApp(ctx, run.AppID)
	if err != nil {
		return runs.Result{}, err
	}
	loc, err := location(app)
	if err != nil {
		return runs.Result{}, err
	}
	_, tree, err := s.SegmentTree(ctx, run.AppID, run.SegmentID, run.Version)
	var segErr *segment.Error
	if errors.As(err, &segErr) || errors.Is(err, record.ErrNotFound) {
		return runs.Result{}, &runs.Error{Reason: "the segment cannot be evaluated: " + err.Error(), Err: err}
	}
	if err != nil {
		return runs.Result{}, err
	}
	// The watermark is read first: the members reflect at least the
	// writes it covers.
	wm, err := s.cfg.Fresh.Watermark(ctx, run.AppID)
	if err != nil {
		return runs.Result{}, s.engineFailed(ctx, err)
	}
	q, err := s.Compile(ctx, Request{App: app, Loc: loc, Tree: tree, AsOf: run.AsOf}, s.Dialect(), compile.Fused)
	if err != nil {
		return runs.Result{}, s.engineFailed(ctx, err)
	}
	// A run waits its turn for the engine as long as it takes: it is
	// queued and bounded by the scheduler already.
	release, err := s.cfg.Gate.AcquireWait(ctx, run.AppID)
	if err != nil {
		return runs.Result{}, err
	}
	defer release()
	place, st := s.snapshotStore(ctx)
	key := SnapshotKey(run.AppID, run.ID)
	w := snapshot.NewWriter(st, key, s.cfg.SnapshotTTL)
	var writeErr error
	err = s.cfg.Engine.Stream(ctx, q, progress, func(id string) error {
		writeErr = w.Add(ctx, id)
		return writeErr
	})
	if err == nil {
		var m snapshot.Manifest
		m, writeErr = w.Close(ctx, snapshot.Meta{AsOf: run.AsOf, SegmentID: run.SegmentID, SegmentVersion: run.Version,
			Watermark: wm, CreatedAt: run.CreatedAt})
		if writeErr == nil {
			return runs.Result{Count: m.Count, Watermark: wm, Snapshot: place + ":" + key}, nil
		}
	}
	_ = w.Abort(context.WithoutCancel(ctx))
	switch {
	case ctx.Err() != nil:
		return runs.Result{}, ctx.Err()
	case writeErr != nil:
		return runs.Result{}, &runs.Error{Reason: "unavailable: the snapshot store failed, run it again: " + writeErr.Error(), Err: writeErr}
	}
	return runs.Result{}, s.engineFailed(ctx, err)
}

// engineFailed tells a query's failure from the engine's being down: a
// user can act on each differently.
func (s *Service) engineFailed(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		return ctx.Err()
	}
	if perr := s.cfg.Engine.Ping(ctx); perr != nil {
		return &runs.Error{Reason: "unavailable: the engine cannot be reached, run it again when it is back: " + perr.Error(), Err: err}
	}
	return &runs.Error{Reason: "the query failed: " + err.Error(), Err: err}
}

// snapshotStore is where a new snapshot goes: the shared cache when it
// answers, the local store otherwise (logged: other servers cannot read
// it, and it goes with this one).
func (s *Service) snapshotStore(ctx context.Context) (string, cache.Store) {
	if c := s.cfg.Cache; c != nil {
		err := c.Ping(ctx)
		if err == nil {
			return PlaceCache, c
		}
		s.cfg.Log.WarnContext(ctx, "the cache is down: the snapshot is kept on this server", "error", err)
	}
	return PlaceLocal, s.cfg.Local
}

// ErrPurged is OpenSnapshot's error for a run whose members were purged.
var ErrPurged = errors.New("the run's members were purged")

// OpenSnapshot opens a succeeded run's snapshot; ErrPurged (wrapped) once
// the run is purged, wherever its snapshot was, so that every server
// refuses it from the moment the store records the purge.
func (s *Service) OpenSnapshot(ctx context.Context, run store.Run) (*snapshot.Reader, error) {
	if !run.PurgedAt.IsZero() {
		return nil, fmt.Errorf("run %s: purged at %s: %w", run.ID, run.PurgedAt.UTC().Format(time.RFC3339), ErrPurged)
	}
	place, key, _ := strings.Cut(run.Snapshot, ":")
	st := s.cfg.Local
	if place == PlaceCache {
		if st = s.cfg.Cache; st == nil {
			return nil, fmt.Errorf("run %s: its snapshot is in a shared cache and this server has none (--redis)", run.ID)
		}
	}
	return snapshot.Open(ctx, st, key)
}

// DeleteRun is DELETE of a run: a queued or running run is canceled
// (cancel, which stops its engine query); a final one (succeeded, failed or
// canceled) is purged (PurgeRun). A run that finishes while it is being
// canceled is purged too: it ends final and, unless the cancel stopped it,
// purged. record.ErrNotFound if the app has no such run.
func (s *Service) DeleteRun(ctx context.Context, cancel Canceler, appID, runID string) (store.Run, error) {
	run, err := s.cfg.Runs.GetRun(ctx, appID, runID)
	if err != nil {
		return store.Run{}, err
	}
	if !run.State.Final() {
		if run, err = cancel.Cancel(ctx, appID, runID); err != nil || run.State == store.RunCanceled {
			return run, err
		}
	}
	return s.PurgeRun(ctx, appID, runID)
}

// PurgeRun purges a final run: the store records it first (from then on
// OpenSnapshot refuses the run on every server and no new run is
// deduplicated onto it), then its snapshot is deleted from the shared
// cache and from this server's local store. It is idempotent: purging a
// purged run deletes again whatever is left (a retry after a failed
// delete finishes it) and keeps the first PurgedAt. A snapshot the store
// holding it fails to delete is an error (unavailable: retry), the purge
// recorded all the same. record.ErrNotFound if the app has no such run;
// a run not final is returned unchanged, not purged.
func (s *Service) PurgeRun(ctx context.Context, appID, runID string) (store.Run, error) {
	run, ok, err := s.cfg.Runs.PurgeRun(ctx, appID, runID)
	if err != nil || !ok {
		return run, err
	}
	// The key is the run's whatever it recorded: a run canceled while it
	// wrote its snapshot may have left one it never named.
	key := SnapshotKey(run.AppID, run.ID)
	place, _, _ := strings.Cut(run.Snapshot, ":")
	var errs []error
	for _, c := range []struct {
		place string
		st    cache.Store
	}{{PlaceCache, s.cfg.Cache}, {PlaceLocal, s.cfg.Local}} {
		if c.st == nil {
			continue
		}
		err := snapshot.Delete(ctx, c.st, key)
		switch {
		case err == nil, errors.Is(err, snapshot.ErrNotFound):
		case c.place == place:
			errs = append(errs, err)
		default:
			// Not where the run's snapshot is: at most a leftover, which
			// no reader reaches and its TTL ends.
			s.cfg.Log.WarnContext(ctx, "purge: deleting a leftover snapshot failed", "app", appID, "run", runID, "error", err)
		}
	}
	if err := errors.Join(errs...); err != nil {
		return run, unavailable(fmt.Errorf("purge run %s: %w", runID, err))
	}
	return run, nil
}

// Membership is whether one user is a member of a saved segment.
type Membership struct {
	Member  bool
	AsOf    time.Time
	Version int
}

// Member decides whether a user is a member of a saved segment now, with
// the reference evaluator over the user's own data as the fresh store
// has it: an event acknowledged before the call counts.
func (s *Service) Member(ctx context.Context, app store.App, segmentID, userID string, now time.Time) (Membership, error) {
	loc, err := location(app)
	if err != nil {
		return Membership{}, err
	}
	seg, tree, err := s.SegmentTree(ctx, app.ID, segmentID, 0)
	if err != nil {
		return Membership{}, err
	}
	m := Membership{AsOf: now.UTC().Truncate(time.Microsecond), Version: seg.Version}
	user, events, err := s.cfg.Fresh.UserData(ctx, app.ID, userID, evaluate.Reads(tree))
	switch {
	case errors.Is(err, record.ErrNotFound):
		// A user the app has never seen is in no segment.
	case err != nil:
		return Membership{}, unavailable(err)
	default:
		m.Member = evaluate.Member(tree, user, events, evaluate.Options{AsOf: m.AsOf, Location: loc})
	}
	return m, nil
}

// Lookup resolves references within one app. Self, when set, stands
// for the segment being saved with its new tree SelfTree, so that saving
// it cannot close a cycle through segments that reference it.
type Lookup struct {
	Segments Segments
	AppID    string
	Self     string
	SelfTree segment.Node
}

// Segment implements segment.Lookup.
func (l Lookup) Segment(ctx context.Context, id string) (segment.Node, error) {
	if l.Self != "" && id == l.Self {
		return l.SelfTree, nil
	}
	seg, err := l.Segments.GetSegment(ctx, l.AppID, id)
	if errors.Is(err, record.ErrNotFound) {
		return nil, segment.ErrNotFound
	}
	if err != nil {
		return nil, err
	}
	return segment.Decode([]byte(seg.Tree), "")
}
