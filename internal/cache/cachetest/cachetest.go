// Package cachetest gives integration tests a Redis: the shared one of
// SEGMENTD_TEST_REDIS with a key prefix of their own, or a throwaway
// redis-server of their own that they can stop to test a failure.
//
//	deploy/local/redis.sh start
//	SEGMENTD_TEST_REDIS=127.0.0.1:6390 go test -tags integration ./...
package cachetest

import (
	"bufio"
	"context"
	"crypto/rand"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/segmentd/segmentd/internal/cache"
)

// RedisAddr returns the address in SEGMENTD_TEST_REDIS. A missing variable
// fails the test: it never skips.
func RedisAddr(t testing.TB) string {
	t.Helper()
	addr := os.Getenv("SEGMENTD_TEST_REDIS")
	if addr == "" {
		t.Fatal("SEGMENTD_TEST_REDIS is not set: run deploy/local/redis.sh start and set it to the address it prints")
	}
	return addr
}

// Redis opens the Redis of SEGMENTD_TEST_REDIS and returns it with a key
// prefix unique to the test; when the test ends every key under the prefix
// is deleted and the store closed. An unreachable server fails the test.
func Redis(t testing.TB) (store *cache.Redis, prefix string) {
	t.Helper()
	addr := RedisAddr(t)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	store, err := cache.OpenRedis(ctx, addr)
	if err != nil {
		t.Fatalf("%v (start it with deploy/local/redis.sh start)", err)
	}
	prefix = fmt.Sprintf("segmentd-test:%s:%s:", t.Name(), rand.Text()[:8])
	t.Cleanup(func() {
		store.Close()
		if err := deletePrefix(addr, prefix); err != nil {
			t.Errorf("deleting the test's keys %s*: %v", prefix, err)
		}
	})
	return store, prefix
}

func deletePrefix(addr, prefix string) error {
	client := redis.NewClient(&redis.Options{Addr: addr, DisableIdentity: true})
	defer client.Close()
	ctx := context.Background()
	iter := client.Scan(ctx, 0, escapeGlob(prefix)+"*", 1000).Iterator()
	for iter.Next(ctx) {
		if err := client.Unlink(ctx, iter.Val()).Err(); err != nil {
			return err
		}
	}
	return iter.Err()
}

// escapeGlob quotes the characters SCAN's MATCH pattern gives a meaning.
func escapeGlob(s string) string {
	return strings.NewReplacer(`\`, `\\`, `*`, `\*`, `?`, `\?`, `[`, `\[`, `]`, `\]`).Replace(s)
}

// StartRedis starts a redis-server of the test's own on a free loopback
// port, without persistence, in a temporary directory, and waits until it
// answers PING. stop kills it (to test what a dead Redis does); it is also
// killed when the test ends. A machine without redis-server (installed by
// deploy/local/redis.sh) fails the test.
func StartRedis(t testing.TB) (addr string, stop func()) {
	t.Helper()
	bin := redisServer(t)
	dir := t.TempDir()
	addr = freeAddr(t)
	_, port, _ := net.SplitHostPort(addr)
	logFile := filepath.Join(dir, "redis.log")
	cmd := exec.Command(bin, "--bind", "127.0.0.1", "--port", port, "--save", "", "--appendonly", "no",
		"--dir", dir, "--logfile", logFile)
	if err := cmd.Start(); err != nil {
		t.Fatalf("starting %s: %v", bin, err)
	}
	exited := make(chan struct{})
	go func() { cmd.Wait(); close(exited) }()
	var once sync.Once
	stop = func() {
		once.Do(func() {
			cmd.Process.Kill()
			<-exited
		})
	}
	t.Cleanup(stop)

	deadline := time.Now().Add(10 * time.Second)
	for !answersPing(addr) {
		select {
		case <-exited:
			log, _ := os.ReadFile(logFile)
			t.Fatalf("redis-server on %s exited during start: %s", addr, log)
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("redis-server on %s did not answer PING within 10s", addr)
		}
	}
	return addr, stop
}

// redisServer finds the binary that deploy/local/redis.sh installs.
func redisServer(t testing.TB) string {
	t.Helper()
	if p, err := exec.LookPath("redis-server"); err == nil {
		return p
	}
	for _, p := range []string{"/usr/bin/redis-server", "/usr/sbin/redis-server"} {
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	t.Fatal("redis-server is not installed: run deploy/local/redis.sh start (it installs Debian's redis-server)")
	return ""
}

// freeAddr is a loopback address with a port free a moment ago.
func freeAddr(t testing.TB) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

func answersPing(addr string) bool {
	conn, err := net.DialTimeout("tcp", addr, time.Second)
	if err != nil {
		return false
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(time.Second))
	if _, err := conn.Write([]byte("PING\r\n")); err != nil {
		return false
	}
	line, err := bufio.NewReader(conn).ReadString('\n')
	return err == nil && line == "+PONG\r\n"
}
