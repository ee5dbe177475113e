package api

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"net"
	"net/http"
	"strings"

	"github.com/segmentd/segmentd/internal/record"
	"github.com/segmentd/segmentd/internal/store"
)

// An API key is "sgd_<key id>_<secret>". The store keeps the key ID and
// the SHA-256 of the secret; a request's key is found by its ID and its
// secret compared in constant time.
const keyPrefix = "sgd_"

// NewKey makes an API key for an app: the text to show once, and the
// record to store. It has every scope, as keys had before scopes.
func NewKey(appID string) (text string, k store.Key) {
	id := make([]byte, 8)
	secret := make([]byte, 24)
	_, _ = rand.Read(id) // crypto/rand.Read never fails
	_, _ = rand.Read(secret)
	k = store.Key{ID: hex.EncodeToString(id), AppID: appID, Scopes: appScopes,
		SecretHash: hashSecret(base64.RawURLEncoding.EncodeToString(secret))}
	return keyPrefix + k.ID + "_" + base64.RawURLEncoding.EncodeToString(secret), k
}

func hashSecret(secret string) []byte {
	h := sha256.Sum256([]byte(secret))
	return h[:]
}

// principal is who a request speaks for.
type principal struct {
	admin  bool
	appID  string   // for an app key
	keyID  string   // for an app key
	scopes []string // of an app key
}

type principalKey struct{}

func principalOf(ctx context.Context) principal {
	p, _ := ctx.Value(principalKey{}).(principal)
	return p
}

var errUnauthenticated = errorf(CodeUnauthenticated, "", "a valid API key is required: Authorization: Bearer <key>")

// authenticate resolves the bearer key. Without one, only loopback
// requests of a --dev server pass, as admin.
func (s *Server) authenticate(r *http.Request) (principal, error) {
	auth := r.Header.Get("Authorization")
	token, ok := bearerToken(auth)
	if !ok {
		if auth == "" && s.dev && isLoopback(r.RemoteAddr) {
			return principal{admin: true}, nil
		}
		return principal{}, errUnauthenticated
	}
	if s.adminHash != nil && subtle.ConstantTimeCompare(hashSecret(token), s.adminHash) == 1 {
		return principal{admin: true}, nil
	}
	rest, ok := strings.CutPrefix(token, keyPrefix)
	id, secret, ok2 := strings.Cut(rest, "_")
	if !ok || !ok2 {
		return principal{}, errUnauthenticated
	}
	k, err := s.store.GetKey(r.Context(), id)
	if errors.Is(err, record.ErrNotFound) {
		return principal{}, errUnauthenticated
	}
	if err != nil {
		return principal{}, err
	}
	if subtle.ConstantTimeCompare(hashSecret(secret), k.SecretHash) != 1 {
		return principal{}, errUnauthenticated
	}
	s.touch(r, k)
	return principal{appID: k.AppID, keyID: k.ID, scopes: k.Scopes}, nil
}

// bearerToken is the credentials of a Bearer authorization. The scheme is
// case-insensitive (RFC 9110, 11.1): "bearer KEY" is as good as "Bearer KEY".
func bearerToken(auth string) (string, bool) {
	scheme, token, _ := strings.Cut(auth, " ")
	token = strings.TrimLeft(token, " ")
	return token, strings.EqualFold(scheme, "Bearer") && token != ""
}

func isLoopback(remoteAddr string) bool {
	host, _, err := net.SplitHostPort(remoteAddr)
	if err != nil {
		return false
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// withAuth puts the request's principal in its context, or answers 401.
func (s *Server) withAuth(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p, err := s.authenticate(r)
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), principalKey{}, p)))
	})
}

// appScoped lets through the admin key and the keys of the {app} in the
// path. Another app's key gets 404, as if the app did not exist: a key
// never learns what other apps there are.
func (s *Server) appScoped(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p := principalOf(r.Context())
		app, err := pathID(r, "app")
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		if !p.admin && p.appID != app {
			s.writeError(w, r, errorf(CodeNotFound, "", "no such app"))
			return
		}
		next.ServeHTTP(w, r)
	})
}
