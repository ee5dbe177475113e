package api

import (
	"net/http"
	"time"

	"github.com/segmentd/segmentd/internal/query"
)

type schemaReply struct {
	query.Dictionary
	Cached    bool  `json:"cached"`
	ElapsedMS int64 `json:"elapsed_ms"`
}

// schema answers the app's data dictionary (query.Service.Schema).
func (s *Server) schema(r *http.Request) (reply, error) {
	start := time.Now()
	app, err := s.app(r)
	if err != nil {
		return reply{}, err
	}
	d, cached, err := s.svc.Schema(r.Context(), app.ID, s.now())
	if err != nil {
		return reply{}, err
	}
	return ok(schemaReply{Dictionary: d, Cached: cached, ElapsedMS: time.Since(start).Milliseconds()}), nil
}
