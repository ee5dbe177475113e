package segbench

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
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
	fs.IntVar(&cfg.IngestEvents, "ingest-events", 200_000, "events posted through the ingestion API")
	fs.StringVar(&jsonOut, "json", "", "write the report as JSON to this file")
	fs.StringVar(&markdown, "markdown", "docs/BENCHMARKS.md", `append the report as Markdown to this file ("-": standard output)`)
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if cfg.Scale <= 0 {
		fmt.Fprintln(stderr, "segbench: --scale must be positive")
		return 2
	}
	cfg.Log = slog.New(slog.NewTextHandler(stderr, nil))
	if err := os.MkdirAll(cfg.Dir, 0o755); err != nil {
		fmt.Fprintln(stderr, "segbench:", err)
		return 1
	}
	rep, err := Run(ctx, cfg)
	if err == nil && jsonOut != "" {
		err = writeJSON(jsonOut, rep)
	}
	if err == nil {
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
	f, err := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		return err
	}
	rep.Markdown(f)
	return f.Close()
}
