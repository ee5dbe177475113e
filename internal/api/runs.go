package api

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/segmentd/segmentd/internal/cache"
	"github.com/segmentd/segmentd/internal/record"
	"github.com/segmentd/segmentd/internal/runs"
	"github.com/segmentd/segmentd/internal/snapshot"
	"github.com/segmentd/segmentd/internal/store"
)

// RunConfig configures runs, their snapshots and the count cache.
type RunConfig struct {
	// Workers and PerApp bound the runs executing at once, in all and per
	// app (runs.Config).
	Workers, PerApp int
	// Cache keeps snapshots and counts where every server sees them
	// (Redis); nil for none.
	Cache cache.Store
	// Local keeps snapshots when there is no Cache or it is down (on disk
	// in the data directory), and counts when there is no Cache.
	Local cache.Store
	// SnapshotTTL is how long a run's members stay readable (default
	// 24h); CountTTL how long a count is cached (default 10m).
	SnapshotTTL, CountTTL time.Duration
	// OnDone, when set, is called with each run a worker is done with
	// (runs.Config.OnDone): tests wait on it.
	OnDone func(store.Run)
}

func (c *RunConfig) defaults() {
	if c.SnapshotTTL == 0 {
		c.SnapshotTTL = 24 * time.Hour
	}
	if c.CountTTL == 0 {
		c.CountTTL = 10 * time.Minute
	}
	if c.Local == nil {
		c.Local = cache.NewMemory(256 << 20)
	}
	if c.Cache != nil {
		// A cache that is down fails requests at once, not after its
		// timeouts, for a few seconds; then it is tried again.
		c.Cache = cache.NewBreaker(c.Cache, cacheCooldown)
	}
}

// cacheCooldown is how long a failed cache is left alone.
const cacheCooldown = 5 * time.Second

// newScheduler builds the run scheduler; Start starts it.
func (s *Server) newScheduler() *runs.Scheduler {
	return runs.New(s.store, runs.Config{
		Exec: s.svc.ExecRun, Workers: s.runCfg.Workers, PerApp: s.runCfg.PerApp,
		// A run that succeeded is returned again for the same key while
		// at least half its snapshot's life is left.
		ReuseMaxAge: s.runCfg.SnapshotTTL / 2,
		SnapshotExists: func(ctx context.Context, run store.Run) bool {
			_, err := s.svc.OpenSnapshot(ctx, run)
			return err == nil
		},
		RecoverMaxAge: s.runCfg.SnapshotTTL,
		OnDone:        s.onRunDone,
		Lease:         s.schedCfg.lease(),
		Logger:        s.log,
	})
}

// Start recovers the runs a previous process left and starts the workers,
// and the webhooks' delivery worker.
func (s *Server) Start(ctx context.Context) error {
	if err := s.runs.Start(ctx); err != nil {
		return err
	}
	if s.sched != nil {
		s.sched.Start()
	}
	s.hookWorker.Start()
	return nil
}

// Shutdown stops the workers; runs in flight are queued again for the
// next start, deliveries in flight are finished and recorded.
func (s *Server) Shutdown(ctx context.Context) error {
	if s.sched != nil {
		s.sched.Stop()
	}
	return errors.Join(s.runs.Shutdown(ctx), s.hookWorker.Shutdown(ctx))
}

// runReply is a run as api.md shows it.
type runReply struct {
	ID         string     `json:"id"`
	SegmentID  string     `json:"segment_id"`
	Version    int        `json:"version"`
	State      string     `json:"state"`
	Progress   float64    `json:"progress"`
	Count      *int64     `json:"count"`
	AsOf       time.Time  `json:"as_of"`
	Watermark  *time.Time `json:"watermark"`
	Error      *string    `json:"error"`
	CreatedAt  time.Time  `json:"created_at"`
	StartedAt  *time.Time `json:"started_at"`
	FinishedAt *time.Time `json:"finished_at"`
	PurgedAt   *time.Time `json:"purged_at,omitempty"` // present once purged
	// Scheduled is whether a segment's schedule started the run (its
	// as_of is the slot).
	Scheduled bool `json:"scheduled"`
}

func toRunReply(r store.Run) runReply {
	out := runReply{ID: r.ID, SegmentID: r.SegmentID, Version: r.Version, State: string(r.State), Progress: r.Progress,
		Count: r.Count, AsOf: r.AsOf.UTC(), CreatedAt: r.CreatedAt.UTC(), Scheduled: r.Scheduled}
	if !r.Watermark.IsZero() {
		w := r.Watermark.UTC()
		out.Watermark = &w
	}
	if r.Error != "" {
		out.Error = &r.Error
	}
	if !r.StartedAt.IsZero() {
		st := r.StartedAt.UTC()
		out.StartedAt = &st
	}
	if !r.FinishedAt.IsZero() {
		f := r.FinishedAt.UTC()
		out.FinishedAt = &f
	}
	if !r.PurgedAt.IsZero() {
		p := r.PurgedAt.UTC()
		out.PurgedAt = &p
	}
	return out
}

func (s *Server) createRun(r *http.Request) (reply, error) {
	app, segID, err := s.appAnd(r, "id")
	if err != nil {
		return reply{}, err
	}
	var in struct {
		AsOf json.RawMessage `json:"as_of"`
	}
	body, err := readBody(r)
	if err != nil {
		return reply{}, err
	}
	if len(strings.TrimSpace(string(body))) > 0 {
		if err := decodeStrict(body, &in); err != nil {
			return reply{}, err
		}
	}
	asOf, err := s.resolveAsOf(in.AsOf)
	if err != nil {
		return reply{}, err
	}
	run, err := s.svc.NewRun(r.Context(), app, segID, asOf)
	if err != nil {
		return reply{}, err
	}
	run, reused, err := s.runs.Submit(r.Context(), run)
	if err != nil {
		return reply{}, err
	}
	if reused {
		return ok(toRunReply(run)), nil
	}
	return reply{http.StatusAccepted, toRunReply(run)}, nil
}

func (s *Server) getRun(r *http.Request) (reply, error) {
	run, err := s.run(r)
	if err != nil {
		return reply{}, err
	}
	return ok(toRunReply(run)), nil
}

// cursorRuns tags the cursors of a segment's run history: the last run's
// created_at (RFC 3339) and ID, separated by a space.
const cursorRuns = "runs"

// listRuns is a segment's run history, newest first, a page at a time.
func (s *Server) listRuns(r *http.Request) (reply, error) {
	app, segID, err := s.appAnd(r, "id")
	if err != nil {
		return reply{}, err
	}
	limit, err := queryLimit(r, defaultListLimit, maxListLimit)
	if err != nil {
		return reply{}, err
	}
	c, err := queryCursor(r, cursorRuns)
	if err != nil {
		return reply{}, err
	}
	page := store.RunPage{Limit: limit + 1}
	if c != "" {
		at, id, ok := strings.Cut(c, " ")
		t, err := time.Parse(time.RFC3339Nano, at)
		if !ok || err != nil || id == "" {
			return reply{}, errorf(CodeInvalidArgument, "/cursor", "the cursor is not one this list returned")
		}
		page.BeforeCreatedAt, page.BeforeID = t, id
	}
	runs, err := s.store.ListRuns(r.Context(), app.ID, segID, page)
	if err != nil {
		return reply{}, err
	}
	if len(runs) == 0 && c == "" {
		// A run outlives its segment: a deleted segment's runs are
		// listed; a segment that never had one is not there.
		if _, err := s.store.GetSegment(r.Context(), app.ID, segID); errors.Is(err, record.ErrNotFound) {
			return reply{}, errorf(CodeNotFound, "", "no such segment")
		} else if err != nil {
			return reply{}, err
		}
	}
	out := struct {
		Runs       []runReply `json:"runs"`
		NextCursor string     `json:"next_cursor,omitempty"`
	}{Runs: []runReply{}}
	if len(runs) > limit {
		runs = runs[:limit]
		last := runs[limit-1]
		out.NextCursor = encodeCursor(cursorRuns, last.CreatedAt.UTC().Format(time.RFC3339Nano)+" "+last.ID)
	}
	for _, run := range runs {
		out.Runs = append(out.Runs, toRunReply(run))
	}
	return ok(out), nil
}

// run is the run the path names, in the request's app.
func (s *Server) run(r *http.Request) (store.Run, error) {
	app, id, err := s.appAnd(r, "run")
	if err != nil {
		return store.Run{}, err
	}
	run, err := s.store.GetRun(r.Context(), app.ID, id)
	if errors.Is(err, record.ErrNotFound) {
		return run, errorf(CodeNotFound, "", "no such run")
	}
	return run, err
}

// deleteRun cancels a queued or running run, purges a finished one
// (query.Service.DeleteRun).
func (s *Server) deleteRun(r *http.Request) (reply, error) {
	app, id, err := s.appAnd(r, "run")
	if err != nil {
		return reply{}, err
	}
	run, err := s.svc.DeleteRun(r.Context(), s.runs, app.ID, id)
	if errors.Is(err, record.ErrNotFound) {
		return reply{}, errorf(CodeNotFound, "", "no such run")
	}
	if err != nil {
		return reply{}, err
	}
	return reply{http.StatusAccepted, toRunReply(run)}, nil
}

// unavailable marks a dependency's failure as one the client may retry.
func unavailable(what string, err error) error {
	return fmt.Errorf("%s is unavailable: %w: %w", what, ErrUnavailable, err)
}

// runSnapshot is the snapshot of the run the path names, which must have
// succeeded.
func (s *Server) runSnapshot(r *http.Request) (*snapshot.Reader, error) {
	run, err := s.run(r)
	if err != nil {
		return nil, err
	}
	if !run.PurgedAt.IsZero() {
		return nil, errorf(CodeNotFound, "", "the run's members were purged at %s (DELETE of the run): run the segment again",
			run.PurgedAt.UTC().Format(time.RFC3339))
	}
	if run.State != store.RunSucceeded {
		return nil, errorf(CodeConflict, "", "the run is %s: members are there once it has succeeded", run.State)
	}
	rd, err := s.svc.OpenSnapshot(r.Context(), run)
	if errors.Is(err, snapshot.ErrNotFound) {
		return nil, errorf(CodeNotFound, "", "the run's members expired (they are kept %s): run the segment again", s.runCfg.SnapshotTTL)
	}
	if err != nil {
		return nil, unavailable("the snapshot store", err)
	}
	return rd, nil
}

// maxMembersPage bounds a page of members (api.md).
const maxMembersPage = 100_000

func (s *Server) runMembers(r *http.Request) (reply, error) {
	limit, err := queryLimit(r, 1000, maxMembersPage)
	if err != nil {
		return reply{}, err
	}
	after, err := queryCursor(r, cursorMembers)
	if err != nil {
		return reply{}, err
	}
	rd, err := s.runSnapshot(r)
	if err != nil {
		return reply{}, err
	}
	ids, more, err := rd.Page(r.Context(), after, limit)
	if err != nil {
		return reply{}, unavailable("the snapshot store", err)
	}
	out := struct {
		UserIDs    []string `json:"user_ids"`
		NextCursor string   `json:"next_cursor,omitempty"`
	}{UserIDs: ids}
	if out.UserIDs == nil {
		out.UserIDs = []string{}
	}
	if more {
		out.NextCursor = encodeCursor(cursorMembers, ids[len(ids)-1])
	}
	return ok(out), nil
}

// streamMembers writes a run's members, one a line, from after
// (?after=): text, or CSV with a header. Memory stays one chunk of the
// snapshot and one write buffer, whatever the count.
func (s *Server) streamMembers(csv bool) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		rd, err := s.runSnapshot(r)
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		m := rd.Manifest()
		h := w.Header()
		h.Set("Content-Type", "text/plain; charset=utf-8")
		if csv {
			h.Set("Content-Type", "text/csv; charset=utf-8")
		}
		h.Set("X-Segmentd-Count", strconv.FormatInt(m.Count, 10))
		h.Set("X-Segmentd-As-Of", m.Meta.AsOf.UTC().Format(time.RFC3339Nano))
		bw := bufio.NewWriterSize(w, 64<<10)
		if csv {
			bw.WriteString("user_id\n")
		}
		err = rd.Scan(r.Context(), r.URL.Query().Get("after"), func(id string) error {
			if csv && strings.ContainsAny(id, "\",\r\n") {
				id = `"` + strings.ReplaceAll(id, `"`, `""`) + `"`
			}
			bw.WriteString(id)
			return bw.WriteByte('\n')
		})
		if err == nil {
			err = bw.Flush()
		}
		if err != nil && r.Context().Err() == nil {
			// The status is sent: cut the stream short so that the
			// client sees an error, not a shorter list.
			s.log.ErrorContext(r.Context(), "streaming members failed", "path", r.URL.Path, "error", err)
			panic(http.ErrAbortHandler)
		}
	}
}

// segmentMember decides whether one user is a member of a saved segment
// now (query.Service.Member).
func (s *Server) segmentMember(r *http.Request) (reply, error) {
	app, segID, err := s.appAnd(r, "id")
	if err != nil {
		return reply{}, err
	}
	userID, err := pathID(r, "user_id")
	if err != nil {
		return reply{}, err
	}
	m, err := s.svc.Member(r.Context(), app, segID, userID, s.now())
	if err != nil {
		return reply{}, err
	}
	return ok(map[string]any{"member": m.Member, "as_of": m.AsOf, "segment_version": m.Version}), nil
}
