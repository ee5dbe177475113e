// Package api is segmentd's HTTP API (shared/spec/api.md) on go-chi.
// Handlers return a result or an error; one adapter writes the JSON
// envelope, and toAPIError alone decides status codes.
package api

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"net/http"
	"reflect"
	"runtime"
	"runtime/debug"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/segmentd/segmentd/internal/admit"
	"github.com/segmentd/segmentd/internal/compile"
	"github.com/segmentd/segmentd/internal/console"
	"github.com/segmentd/segmentd/internal/engine"
	"github.com/segmentd/segmentd/internal/ingest"
	"github.com/segmentd/segmentd/internal/query"
	"github.com/segmentd/segmentd/internal/ratelimit"
	"github.com/segmentd/segmentd/internal/runs"
	"github.com/segmentd/segmentd/internal/schedule"
	"github.com/segmentd/segmentd/internal/store"
	"github.com/segmentd/segmentd/internal/webhook"
)

// MaxBodyBytes bounds every request body (spec: 1 MiB).
const MaxBodyBytes = 1 << 20

// Store is what the API keeps apps, keys and segments in (internal/store).
type Store interface {
	runs.Store
	ScheduleStore
	webhook.Store
	GetRun(ctx context.Context, appID, runID string) (store.Run, error)
	PurgeRun(ctx context.Context, appID, runID string) (store.Run, bool, error)
	ListRuns(ctx context.Context, appID, segmentID string, page store.RunPage) ([]store.Run, error)
	Ping(ctx context.Context) error
	CreateApp(ctx context.Context, a store.App) (store.App, error)
	GetApp(ctx context.Context, appID string) (store.App, error)
	CreateKey(ctx context.Context, k store.Key) error
	GetKey(ctx context.Context, keyID string) (store.Key, error)
	ListKeys(ctx context.Context, appID string) ([]store.Key, error)
	DeleteKey(ctx context.Context, appID, keyID string) error
	TouchKey(ctx context.Context, keyID string, t time.Time) error
	CreateSegment(ctx context.Context, seg store.Segment) (store.Segment, error)
	UpdateSegment(ctx context.Context, seg store.Segment) (store.Segment, error)
	GetSegment(ctx context.Context, appID, id string) (store.Segment, error)
	GetSegmentVersion(ctx context.Context, appID, id string, version int) (store.Segment, error)
	ListSegments(ctx context.Context, appID, after string, limit int) ([]store.Segment, error)
	DeleteSegment(ctx context.Context, appID, id string) error
}

// Config is what a Server needs.
type Config struct {
	Store Store
	// Engine runs segment queries; Fresh takes the ingestion API's writes
	// and has the newest data (on the embedded default, both are DuckDB).
	Engine engine.Engine
	Fresh  ingest.Fresh
	// Eraser erases users from every store of the engine
	// (DELETE …/users/{user_id}); nil: Fresh, if it erases.
	Eraser Eraser
	Logger *slog.Logger
	// AdminKey manages apps; empty disables the admin routes but for --dev.
	AdminKey string
	// Dev lets unauthenticated requests from loopback act as admin.
	Dev bool
	// TrinoTables are the tables compile names for the trino engine.
	TrinoTables compile.Tables
	// QueryTimeout bounds one count.
	QueryTimeout time.Duration
	// Now is the clock (tests fix it); nil is time.Now.
	Now func() time.Time
	// Runs configures runs, snapshots and the count cache.
	Runs RunConfig
	// Admission bounds the engine queries at once (default: a slot a
	// core).
	Admission admit.Config
	// RateLimits are each app key's limits per route class (none if
	// empty); RateLimiter keeps the buckets (nil: in this process).
	RateLimits  ratelimit.Limits
	RateLimiter ratelimit.Limiter
	// Schedules configures the segments' schedules and the runs' leases.
	Schedules ScheduleConfig
	// Webhooks configures the webhooks' delivery worker (its Store and
	// Diff are the server's); AllowPrivate lets webhooks reach loopback and
	// private addresses.
	Webhooks webhook.Config
}

// Server serves the API.
type Server struct {
	store     Store
	engine    engine.Engine
	fresh     ingest.Fresh
	eraser    Eraser
	log       *slog.Logger
	adminHash []byte
	dev       bool
	now       func() time.Time
	metrics   *metrics
	router    chi.Router
	runCfg    RunConfig
	runs      *runs.Scheduler
	// svc is the use cases the handlers call.
	svc *query.Service
	// touched is when this server last recorded each key's use (touch).
	touched sync.Map
	limits  ratelimit.Limits
	limiter ratelimit.Limiter
	// sched creates the runs of the segments' schedules (nil: Off).
	sched    *schedule.Scheduler
	schedCfg ScheduleConfig
	// hooks are the webhooks' use cases; hookWorker sends their deliveries.
	hooks      *webhook.Service
	hookWorker *webhook.Worker
}

// New builds the server and its routes.
func New(cfg Config) *Server {
	s := &Server{store: cfg.Store, engine: cfg.Engine, fresh: cfg.Fresh, log: cfg.Logger, dev: cfg.Dev, now: cfg.Now, runCfg: cfg.Runs,
		limits: cfg.RateLimits, limiter: cfg.RateLimiter}
	if s.limiter == nil {
		s.limiter = &ratelimit.Local{}
	}
	if s.eraser = cfg.Eraser; s.eraser == nil {
		s.eraser, _ = cfg.Fresh.(Eraser)
	}
	s.runCfg.defaults()
	if s.log == nil {
		s.log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if s.now == nil {
		s.now = time.Now
	}
	if cfg.QueryTimeout == 0 {
		cfg.QueryTimeout = time.Minute
	}
	if cfg.TrinoTables.Users == "" {
		cfg.TrinoTables = compile.DefaultTables
	}
	if cfg.AdminKey != "" {
		s.adminHash = hashSecret(cfg.AdminKey)
	}
	if cfg.Admission.Slots == 0 {
		cfg.Admission.Slots = runtime.NumCPU()
	}
	// One gate admits every engine query, counts and runs alike.
	gate := admit.New(cfg.Admission)
	s.svc = query.New(query.Config{Segments: s.store, Runs: s.store, Engine: s.engine, Fresh: s.fresh, TrinoTables: cfg.TrinoTables, Gate: gate,
		QueryTimeout: cfg.QueryTimeout, Cache: s.runCfg.Cache, Local: s.runCfg.Local,
		SnapshotTTL: s.runCfg.SnapshotTTL, CountTTL: s.runCfg.CountTTL, Log: s.log})
	s.metrics = newMetrics(gate.Collectors()...)
	s.schedCfg = cfg.Schedules
	s.runs = s.newScheduler()
	s.newSchedules(cfg.Schedules)
	s.newWebhooks(cfg.Webhooks)
	s.router = s.routes()
	return s
}

func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.router.ServeHTTP(w, r) }

// Routes lists every route as "METHOD /path", for the OpenAPI test.
func (s *Server) Routes() []string {
	var out []string
	_ = chi.Walk(s.router, func(method, route string, _ http.Handler, _ ...func(http.Handler) http.Handler) error {
		out = append(out, method+" "+route)
		return nil
	})
	return out
}

// endpoint is a route and the scope it needs: the one table of who may
// call what (TestEveryRouteDeclaresItsScope holds every route to it).
type endpoint struct {
	method, pattern string
	scope           scope
	class           ratelimit.Class // the key's bucket; "" for none
	handler         http.Handler
}

func (s *Server) endpoints() []endpoint {
	const app = "/v1/apps/{app}"
	return []endpoint{
		{"GET", "/healthz", scopePublic, "", s.handle(s.healthz)},
		{"GET", "/readyz", scopePublic, "", s.handle(s.readyz)},
		{"GET", "/v1/openapi.json", scopePublic, "", http.HandlerFunc(s.openAPI)},
		{"GET", "/metrics", scopePublic, "", s.metrics.handler()},
		// The segment console (internal/console): public files, not API
		// routes (no OpenAPI entry); it calls the API with the user's key.
		{"GET", "/", scopePublic, "", console.Page()},
		{"GET", console.Prefix + "*", scopePublic, "", console.Assets()},
		{"POST", "/v1/apps", scopeAdmin, "", s.handle(s.createApp)},
		{"GET", app, scopeRead, ratelimit.Queries, s.handle(s.getApp)},
		{"POST", app + "/keys", scopeAdmin, "", s.handle(s.createKey)},
		{"GET", app + "/keys", scopeAdmin, "", s.handle(s.listKeys)},
		{"DELETE", app + "/keys/{key_id}", scopeAdmin, "", s.handle(s.deleteKey)},
		{"POST", app + "/events", scopeIngest, ratelimit.Ingest, s.handle(s.postEvents)},
		{"GET", app + "/users/{user_id}", scopeRead, ratelimit.Queries, s.handle(s.getUser)},
		{"PUT", app + "/users/{user_id}", scopeIngest, ratelimit.Ingest, s.handle(s.putUser)},
		{"PATCH", app + "/users/{user_id}", scopeIngest, ratelimit.Ingest, s.handle(s.patchUser)},
		{"DELETE", app + "/users/{user_id}", scopeIngest, ratelimit.Ingest, s.handle(s.eraseUser)},
		{"POST", app + "/segments", scopeSegments, ratelimit.Queries, s.handle(s.createSegment)},
		{"GET", app + "/segments", scopeSegments, ratelimit.Queries, s.handle(s.listSegments)},
		{"GET", app + "/segments/{id}", scopeSegments, ratelimit.Queries, s.handle(s.getSegment)},
		{"PUT", app + "/segments/{id}", scopeSegments, ratelimit.Queries, s.handle(s.updateSegment)},
		{"DELETE", app + "/segments/{id}", scopeSegments, ratelimit.Queries, s.handle(s.deleteSegment)},
		{"GET", app + "/segments/{id}/versions/{n}", scopeSegments, ratelimit.Queries, s.handle(s.getSegmentVersion)},
		{"POST", app + "/compile", scopeSegments, ratelimit.Queries, s.handle(s.compileTree)},
		{"POST", app + "/count", scopeSegments, ratelimit.Queries, s.handle(s.count)},
		{"POST", app + "/explain", scopeSegments, ratelimit.Queries, s.handle(s.explain)},
		{"GET", app + "/schema", scopeSegments, ratelimit.Queries, s.handle(s.schema)},
		{"GET", app + "/segments/{id}/members/{user_id}", scopeRead, ratelimit.Queries, s.handle(s.segmentMemberOrWhy)},
		{"POST", app + "/users/{user_id}/explain", scopeSegments, ratelimit.Queries, s.handle(s.userWhy)},
		{"POST", app + "/segments/{id}/runs", scopeRead, ratelimit.Queries, s.handle(s.createRun)},
		{"GET", app + "/runs/{run}", scopeRead, ratelimit.Queries, s.handle(s.getRun)},
		{"DELETE", app + "/runs/{run}", scopeRead, ratelimit.Queries, s.handle(s.deleteRun)},
		{"GET", app + "/runs/{run}/members", scopeRead, ratelimit.Exports, s.handle(s.runMembers)},
		{"GET", app + "/runs/{run}/members.txt", scopeRead, ratelimit.Exports, s.streamMembers(false)},
		{"GET", app + "/runs/{run}/members.csv", scopeRead, ratelimit.Exports, s.streamMembers(true)},
		{"GET", app + "/segments/{id}/runs", scopeRead, ratelimit.Queries, s.handle(s.listRuns)},
		{"GET", app + "/runs/{run}/diff", scopeRead, ratelimit.Exports, s.handle(s.runDiff)},
		{"GET", app + "/runs/{run}/diff/entered.txt", scopeRead, ratelimit.Exports, s.streamDiff(true)},
		{"GET", app + "/runs/{run}/diff/exited.txt", scopeRead, ratelimit.Exports, s.streamDiff(false)},
		{"POST", app + "/webhooks", scopeSegments, ratelimit.Queries, s.handle(s.createWebhook)},
		{"GET", app + "/webhooks", scopeSegments, ratelimit.Queries, s.handle(s.listWebhooks)},
		{"DELETE", app + "/webhooks/{id}", scopeSegments, ratelimit.Queries, s.handle(s.deleteWebhook)},
		{"GET", app + "/webhooks/{id}/deliveries", scopeSegments, ratelimit.Queries, s.handle(s.listDeliveries)},
	}
}

func (s *Server) routes() chi.Router {
	r := chi.NewRouter()
	r.Use(s.metrics.instrument, s.recoverer, s.limitBody, routeEscaped)
	r.NotFound(func(w http.ResponseWriter, r *http.Request) {
		s.writeError(w, r, errorf(CodeNotFound, "", "no route %s %s", r.Method, r.URL.Path))
	})
	r.MethodNotAllowed(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Allow", strings.Join(s.allowed(r.URL.EscapedPath()), ", "))
		s.writeError(w, r, errorf(CodeMethodNotAllowed, "", "%s is not served at %s", r.Method, r.URL.Path))
	})
	for _, e := range s.endpoints() {
		r.With(s.guard(e)...).Method(e.method, e.pattern, e.handler)
	}
	return r
}

// allowed lists the methods served at an escaped path (RFC 9110's Allow).
func (s *Server) allowed(path string) []string {
	var out []string
	for _, m := range []string{"GET", "POST", "PUT", "PATCH", "DELETE"} {
		if s.router.Match(chi.NewRouteContext(), m, path) {
			out = append(out, m)
		}
	}
	return out
}

// guard is what a request passes before the endpoint: the key (401), its
// app (404 for another app's key), the scope (403), then the key's rate
// limit (429).
func (s *Server) guard(e endpoint) []func(http.Handler) http.Handler {
	if e.scope == scopePublic {
		return nil
	}
	mw := []func(http.Handler) http.Handler{s.withAuth}
	if strings.Contains(e.pattern, "{app}") {
		mw = append(mw, s.appScoped)
	}
	mw = append(mw, s.need(e.scope))
	if e.class != "" {
		mw = append(mw, s.rateLimit(e.class))
	}
	return mw
}

// reply is what a handler returns on success.
type reply struct {
	status int
	body   any
}

func ok(body any) reply      { return reply{http.StatusOK, body} }
func created(body any) reply { return reply{http.StatusCreated, body} }

// handle adapts a handler that returns its result to an http.HandlerFunc.
func (s *Server) handle(h func(r *http.Request) (reply, error)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		res, err := h(r)
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		if res.body == nil {
			w.WriteHeader(res.status)
			return
		}
		writeJSON(w, res.status, res.body)
	}
}

func writeJSON(w http.ResponseWriter, status int, body any) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(body); err != nil {
		status, buf = http.StatusInternalServerError, *bytes.NewBufferString(`{"error":{"code":"internal","message":"encoding the response failed"}}`)
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}

func (s *Server) writeError(w http.ResponseWriter, r *http.Request, err error) {
	e, internal := toAPIError(err)
	if internal {
		s.log.ErrorContext(r.Context(), "request failed", "method", r.Method, "path", r.URL.Path, "error", err)
	}
	if e.RetryAfter > 0 {
		w.Header().Set("Retry-After", fmt.Sprint(e.RetryAfter))
	}
	writeJSON(w, statusOf[e.Code], map[string]*Error{"error": e})
}

// recoverer turns a panic in a handler into a logged 500.
func (s *Server) recoverer(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			if v := recover(); v != nil {
				if v == http.ErrAbortHandler {
					panic(v)
				}
				s.log.ErrorContext(r.Context(), "panic in handler", "method", r.Method, "path", r.URL.Path, "panic", v, "stack", string(debug.Stack()))
				writeJSON(w, http.StatusInternalServerError, map[string]*Error{"error": errorf(CodeInternal, "", "internal error")})
			}
		}()
		next.ServeHTTP(w, r)
	})
}

// limitBody bounds every request body.
func (s *Server) limitBody(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r.Body = http.MaxBytesReader(w, r.Body, MaxBodyBytes)
		next.ServeHTTP(w, r)
	})
}

// readBody reads the whole body (bounded by limitBody).
func readBody(r *http.Request) ([]byte, error) {
	b, err := io.ReadAll(r.Body)
	var tooLarge *http.MaxBytesError
	if errors.As(err, &tooLarge) {
		return nil, err
	}
	if err != nil {
		return nil, errorf(CodeInvalidJSON, "", "reading the body: %v", err)
	}
	return b, nil
}

// decodeStrict decodes a JSON object into v, refusing unknown fields and
// nulls (but in the fields named nullable), and reports problems with JSON
// Pointers.
func decodeStrict(body []byte, v any, nullable ...string) error {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		var syn *json.SyntaxError
		var typ *json.UnmarshalTypeError
		switch {
		case errors.As(err, &syn), errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
			return errorf(CodeInvalidJSON, "", "the body is not valid JSON: %v", err)
		case errors.As(err, &typ) && typ.Field == "":
			return errorf(CodeInvalidArgument, "", "the body must be a JSON object")
		case errors.As(err, &typ):
			return errorf(CodeInvalidArgument, "/"+strings.ReplaceAll(typ.Field, ".", "/"), "%s must be a JSON %s", typ.Field, jsonKind(typ.Type.Kind()))
		default:
			if field, ok := unknownField(err); ok {
				return errorf(CodeInvalidArgument, "/"+field, "unknown field %q", field)
			}
			return errorf(CodeInvalidJSON, "", "%v", err)
		}
	}
	if dec.More() {
		return errorf(CodeInvalidJSON, "", "unexpected data after the JSON object")
	}
	return refuseNulls(body, nullable...)
}

// refuseNulls refuses a null body or field: encoding/json reads null as
// absent, so a client that sent "as_of": null would get now, and one that
// sent "scopes": null every scope. No field of a body takes null; leaving
// it out is how a client asks for the default. The exceptions are the
// fields named nullable, whose null means what their absence does (a
// segment's "schedule": null, none).
func refuseNulls(body []byte, nullable ...string) error {
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(body, &fields); err != nil || fields == nil {
		return errorf(CodeInvalidArgument, "", "the body must be a JSON object")
	}
	names := slices.Sorted(maps.Keys(fields))
	for _, name := range names {
		if string(fields[name]) == "null" && !slices.Contains(nullable, name) {
			return errorf(CodeInvalidArgument, "/"+name, "%s must not be null: leave it out for its default", name)
		}
	}
	return nil
}

// jsonKind names a Go kind as the JSON type it decodes from.
func jsonKind(k reflect.Kind) string {
	switch k {
	case reflect.String:
		return "string"
	case reflect.Bool:
		return "boolean"
	case reflect.Slice, reflect.Array:
		return "array"
	case reflect.Map, reflect.Struct:
		return "object"
	}
	return "number"
}

// unknownField extracts the field of encoding/json's "unknown field" error.
func unknownField(err error) (string, bool) {
	var field string
	if _, scanErr := fmt.Sscanf(err.Error(), "json: unknown field %q", &field); scanErr != nil {
		return "", false
	}
	return field, true
}

func (s *Server) healthz(*http.Request) (reply, error) {
	return ok(map[string]string{"status": "ok"}), nil
}

// readyCacheTimeout bounds the cache's check (go-redis retries once
// within it, so up to twice that): a probe must answer fast, and a cache
// that slow is as good as down.
const readyCacheTimeout = 300 * time.Millisecond

func (s *Server) readyz(r *http.Request) (reply, error) {
	checks := map[string]string{}
	down := false
	for name, ping := range map[string]func(context.Context) error{"store": s.store.Ping, "engine": s.engine.Ping, "fresh": s.fresh.Ping} {
		if err := ping(r.Context()); err != nil {
			checks[name], down = err.Error(), true
			continue
		}
		checks[name] = "ok"
	}
	if down {
		return reply{http.StatusServiceUnavailable, map[string]any{"status": "unavailable", "checks": checks}}, nil
	}
	// Without the cache the server still answers (uncached, and keeping
	// snapshots itself): ready, but degraded.
	if c := s.runCfg.Cache; c != nil {
		checks["cache"] = "ok"
		ctx, cancel := context.WithTimeout(r.Context(), readyCacheTimeout)
		defer cancel()
		if err := c.Ping(ctx); err != nil {
			checks["cache"] = err.Error()
			return ok(map[string]any{"status": "degraded", "checks": checks}), nil
		}
	}
	return ok(map[string]any{"status": "ok", "checks": checks}), nil
}
