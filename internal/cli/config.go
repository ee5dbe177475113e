package cli

import (
	"flag"
	"fmt"
	"path/filepath"
	"runtime"
	"strings"
	"time"
)

// Config is the server's configuration. Each field is a flag and a
// SEGMENTD_* environment variable; a flag on the command line wins over
// the variable, which wins over the default. docs/configuration.md lists
// them all.
type Config struct {
	Addr            string
	DataDir         string
	Store           string
	AdminKey        string
	Dev             bool
	Demo            bool
	DemoUsers       int
	DemoEvents      int
	QueryTimeout    time.Duration
	ShutdownTimeout time.Duration
	LogLevel        string
	LogFormat       string

	// The distributed path: all of Trino and Cassandra, or neither.
	Trino             string
	TrinoMaxScanBytes int64
	Cassandra         string
	CassandraKeyspace string
	Buckets           int
	HistoryLocation   string
	S3Endpoint        string
	CompactAge        time.Duration
	CompactInterval   time.Duration
	// HistoryDir, on the embedded engine, keeps compacted days in local
	// Parquet files; "" keeps every event in DuckDB.
	HistoryDir string

	// Admission and the engine's resources.
	EngineSlots, EngineSlotsPerApp, EngineQueue int
	EngineMaxWait                               time.Duration
	EngineMemory, EngineTempDir                 string
	EngineThreads                               int
	TrinoMaxMemory                              string

	// Runs and the cache.
	Redis                  string
	RunWorkers, RunsPerApp int
	SnapshotTTL, CountTTL  time.Duration
	// RunLease is a run's lease (api.ScheduleConfig.Lease; 0: none, one
	// server alone); ScheduleTick how often due slots are looked for.
	RunLease, ScheduleTick time.Duration

	// Rate limits of each app key: RATE:BURST per route class, and
	// per-app overrides (ratelimit.ParseLimit, ratelimit.ParseApps).
	RateLimitIngest, RateLimitQueries, RateLimitExports string
	RateLimitsPerApp                                    string

	// WebhooksAllowPrivate lets webhooks reach loopback, private and
	// link-local addresses (refused by default).
	WebhooksAllowPrivate bool
}

// engineThreads is DuckDB's threads: by default the cores divided among
// the engine slots, so that the queries of different apps run on cores
// of their own instead of slowing each other down (one app's flood
// raised another's p99 3.6 times with a thread a core on 2 cores, 1.2
// times with one a slot; docs/BENCHMARKS.md).
func (c *Config) engineThreads() int {
	if c.EngineThreads > 0 {
		return c.EngineThreads
	}
	slots := c.EngineSlots
	if slots < 1 {
		slots = runtime.NumCPU()
	}
	return max(1, runtime.NumCPU()/slots)
}

// Distributed reports whether the server runs on Trino and Cassandra.
func (c *Config) Distributed() bool { return c.Trino != "" || c.Cassandra != "" }

// flags binds the configuration to a flag set.
func (c *Config) flags(fs *flag.FlagSet) {
	fs.StringVar(&c.Addr, "addr", "127.0.0.1:8080", "address to listen on")
	fs.StringVar(&c.DataDir, "data-dir", "./data", "directory of the embedded databases and keys")
	fs.StringVar(&c.Store, "store", "", `segment store: "sqlite:<file>" or "mysql://user:pass@tcp(host:port)/db" (default: SQLite in the data directory)`)
	fs.StringVar(&c.AdminKey, "admin-key", "", "admin API key (default: generated once and kept in the data directory)")
	fs.BoolVar(&c.Dev, "dev", false, "accept unauthenticated requests from loopback as admin")
	fs.BoolVar(&c.Demo, "demo", true, "create the demo app with generated data on first start")
	fs.IntVar(&c.DemoUsers, "demo-users", 100_000, "users of the demo app")
	fs.IntVar(&c.DemoEvents, "demo-events", 2_000_000, "events of the demo app")
	fs.DurationVar(&c.QueryTimeout, "query-timeout", time.Minute, "longest a count may run")
	fs.DurationVar(&c.ShutdownTimeout, "shutdown-timeout", 30*time.Second, "how long shutdown waits for requests in flight")
	fs.StringVar(&c.LogLevel, "log-level", "info", "debug, info, warn or error")
	fs.StringVar(&c.LogFormat, "log-format", "text", "text or json")
	fs.IntVar(&c.EngineSlots, "engine-slots", 0, "engine queries (counts and runs) at once (0: one a core)")
	fs.IntVar(&c.EngineSlotsPerApp, "engine-slots-per-app", 0, "engine queries of one app at once (0: half the slots, at least one)")
	fs.IntVar(&c.EngineQueue, "engine-queue", 0, "counts waiting for an engine slot, past which they are refused with 503 (0: 16 a slot)")
	fs.DurationVar(&c.EngineMaxWait, "engine-max-wait", 10*time.Second, "longest a count waits for an engine slot before a 503 with Retry-After")
	fs.StringVar(&c.EngineMemory, "engine-memory", "4GB", "embedded engine: DuckDB's memory_limit, past which queries spill to --engine-temp-dir")
	fs.IntVar(&c.EngineThreads, "engine-threads", 0, "embedded engine: DuckDB's threads (0: the cores divided among the engine slots, at least one)")
	fs.StringVar(&c.EngineTempDir, "engine-temp-dir", "", "embedded engine: where queries spill (default: <data-dir>/tmp)")
	fs.StringVar(&c.TrinoMaxMemory, "trino-max-memory", "1GB", "distributed path: Trino's query_max_memory for each query (at most the cluster's query.max-memory)")
	fs.StringVar(&c.Redis, "redis", "", "Redis (host:port or redis://…) for run snapshots and cached counts shared by every server (default: kept in the data directory)")
	fs.IntVar(&c.RunWorkers, "run-workers", 2, "runs executing at once")
	fs.IntVar(&c.RunsPerApp, "runs-per-app", 1, "runs of one app executing at once")
	fs.DurationVar(&c.RunLease, "run-lease", 30*time.Second, "lease of a queued or running run: a server that dies has its runs taken by another within lease + lease/3 (0: no lease, one server alone on its store)")
	fs.DurationVar(&c.ScheduleTick, "schedule-tick", 10*time.Second, "how often the segments' schedules are looked at (a run is created at most that long after its slot; its as_of is the slot)")
	fs.BoolVar(&c.WebhooksAllowPrivate, "webhooks-allow-private", false, "let webhooks reach loopback, private and link-local addresses")
	fs.DurationVar(&c.SnapshotTTL, "snapshot-ttl", 24*time.Hour, "how long a run's members stay readable")
	fs.DurationVar(&c.CountTTL, "count-ttl", 10*time.Minute, "how long a count is cached (a new event or version changes its key anyway)")
	fs.StringVar(&c.RateLimitIngest, "rate-limit-ingest", "100:200", "each app key's event and profile writes: RATE:BURST, requests a second and at once (0: no limit)")
	fs.StringVar(&c.RateLimitQueries, "rate-limit-queries", "20:40", "each app key's counts, compiles, segments, runs and profile reads: RATE:BURST (0: no limit)")
	fs.StringVar(&c.RateLimitExports, "rate-limit-exports", "10:20", "each app key's member pages and exports: RATE:BURST (0: no limit)")
	fs.StringVar(&c.RateLimitsPerApp, "rate-limits-per-app", "", `limits of particular apps' keys, "APP.CLASS=RATE:BURST,…" (e.g. "shop.ingest=500:1000,shop.exports=0")`)
	fs.StringVar(&c.Trino, "trino", "", "Trino for queries, e.g. http://segmentd@127.0.0.1:8085 (with --cassandra: the distributed path)")
	fs.Int64Var(&c.TrinoMaxScanBytes, "trino-max-scan-bytes", 0, "most bytes one Trino query may read (0: no limit)")
	fs.StringVar(&c.Cassandra, "cassandra", "", "Cassandra contact points for fresh events and profiles, comma-separated host:port")
	fs.StringVar(&c.CassandraKeyspace, "cassandra-keyspace", "segmentd", "Cassandra keyspace (also the schema of Trino's cassandra catalog)")
	fs.IntVar(&c.Buckets, "buckets", 16, "Cassandra partitions per app and day; fixed for the life of the data")
	fs.StringVar(&c.HistoryLocation, "history-location", "s3://segmentd/history/", "S3 location of the history, written by Trino's hive catalog")
	fs.StringVar(&c.S3Endpoint, "s3-endpoint", "", "S3 endpoint Trino's hive catalog uses, checked at start (e.g. http://127.0.0.1:9000)")
	fs.DurationVar(&c.CompactAge, "compact-age", 48*time.Hour, "age past which days move from the fresh store (Cassandra, or DuckDB with --history-dir) to history")
	fs.StringVar(&c.HistoryDir, "history-dir", "", "embedded engine: keep days older than --compact-age as Parquet files in this directory (default: all in DuckDB)")
	fs.DurationVar(&c.CompactInterval, "compact-interval", 10*time.Minute, "how often serve compacts every app (0: never; see segmentd compact)")
}

// envName is the variable of a flag: --query-timeout is
// SEGMENTD_QUERY_TIMEOUT.
func envName(flagName string) string {
	return "SEGMENTD_" + strings.ToUpper(strings.ReplaceAll(flagName, "-", "_"))
}

// parse reads args and the environment.
func parse(name string, args []string, getenv func(string) string) (*Config, *flag.FlagSet, error) {
	c := &Config{}
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	c.flags(fs)
	if err := fs.Parse(args); err != nil {
		return nil, fs, err
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	var err error
	fs.VisitAll(func(f *flag.Flag) {
		if v := getenv(envName(f.Name)); v != "" && !set[f.Name] && err == nil {
			if e := f.Value.Set(v); e != nil {
				err = fmt.Errorf("%s=%q: %w", envName(f.Name), v, e)
			}
		}
	})
	if err != nil {
		return nil, fs, err
	}
	if c.Store == "" {
		c.Store = "sqlite:" + filepath.Join(c.DataDir, "segmentd.db")
	}
	return c, fs, nil
}
