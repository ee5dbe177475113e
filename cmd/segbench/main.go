// Command segbench measures segmentd on generated data: the fixed suite of
// trees (fused, naive and hand-written SQL), ingestion and export, and
// appends the figures to docs/BENCHMARKS.md. See internal/segbench.
package main

import (
	"context"
	"os"
	"os/signal"

	"github.com/segmentd/segmentd/internal/segbench"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	code := segbench.Main(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}
