package api

import (
	"context"
	"net/http"
	"time"

	"github.com/segmentd/segmentd/internal/ingest"
	"github.com/segmentd/segmentd/internal/record"
)

func (s *Server) postEvents(r *http.Request) (reply, error) {
	app, err := s.app(r)
	if err != nil {
		return reply{}, err
	}
	body, err := readBody(r)
	if err != nil {
		return reply{}, err
	}
	events, err := ingest.DecodeEvents(body)
	if err != nil {
		return reply{}, err
	}
	inserted, err := s.fresh.WriteEvents(r.Context(), app.ID, events)
	if err != nil {
		return reply{}, err
	}
	s.metrics.events.Add(float64(inserted))
	return reply{http.StatusAccepted, map[string]int{"accepted": len(events), "inserted": inserted}}, nil
}

type userReply struct {
	UserID     string         `json:"user_id"`
	Attributes map[string]any `json:"attributes"`
	FirstSeen  *time.Time     `json:"first_seen"`
	LastSeen   *time.Time     `json:"last_seen"`
}

func toUserReply(u record.User) userReply {
	at := func(t time.Time) *time.Time {
		if t.IsZero() {
			return nil
		}
		t = t.UTC()
		return &t
	}
	attrs := u.Attributes
	if attrs == nil {
		attrs = map[string]any{}
	}
	return userReply{UserID: u.UserID, Attributes: attrs, FirstSeen: at(u.FirstSeen), LastSeen: at(u.LastSeen)}
}

func (s *Server) getUser(r *http.Request) (reply, error) {
	app, err := s.app(r)
	if err != nil {
		return reply{}, err
	}
	id, err := pathID(r, "user_id")
	if err != nil {
		return reply{}, err
	}
	u, err := s.fresh.GetUser(r.Context(), app.ID, id)
	if err != nil {
		return reply{}, err
	}
	return ok(toUserReply(u)), nil
}

func (s *Server) putUser(r *http.Request) (reply, error) {
	return s.writeUser(r, ingest.PutProfile)
}

func (s *Server) patchUser(r *http.Request) (reply, error) {
	return s.writeUser(r, ingest.PatchProfile)
}

// writeUser applies a profile rule (ingest: PUT replaces, PATCH merges)
// to the fresh store.
func (s *Server) writeUser(r *http.Request, write func(ctx context.Context, s ingest.ProfileStore, appID, userID string, attrs map[string]any) (record.User, error)) (reply, error) {
	app, err := s.app(r)
	if err != nil {
		return reply{}, err
	}
	id, err := pathID(r, "user_id")
	if err != nil {
		return reply{}, err
	}
	body, err := readBody(r)
	if err != nil {
		return reply{}, err
	}
	attrs, err := ingest.DecodeAttributes(body)
	if err != nil {
		return reply{}, err
	}
	u, err := write(r.Context(), s.fresh, app.ID, id, attrs)
	if err != nil {
		return reply{}, err
	}
	return ok(toUserReply(u)), nil
}
