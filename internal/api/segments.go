package api

import (
	"crypto/rand"
	"encoding/base32"
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/go-chi/chi/v5"

	"github.com/segmentd/segmentd/internal/query"
	"github.com/segmentd/segmentd/internal/schedule"
	"github.com/segmentd/segmentd/internal/store"
	"github.com/segmentd/segmentd/segment"
)

// Limits of a segment's metadata.
const (
	maxNameBytes        = 256
	maxDescriptionBytes = 4096
	defaultListLimit    = 100
	maxListLimit        = 1000
)

type segmentBody struct {
	Name        string          `json:"name"`
	Description string          `json:"description"`
	Tree        json.RawMessage `json:"tree"`
	// Schedule is {"every": "1h"}, {"cron": "0 6 * * *"} or null
	// (internal/schedule); absent is none (a PUT replaces it too).
	Schedule json.RawMessage `json:"schedule"`
}

type segmentReply struct {
	ID          string          `json:"id"`
	Version     int             `json:"version"`
	Name        string          `json:"name"`
	Description string          `json:"description"`
	Tree        json.RawMessage `json:"tree"`
	Schedule    json.RawMessage `json:"schedule"` // null: none
	CreatedAt   time.Time       `json:"created_at"`
	UpdatedAt   time.Time       `json:"updated_at"`
}

// savedSegmentReply is the answer to a save: the segment and the
// warnings of its tree (query.Warnings, without as_of), never null.
type savedSegmentReply struct {
	segmentReply
	Warnings []query.Warning `json:"warnings"`
}

func toSegmentReply(seg store.Segment) segmentReply {
	sched := json.RawMessage("null")
	if seg.Schedule != "" {
		sched = json.RawMessage(seg.Schedule)
	}
	return segmentReply{ID: seg.ID, Version: seg.Version, Name: seg.Name, Description: seg.Description,
		Tree: json.RawMessage(seg.Tree), Schedule: sched, CreatedAt: seg.CreatedAt, UpdatedAt: seg.UpdatedAt}
}

func newSegmentID() string {
	b := make([]byte, 10)
	_, _ = rand.Read(b) // crypto/rand.Read never fails
	return "seg_" + strings.ToLower(base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(b))
}

// readSegment decodes and validates a segment body, reporting every
// problem at once, checks its references within the app and finds the
// warnings of its tree.
func (s *Server) readSegment(r *http.Request, appID, selfID string) (store.Segment, []query.Warning, error) {
	body, err := readBody(r)
	if err != nil {
		return store.Segment{}, nil, err
	}
	var in segmentBody
	if err := decodeStrict(body, &in, "schedule"); err != nil {
		return store.Segment{}, nil, err
	}
	var problems []segment.Problem
	bad := func(path, msg string) {
		problems = append(problems, segment.Problem{Code: CodeInvalidArgument, Path: path, Message: msg})
	}
	if in.Name == "" || len(in.Name) > maxNameBytes || !utf8.ValidString(in.Name) {
		bad("/name", "name must be 1 to 256 bytes of UTF-8")
	}
	if len(in.Description) > maxDescriptionBytes || !utf8.ValidString(in.Description) {
		bad("/description", "description may hold at most 4096 bytes of UTF-8")
	}
	spec, err := schedule.Parse(in.Schedule)
	var schedErr *schedule.Error
	if errors.As(err, &schedErr) {
		for _, p := range schedErr.Problems {
			bad("/schedule"+p.Path, p.Message)
		}
	}
	var tree segment.Node
	if len(in.Tree) == 0 || string(in.Tree) == "null" {
		problems = append(problems, segment.Problem{Code: CodeInvalidTree, Path: "/tree", Message: "tree is required"})
	} else {
		var segErr *segment.Error
		tree, err = segment.Decode(in.Tree, "/tree")
		if errors.As(err, &segErr) {
			problems = append(problems, segErr.Problems...)
		} else if err == nil {
			l := query.Lookup{Segments: s.store, AppID: appID, Self: selfID, SelfTree: tree}
			_, err = segment.Expand(r.Context(), tree, "/tree", l)
			if errors.As(err, &segErr) {
				problems = append(problems, segErr.Problems...)
			} else if err != nil {
				return store.Segment{}, nil, err
			}
		}
	}
	if len(problems) > 0 {
		return store.Segment{}, nil, &segment.Error{Problems: problems}
	}
	seg := store.Segment{AppID: appID, ID: selfID, Name: in.Name, Description: in.Description,
		Tree: tree.String(), Refs: segment.References(tree)}
	if spec != nil {
		seg.Schedule = spec.String()
	}
	return seg, query.Warnings(tree, "/tree", time.Time{}, nil), nil
}

func (s *Server) createSegment(r *http.Request) (reply, error) {
	app, err := s.app(r)
	if err != nil {
		return reply{}, err
	}
	seg, warnings, err := s.readSegment(r, app.ID, "")
	if err != nil {
		return reply{}, err
	}
	seg.ID = newSegmentID()
	saved, err := s.store.CreateSegment(r.Context(), seg)
	if err != nil {
		return reply{}, err
	}
	s.svc.KeepTyped(r.Context(), saved)
	return created(savedSegmentReply{toSegmentReply(saved), warnings}), nil
}

func (s *Server) updateSegment(r *http.Request) (reply, error) {
	app, id, err := s.appAnd(r, "id")
	if err != nil {
		return reply{}, err
	}
	if _, err := s.store.GetSegment(r.Context(), app.ID, id); err != nil {
		return reply{}, err
	}
	seg, warnings, err := s.readSegment(r, app.ID, id)
	if err != nil {
		return reply{}, err
	}
	saved, err := s.store.UpdateSegment(r.Context(), seg)
	if err != nil {
		return reply{}, err
	}
	s.svc.KeepTyped(r.Context(), saved)
	return ok(savedSegmentReply{toSegmentReply(saved), warnings}), nil
}

func (s *Server) getSegment(r *http.Request) (reply, error) {
	app, id, err := s.appAnd(r, "id")
	if err != nil {
		return reply{}, err
	}
	seg, err := s.store.GetSegment(r.Context(), app.ID, id)
	if err != nil {
		return reply{}, err
	}
	return ok(toSegmentReply(seg)), nil
}

func (s *Server) getSegmentVersion(r *http.Request) (reply, error) {
	app, id, err := s.appAnd(r, "id")
	if err != nil {
		return reply{}, err
	}
	n, err := strconv.Atoi(chi.URLParam(r, "n"))
	if err != nil || n < 1 {
		return reply{}, errorf(CodeInvalidArgument, "/n", "a version is a whole number from 1")
	}
	seg, err := s.store.GetSegmentVersion(r.Context(), app.ID, id, n)
	if err != nil {
		return reply{}, err
	}
	return ok(toSegmentReply(seg)), nil
}

func (s *Server) deleteSegment(r *http.Request) (reply, error) {
	app, id, err := s.appAnd(r, "id")
	if err != nil {
		return reply{}, err
	}
	if err := s.store.DeleteSegment(r.Context(), app.ID, id); err != nil {
		return reply{}, err
	}
	return reply{status: http.StatusNoContent}, nil
}

func (s *Server) listSegments(r *http.Request) (reply, error) {
	app, err := s.app(r)
	if err != nil {
		return reply{}, err
	}
	limit, err := queryLimit(r, defaultListLimit, maxListLimit)
	if err != nil {
		return reply{}, err
	}
	after, err := queryCursor(r, cursorSegments)
	if err != nil {
		return reply{}, err
	}
	segs, err := s.store.ListSegments(r.Context(), app.ID, after, limit+1)
	if err != nil {
		return reply{}, err
	}
	out := struct {
		Segments   []segmentReply `json:"segments"`
		NextCursor string         `json:"next_cursor,omitempty"`
	}{Segments: []segmentReply{}}
	if len(segs) > limit {
		segs = segs[:limit]
		out.NextCursor = encodeCursor(cursorSegments, segs[limit-1].ID)
	}
	for _, seg := range segs {
		out.Segments = append(out.Segments, toSegmentReply(seg))
	}
	return ok(out), nil
}
