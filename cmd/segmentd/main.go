// Command segmentd is the segmentation query server: `segmentd serve`,
// `segmentd migrate`, `segmentd version`.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	_ "time/tzdata" // app time zones work on machines without a zone database

	"github.com/segmentd/segmentd/internal/cli"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := cli.Main(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}
