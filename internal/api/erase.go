package api

import (
	"context"
	"net/http"
)

// Eraser erases a user's profile and every event from every store of an
// engine and moves the app's watermark: duckdb.Engine on the embedded
// default, compact.Eraser on the distributed path.
type Eraser interface {
	EraseUser(ctx context.Context, appID, userID string) error
}

// eraseUser deletes a user's profile and every event from every store of
// the engine, and moves the app's watermark, so that no count cached
// before is served after. Erasing a user who is not there is 204 too: a
// retried erasure succeeds.
func (s *Server) eraseUser(r *http.Request) (reply, error) {
	app, id, err := s.appAnd(r, "user_id")
	if err != nil {
		return reply{}, err
	}
	if s.eraser == nil {
		return reply{}, errorf(CodeUnprocessable, "", "this engine cannot erase users")
	}
	if err := s.eraser.EraseUser(r.Context(), app.ID, id); err != nil {
		return reply{}, err
	}
	return reply{status: http.StatusNoContent}, nil
}
