//go:build integration

package cache_test

import (
	"context"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/segmentd/segmentd/internal/cache"
	"github.com/segmentd/segmentd/internal/cache/cachetest"
)

func TestRedis(t *testing.T) {
	s, prefix := cachetest.Redis(t)
	runSuite(t, s, prefix)
}

// TestRedisTTL reads the TTL Redis keeps rather than waiting for it.
func TestRedisTTL(t *testing.T) {
	ctx := context.Background()
	s, prefix := cachetest.Redis(t)
	if err := s.Set(ctx, prefix+"minute", []byte("v"), time.Minute); err != nil {
		t.Fatal(err)
	}
	if err := s.Set(ctx, prefix+"forever", []byte("v"), 0); err != nil {
		t.Fatal(err)
	}
	client := redis.NewClient(&redis.Options{Addr: cachetest.RedisAddr(t), DisableIdentity: true})
	defer client.Close()
	if ttl := client.PTTL(ctx, prefix+"minute").Val(); ttl <= 59*time.Second || ttl > time.Minute {
		t.Errorf("PTTL of a value set for a minute: %v", ttl)
	}
	if ttl := client.PTTL(ctx, prefix+"forever").Val(); ttl != -1 { // go-redis reports "no expiry" as -1ns
		t.Errorf("PTTL of a value set with ttl 0: %v, want no expiry", ttl)
	}
}

func TestOpenRedisURL(t *testing.T) {
	s, err := cache.OpenRedis(context.Background(), "redis://"+cachetest.RedisAddr(t)+"/0")
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
}

// TestRedisSilent: a server that accepts connections and never answers (a
// hung Redis, a black-holed route) fails opening within about two seconds.
func TestRedisSilent(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	go func() {
		for {
			conn, err := l.Accept()
			if err != nil {
				return
			}
			defer conn.Close() // held open, silent, until the test ends
		}
	}()
	start := time.Now()
	_, err = cache.OpenRedis(context.Background(), l.Addr().String())
	took := time.Since(start)
	if err == nil || !strings.Contains(err.Error(), l.Addr().String()) || took > 2500*time.Millisecond {
		t.Fatalf("OpenRedis on a silent server: %v after %v, want an error naming it within 2.5s", err, took)
	}
	t.Logf("OpenRedis on a silent server: %v after %v", err, took.Round(time.Millisecond))
}

// TestRedisDown: a Redis that stops answering fails calls within about two
// seconds, with errors that name it, and so does opening one.
func TestRedisDown(t *testing.T) {
	ctx := context.Background()
	addr, stop := cachetest.StartRedis(t)
	s, err := cache.OpenRedis(ctx, addr)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := s.Set(ctx, "k", []byte("v"), 0); err != nil {
		t.Fatal(err)
	}
	stop()
	for name, call := range map[string]func() error{
		"Get":  func() error { _, err := s.Get(ctx, "k"); return err },
		"Set":  func() error { return s.Set(ctx, "k", []byte("v"), 0) },
		"Ping": func() error { return s.Ping(ctx) },
		"OpenRedis": func() error {
			_, err := cache.OpenRedis(ctx, addr)
			return err
		},
	} {
		start := time.Now()
		err := call()
		took := time.Since(start)
		if err == nil || !strings.Contains(err.Error(), addr) {
			t.Errorf("%s on a stopped Redis: %v, want an error naming %s", name, err, addr)
		}
		if took > 2500*time.Millisecond {
			t.Errorf("%s on a stopped Redis took %v, want ≤ 2.5s", name, took)
		}
		t.Logf("%s on a stopped Redis: %v after %v", name, err, took.Round(time.Millisecond))
	}
}
