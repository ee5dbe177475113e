// Package cli is segmentd's command line: serve, migrate and version.
package cli

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/segmentd/segmentd/internal/admit"
	"github.com/segmentd/segmentd/internal/api"
	"github.com/segmentd/segmentd/internal/cache"
	"github.com/segmentd/segmentd/internal/demo"
	"github.com/segmentd/segmentd/internal/ratelimit"
	"github.com/segmentd/segmentd/internal/store/sqlstore"
	"github.com/segmentd/segmentd/internal/webhook"
)

// Version is set at build time (-ldflags "-X .../cli.Version=…").
var Version = "dev"

const usage = `usage: segmentd <command> [flags]

commands:
  serve     run the server (with no configuration: embedded DuckDB and
            SQLite in ./data, and a demo app)
  migrate   apply the segment store's schema and exit
  compact   move old events of every app to history (Parquet), once
  version   print the version

Run "segmentd serve -h" for the flags; each is also a SEGMENTD_* variable.
`

// Main runs the command line and returns the exit code.
func Main(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return 2
	}
	var err error
	switch args[0] {
	case "serve":
		err = withConfig(args, stderr, func(c *Config, log *slog.Logger) error { return serve(ctx, c, log, stdout) })
	case "migrate":
		err = withConfig(args, stderr, func(c *Config, log *slog.Logger) error {
			if err := os.MkdirAll(c.DataDir, 0o755); err != nil {
				return err
			}
			if err := sqlstore.Migrate(ctx, c.Store); err != nil {
				return err
			}
			log.Info("store migrated")
			return nil
		})
	case "compact":
		err = withConfig(args, stderr, func(c *Config, log *slog.Logger) error {
			st, err := sqlstore.Open(ctx, c.Store)
			if err != nil {
				return fmt.Errorf("segment store: %w", err)
			}
			defer st.Close()
			d, err := openData(ctx, c, st)
			if err != nil {
				return err
			}
			defer d.close()
			if d.compactor == nil {
				return errors.New("nothing to compact: the embedded engine keeps history only with --history-dir")
			}
			return compactAll(ctx, st, d.compactor, log)
		})
	case "version":
		fmt.Fprintln(stdout, "segmentd", Version)
		return 0
	case "-h", "--help", "help":
		fmt.Fprint(stdout, usage)
		return 0
	default:
		fmt.Fprintf(stderr, "segmentd: unknown command %q\n\n%s", args[0], usage)
		return 2
	}
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if err != nil {
		fmt.Fprintln(stderr, "segmentd:", err)
		return 1
	}
	return 0
}

func withConfig(args []string, stderr io.Writer, run func(*Config, *slog.Logger) error) error {
	c, fs, err := parse("segmentd "+args[0], args[1:], os.Getenv)
	if err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments: %s", strings.Join(fs.Args(), " "))
	}
	log, err := newLogger(c, stderr)
	if err != nil {
		return err
	}
	return run(c, log)
}

func newLogger(c *Config, w io.Writer) (*slog.Logger, error) {
	var level slog.Level
	if err := level.UnmarshalText([]byte(c.LogLevel)); err != nil {
		return nil, fmt.Errorf("log level: %w", err)
	}
	opts := &slog.HandlerOptions{Level: level}
	switch c.LogFormat {
	case "text":
		return slog.New(slog.NewTextHandler(w, opts)), nil
	case "json":
		return slog.New(slog.NewJSONHandler(w, opts)), nil
	}
	return nil, fmt.Errorf("log format %q: text or json", c.LogFormat)
}

func serve(ctx context.Context, c *Config, log *slog.Logger, stdout io.Writer) error {
	if err := os.MkdirAll(c.DataDir, 0o755); err != nil {
		return err
	}
	adminKey, err := c.adminKey()
	if err != nil {
		return err
	}
	st, err := sqlstore.Open(ctx, c.Store)
	if err != nil {
		return fmt.Errorf("segment store: %w", err)
	}
	defer st.Close()
	d, err := openData(ctx, c, st)
	if err != nil {
		return err
	}
	defer d.close()
	var demoKey string
	if c.Demo && d.embedded != nil {
		start := time.Now()
		res, err := demo.Ensure(ctx, st, d.embedded, demo.Config{Users: c.DemoUsers, Events: c.DemoEvents, KeyFile: filepath.Join(c.DataDir, "demo.key")}, log)
		if err != nil {
			return fmt.Errorf("demo app: %w", err)
		}
		if res.Created {
			log.Info("demo app created", "users", res.Users, "events", res.Events, "seconds", time.Since(start).Seconds())
		}
		demoKey = res.Key
	}
	if d.compactor != nil && c.CompactInterval > 0 {
		go compactLoop(ctx, st, d.compactor, c.CompactInterval, log)
	}

	runCfg, closeCaches, err := c.runConfig(ctx)
	if err != nil {
		return err
	}
	defer closeCaches()
	limits, limiter, err := c.rateLimits(runCfg, log)
	if err != nil {
		return err
	}
	handler := api.New(api.Config{
		RateLimits: limits, RateLimiter: limiter,
		Store: st, Engine: d.engine, Fresh: d.fresh, Eraser: d.eraser, Logger: log, AdminKey: adminKey, Dev: c.Dev, QueryTimeout: c.QueryTimeout, Runs: runCfg,
		Admission: admit.Config{Slots: c.EngineSlots, PerApp: c.EngineSlotsPerApp, Queue: c.EngineQueue, MaxWait: c.EngineMaxWait},
		Webhooks:  webhook.Config{AllowPrivate: c.WebhooksAllowPrivate},
		Schedules: c.schedules(),
	})
	if err := handler.Start(ctx); err != nil {
		return fmt.Errorf("runs: %w", err)
	}
	srv := &http.Server{
		Handler:           handler,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       time.Minute,
		IdleTimeout:       2 * time.Minute,
		BaseContext:       func(net.Listener) context.Context { return ctx },
	}
	ln, err := net.Listen("tcp", c.Addr)
	if err != nil {
		return err
	}
	url := "http://" + ln.Addr().String()
	fmt.Fprintf(stdout, "segmentd %s serving %s\n", Version, url)
	if demoKey != "" {
		fmt.Fprintf(stdout, "demo app key:  %s\n", demoKey)
	}
	if c.AdminKey == "" {
		fmt.Fprintf(stdout, "admin key:     %s (kept in %s)\n", adminKey, filepath.Join(c.DataDir, "admin.key"))
	}
	fmt.Fprintf(stdout, "console:       %s/ (sign in with a key above; app %q for the demo)\n", url, demo.AppID)
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	log.Info("shutting down: finishing requests in flight", "timeout", c.ShutdownTimeout)
	shutdownCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), c.ShutdownTimeout)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	// Runs in flight are queued again, for the next start.
	if err := handler.Shutdown(shutdownCtx); err != nil {
		return fmt.Errorf("shutdown: runs: %w", err)
	}
	return nil
}

// runConfig opens the stores of snapshots and counts: Redis when
// configured (it must answer at start), and a directory of the data
// directory, where snapshots go without Redis or while it is down.
func (c *Config) runConfig(ctx context.Context) (api.RunConfig, func(), error) {
	cfg := api.RunConfig{Workers: c.RunWorkers, PerApp: c.RunsPerApp, SnapshotTTL: c.SnapshotTTL, CountTTL: c.CountTTL}
	local, err := cache.OpenDisk(filepath.Join(c.DataDir, "snapshots"))
	if err != nil {
		return cfg, nil, err
	}
	cfg.Local = local
	if c.Redis == "" {
		return cfg, func() { local.Close() }, nil
	}
	redis, err := cache.OpenRedis(ctx, c.Redis)
	if err != nil {
		local.Close()
		return cfg, nil, fmt.Errorf("redis: %w", err)
	}
	cfg.Cache = redis
	return cfg, func() { redis.Close(); local.Close() }, nil
}

// rateLimits reads the rate-limit flags. With Redis the buckets are there,
// shared by every server (and in this process while Redis fails);
// without, each server keeps its own.
func (c *Config) rateLimits(rc api.RunConfig, log *slog.Logger) (ratelimit.Limits, ratelimit.Limiter, error) {
	ls := ratelimit.Limits{Default: map[ratelimit.Class]ratelimit.Limit{}}
	for class, v := range map[ratelimit.Class]string{ratelimit.Ingest: c.RateLimitIngest, ratelimit.Queries: c.RateLimitQueries, ratelimit.Exports: c.RateLimitExports} {
		l, err := ratelimit.ParseLimit(v)
		if err != nil {
			return ls, nil, fmt.Errorf("--rate-limit-%s: %w", class, err)
		}
		ls.Default[class] = l
	}
	apps, err := ratelimit.ParseApps(c.RateLimitsPerApp)
	if err != nil {
		return ls, nil, fmt.Errorf("--rate-limits-per-app: %w", err)
	}
	ls.Apps = apps
	local := &ratelimit.Local{}
	r, ok := rc.Cache.(*cache.Redis)
	if !ok {
		return ls, local, nil
	}
	return ls, &ratelimit.Fallback{Primary: ratelimit.Redis{Client: r.Scripter(), Prefix: "segmentd:ratelimit:"}, Secondary: local,
		Cooldown: 5 * time.Second,
		OnError:  func(err error) { log.Warn("rate limits kept per server for 5 s: Redis fails", "error", err) }}, nil
}

// adminKey is the configured admin key or, without one, a key generated
// once and kept in the data directory (readable by its owner only).
func (c *Config) adminKey() (string, error) {
	if c.AdminKey != "" {
		return c.AdminKey, nil
	}
	return readOrCreateSecret(filepath.Join(c.DataDir, "admin.key"), func() string {
		b := make([]byte, 24)
		_, _ = rand.Read(b) // crypto/rand.Read never fails
		return "sgd_admin_" + base64.RawURLEncoding.EncodeToString(b)
	})
}

// readOrCreateSecret returns the secret kept in file, creating it with
// make when there is none.
func readOrCreateSecret(file string, make func() string) (string, error) {
	b, err := os.ReadFile(file)
	if err == nil {
		return strings.TrimSpace(string(b)), nil
	}
	if !errors.Is(err, os.ErrNotExist) {
		return "", err
	}
	secret := make()
	if err := os.WriteFile(file, []byte(secret+"\n"), 0o600); err != nil {
		return "", err
	}
	return secret, nil
}
