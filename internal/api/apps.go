package api

import (
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"time"

	"github.com/segmentd/segmentd/internal/record"
	"github.com/segmentd/segmentd/internal/store"
	"github.com/segmentd/segmentd/segment"
)

var appIDRE = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]{0,63}$`)

type appBody struct {
	AppID    string `json:"app_id"`
	TimeZone string `json:"time_zone"`
}

type appReply struct {
	AppID     string    `json:"app_id"`
	TimeZone  string    `json:"time_zone"`
	CreatedAt time.Time `json:"created_at"`
	APIKey    string    `json:"api_key,omitempty"`
}

func (s *Server) createApp(r *http.Request) (reply, error) {
	body, err := readBody(r)
	if err != nil {
		return reply{}, err
	}
	var in appBody
	if err := decodeStrict(body, &in); err != nil {
		return reply{}, err
	}
	var problems []segment.Problem
	if !appIDRE.MatchString(in.AppID) {
		problems = append(problems, segment.Problem{Code: CodeInvalidArgument, Path: "/app_id", Message: "app_id must match " + appIDRE.String()})
	}
	if in.TimeZone == "" {
		in.TimeZone = "UTC"
	}
	if _, err := time.LoadLocation(in.TimeZone); err != nil || in.TimeZone == "Local" {
		problems = append(problems, segment.Problem{Code: CodeInvalidArgument, Path: "/time_zone", Message: fmt.Sprintf("%q is not an IANA time zone", in.TimeZone)})
	}
	if len(problems) > 0 {
		return reply{}, &segment.Error{Problems: problems}
	}
	app, err := s.store.CreateApp(r.Context(), store.App{ID: in.AppID, TimeZone: in.TimeZone})
	if errors.Is(err, record.ErrConflict) {
		return reply{}, errorf(CodeConflict, "/app_id", "app %q exists already", in.AppID)
	}
	if err != nil {
		return reply{}, err
	}
	key, _, err := s.newKey(r, app.ID, "initial", appScopes)
	if err != nil {
		return reply{}, err
	}
	return created(appReply{AppID: app.ID, TimeZone: app.TimeZone, CreatedAt: app.CreatedAt, APIKey: key}), nil
}

// app returns the {app} of the path, 404 if it does not exist.
func (s *Server) app(r *http.Request) (store.App, error) {
	id, err := pathID(r, "app")
	if err != nil {
		return store.App{}, err
	}
	app, err := s.store.GetApp(r.Context(), id)
	if errors.Is(err, record.ErrNotFound) {
		return app, errorf(CodeNotFound, "", "no such app")
	}
	return app, err
}

// appAnd returns the {app} of the path and its ID parameter name.
func (s *Server) appAnd(r *http.Request, name string) (store.App, string, error) {
	app, err := s.app(r)
	if err != nil {
		return app, "", err
	}
	id, err := pathID(r, name)
	return app, id, err
}

func (s *Server) getApp(r *http.Request) (reply, error) {
	app, err := s.app(r)
	if err != nil {
		return reply{}, err
	}
	return ok(appReply{AppID: app.ID, TimeZone: app.TimeZone, CreatedAt: app.CreatedAt}), nil
}
