package cli

import (
	"log/slog"
	"testing"

	"github.com/segmentd/segmentd/internal/api"
	"github.com/segmentd/segmentd/internal/ratelimit"
)

func TestRateLimitFlags(t *testing.T) {
	noEnv := func(string) string { return "" }
	c, _, err := parse("serve", []string{"--rate-limit-exports", "0", "--rate-limits-per-app", "shop.ingest=500:1000"}, noEnv)
	if err != nil {
		t.Fatal(err)
	}
	ls, limiter, err := c.rateLimits(api.RunConfig{}, slog.Default())
	if err != nil {
		t.Fatal(err)
	}
	for _, w := range []struct {
		app   string
		class ratelimit.Class
		want  ratelimit.Limit
	}{
		{"blog", ratelimit.Ingest, ratelimit.Limit{Rate: 100, Burst: 200}},
		{"blog", ratelimit.Queries, ratelimit.Limit{Rate: 20, Burst: 40}},
		{"blog", ratelimit.Exports, ratelimit.Limit{}},
		{"shop", ratelimit.Ingest, ratelimit.Limit{Rate: 500, Burst: 1000}},
	} {
		if got := ls.For(w.app, w.class); got != w.want {
			t.Errorf("%s %s: %v, want %v", w.app, w.class, got, w.want)
		}
	}
	if _, ok := limiter.(*ratelimit.Local); !ok {
		t.Errorf("without Redis the limiter is %T, want one per server", limiter)
	}
	for _, args := range [][]string{{"--rate-limit-ingest", "fast"}, {"--rate-limits-per-app", "shop.reads=1:1"}} {
		c, _, err := parse("serve", args, noEnv)
		if err != nil {
			t.Fatal(err)
		}
		if _, _, err := c.rateLimits(api.RunConfig{}, slog.Default()); err == nil {
			t.Errorf("%v: no error", args)
		}
	}
}
