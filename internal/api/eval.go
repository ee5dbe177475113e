package api

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"time"

	"github.com/segmentd/segmentd/internal/compile"
	"github.com/segmentd/segmentd/internal/query"
	"github.com/segmentd/segmentd/internal/store"
	"github.com/segmentd/segmentd/segment"
)

// evalRequest is what compile and count read: a tree and an instant.
type evalRequest struct {
	app  store.App
	loc  *time.Location
	tree segment.Node // expanded
	asOf time.Time
}

// evalFields are the body fields compile and count share.
type evalFields struct {
	Tree json.RawMessage `json:"tree"`
	AsOf json.RawMessage `json:"as_of"`
}

// resolveAsOf reads an optional as_of: absent, now to the second. A null
// is no time, refused like any other value that is not one: a client that
// meant to send a time learns that it did not.
func (s *Server) resolveAsOf(raw json.RawMessage) (time.Time, error) {
	if raw == nil {
		return s.now().UTC().Truncate(time.Second), nil
	}
	var text string
	if string(raw) != "null" && json.Unmarshal(raw, &text) == nil {
		if t, ok := segment.ParseTime(text); ok {
			return t, nil
		}
	}
	return time.Time{}, errorf(CodeInvalidArgument, "/as_of", "as_of must be an RFC 3339 time (at most microsecond precision)")
}

// readEval decodes a body into in (a struct embedding evalFields), expands
// the tree in the app and resolves as_of (default: now, to the second).
func (s *Server) readEval(r *http.Request, in any, fields *evalFields) (evalRequest, error) {
	var req evalRequest
	app, err := s.app(r)
	if err != nil {
		return req, err
	}
	body, err := readBody(r)
	if err != nil {
		return req, err
	}
	if err := decodeStrict(body, in); err != nil {
		return req, err
	}
	if len(fields.Tree) == 0 || string(fields.Tree) == "null" {
		return req, errorf(CodeInvalidTree, "/tree", "tree is required")
	}
	req.app = app
	if req.asOf, err = s.resolveAsOf(fields.AsOf); err != nil {
		return req, err
	}
	if req.loc, err = time.LoadLocation(app.TimeZone); err != nil {
		return req, fmt.Errorf("app %s has time zone %q: %w", app.ID, app.TimeZone, err)
	}
	tree, err := segment.Decode(fields.Tree, "/tree")
	if err != nil {
		return req, err
	}
	req.tree, err = segment.Expand(r.Context(), tree, "/tree", lookup{store: s.store, appID: app.ID})
	return req, err
}

func (s *Server) compileTree(r *http.Request) (reply, error) {
	var extra struct {
		evalFields
		Engine   string `json:"engine"`
		Strategy string `json:"strategy"`
	}
	req, err := s.readEval(r, &extra, &extra.evalFields)
	if err != nil {
		return reply{}, err
	}
	if extra.Engine == "" {
		extra.Engine = s.data.Dialect().Name
	}
	d := compile.DialectByName(extra.Engine)
	if d == nil {
		return reply{}, errorf(CodeInvalidArgument, "/engine", "engine is duckdb or trino")
	}
	st := compile.Strategy(extra.Strategy)
	switch st {
	case "":
		st = compile.Fused
	case compile.Fused, compile.Naive:
	default:
		return reply{}, errorf(CodeInvalidArgument, "/strategy", "strategy is fused or naive")
	}
	opt, tables, err := s.target(r.Context(), req, d, st)
	if err != nil {
		return reply{}, err
	}
	q, err := compile.Compile(req.tree, d, opt, tables)
	if err != nil {
		return reply{}, err
	}
	params := q.Params
	if params == nil {
		params = []any{}
	}
	return ok(map[string]any{"sql": q.Text, "params": params, "engine": d.Name, "strategy": st, "as_of": req.asOf}), nil
}

// target is what a query compiles against: the serving engine's tables
// (and split) for its own dialect, or the configured tables of the other.
func (s *Server) target(ctx context.Context, req evalRequest, d *compile.Dialect, st compile.Strategy) (compile.Options, compile.Tables, error) {
	opt := compile.Options{AppID: req.app.ID, AsOf: req.asOf, Location: req.loc, Strategy: st}
	switch {
	case d == s.data.Dialect():
		split, err := s.data.Split(ctx, req.app.ID, req.asOf)
		opt.Split = split
		return opt, s.data.Tables(), err
	case d == compile.Trino:
		return opt, s.trinoTables, nil
	default:
		return opt, compile.DefaultTables, nil
	}
}

type countReply struct {
	Count     int64      `json:"count"`
	AsOf      time.Time  `json:"as_of"`
	Watermark *time.Time `json:"watermark"`
	Cached    bool       `json:"cached"`
	ElapsedMS int64      `json:"elapsed_ms"`
}

func (s *Server) count(r *http.Request) (reply, error) {
	start := time.Now()
	var in evalFields
	req, err := s.readEval(r, &in, &in)
	if err != nil {
		return reply{}, err
	}
	// The watermark is read first: the count reflects at least the writes
	// it covers.
	wm, err := s.data.Watermark(r.Context(), req.app.ID)
	if err != nil {
		return reply{}, err
	}
	answer := query.NewAnswer(req.app.ID, s.data.Dialect().Name, req.tree, req.asOf, wm)
	n, cached := s.counts.Cached(r.Context(), answer)
	if !cached {
		opt, tables, err := s.target(r.Context(), req, s.data.Dialect(), compile.Fused)
		if err != nil {
			return reply{}, err
		}
		q, err := compile.Compile(req.tree, s.data.Dialect(), opt, tables)
		if err != nil {
			return reply{}, err
		}
		if n, err = s.counts.Count(r.Context(), answer, q); err != nil {
			return reply{}, err
		}
	}
	out := countReply{Count: n, AsOf: req.asOf, Cached: cached, ElapsedMS: time.Since(start).Milliseconds()}
	if !wm.IsZero() {
		wm = wm.UTC()
		out.Watermark = &wm
	}
	return ok(out), nil
}
