package cli

import (
	"bytes"
	"context"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"
)

func TestConfigPrecedence(t *testing.T) {
	env := map[string]string{"SEGMENTD_ADDR": "127.0.0.1:9999", "SEGMENTD_QUERY_TIMEOUT": "5s", "SEGMENTD_DEV": "true"}
	getenv := func(k string) string { return env[k] }
	c, _, err := parse("serve", []string{"--addr", "127.0.0.1:7777", "--data-dir", "/tmp/x"}, getenv)
	if err != nil {
		t.Fatal(err)
	}
	if c.Addr != "127.0.0.1:7777" {
		t.Errorf("a flag must win over the environment: %q", c.Addr)
	}
	if c.QueryTimeout != 5*time.Second || !c.Dev {
		t.Errorf("the environment must win over defaults: %v %v", c.QueryTimeout, c.Dev)
	}
	if c.Store != "sqlite:/tmp/x/segmentd.db" {
		t.Errorf("default store %q", c.Store)
	}
	if _, _, err := parse("serve", nil, func(k string) string {
		if k == "SEGMENTD_QUERY_TIMEOUT" {
			return "soon"
		}
		return ""
	}); err == nil || !strings.Contains(err.Error(), "SEGMENTD_QUERY_TIMEOUT") {
		t.Errorf("a bad variable must be named in the error: %v", err)
	}
}

func TestCommands(t *testing.T) {
	var out, errOut bytes.Buffer
	if code := Main(context.Background(), []string{"version"}, &out, &errOut); code != 0 || !strings.Contains(out.String(), "segmentd") {
		t.Fatalf("version: %d %q", code, out.String())
	}
	if code := Main(context.Background(), []string{"frobnicate"}, &out, &errOut); code != 2 {
		t.Fatalf("unknown command: %d", code)
	}
	if code := Main(context.Background(), nil, &out, &errOut); code != 2 {
		t.Fatalf("no command: %d", code)
	}
	dir := t.TempDir()
	if code := Main(context.Background(), []string{"migrate", "--data-dir", dir}, &out, &errOut); code != 0 {
		t.Fatalf("migrate: %d %s", code, errOut.String())
	}
	if _, err := os.Stat(filepath.Join(dir, "segmentd.db")); err != nil {
		t.Fatal(err)
	}
}

// TestServeAndShutdown starts the server without the demo, checks it
// answers with the kept admin key, and stops it by canceling its context.
func TestServeAndShutdown(t *testing.T) {
	dir := t.TempDir()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan int)
	var out, errOut bytes.Buffer
	go func() {
		done <- Main(ctx, []string{"serve", "--demo=false", "--data-dir", dir, "--addr", addr}, &out, &errOut)
	}()
	var res *http.Response
	for range 100 {
		if res, err = http.Get("http://" + addr + "/healthz"); err == nil {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	if err != nil {
		t.Fatalf("the server did not answer: %v\n%s", err, errOut.String())
	}
	res.Body.Close()
	key, err := os.ReadFile(filepath.Join(dir, "admin.key"))
	if err != nil {
		t.Fatal(err)
	}
	req, _ := http.NewRequest("GET", "http://"+addr+"/v1/apps/none", nil)
	req.Header.Set("Authorization", "Bearer "+strings.TrimSpace(string(key)))
	res, err = http.DefaultClient.Do(req)
	if err != nil || res.StatusCode != 404 {
		t.Fatalf("admin key: %v %v", res, err)
	}
	res.Body.Close()
	cancel()
	select {
	case code := <-done:
		if code != 0 {
			t.Fatalf("exit %d: %s", code, errOut.String())
		}
	case <-time.After(30 * time.Second):
		t.Fatal("the server did not stop")
	}
	if !strings.Contains(out.String(), "admin key:") {
		t.Fatalf("the admin key was not printed: %s", out.String())
	}
}

// TestDistributedNamesWhatIsUnreachable: a server pointed at stores that
// do not answer refuses to start and says which one.
func TestDistributedNamesWhatIsUnreachable(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--trino", "http://segmentd@127.0.0.1:1"}, "needs both --trino and --cassandra"},
		{[]string{"--trino", "http://segmentd@127.0.0.1:1", "--cassandra", "127.0.0.1:2", "--s3-endpoint", "http://127.0.0.1:3"}, "S3 endpoint http://127.0.0.1:3 is unreachable"},
		{[]string{"--trino", "http://segmentd@127.0.0.1:1", "--cassandra", "127.0.0.1:2"}, "cassandra at 127.0.0.1:2 is unreachable"},
	} {
		var out, errOut bytes.Buffer
		code := Main(context.Background(), append([]string{"serve", "--data-dir", dir, "--addr", "127.0.0.1:0"}, tc.args...), &out, &errOut)
		if code != 1 || !strings.Contains(errOut.String(), tc.want) {
			t.Errorf("%v: exit %d, stderr %q; want %q", tc.args, code, errOut.String(), tc.want)
		}
	}
}

// TestEngineThreads: by default the cores are divided among the engine
// slots (at least a thread each); a flag sets them outright.
func TestEngineThreads(t *testing.T) {
	cores := runtime.NumCPU()
	for _, tc := range []struct {
		slots, threads, want int
	}{
		{0, 0, 1},
		{1, 0, cores},
		{2 * cores, 0, 1},
		{0, 3, 3},
	} {
		c := Config{EngineSlots: tc.slots, EngineThreads: tc.threads}
		if got := c.engineThreads(); got != tc.want {
			t.Errorf("slots %d, threads %d: %d threads, want %d", tc.slots, tc.threads, got, tc.want)
		}
	}
}
