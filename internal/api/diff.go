package api

import (
	"bufio"
	"errors"
	"net/http"

	"github.com/segmentd/segmentd/internal/ingest"
	"github.com/segmentd/segmentd/internal/query"
	"github.com/segmentd/segmentd/internal/snapshot"
)

// diff opens the diff of the run the path names against ?against=
// (query.Service.Diff): previous (the default) or a run ID.
func (s *Server) diff(r *http.Request) (*query.RunDiff, error) {
	app, id, err := s.appAnd(r, "run")
	if err != nil {
		return nil, err
	}
	against := query.Previous
	if q := r.URL.Query(); q.Has("against") {
		against = q.Get("against")
		if !ingest.ValidUserID(against) {
			return nil, errorf(CodeInvalidArgument, "/against", "against is previous or a run ID")
		}
	}
	d, err := s.svc.Diff(r.Context(), app.ID, id, against)
	return d, diffError(err, s.runCfg.SnapshotTTL.String())
}

// diffError words Diff's errors as the members routes word a run's.
func diffError(err error, ttl string) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, query.ErrOtherSegment):
		return errorf(CodeInvalidArgument, "/against", "%s: a diff compares two runs of one segment", err.Error())
	case errors.Is(err, query.ErrPurged):
		return errorf(CodeNotFound, "", "%s (DELETE of the run): run the segment again", err.Error())
	case errors.Is(err, snapshot.ErrNotFound):
		return errorf(CodeNotFound, "", "%s: the run's members expired (they are kept %s): run the segment again", err.Error(), ttl)
	}
	return err
}

// runDiff counts the users who entered and exited the segment between two
// of its runs.
func (s *Server) runDiff(r *http.Request) (reply, error) {
	d, err := s.diff(r)
	if err != nil {
		return reply{}, err
	}
	entered, exited, err := d.Counts(r.Context())
	if err != nil {
		return reply{}, diffError(err, s.runCfg.SnapshotTTL.String())
	}
	return ok(map[string]any{"run": d.Run.ID, "against": d.Against.ID, "entered": entered, "exited": exited,
		"version_changed": d.Run.Version != d.Against.Version}), nil
}

// streamDiff writes the users who entered (or exited), one ID a line in
// ascending byte order, from ?after= (exclusive), as members.txt does: the
// memory is one chunk of each snapshot and the write buffer, and a stream
// that fails half way is cut, never ended as if complete.
func (s *Server) streamDiff(entered bool) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		d, err := s.diff(r)
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		h := w.Header()
		h.Set("Content-Type", "text/plain; charset=utf-8")
		h.Set("X-Segmentd-Run", d.Run.ID)
		h.Set("X-Segmentd-Against", d.Against.ID)
		merge := d.Exited
		if entered {
			merge = d.Entered
		}
		bw := bufio.NewWriterSize(w, 64<<10)
		err = merge(r.Context(), r.URL.Query().Get("after"), func(id string) error {
			bw.WriteString(id)
			return bw.WriteByte('\n')
		})
		if err == nil {
			err = bw.Flush()
		}
		if err != nil && r.Context().Err() == nil {
			s.log.ErrorContext(r.Context(), "streaming a diff failed", "path", r.URL.Path, "error", err)
			panic(http.ErrAbortHandler)
		}
	}
}
