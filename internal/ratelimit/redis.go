package ratelimit

import (
	"context"
	"fmt"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"
)

// takeScript is Local.Take in Redis, on the Redis server's clock (so
// that servers with skewed clocks share one bucket fairly). The bucket is
// a hash {tokens, at}; it expires once it would be full again. The wait
// is returned as text: Redis would truncate a Lua number to an integer.
var takeScript = redis.NewScript(`
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local rate, burst = tonumber(ARGV[1]), tonumber(ARGV[2])
local b = redis.call('HMGET', KEYS[1], 'tokens', 'at')
local tokens, at = tonumber(b[1]), tonumber(b[2])
if tokens == nil or at == nil then tokens, at = burst, now end
tokens = math.min(burst, tokens + math.max(0, now - at) * rate)
local wait = 0
if tokens >= 1 then tokens = tokens - 1 else wait = (1 - tokens) / rate end
redis.call('HSET', KEYS[1], 'tokens', string.format('%.6f', tokens), 'at', string.format('%.6f', now))
redis.call('PEXPIRE', KEYS[1], math.ceil(burst / rate * 1000) + 1000)
return string.format('%.6f', wait)
`)

// Redis keeps the buckets in Redis, under Prefix: limits hold across
// every server that shares it.
type Redis struct {
	Client redis.Scripter
	Prefix string
}

// Take implements Limiter.
func (r Redis) Take(ctx context.Context, name string, l Limit) (time.Duration, error) {
	if l.unlimited() {
		return 0, nil
	}
	res, err := takeScript.Run(ctx, r.Client, []string{r.Prefix + name},
		strconv.FormatFloat(l.Rate, 'f', -1, 64), l.Burst).Text()
	if err != nil {
		return 0, fmt.Errorf("ratelimit: redis: %w", err)
	}
	wait, err := strconv.ParseFloat(res, 64)
	if err != nil {
		return 0, fmt.Errorf("ratelimit: redis answered %q: %w", res, err)
	}
	return time.Duration(wait * float64(time.Second)), nil
}

// Fallback takes from Primary, and from Secondary while Primary fails: a
// Redis that is down makes limits per server, never refuses every call.
// After a failure Primary rests for Cooldown, so that a Redis that hangs
// does not cost every request its timeouts.
type Fallback struct {
	Primary, Secondary Limiter
	Cooldown           time.Duration
	// OnError hears Primary's errors (to log them).
	OnError func(error)
	// Now is the clock (tests set it); nil is time.Now.
	Now func() time.Time

	restUntil atomic.Int64 // Unix nanoseconds
}

// Take implements Limiter.
func (f *Fallback) Take(ctx context.Context, name string, l Limit) (time.Duration, error) {
	now := time.Now
	if f.Now != nil {
		now = f.Now
	}
	if now().UnixNano() >= f.restUntil.Load() {
		wait, err := f.Primary.Take(ctx, name, l)
		if err == nil {
			return wait, nil
		}
		f.restUntil.Store(now().Add(f.Cooldown).UnixNano())
		if f.OnError != nil {
			f.OnError(err)
		}
	}
	return f.Secondary.Take(ctx, name, l)
}
