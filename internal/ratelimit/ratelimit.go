// Package ratelimit limits how fast an API key may call: a token bucket
// per key and route class, kept in this process or, to hold across the
// servers of a deployment, in Redis.
package ratelimit

import (
	"context"
	"fmt"
	"math"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Class is a kind of route, limited on a bucket of its own.
type Class string

const (
	Ingest  Class = "ingest"  // events and profile writes
	Queries Class = "queries" // counts, compiles, segments, runs, profiles
	Exports Class = "exports" // run members, paged or streamed
)

// Classes are every class, in the order the configuration lists them.
var Classes = []Class{Ingest, Queries, Exports}

// Limit is a token bucket: Rate tokens a second, holding at most Burst.
// The zero Limit is no limit.
type Limit struct {
	Rate  float64
	Burst int
}

func (l Limit) unlimited() bool { return l.Rate <= 0 || l.Burst <= 0 }

func (l Limit) String() string {
	if l.unlimited() {
		return "0"
	}
	return strconv.FormatFloat(l.Rate, 'f', -1, 64) + ":" + strconv.Itoa(l.Burst)
}

// ParseLimit reads "RATE:BURST" (RATE a second, a number; BURST a whole
// number), "RATE" (a burst of one second's worth, at least one), or "0"
// for no limit.
func ParseLimit(s string) (Limit, error) {
	rate, burst, hasBurst := strings.Cut(strings.TrimSpace(s), ":")
	r, err := strconv.ParseFloat(rate, 64)
	if err != nil || r < 0 || math.IsInf(r, 0) || math.IsNaN(r) {
		return Limit{}, fmt.Errorf("rate limit %q: want RATE:BURST, RATE a number a second at least 0", s)
	}
	l := Limit{Rate: r, Burst: max(1, int(math.Ceil(r)))}
	if hasBurst {
		if l.Burst, err = strconv.Atoi(burst); err != nil || l.Burst < 1 {
			return Limit{}, fmt.Errorf("rate limit %q: BURST must be a whole number at least 1", s)
		}
	}
	if r == 0 {
		return Limit{}, nil
	}
	return l, nil
}

// Limits are the limits of every app and class: Default, unless the app
// has its own in Apps.
type Limits struct {
	Default map[Class]Limit
	Apps    map[string]map[Class]Limit
}

// For is the limit of the app's keys on the class.
func (ls Limits) For(appID string, c Class) Limit {
	if l, ok := ls.Apps[appID][c]; ok {
		return l
	}
	return ls.Default[c]
}

// ParseApps reads per-app limits, "APP.CLASS=RATE:BURST" separated by
// commas: "shop.ingest=500:1000,shop.exports=0".
func ParseApps(s string) (map[string]map[Class]Limit, error) {
	out := map[string]map[Class]Limit{}
	for _, item := range strings.Split(s, ",") {
		if strings.TrimSpace(item) == "" {
			continue
		}
		name, value, ok := strings.Cut(item, "=")
		app, class, ok2 := strings.Cut(strings.TrimSpace(name), ".")
		if !ok || !ok2 || app == "" {
			return nil, fmt.Errorf("per-app rate limit %q: want APP.CLASS=RATE:BURST", item)
		}
		c := Class(class)
		if !validClass(c) {
			return nil, fmt.Errorf("per-app rate limit %q: class %q is not one of %v", item, class, Classes)
		}
		l, err := ParseLimit(value)
		if err != nil {
			return nil, err
		}
		if out[app] == nil {
			out[app] = map[Class]Limit{}
		}
		out[app][c] = l
	}
	return out, nil
}

func validClass(c Class) bool {
	for _, k := range Classes {
		if k == c {
			return true
		}
	}
	return false
}

// A Limiter takes a token from a bucket: wait is zero if it had one, or
// how long until it will.
type Limiter interface {
	Take(ctx context.Context, bucket string, l Limit) (wait time.Duration, err error)
}

// Local keeps the buckets in this process: limits per server.
type Local struct {
	mu      sync.Mutex
	buckets map[string]*bucket
	// Now is the clock (tests set it); nil is time.Now.
	Now func() time.Time
}

type bucket struct {
	tokens float64
	at     time.Time
}

// Take implements Limiter.
func (lo *Local) Take(_ context.Context, name string, l Limit) (time.Duration, error) {
	if l.unlimited() {
		return 0, nil
	}
	now := time.Now()
	if lo.Now != nil {
		now = lo.Now()
	}
	lo.mu.Lock()
	defer lo.mu.Unlock()
	if lo.buckets == nil {
		lo.buckets = map[string]*bucket{}
	}
	b := lo.buckets[name]
	if b == nil {
		b = &bucket{tokens: float64(l.Burst), at: now}
		lo.buckets[name] = b
	}
	b.tokens = min(float64(l.Burst), b.tokens+now.Sub(b.at).Seconds()*l.Rate)
	b.at = now
	if b.tokens >= 1 {
		b.tokens--
		return 0, nil
	}
	return time.Duration((1 - b.tokens) / l.Rate * float64(time.Second)), nil
}
