//go:build integration

package cli

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/segmentd/segmentd/internal/store/storetest"
)

// kill9Lease is the servers' --run-lease: a run of a killed server runs
// again on the other within kill9Lease + kill9Lease/3.
const kill9Lease = 3 * time.Second

// kill9Tree is slow on one engine thread (seconds on the demo data), so
// that the run is caught running.
const kill9Tree = `{"type":"or","children":[
 {"type":"funnel","steps":[{"event":"view_item"},{"event":"add_to_cart"},{"event":"purchase"},{"event":"view_item"},{"event":"add_to_cart"},{"event":"purchase"},{"event":"view_item"},{"event":"add_to_cart"}],"within":"365d","window":{"all":true}},
 {"type":"funnel","steps":[{"event":"add_to_cart"},{"event":"view_item"},{"event":"purchase"},{"event":"add_to_cart"},{"event":"view_item"},{"event":"purchase"},{"event":"add_to_cart"},{"event":"view_item"}],"within":"365d","window":{"all":true}}]}`

const kill9Admin = "kill9-admin-key-0123456789"

type kill9Server struct {
	t    *testing.T
	cmd  *exec.Cmd
	base string
	log  *bytes.Buffer
}

func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// startServer starts `segmentd serve` on the store and waits until it is
// ready.
func startServer(t *testing.T, bin, dsn string, extra ...string) *kill9Server {
	t.Helper()
	addr := freeAddr(t)
	args := append([]string{"serve", "--store", dsn, "--data-dir", t.TempDir(), "--addr", addr, "--admin-key", kill9Admin,
		"--run-lease", kill9Lease.String(), "--schedule-tick", "500ms", "--run-workers", "1", "--engine-threads", "1"}, extra...)
	s := &kill9Server{t: t, cmd: exec.Command(bin, args...), base: "http://" + addr, log: &bytes.Buffer{}}
	s.cmd.Stdout, s.cmd.Stderr = s.log, s.log
	if err := s.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if s.cmd.ProcessState == nil {
			s.cmd.Process.Kill()
			s.cmd.Wait()
		}
		if t.Failed() {
			t.Logf("server %s log:\n%s", addr, s.log)
		}
	})
	deadline := time.Now().Add(3 * time.Minute)
	for time.Now().Before(deadline) {
		if res, err := http.Get(s.base + "/readyz"); err == nil {
			res.Body.Close()
			if res.StatusCode == 200 {
				return s
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("server %s not ready:\n%s", addr, s.log)
	return nil
}

func (s *kill9Server) call(method, path, body string) map[string]any {
	s.t.Helper()
	req, _ := http.NewRequest(method, s.base+path, strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+kill9Admin)
	req.Header.Set("Content-Type", "application/json")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		s.t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	if res.StatusCode >= 300 {
		s.t.Fatalf("%s %s: %d %s", method, path, res.StatusCode, b)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		s.t.Fatalf("%s %s: %v: %s", method, path, err, b)
	}
	return m
}

// kill kills the server with SIGKILL and returns when it is dead.
func (s *kill9Server) kill() time.Time {
	s.t.Helper()
	if err := s.cmd.Process.Signal(os.Kill); err != nil {
		s.t.Fatal(err)
	}
	s.cmd.Wait()
	return time.Now()
}

// waitRun waits up to a minute for a run of the demo app to succeed and
// returns it.
func (s *kill9Server) waitRun(run string) map[string]any {
	s.t.Helper()
	for deadline := time.Now().Add(time.Minute); ; time.Sleep(50 * time.Millisecond) {
		got := s.call("GET", "/v1/apps/demo/runs/"+run, "")
		switch {
		case got["state"] == "succeeded":
			return got
		case got["state"] == "failed" || got["state"] == "canceled":
			s.t.Fatalf("run %+v", got)
		case time.Now().After(deadline):
			s.t.Fatalf("run %s still %v after a minute", run, got["state"])
		}
	}
}

// TestKill9TwoServersMySQL: two `segmentd serve` processes on one
// MariaDB/MySQL store; the one running a run is killed with SIGKILL; the
// other takes the run once its lease has passed (within --run-lease +
// --run-lease/3) and finishes it.
func TestKill9TwoServersMySQL(t *testing.T) {
	dsn := storetest.MySQL(t)(t)
	bin := buildSegmentd(t)
	a := startServer(t, bin, dsn, "--demo-users", "50000", "--demo-events", "1000000")
	b := startServer(t, bin, dsn, "--demo=false")

	seg := a.call("POST", "/v1/apps/demo/segments", fmt.Sprintf(`{"name":"heavy","tree":%s}`, kill9Tree))["id"].(string)
	run := a.call("POST", "/v1/apps/demo/segments/"+seg+"/runs", `{}`)["id"].(string)
	deadline := time.Now().Add(time.Minute)
	for {
		if st := a.call("GET", "/v1/apps/demo/runs/"+run, "")["state"]; st == "running" {
			break
		} else if st != "queued" || time.Now().After(deadline) {
			t.Fatalf("run %s is %v before it was caught running", run, st)
		}
		time.Sleep(10 * time.Millisecond)
	}
	killed := a.kill()
	got := b.waitRun(run)
	started, err := time.Parse(time.RFC3339Nano, got["started_at"].(string))
	if err != nil {
		t.Fatal(err)
	}
	bound := kill9Lease + kill9Lease/3
	took := started.Sub(killed)
	t.Logf("run %s started again on the other server %v after the kill (bound %v)", run, took.Round(time.Millisecond), bound)
	if took <= 0 || took > bound+time.Second { // a second for the clocks and the polling
		t.Fatalf("run started again %v after the kill, want within %v", took, bound)
	}
}

// buildSegmentd builds cmd/segmentd into the test's directory.
func buildSegmentd(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "segmentd")
	build := exec.Command("go", "build", "-o", bin, "./cmd/segmentd")
	build.Dir = moduleRoot(t)
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

func moduleRoot(t *testing.T) string {
	t.Helper()
	out, err := exec.Command("go", "env", "GOMOD").Output()
	if err != nil {
		t.Fatal(err)
	}
	return filepath.Dir(strings.TrimSpace(string(out)))
}
