package api

import (
	"net/http"
	"time"

	"github.com/segmentd/segmentd/internal/evaluate"
	"github.com/segmentd/segmentd/internal/query"
)

// Why one user is or is not in a tree: the reference evaluator's
// decision at every node (query.Service.Why, evaluate.Explain).

type whyReply struct {
	UserID    string                 `json:"user_id"`
	Member    bool                   `json:"member"`
	AsOf      time.Time              `json:"as_of"`
	UserKnown bool                   `json:"user_known"`
	Nodes     []evaluate.Explanation `json:"nodes"`
}

// userWhy is POST /v1/apps/{app}/users/{user_id}/explain: a tree of the
// body, at as_of (default: now, to the second), for one user.
func (s *Server) userWhy(r *http.Request) (reply, error) {
	var in struct {
		evalFields
		ExpandReferences bool `json:"expand_references"`
	}
	req, err := s.readEval(r, &in, &in.evalFields)
	if err != nil {
		return reply{}, err
	}
	userID, err := pathID(r, "user_id")
	if err != nil {
		return reply{}, err
	}
	w, err := s.svc.Why(r.Context(), query.WhyRequest{Request: req, UserID: userID, ExpandReferences: in.ExpandReferences})
	if err != nil {
		return reply{}, err
	}
	return ok(whyReply{UserID: userID, Member: w.Member, AsOf: w.AsOf, UserKnown: w.UserKnown, Nodes: w.Nodes}), nil
}

// segmentMemberOrWhy is GET …/segments/{id}/members/{user_id}: the
// membership (segmentMember), explained node by node with ?explain=true
// (and each reference's tree with &expand_references=true).
func (s *Server) segmentMemberOrWhy(r *http.Request) (reply, error) {
	explain, err := queryBool(r, "explain")
	if err != nil {
		return reply{}, err
	}
	expand, err := queryBool(r, "expand_references")
	if err != nil {
		return reply{}, err
	}
	if !explain {
		return s.segmentMember(r)
	}
	app, segID, err := s.appAnd(r, "id")
	if err != nil {
		return reply{}, err
	}
	userID, err := pathID(r, "user_id")
	if err != nil {
		return reply{}, err
	}
	w, err := s.svc.MemberWhy(r.Context(), app, segID, userID, s.now(), expand)
	if err != nil {
		return reply{}, err
	}
	return ok(map[string]any{"member": w.Member, "as_of": w.AsOf, "segment_version": w.Version,
		"user_known": w.UserKnown, "nodes": w.Nodes}), nil
}

// queryBool reads ?name=true|false (absent: false); any other value is
// refused.
func queryBool(r *http.Request, name string) (bool, error) {
	q := r.URL.Query()
	if !q.Has(name) {
		return false, nil
	}
	switch q.Get(name) {
	case "true":
		return true, nil
	case "false":
		return false, nil
	}
	return false, errorf(CodeInvalidArgument, "/"+name, "%s is true or false", name)
}
