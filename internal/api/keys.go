package api

import (
	"errors"
	"fmt"
	"net/http"
	"slices"
	"time"

	"github.com/segmentd/segmentd/internal/record"
	"github.com/segmentd/segmentd/internal/store"
)

// A scope is what a route needs of the key that calls it. An app key
// carries some of the app scopes; the admin key has them all.
type scope string

const (
	scopePublic   scope = ""         // no key needed
	scopeAdmin    scope = "admin"    // the admin key only
	scopeIngest   scope = "ingest"   // events and profile writes
	scopeRead     scope = "read"     // runs, members, exports, single-user membership, profiles
	scopeSegments scope = "segments" // segments, compile, count
)

// appScopes are the scopes an app key may carry, in the order they are
// listed; a key created without scopes (or before scopes) has them all.
var appScopes = []string{string(scopeIngest), string(scopeRead), string(scopeSegments)}

// touchEvery bounds how often a key's last use is written: at most once a
// minute per key, so that authenticating stays a read.
const touchEvery = time.Minute

// need answers 403 forbidden to an app key without the scope.
func (s *Server) need(sc scope) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			p := principalOf(r.Context())
			if !p.admin && !slices.Contains(p.scopes, string(sc)) {
				s.writeError(w, r, errorf(CodeForbidden, "", "this key lacks the %q scope", sc))
				return
			}
			next.ServeHTTP(w, r)
		})
	}
}

// touch records the key's use when it was last recorded a minute ago or
// more, by this server or another (the stored time).
func (s *Server) touch(r *http.Request, k store.Key) {
	now := s.now()
	if now.Sub(k.LastUsedAt) < touchEvery {
		return
	}
	if last, loaded := s.touched.Swap(k.ID, now); loaded && now.Sub(last.(time.Time)) < touchEvery {
		return
	}
	if err := s.store.TouchKey(r.Context(), k.ID, now); err != nil {
		// the request goes on: a stale "last used" is no reason to refuse it
		s.log.WarnContext(r.Context(), "recording a key's use failed", "key_id", k.ID, "error", err)
	}
}

type keyBody struct {
	Name   string    `json:"name"`
	Scopes *[]string `json:"scopes"`
}

// keyReply is a key as listed: never its secret. APIKey is the key's
// text, in the answer that creates it only.
type keyReply struct {
	APIKey     string     `json:"api_key,omitempty"`
	KeyID      string     `json:"key_id"`
	Name       string     `json:"name"`
	Scopes     []string   `json:"scopes"`
	CreatedAt  time.Time  `json:"created_at"`
	LastUsedAt *time.Time `json:"last_used_at"`
}

func keyOf(k store.Key) keyReply {
	out := keyReply{KeyID: k.ID, Name: k.Name, Scopes: k.Scopes, CreatedAt: k.CreatedAt}
	if !k.LastUsedAt.IsZero() {
		out.LastUsedAt = &k.LastUsedAt
	}
	return out
}

// keyScopes checks the scopes of a new key: omitted is every scope; given,
// one or more of appScopes, each once.
func keyScopes(in *[]string) ([]string, error) {
	if in == nil {
		return appScopes, nil
	}
	if len(*in) == 0 {
		return nil, errorf(CodeInvalidArgument, "/scopes", "scopes must name at least one of %q", appScopes)
	}
	for i, sc := range *in {
		if !slices.Contains(appScopes, sc) {
			return nil, errorf(CodeInvalidArgument, fmt.Sprintf("/scopes/%d", i), "unknown scope %q: want one of %q", sc, appScopes)
		}
		if slices.Contains((*in)[:i], sc) {
			return nil, errorf(CodeInvalidArgument, fmt.Sprintf("/scopes/%d", i), "scope %q is listed twice", sc)
		}
	}
	return *in, nil
}

// createKey adds a key to the app. The body is optional: without one the
// key is unnamed and has every scope, as keys had before scopes.
func (s *Server) createKey(r *http.Request) (reply, error) {
	app, err := s.app(r)
	if err != nil {
		return reply{}, err
	}
	body, err := readBody(r)
	if err != nil {
		return reply{}, err
	}
	var in keyBody
	if len(body) > 0 {
		if err := decodeStrict(body, &in); err != nil {
			return reply{}, err
		}
	}
	if len(in.Name) > store.MaxKeyNameLen {
		return reply{}, errorf(CodeInvalidArgument, "/name", "name must be at most %d bytes", store.MaxKeyNameLen)
	}
	scopes, err := keyScopes(in.Scopes)
	if err != nil {
		return reply{}, err
	}
	text, k, err := s.newKey(r, app.ID, in.Name, scopes)
	if err != nil {
		return reply{}, err
	}
	out := keyOf(k)
	out.APIKey = text
	return created(out), nil
}

// newKey creates and stores a key of the app; its text is shown once.
func (s *Server) newKey(r *http.Request, appID, name string, scopes []string) (string, store.Key, error) {
	text, k := NewKey(appID)
	k.Name, k.Scopes = name, scopes
	if err := s.store.CreateKey(r.Context(), k); err != nil {
		return "", k, err
	}
	k, err := s.store.GetKey(r.Context(), k.ID)
	return text, k, err
}

func (s *Server) listKeys(r *http.Request) (reply, error) {
	app, err := s.app(r)
	if err != nil {
		return reply{}, err
	}
	keys, err := s.store.ListKeys(r.Context(), app.ID)
	if err != nil {
		return reply{}, err
	}
	out := make([]keyReply, len(keys))
	for i, k := range keys {
		out[i] = keyOf(k)
	}
	return ok(map[string]any{"keys": out}), nil
}

// deleteKey revokes a key. Keys are not cached: every request reads its
// key from the store, so the key fails at once on every server.
func (s *Server) deleteKey(r *http.Request) (reply, error) {
	app, id, err := s.appAnd(r, "key_id")
	if err != nil {
		return reply{}, err
	}
	err = s.store.DeleteKey(r.Context(), app.ID, id)
	if errors.Is(err, record.ErrNotFound) {
		return reply{}, errorf(CodeNotFound, "", "no such key")
	}
	if err != nil {
		return reply{}, err
	}
	return reply{status: http.StatusNoContent}, nil
}
