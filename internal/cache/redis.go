package cache

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
)

// Redis is a Store on a Redis server, for several segmentd servers that
// share snapshots. Its timeouts are short so that a dead or unreachable
// Redis fails a request within about two seconds instead of holding it.
type Redis struct {
	addr   string
	client *redis.Client
}

// OpenRedis connects to the Redis at addr, host:port or a redis:// or
// rediss:// URL (with user, password and database), and pings it: an
// unreachable server is an error that names the address.
func OpenRedis(ctx context.Context, addr string) (*Redis, error) {
	quietOnce.Do(func() { redis.SetLogger(slogLogger{}) })
	opts := &redis.Options{Addr: addr}
	if strings.HasPrefix(addr, "redis://") || strings.HasPrefix(addr, "rediss://") {
		var err error
		if opts, err = redis.ParseURL(addr); err != nil {
			return nil, fmt.Errorf("cache redis: %w", err)
		}
	}
	// One retry (a pooled connection the server closed) within one-second
	// timeouts: a hung server fails a call in about two seconds.
	opts.DialTimeout = time.Second
	opts.DialerRetries = 1
	opts.ReadTimeout = time.Second
	opts.WriteTimeout = time.Second
	opts.MaxRetries = 1
	opts.ContextTimeoutEnabled = true // a caller's deadline bounds the call too
	opts.DisableIdentity = true       // CLIENT SETINFO is Redis 7.2+; Debian 12 ships 7.0
	r := &Redis{addr: opts.Addr, client: redis.NewClient(opts)}
	if err := r.Ping(ctx); err != nil {
		r.client.Close()
		return nil, err
	}
	return r, nil
}

// Scripter is the connection, for what runs its own scripts on the same
// Redis (the rate limiter's token buckets).
func (r *Redis) Scripter() redis.Scripter { return r.client }

// slogLogger sends go-redis's own messages (a dial that failed, once per
// attempt) to slog at debug level: the failures reach the caller as
// errors, which it logs once, in context.
type slogLogger struct{}

func (slogLogger) Printf(ctx context.Context, format string, v ...any) {
	slog.DebugContext(ctx, "redis: "+fmt.Sprintf(format, v...))
}

// quietOnce sets go-redis's logger, which is process-wide, once.
var quietOnce sync.Once

func (r *Redis) wrap(op, key string, err error) error {
	return fmt.Errorf("cache redis %s: %s %q: %w", r.addr, op, key, err)
}

// Get implements Store.
func (r *Redis) Get(ctx context.Context, key string) ([]byte, error) {
	b, err := r.client.Get(ctx, key).Bytes()
	if errors.Is(err, redis.Nil) {
		err = ErrMiss
	}
	if err != nil {
		return nil, r.wrap("get", key, err)
	}
	return b, nil
}

// Set implements Store with SET and, for a ttl, PX.
func (r *Redis) Set(ctx context.Context, key string, value []byte, ttl time.Duration) error {
	if err := checkTTL("redis", key, ttl); err != nil {
		return err
	}
	if err := r.client.Set(ctx, key, value, ttl).Err(); err != nil {
		return r.wrap("set", key, err)
	}
	return nil
}

// Delete implements Store with UNLINK, which frees the value in the
// background: a chunk of a snapshot is large.
func (r *Redis) Delete(ctx context.Context, key string) error {
	if err := r.client.Unlink(ctx, key).Err(); err != nil {
		return r.wrap("delete", key, err)
	}
	return nil
}

// Ping implements Store with PING.
func (r *Redis) Ping(ctx context.Context) error {
	if err := r.client.Ping(ctx).Err(); err != nil {
		return fmt.Errorf("cache redis %s: unreachable: %w", r.addr, err)
	}
	return nil
}

// Close implements Store by closing the connections.
func (r *Redis) Close() error {
	if err := r.client.Close(); err != nil {
		return fmt.Errorf("cache redis %s: close: %w", r.addr, err)
	}
	return nil
}
