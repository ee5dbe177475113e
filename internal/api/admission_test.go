package api

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/segmentd/segmentd/internal/admit"
	"github.com/segmentd/segmentd/internal/compile"
	"github.com/segmentd/segmentd/internal/engine"
	"github.com/segmentd/segmentd/internal/engine/duckdb"
	"github.com/segmentd/segmentd/internal/store"
	"github.com/segmentd/segmentd/internal/store/sqlstore"
)

// heldCount is the engine with a Count that runs until released, or
// fails with err: what the tests of admission hold the engine with.
type heldCount struct {
	dataPath
	started chan string // the as_of of each count that reached the engine
	release chan struct{}
	ended   chan error // how each count ended: nil, or its context's error
	err     error
}

func (h heldCount) Count(ctx context.Context, q *compile.SQL) (int64, error) {
	if h.err != nil {
		return 0, h.err
	}
	h.started <- fmt.Sprint(q.Params...)
	select {
	case <-h.release:
		h.ended <- nil
		return 7, nil
	case <-ctx.Done():
		h.ended <- ctx.Err()
		return 0, ctx.Err()
	}
}

func newHeld(t *testing.T) heldCount {
	eng, err := duckdb.Open(context.Background(), "")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { eng.Close() })
	return heldCount{dataPath: eng, started: make(chan string, 10), release: make(chan struct{}), ended: make(chan error, 10)}
}

// admissionServer serves one app "corpus" over data with the gate cfg.
func admissionServer(t *testing.T, data dataPath, cfg admit.Config) client {
	t.Helper()
	st, err := sqlstore.Open(context.Background(), "sqlite:"+filepath.Join(t.TempDir(), "segmentd.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	for _, app := range []string{"corpus", "other"} {
		if _, err := st.CreateApp(context.Background(), store.App{ID: app, TimeZone: "UTC"}); err != nil {
			t.Fatal(err)
		}
	}
	srv := httptest.NewServer(New(Config{Store: st, Engine: data, Fresh: data, AdminKey: adminKey, Admission: cfg}))
	t.Cleanup(srv.Close)
	return client{t: t, base: srv.URL}
}

// countAt is a count body: each as_of is an uncached count of its own.
func countAt(day int) map[string]any {
	return map[string]any{"tree": attrTree, "as_of": fmt.Sprintf("2026-10-%02dT00:00:00Z", day)}
}

// TestAdmissionRefusesWhatCannotRunInTime: with the engine's one slot
// taken and the queue full, a count is refused at once with 503 and
// Retry-After (not a 504 after a minute), and the refusal is counted in
// /metrics; the queued count runs once the slot frees.
func TestAdmissionRefusesWhatCannotRunInTime(t *testing.T) {
	held := newHeld(t)
	c := admissionServer(t, held, admit.Config{Slots: 1, Queue: 1, QueuePerApp: 1, MaxWait: time.Minute})
	results := make(chan response, 2)
	go func() { results <- c.do("POST", "/v1/apps/corpus/count", adminKey, countAt(1)) }()
	<-held.started
	go func() { results <- c.do("POST", "/v1/apps/corpus/count", adminKey, countAt(2)) }()
	waitMetric(t, c, "segmentd_engine_queue_depth 1")

	start := time.Now()
	r := c.do("POST", "/v1/apps/corpus/count", adminKey, countAt(3))
	c.want(r, http.StatusServiceUnavailable, CodeUnavailable, "")
	if s, err := strconv.Atoi(r.header.Get("Retry-After")); err != nil || s < 1 {
		t.Fatalf("Retry-After = %q, want whole seconds ≥ 1", r.header.Get("Retry-After"))
	}
	if time.Since(start) > 10*time.Second {
		t.Fatalf("the refusal took %s", time.Since(start))
	}
	waitMetric(t, c, `segmentd_engine_refused_total{reason="queue_full"} 1`)

	close(held.release)
	for range 2 {
		if r := <-results; r.status != 200 {
			t.Fatalf("a count admitted in time: %d %s", r.status, r.body)
		}
	}
	waitMetric(t, c, "segmentd_engine_admitted_total 2")
}

// TestAdmissionRefusesAfterTheLongestWait: a count that waits longer
// than the longest wait for a slot is refused with 503.
func TestAdmissionRefusesAfterTheLongestWait(t *testing.T) {
	held := newHeld(t)
	c := admissionServer(t, held, admit.Config{Slots: 1, MaxWait: 50 * time.Millisecond})
	first := make(chan response, 1)
	go func() { first <- c.do("POST", "/v1/apps/corpus/count", adminKey, countAt(1)) }()
	<-held.started
	c.want(c.do("POST", "/v1/apps/corpus/count", adminKey, countAt(2)), http.StatusServiceUnavailable, CodeUnavailable, "")
	waitMetric(t, c, `segmentd_engine_refused_total{reason="wait"} 1`)
	close(held.release)
	<-first
}

// TestAdmissionKeepsASlotForOtherApps: an app that holds its share of
// the slots queues behind itself; another app's count runs at once.
func TestAdmissionKeepsASlotForOtherApps(t *testing.T) {
	held := newHeld(t)
	c := admissionServer(t, held, admit.Config{Slots: 2, PerApp: 1, MaxWait: time.Minute})
	results := make(chan response, 3)
	go func() { results <- c.do("POST", "/v1/apps/corpus/count", adminKey, countAt(1)) }()
	<-held.started
	go func() { results <- c.do("POST", "/v1/apps/corpus/count", adminKey, countAt(2)) }()
	waitMetric(t, c, "segmentd_engine_queue_depth 1")
	go func() { results <- c.do("POST", "/v1/apps/other/count", adminKey, countAt(1)) }()
	select {
	case <-held.started:
	case <-time.After(10 * time.Second):
		t.Fatal("the other app's count did not reach the engine while the first app's waited")
	}
	close(held.release)
	for range 3 {
		if r := <-results; r.status != 200 {
			t.Fatalf("%d %s", r.status, r.body)
		}
	}
}

// TestCountStopsWhenItsClientLeaves: the engine query of a count whose
// only client left is canceled, not run to the timeout.
func TestCountStopsWhenItsClientLeaves(t *testing.T) {
	held := newHeld(t)
	c := admissionServer(t, held, admit.Config{Slots: 1})
	ctx, cancel := context.WithCancel(context.Background())
	body := strings.NewReader(`{"tree":{"type":"attribute","field":"country","op":"eq","value":"JP"}}`)
	req, err := http.NewRequestWithContext(ctx, "POST", c.base+"/v1/apps/corpus/count", body)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+adminKey)
	go func() {
		if res, err := http.DefaultClient.Do(req); err == nil {
			res.Body.Close()
		}
	}()
	<-held.started
	cancel()
	select {
	case err := <-held.ended:
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("the engine query ended with %v, want canceled", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the engine query still runs after its only client left")
	}
	// The slot is free again.
	go func() { held.release <- struct{}{} }()
	c.want(c.do("POST", "/v1/apps/corpus/count", adminKey, countAt(1)), 200, "", "")
}

// TestEngineErrorsAreNever500: a query the engine refuses for its size
// is a 422 naming the tree; an engine failing for its own reasons a 503
// with Retry-After.
func TestEngineErrorsAreNever500(t *testing.T) {
	for _, tc := range []struct {
		err    error
		status int
		code   string
	}{
		{fmt.Errorf("trino: %w: Number of stages in the query (363) exceeds the allowed maximum (150)", engine.ErrTooLarge), 422, CodeUnprocessable},
		{errors.New("trino: connection reset by peer"), 503, CodeUnavailable},
	} {
		held := newHeld(t)
		held.err = tc.err
		c := admissionServer(t, held, admit.Config{Slots: 1})
		r := c.do("POST", "/v1/apps/corpus/count", adminKey, countAt(1))
		m := c.want(r, tc.status, tc.code, "")
		if tc.status == 503 && r.header.Get("Retry-After") == "" {
			t.Fatalf("503 without Retry-After: %v", m)
		}
	}
}

// waitMetric waits until /metrics shows line.
func waitMetric(t *testing.T, c client, line string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		r := c.do("GET", "/metrics", "", nil)
		if strings.Contains(string(r.body), line+"\n") {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("/metrics never showed %q", line)
		}
		time.Sleep(5 * time.Millisecond)
	}
}
