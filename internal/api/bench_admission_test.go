package api_test

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/segmentd/segmentd/internal/api"
	"github.com/segmentd/segmentd/internal/dataset"
	"github.com/segmentd/segmentd/internal/demo"
	"github.com/segmentd/segmentd/internal/engine/duckdb"
	"github.com/segmentd/segmentd/internal/store"
)

// BenchmarkAdmission measures issue 11's admission control on the demo
// data (100,000 users, 2,000,000 events), the server configured as
// `segmentd serve` is by default (DuckDB memory_limit 4GB and one thread
// a core, the gate's defaults: a slot a core, half of them per app,
// queues of 8 a slot, 10 s longest wait). Every count is of the worked
// example at an as_of of its own, so that none is answered from the
// cache or shares another's query.
//
// Serial: serialCounts counts one at a time: the serial throughput.
//
// Flood: floodClients clients at once; a client answered 503 comes back
// after its Retry-After, as a polite client does, until it has its count
// or a minute has passed. Every request must be answered within a minute
// (the query timeout), with a 200, or a 503 with Retry-After. Reports completed counts/s against Serial's, the p99 of
// the answers' latency, refusals, and the process's peak RSS.
//
// Tenants: the p99 of a second app's counts (one at a time, in a loop)
// alone, then while the demo app floods as above.
func BenchmarkAdmission(b *testing.B) {
	env := newDemoEnv(b, func(c *api.Config) { c.QueryTimeout = time.Minute })
	if err := env.eng.SetLimits(context.Background(), duckdb.Limits{Memory: "4GB", Threads: *engineThreads, TempDir: b.TempDir()}); err != nil {
		b.Fatal(err)
	}
	other := addTenant(b, env)
	var asOf atomic.Int64 // each count's as_of, a second earlier than the last
	asOf.Store(env.now.Truncate(time.Second).Unix())
	body := func() string {
		at := time.Unix(asOf.Add(-1), 0).UTC().Format(time.RFC3339)
		return fmt.Sprintf(`{"tree":%s,"as_of":%q}`, workedExample(b), at)
	}

	var serial float64
	b.Run("Serial", func(b *testing.B) {
		for b.Loop() {
			start := time.Now()
			ds := loopCounts(b, tenant{env.url, env.key}, body, serialCounts)
			serial = float64(len(ds)) / time.Since(start).Seconds()
			b.ReportMetric(serial, "counts/s")
			reportLatencies(b, ds)
		}
	})
	b.Run("Flood", func(b *testing.B) {
		for b.Loop() {
			resetPeakRSS(b)
			f := flood(b, env.url, env.key, body)
			b.ReportMetric(f.throughput, "counts/s")
			if serial > 0 {
				b.ReportMetric(f.throughput/serial, "of-serial")
			}
			b.ReportMetric(float64(f.refused), "refusals")
			b.ReportMetric(float64(f.done), "done")
			b.ReportMetric(float64(peakRSS(b))/(1<<20), "peak-RSS-MB")
			reportLatencies(b, f.latencies)
		}
	})
	b.Run("Tenants", func(b *testing.B) {
		for b.Loop() {
			alone := loopCounts(b, other, body, serialCounts)
			stop := make(chan struct{})
			var wg sync.WaitGroup
			wg.Go(func() {
				for {
					select {
					case <-stop:
						return
					default:
						flood(b, env.url, env.key, body)
					}
				}
			})
			busy := loopCounts(b, other, body, serialCounts)
			close(stop)
			wg.Wait()
			b.ReportMetric(ms(p99(alone)), "alone-p99-ms")
			b.ReportMetric(ms(p99(busy)), "flooded-p99-ms")
			b.ReportMetric(float64(p99(busy))/float64(p99(alone)), "p99-ratio")
		}
	})
}

// engineThreads is --engine-threads for BenchmarkAdmission (-args
// -engine-threads=2): 1, the default, is segmentd serve's on 2 cores
// (the cores divided among the gate's slots); 0 is DuckDB's own, a
// thread a core.
var engineThreads = flag.Int("engine-threads", 1, "DuckDB threads in BenchmarkAdmission")

// floodClients is how many clients Flood starts at once; serialCounts
// how many counts a loop of one client at a time makes.
const (
	floodClients = 200
	serialCounts = 60
)

type floodResult struct {
	done, refused int
	throughput    float64
	latencies     []time.Duration // of every answer
}

// flood runs floodClients clients, each counting until it succeeds or
// its minute is up; each request must be answered within a minute.
func flood(b *testing.B, appURL, key string, body func() string) floodResult {
	var mu sync.Mutex
	var res floodResult
	var wg sync.WaitGroup
	start := time.Now()
	var last time.Time
	for range floodClients {
		wg.Go(func() {
			budget := time.Now().Add(time.Minute)
			for {
				// Each request has a minute, the query timeout.
				ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
				t := time.Now()
				status, retry, err := countOnce(ctx, appURL, key, body())
				d := time.Since(t)
				late := ctx.Err() != nil
				cancel()
				mu.Lock()
				res.latencies = append(res.latencies, d)
				switch {
				case late:
					b.Errorf("a count was not answered within its minute")
				case err != nil:
					b.Errorf("count: %v", err)
				case status == 200:
					res.done++
					last = time.Now()
				case status == 503 && retry > 0:
					res.refused++
				default:
					b.Errorf("count: %d (Retry-After %v)", status, retry)
				}
				mu.Unlock()
				if status != 503 || retry == 0 || time.Now().Add(retry).After(budget) {
					return
				}
				time.Sleep(retry)
			}
		})
	}
	wg.Wait()
	if res.done > 0 {
		res.throughput = float64(res.done) / last.Sub(start).Seconds()
	}
	return res
}

// countOnce posts one count: its status and Retry-After.
func countOnce(ctx context.Context, appURL, key, body string) (int, time.Duration, error) {
	req, err := http.NewRequestWithContext(ctx, "POST", appURL+"/count", strings.NewReader(body))
	if err != nil {
		return 0, 0, err
	}
	req.Header.Set("Authorization", "Bearer "+key)
	res, err := benchClient.Do(req)
	if err != nil {
		return 0, 0, err
	}
	defer res.Body.Close()
	io.Copy(io.Discard, res.Body)
	secs, _ := strconv.Atoi(res.Header.Get("Retry-After"))
	return res.StatusCode, time.Duration(secs) * time.Second, nil
}

// loopCounts times n counts, one at a time, which must all succeed.
func loopCounts(b *testing.B, app tenant, body func() string, n int) []time.Duration {
	var ds []time.Duration
	for range n {
		t := time.Now()
		if st, _, err := countOnce(context.Background(), app.url, app.key, body()); err != nil || st != 200 {
			b.Fatalf("count: %d %v", st, err)
		}
		ds = append(ds, time.Since(t))
	}
	return ds
}

// tenant is an app's URL and key.
type tenant struct{ url, key string }

// addTenant loads a second app, a quarter of the demo's size.
func addTenant(b *testing.B, env demoEnv) tenant {
	ctx := context.Background()
	const app = "tenant-b"
	d := dataset.Generate(dataset.Config{Users: 25_000, Events: 500_000, Seed: 2,
		Start: env.now.AddDate(-1, -1, 0), End: env.now, AsOf: env.now, TimeZone: demo.TimeZone})
	if err := env.eng.Load(ctx, app, d); err != nil {
		b.Fatal(err)
	}
	if _, err := env.st.CreateApp(ctx, store.App{ID: app, TimeZone: demo.TimeZone}); err != nil {
		b.Fatal(err)
	}
	text, key := api.NewKey(app)
	if err := env.st.CreateKey(ctx, key); err != nil {
		b.Fatal(err)
	}
	return tenant{url: env.base + "/v1/apps/" + app, key: text}
}

// workedExample is the tree of the demo's worked example, as JSON.
func workedExample(b *testing.B) string {
	file, err := os.ReadFile("../demo/segments/seg_demo_worked_example.json")
	if err != nil {
		b.Fatal(err)
	}
	var saved struct{ Tree json.RawMessage }
	if err := json.Unmarshal(file, &saved); err != nil {
		b.Fatal(err)
	}
	return string(saved.Tree)
}

func p99(ds []time.Duration) time.Duration {
	s := slices.Clone(ds)
	slices.Sort(s)
	return s[(len(s)*99+99)/100-1]
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

func resetPeakRSS(b *testing.B) {
	if err := os.WriteFile("/proc/self/clear_refs", []byte("5"), 0); err != nil {
		b.Fatalf("resetting the peak RSS: %v", err)
	}
}

func peakRSS(b *testing.B) int64 { return procStatus(b, "VmHWM") }
