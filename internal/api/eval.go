package api

import (
	"encoding/json"
	"net/http"
	"time"

	"github.com/segmentd/segmentd/internal/compile"
	"github.com/segmentd/segmentd/internal/query"
	"github.com/segmentd/segmentd/segment"
)

// evalFields are the body fields compile and count share.
type evalFields struct {
	Tree json.RawMessage `json:"tree"`
	AsOf json.RawMessage `json:"as_of"`
}

// resolveAsOf reads an optional as_of: absent, now to the second (a null
// never gets here: decodeStrict refuses it).
func (s *Server) resolveAsOf(raw json.RawMessage) (time.Time, error) {
	if raw == nil {
		return s.now().UTC().Truncate(time.Second), nil
	}
	var text string
	if json.Unmarshal(raw, &text) == nil {
		if t, ok := segment.ParseTime(text); ok {
			return t, nil
		}
	}
	return time.Time{}, errorf(CodeInvalidArgument, "/as_of", "as_of must be an RFC 3339 time (at most microsecond precision)")
}

// readEval decodes a body into in (a struct embedding evalFields),
// resolves as_of (default: now, to the second) and prepares the tree.
func (s *Server) readEval(r *http.Request, in any, fields *evalFields) (query.Request, error) {
	app, err := s.app(r)
	if err != nil {
		return query.Request{}, err
	}
	body, err := readBody(r)
	if err != nil {
		return query.Request{}, err
	}
	if err := decodeStrict(body, in); err != nil {
		return query.Request{}, err
	}
	if len(fields.Tree) == 0 || string(fields.Tree) == "null" {
		return query.Request{}, errorf(CodeInvalidTree, "/tree", "tree is required")
	}
	asOf, err := s.resolveAsOf(fields.AsOf)
	if err != nil {
		return query.Request{}, err
	}
	return s.svc.Prepare(r.Context(), app, fields.Tree, "/tree", asOf)
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
		extra.Engine = s.svc.Dialect().Name
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
	q, err := s.svc.Compile(r.Context(), req, d, st)
	if err != nil {
		return reply{}, err
	}
	params := q.Params
	if params == nil {
		params = []any{}
	}
	return ok(map[string]any{"sql": q.Text, "params": params, "engine": d.Name, "strategy": st, "as_of": req.AsOf,
		"warnings": req.Warnings}), nil
}

type countReply struct {
	Count     int64      `json:"count"`
	AsOf      time.Time  `json:"as_of"`
	Watermark *time.Time `json:"watermark"`
	Cached    bool       `json:"cached"`
	ElapsedMS int64      `json:"elapsed_ms"`
	// Warnings are the tree's (query.Warnings), never null.
	Warnings []query.Warning `json:"warnings"`
}

func (s *Server) count(r *http.Request) (reply, error) {
	start := time.Now()
	var in evalFields
	req, err := s.readEval(r, &in, &in)
	if err != nil {
		return reply{}, err
	}
	res, err := s.svc.Count(r.Context(), req)
	if err != nil {
		return reply{}, err
	}
	out := countReply{Count: res.Count, AsOf: req.AsOf, Cached: res.Cached, ElapsedMS: time.Since(start).Milliseconds(),
		Warnings: req.Warnings}
	if !res.Watermark.IsZero() {
		wm := res.Watermark.UTC()
		out.Watermark = &wm
	}
	return ok(out), nil
}
