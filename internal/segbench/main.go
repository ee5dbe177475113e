package segbench

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"time"
)

// Main is segbench's command line.
func Main(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("segbench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var cfg Config
	var jsonOut, markdown string
	fs.StringVar(&cfg.Dir, "dir", ".cache/segbench", "where the generated data and the database are kept (data is reused when it matches)")
	fs.Float64Var(&cfg.Scale, "scale", 1, "1: 1M users and 30M events; 10: 10M and 300M; 0.01: 10k and 300k")
	fs.Uint64Var(&cfg.Seed, "seed", 1, "seed of the generated data")
	fs.IntVar(&cfg.Runs, "runs", 5, "runs of each query (at least 5)")
	fs.IntVar(&cfg.IngestEvents, "ingest-events", 200_000, "events posted through the ingestion API of the embedded engine")
	fs.BoolVar(&cfg.DuckDB, "duckdb", true, "measure the embedded engine (false, with --trino: Trino alone)")
	fs.BoolVar(&cfg.KeepDB, "keep-db", false, "measure the embedded engine's database in --dir as an earlier run loaded it (it must hold the data), without a new bulk load")
	fs.StringVar(&cfg.Peer, "peer", "", `also run the suite on a peer beside the embedded engine: "clickhouse" (chdb, in-process; members must agree)`)
	fs.StringVar(&cfg.ChdbPython, "chdb-python", ".cache/chdb/bin/python3", "the Python with chdb the ClickHouse peer runs on (bash deploy/local/chdb.sh python)")
	// The distributed path: serve's flags, and where the history is loaded.
	t := &cfg.Trino
	fs.StringVar(&t.URL, "trino", "", "also measure Trino, e.g. http://segmentd@127.0.0.1:8085 (needs --cassandra and --s3-endpoint)")
	fs.StringVar(&t.Cassandra, "cassandra", "", "Cassandra contact points of the fresh store, comma-separated host:port")
	fs.StringVar(&t.Keyspace, "cassandra-keyspace", "segbench", "Cassandra keyspace, also the history's schema in Trino's hive catalog")
	fs.IntVar(&t.Buckets, "buckets", 16, "Cassandra partitions per app and day")
	fs.StringVar(&t.HistoryLocation, "history-location", "s3://segmentd/segbench/", "S3 location of the history's schema")
	fs.StringVar(&t.S3Endpoint, "s3-endpoint", "", "S3 endpoint the history is loaded through, with AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (e.g. http://127.0.0.1:9000)")
	fs.DurationVar(&t.CompactAge, "compact-age", 48*time.Hour, "the fresh store holds the days from day(as_of - compact-age); history the days before")
	fs.Func("trees", "measure only the suite's trees whose names start with one of these, comma-separated (e.g. 2-,3-); no API figures then", func(v string) error {
		cfg.Trees = strings.Split(v, ",")
		return nil
	})
	fs.StringVar(&cfg.SQLDir, "sql-dir", "", "write each tree's queries (fused, naive, hand-written, explain) with their parameters to this folder, to profile them")
	fs.StringVar(&cfg.IngestProfile, "ingest-cpuprofile", "", "write a CPU profile (pprof) of the ingestion through the API to this file")
	fs.StringVar(&jsonOut, "json", "", "write the report as JSON to this file")
	fs.StringVar(&markdown, "markdown", "docs/BENCHMARKS.md", `append the report as Markdown to this file ("-": standard output, "": nowhere)`)
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if cfg.Scale <= 0 {
		fmt.Fprintln(stderr, "segbench: --scale must be positive")
		return 2
	}
	if t.URL != "" && (t.Cassandra == "" || t.S3Endpoint == "") {
		fmt.Fprintln(stderr, "segbench: --trino needs --cassandra and --s3-endpoint")
		return 2
	}
	cfg.Log = slog.New(slog.NewTextHandler(stderr, nil))
	if err := os.MkdirAll(cfg.Dir, 0o755); err != nil {
		fmt.Fprintln(stderr, "segbench:", err)
		return 1
	}
	rep, err := Run(ctx, cfg)
	if err == nil {
		rep.Command = strings.Join(append([]string{"go run ./cmd/segbench"}, args...), " ")
	}
	if err == nil && jsonOut != "" {
		err = writeJSON(jsonOut, rep)
	}
	if err == nil && markdown != "" {
		err = appendMarkdown(markdown, stdout, rep)
	}
	if err != nil {
		fmt.Fprintln(stderr, "segbench:", err)
		return 1
	}
	return 0
}

func writeJSON(path string, rep *Report) error {
	b, err := json.MarshalIndent(rep, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, append(b, '\n'), 0o644)
}

func appendMarkdown(path string, stdout io.Writer, rep *Report) error {
	if path == "-" {
		rep.Markdown(stdout)
		return nil
	}
	f, err := os.OpenFile(path, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
	if err != nil {
		return err
	}
	rep.Markdown(f)
	return f.Close()
}
