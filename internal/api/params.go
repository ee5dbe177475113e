package api

import (
	"encoding/base64"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/go-chi/chi/v5"

	"github.com/segmentd/segmentd/internal/ingest"
)

// Path and query parameters. An error about one has the path "/<name>":
// they are not in the body, but a client finds the culprit the same way.

// routeEscaped makes the router match the escaped path, always. chi
// routes on r.URL.RawPath when Go kept one (an escaping other than the
// default) and on the decoded r.URL.Path otherwise, so a parameter would
// come out escaped or not depending on how the client escaped it, and a
// "/" in an ID (%2F) would split the segment. On the escaped path every
// parameter is captured escaped and pathID decodes it exactly once.
func routeEscaped(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if rctx := chi.RouteContext(r.Context()); rctx != nil {
			rctx.RoutePath = r.URL.EscapedPath()
		}
		next.ServeHTTP(w, r)
	})
}

// pathID returns the {name} parameter of the path, percent-decoded: an
// app, user, segment or run ID. Every ID is checked by the rule that
// ingestion applies to user IDs (1 to 256 bytes of UTF-8 without control
// characters), on every route.
func pathID(r *http.Request, name string) (string, error) {
	id, err := url.PathUnescape(chi.URLParam(r, name))
	if err != nil || !ingest.ValidUserID(id) {
		return "", errorf(CodeInvalidArgument, "/"+name, "%s must be 1 to %d bytes of UTF-8 without control characters, percent-encoded in the path", name, ingest.MaxIDBytes)
	}
	return id, nil
}

// queryLimit reads ?limit=: def when absent, otherwise a whole number from
// 1 to max (an empty value is not absent: it is refused).
func queryLimit(r *http.Request, def, max int) (int, error) {
	q := r.URL.Query()
	if !q.Has("limit") {
		return def, nil
	}
	n, err := strconv.Atoi(q.Get("limit"))
	if err != nil || n < 1 || n > max {
		return 0, errorf(CodeInvalidArgument, "/limit", "limit is a whole number from 1 to %d", max)
	}
	return n, nil
}

// A page cursor is the last ID of the page, tagged with what it pages
// through and opaque to clients: a cursor of another list, or anything
// else that decodes, is refused rather than read as a place to start.
const (
	cursorSegments = "segments"
	cursorMembers  = "members"
)

func encodeCursor(kind, id string) string {
	return base64.RawURLEncoding.EncodeToString([]byte(kind + ":" + id))
}

// queryCursor reads ?cursor= of a list of kind: "" for the first page
// (absent or empty), else the ID to continue after.
func queryCursor(r *http.Request, kind string) (string, error) {
	c := r.URL.Query().Get("cursor")
	if c == "" {
		return "", nil
	}
	b, err := base64.RawURLEncoding.DecodeString(c)
	id, ours := strings.CutPrefix(string(b), kind+":")
	if err != nil || !ours || !ingest.ValidUserID(id) {
		return "", errorf(CodeInvalidArgument, "/cursor", "the cursor is not one this list returned")
	}
	return id, nil
}
