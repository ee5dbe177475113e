package api

import (
	"context"
	"errors"
	"fmt"
	"math"
	"net/http"
	"time"

	"github.com/segmentd/segmentd/internal/admit"
	"github.com/segmentd/segmentd/internal/engine"
	"github.com/segmentd/segmentd/internal/record"
	"github.com/segmentd/segmentd/internal/store"
	"github.com/segmentd/segmentd/segment"
)

// Error codes of the API (shared/spec/api.md, "Errors").
const (
	CodeInvalidJSON     = "invalid_json"
	CodeInvalidTree     = "invalid_tree"
	CodeInvalidArgument = "invalid_argument"
	CodeUnauthenticated = "unauthenticated"
	CodeForbidden       = "forbidden"
	CodeNotFound        = "not_found"
	// CodeMethodNotAllowed: the path is served, not with this method (the
	// Allow header lists those it is served with).
	CodeMethodNotAllowed = "method_not_allowed"
	CodeConflict         = "conflict"
	CodePayloadTooLarge  = "payload_too_large"
	CodeUnprocessable    = "unprocessable"
	CodeRateLimited      = "rate_limited"
	CodeCanceled         = "canceled"
	CodeInternal         = "internal"
	CodeUnavailable      = "unavailable"
	CodeTimeout          = "timeout"
)

// statusOf is the one table from error codes to HTTP status codes.
var statusOf = map[string]int{
	CodeInvalidJSON:      http.StatusBadRequest,
	CodeInvalidTree:      http.StatusBadRequest,
	CodeInvalidArgument:  http.StatusBadRequest,
	CodeUnauthenticated:  http.StatusUnauthorized,
	CodeForbidden:        http.StatusForbidden,
	CodeNotFound:         http.StatusNotFound,
	CodeMethodNotAllowed: http.StatusMethodNotAllowed,
	CodeConflict:         http.StatusConflict,
	CodePayloadTooLarge:  http.StatusRequestEntityTooLarge,
	CodeUnprocessable:    http.StatusUnprocessableEntity,
	CodeRateLimited:      http.StatusTooManyRequests,
	CodeCanceled:         499, // client closed the request
	CodeInternal:         http.StatusInternalServerError,
	CodeUnavailable:      http.StatusServiceUnavailable,
	CodeTimeout:          http.StatusGatewayTimeout,
}

// Error is an error as the API reports it.
type Error struct {
	Code    string            `json:"code"`
	Message string            `json:"message"`
	Path    string            `json:"path,omitempty"`
	Details []segment.Problem `json:"details,omitempty"`
	// RetryAfter, in seconds, is sent with unavailable.
	RetryAfter int `json:"-"`
}

func (e *Error) Error() string { return e.Code + ": " + e.Message }

// errorf makes an API error.
func errorf(code, path, format string, args ...any) *Error {
	return &Error{Code: code, Path: path, Message: fmt.Sprintf(format, args...)}
}

// ErrUnavailable marks an error of a dependency that is down (the engine,
// the store): the client may retry.
var ErrUnavailable = errors.New("unavailable")

// toAPIError maps any error a handler returns to what the client sees. It
// is the only place that decides status codes. internal reports whether
// the error is the server's fault, to be logged.
func toAPIError(err error) (e *Error, internal bool) {
	var apiErr *Error
	var segErr *segment.Error
	var tooLarge *http.MaxBytesError
	var missingRefs *store.MissingRefsError
	var busy *admit.BusyError
	switch {
	case errors.As(err, &apiErr):
		return apiErr, false
	case errors.As(err, &segErr):
		first := segErr.Problems[0]
		return &Error{Code: first.Code, Message: first.Message, Path: first.Path, Details: segErr.Problems}, false
	case errors.As(err, &tooLarge):
		return errorf(CodePayloadTooLarge, "", "the request body is larger than %d bytes", tooLarge.Limit), false
	case errors.As(err, &missingRefs):
		// a referenced segment was deleted while this one was being saved
		return errorf(CodeConflict, "/tree", "%s", err.Error()), false
	case errors.Is(err, store.ErrInvalid):
		return errorf(CodeInvalidArgument, "", "%s", err.Error()), false
	case errors.Is(err, record.ErrNotFound), errors.Is(err, errNotFound):
		return errorf(CodeNotFound, "", "%s", err.Error()), false
	case errors.Is(err, record.ErrConflict):
		return errorf(CodeConflict, "", "%s", err.Error()), false
	case errors.As(err, &busy):
		return &Error{Code: CodeUnavailable, Message: busy.Error(), RetryAfter: retryAfter(busy.RetryAfter)}, false
	case errors.Is(err, engine.ErrTooLarge):
		return errorf(CodeUnprocessable, "/tree", "the engine refused the query for its size: make the tree smaller (%s)", err.Error()), false
	case errors.Is(err, engine.ErrTimeout):
		return errorf(CodeTimeout, "", "%s", err.Error()), false
	case errors.Is(err, engine.ErrUnavailable):
		return &Error{Code: CodeUnavailable, Message: err.Error(), RetryAfter: 5}, true
	case errors.Is(err, context.Canceled):
		return errorf(CodeCanceled, "", "the request was canceled"), false
	case errors.Is(err, context.DeadlineExceeded):
		return errorf(CodeTimeout, "", "the query did not finish in time"), false
	case errors.Is(err, ErrUnavailable):
		return &Error{Code: CodeUnavailable, Message: err.Error(), RetryAfter: 5}, true
	}
	return errorf(CodeInternal, "", "internal error"), true
}

// retryAfter is a Retry-After in whole seconds, at least one.
func retryAfter(d time.Duration) int {
	return max(1, int(math.Ceil(d.Seconds())))
}

// errNotFound is the handlers' own not-found, for resources that are not
// in a store (an app key asking for another app, say).
var errNotFound = errors.New("not found")
