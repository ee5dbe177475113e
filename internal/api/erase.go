package api

import (
	"context"
	"net/http"
)

// eraser is a fresh store that erases users: the embedded engine
// (duckdb.Engine.EraseUser). The distributed path cannot yet.
type eraser interface {
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
	e, ok := s.fresh.(eraser)
	if !ok {
		return reply{}, errorf(CodeUnprocessable, "", "erasing a user is not available on the distributed path yet")
	}
	if err := e.EraseUser(r.Context(), app.ID, id); err != nil {
		return reply{}, err
	}
	return reply{status: http.StatusNoContent}, nil
}
