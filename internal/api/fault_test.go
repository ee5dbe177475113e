//go:build integration

package api

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/segmentd/segmentd/internal/cache"
	"github.com/segmentd/segmentd/internal/cache/cachetest"
	"github.com/segmentd/segmentd/internal/corpus"
	"github.com/segmentd/segmentd/internal/dataset"
	"github.com/segmentd/segmentd/internal/engine/duckdb"
	"github.com/segmentd/segmentd/internal/enginetest"
	"github.com/segmentd/segmentd/internal/query"
	"github.com/segmentd/segmentd/internal/store"
	"github.com/segmentd/segmentd/internal/store/sqlstore"
	"github.com/segmentd/segmentd/segment"
)

// logBuffer collects a server's logs; handlers and workers write to it
// at once.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

// faultData is the app "corpus" with the corpus's saved segments and
// data, in a store and an engine that outlive the servers built on them.
type faultData struct {
	st   *sqlstore.SQL
	eng  *duckdb.Engine
	data *dataset.Data
}

func newFaultData(t *testing.T) faultData {
	t.Helper()
	ctx := context.Background()
	st, eng := embedded(t)
	if _, err := st.CreateApp(ctx, store.App{ID: "corpus", TimeZone: corpus.TimeZone}); err != nil {
		t.Fatal(err)
	}
	createSaved(t, st)
	data := corpus.Dataset()
	if err := eng.Load(ctx, "corpus", data); err != nil {
		t.Fatal(err)
	}
	return faultData{st: st, eng: eng, data: data}
}

// expected is the reference evaluator's members of a tree.
func (d faultData) expected(t *testing.T, tree any) []string {
	t.Helper()
	b, err := json.Marshal(tree)
	if err != nil {
		t.Fatal(err)
	}
	n, err := segment.Decode(b, "")
	if err != nil {
		t.Fatal(err)
	}
	if n, err = segment.Expand(context.Background(), n, "", corpus.Lookup()); err != nil {
		t.Fatal(err)
	}
	return enginetest.Expected(n, enginetest.Setup{AppID: "corpus", Data: d.data, AsOf: corpus.AsOf, Location: corpus.Location()})
}

// server builds a started server on the data, logging to logs, with its
// clock at the corpus's as_of.
// redisServer is a server on d whose cache is the Redis at addr, with
// snapshots falling back to a directory, and its logs.
func (d faultData) redisServer(t *testing.T, addr string) (runEnv, *logBuffer) {
	t.Helper()
	rc, err := cache.OpenRedis(context.Background(), addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { rc.Close() })
	local, err := cache.OpenDisk(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { local.Close() })
	logs := &logBuffer{}
	return d.server(t, RunConfig{Cache: rc, Local: local}, logs), logs
}

func (d faultData) server(t *testing.T, cfg RunConfig, logs *logBuffer) runEnv {
	t.Helper()
	done := make(chan store.Run, 100)
	cfg.OnDone = func(r store.Run) { done <- r }
	s := New(Config{Store: d.st, Engine: d.eng, Fresh: d.eng, AdminKey: adminKey, Runs: cfg,
		Logger: slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
		Now:    func() time.Time { return corpus.AsOf }})
	srv := httptest.NewServer(s)
	t.Cleanup(srv.Close)
	e := runEnv{client: client{t: t, base: srv.URL}, srv: s, st: d.st, eng: d.eng, done: done}
	e.start()
	return e
}

// maxDegraded is the longest a request may take while a dependency it
// can do without is down: the Redis client's timeouts are a second.
const maxDegraded = 2500 * time.Millisecond

// timed does a request, logs how long it took and fails the test if it
// took longer than maxDegraded.
func timed(t *testing.T, what string, f func()) {
	t.Helper()
	began := time.Now()
	f()
	took := time.Since(began)
	t.Logf("%s: %s", what, took.Round(time.Millisecond))
	if took > maxDegraded {
		t.Errorf("%s took %s with Redis down, want at most %s", what, took, maxDegraded)
	}
}

// runSegment creates a segment of tree, runs it and waits for the run,
// which must succeed with want's count and its snapshot in place.
func (e runEnv) runSegment(name string, tree any, want []string, place string) store.Run {
	e.t.Helper()
	seg := e.want(e.do("POST", "/v1/apps/corpus/segments", adminKey, map[string]any{"name": name, "tree": tree}), 201, "", "")
	return e.runAgain(seg["id"].(string), 202, want, place)
}

// runAgain asks for a run of a saved segment, wanting status (202 for a
// new run), and waits for it to succeed with want's count and its
// snapshot in place.
func (e runEnv) runAgain(segID string, status int, want []string, place string) store.Run {
	e.t.Helper()
	m := e.want(e.do("POST", "/v1/apps/corpus/segments/"+segID+"/runs", adminKey, nil), status, "", "")
	r := e.wait()
	if r.ID != m["id"] || r.State != store.RunSucceeded || r.Count == nil || *r.Count != int64(len(want)) ||
		!strings.HasPrefix(r.Snapshot, place+":") {
		e.t.Fatalf("run %s (want %v) ended %s, %v members, snapshot %q, error %q; want %d members in %s",
			r.ID, m["id"], r.State, r.Count, r.Snapshot, r.Error, len(want), place)
	}
	return r
}

// TestRedisFault runs a server whose count cache and snapshots are in
// Redis, then kills Redis: counts go uncached, new runs keep their
// snapshots on the server, /readyz says degraded, the failure is logged,
// and the members of the runs kept in Redis answer 503 until a new run
// replaces them, every request within a couple of seconds.
func TestRedisFault(t *testing.T) {
	ctx := context.Background()
	addr, stop := cachetest.StartRedis(t)
	d := newFaultData(t)
	e, logs := d.redisServer(t, addr)

	countBody := map[string]any{"tree": map[string]any{"type": "segment", "segment_id": "seg_engaged_members"}}
	wantCount := float64(len(d.expected(t, countBody["tree"])))
	count := func() (float64, bool) {
		m := e.want(e.do("POST", "/v1/apps/corpus/count", adminKey, countBody), 200, "", "")
		return m["count"].(float64), m["cached"].(bool)
	}
	ready := func() (string, map[string]any) {
		m := e.want(e.do("GET", "/readyz", "", nil), 200, "", "")
		return m["status"].(string), m["checks"].(map[string]any)
	}
	buyers := map[string]any{"type": "event", "event": "$buy", "window": map[string]any{"last": "90d"}, "op": "gte", "value": 2}
	wantJP, wantBuyers := d.expected(t, attrTree), d.expected(t, buyers)
	if len(wantJP) == 0 || len(wantBuyers) == 0 || wantCount == 0 {
		t.Fatalf("the trees select %d, %d and %v users: the test needs members", len(wantJP), len(wantBuyers), wantCount)
	}

	// Redis up: counts are cached there, snapshots kept there.
	for i, cached := range []bool{false, true} {
		if n, c := count(); n != wantCount || c != cached {
			t.Fatalf("count %d with Redis up: %v cached %v, want %v cached %v", i, n, c, wantCount, cached)
		}
	}
	inRedis := e.runSegment("JP", attrTree, wantJP, query.PlaceCache)
	rc, err := cache.OpenRedis(ctx, addr) // a client of its own, to look
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	if _, err := rc.Get(ctx, strings.TrimPrefix(inRedis.Snapshot, query.PlaceCache+":")); err != nil {
		t.Fatalf("the run's manifest is not in Redis: %v", err)
	}
	if ids := e.members(inRedis.ID, 500); !slices.Equal(ids, wantJP) {
		t.Fatalf("members with Redis up: %d, want %d", len(ids), len(wantJP))
	}
	if status, checks := ready(); status != "ok" || checks["cache"] != "ok" || checks["engine"] != "ok" || checks["store"] != "ok" {
		t.Fatalf("/readyz with Redis up: %s %v", status, checks)
	}
	if strings.Contains(logs.String(), "cache") {
		t.Fatalf("the cache failed while Redis was up:\n%s", logs)
	}

	stop()

	var status string
	var checks map[string]any
	timed(t, "/readyz", func() { status, checks = ready() })
	if c, _ := checks["cache"].(string); status != "degraded" || !strings.Contains(c, addr) || checks["engine"] != "ok" {
		t.Fatalf("/readyz with Redis down: %s %v, want degraded and the cache's error", status, checks)
	}
	for i := range 2 {
		var n float64
		var c bool
		timed(t, "count", func() { n, c = count() })
		if n != wantCount || c {
			t.Fatalf("count %d with Redis down: %v cached %v, want %v uncached", i, n, c, wantCount)
		}
	}
	if l := logs.String(); !strings.Contains(l, "the count cache failed") || !strings.Contains(l, "cache redis "+addr) {
		t.Fatalf("the count cache's failure is not logged:\n%s", l)
	}

	// The members kept in Redis are unavailable, not gone and not a 500.
	for _, path := range []string{"/members", "/members.txt", "/members.csv"} {
		timed(t, "GET "+path+" of a run in Redis", func() {
			e.want(e.do("GET", "/v1/apps/corpus/runs/"+inRedis.ID+path, adminKey, nil), 503, CodeUnavailable, "")
		})
	}
	if m := e.want(e.do("GET", "/v1/apps/corpus/runs/"+inRedis.ID, adminKey, nil), 200, "", ""); m["state"] != "succeeded" {
		t.Fatalf("the run in Redis: %v", m)
	}

	// A new run keeps its snapshot on this server.
	var onDisk store.Run
	timed(t, "a run", func() { onDisk = e.runSegment("buyers", buyers, wantBuyers, query.PlaceLocal) })
	if !strings.Contains(logs.String(), "the cache is down: the snapshot is kept on this server") {
		t.Fatalf("keeping a snapshot locally is not logged:\n%s", logs)
	}
	var ids []string
	timed(t, "paging members", func() { ids = e.members(onDisk.ID, 1+len(wantBuyers)/3) })
	if !slices.Equal(ids, wantBuyers) {
		t.Fatalf("members of the local run: %d, want %d", len(ids), len(wantBuyers))
	}
	if r := e.do("GET", "/v1/apps/corpus/runs/"+onDisk.ID+"/members.txt", adminKey, nil); r.status != 200 || string(r.body) != lines(wantBuyers) {
		t.Fatalf("members.txt of the local run: %d, %d bytes", r.status, len(r.body))
	}
	if r := e.do("GET", "/v1/apps/corpus/runs/"+onDisk.ID+"/members.csv", adminKey, nil); r.status != 200 || string(r.body) != "user_id\n"+lines(wantBuyers) {
		t.Fatalf("members.csv of the local run: %d, %d bytes", r.status, len(r.body))
	}

	// The segment whose run is in Redis runs again rather than returning
	// a run whose members cannot be read.
	again := e.runAgain(inRedis.SegmentID, 202, wantJP, query.PlaceLocal)
	if again.ID == inRedis.ID {
		t.Fatalf("the run in Redis was reused")
	}
	if ids := e.members(again.ID, 1000); !slices.Equal(ids, wantJP) {
		t.Fatalf("members of the run again: %d, want %d", len(ids), len(wantJP))
	}
}

// TestRecoverRunningRuns: runs that a crash left running, or queued, are
// queued again when the next server starts on the same store, and then
// succeed.
func TestRecoverRunningRuns(t *testing.T) {
	ctx := context.Background()
	d := newFaultData(t)
	segs := map[string][]string{"seg_vip": nil, "seg_recent_buyers": nil}
	for id := range segs {
		segs[id] = d.expected(t, map[string]any{"type": "segment", "segment_id": id})
	}
	// The previous process took seg_vip's run and died; it had not taken
	// seg_recent_buyers's.
	left := map[string]string{}
	for id := range segs {
		r, err := d.st.CreateRun(ctx, store.Run{AppID: "corpus", SegmentID: id, Version: 1, AsOf: corpus.AsOf, Key: "key-" + id})
		if err != nil {
			t.Fatal(err)
		}
		left[r.ID] = id
		if id != "seg_vip" {
			continue
		}
		if r, ok, err := d.st.StartRun(ctx, "corpus", r.ID); err != nil || !ok || r.State != store.RunRunning {
			t.Fatalf("starting the run: %v %v %v", r.State, ok, err)
		}
	}
	local, err := cache.OpenDisk(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { local.Close() })
	logs := &logBuffer{}
	e := d.server(t, RunConfig{Local: local}, logs)
	for range len(left) {
		r := e.wait()
		want := segs[left[r.ID]]
		if r.State != store.RunSucceeded || r.Count == nil || *r.Count != int64(len(want)) {
			t.Fatalf("recovered run %s of %s ended %s, %v members, error %q; want %d", r.ID, left[r.ID], r.State, r.Count, r.Error, len(want))
		}
		delete(left, r.ID)
		if ids := e.members(r.ID, 1000); !slices.Equal(ids, want) {
			t.Fatalf("members of recovered run %s: %d, want %d", r.ID, len(ids), len(want))
		}
	}
	if len(left) > 0 {
		t.Fatalf("runs not recovered: %v", left)
	}
	if !strings.Contains(logs.String(), "runs: recovered") {
		t.Fatalf("the recovery is not logged:\n%s", logs)
	}
}

// hangProxy forwards TCP connections to a server until hang, after which
// it keeps every connection open and answers nothing, as a server that
// hangs (or a network that drops packets) does.
type hangProxy struct {
	l      net.Listener
	target string
	mu     sync.Mutex
	hung   bool
	// clients are the connections accepted, servers those to target.
	clients, servers []net.Conn
}

func startHangProxy(t *testing.T, target string) *hangProxy {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &hangProxy{l: l, target: target}
	go p.serve()
	t.Cleanup(func() {
		l.Close()
		p.mu.Lock()
		defer p.mu.Unlock()
		for _, c := range append(p.clients, p.servers...) {
			c.Close()
		}
	})
	return p
}

func (p *hangProxy) addr() string { return p.l.Addr().String() }

func (p *hangProxy) serve() {
	for {
		c, err := p.l.Accept()
		if err != nil {
			return
		}
		p.mu.Lock()
		p.clients = append(p.clients, c)
		hung := p.hung
		p.mu.Unlock()
		var up net.Conn
		if !hung {
			up, err = net.Dial("tcp", p.target)
		}
		if hung || err != nil {
			go io.Copy(io.Discard, c)
			continue
		}
		p.mu.Lock()
		if p.hung { // hang ran meanwhile
			up.Close()
		}
		p.servers = append(p.servers, up)
		p.mu.Unlock()
		go func() {
			io.Copy(up, c)
			io.Copy(io.Discard, c) // hung: swallow what the client sends
		}()
		go io.Copy(c, up)
	}
}

// hang stops answering: the connections to the server are closed, those
// of the clients stay open.
func (p *hangProxy) hang() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.hung = true
	for _, c := range p.servers {
		c.Close()
	}
}

// TestRedisHungFault is TestRedisFault's other half: a Redis that stops
// answering, without refusing connections, costs each request at most
// the client's timeouts, and the server goes on without it.
func TestRedisHungFault(t *testing.T) {
	addr, _ := cachetest.StartRedis(t)
	proxy := startHangProxy(t, addr)
	d := newFaultData(t)
	e, _ := d.redisServer(t, proxy.addr())
	wantJP := d.expected(t, attrTree)
	inRedis := e.runSegment("JP", attrTree, wantJP, query.PlaceCache)
	countBody := map[string]any{"tree": attrTree}
	if m := e.want(e.do("POST", "/v1/apps/corpus/count", adminKey, countBody), 200, "", ""); m["count"] != float64(len(wantJP)) {
		t.Fatalf("count with Redis up: %v", m)
	}

	proxy.hang()

	timed(t, "/readyz", func() {
		if m := e.want(e.do("GET", "/readyz", "", nil), 200, "", ""); m["status"] != "degraded" {
			t.Errorf("/readyz with Redis hung: %v", m)
		}
	})
	for range 2 {
		timed(t, "count", func() {
			if m := e.want(e.do("POST", "/v1/apps/corpus/count", adminKey, countBody), 200, "", ""); m["count"] != float64(len(wantJP)) || m["cached"] != false {
				t.Errorf("count with Redis hung: %v", m)
			}
		})
	}
	timed(t, "GET /members of a run in Redis", func() {
		e.want(e.do("GET", "/v1/apps/corpus/runs/"+inRedis.ID+"/members", adminKey, nil), 503, CodeUnavailable, "")
	})
	timed(t, "a run", func() { e.runSegment("JP again", attrTree, wantJP, query.PlaceLocal) })
}
