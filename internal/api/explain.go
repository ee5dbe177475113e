package api

import (
	"net/http"
	"time"

	"github.com/segmentd/segmentd/internal/query"
)

type explainReply struct {
	Count     int64      `json:"count"`
	Users     int64      `json:"users"`
	AsOf      time.Time  `json:"as_of"`
	Watermark *time.Time `json:"watermark"`
	ElapsedMS int64      `json:"elapsed_ms"`
	// Nodes are every node of the tree as given, the root first, in
	// depth-first order.
	Nodes    []query.NodeCount `json:"nodes"`
	Warnings []query.Warning   `json:"warnings"`
}

// explain answers the size of every node of a tree (query.Service.Explain).
func (s *Server) explain(r *http.Request) (reply, error) {
	start := time.Now()
	var in struct {
		evalFields
		ExpandReferences bool `json:"expand_references"`
	}
	req, err := s.readEval(r, &in, &in.evalFields)
	if err != nil {
		return reply{}, err
	}
	x, err := s.svc.Explain(r.Context(), req, in.ExpandReferences)
	if err != nil {
		return reply{}, err
	}
	out := explainReply{Count: x.Count, Users: x.Users, AsOf: req.AsOf, ElapsedMS: time.Since(start).Milliseconds(),
		Nodes: x.Nodes, Warnings: req.Warnings}
	if !x.Watermark.IsZero() {
		wm := x.Watermark.UTC()
		out.Watermark = &wm
	}
	return ok(out), nil
}
