package cli

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"path/filepath"
	"strings"
	"time"

	"github.com/segmentd/segmentd/internal/api"
	"github.com/segmentd/segmentd/internal/cassandra"
	"github.com/segmentd/segmentd/internal/compact"
	"github.com/segmentd/segmentd/internal/engine"
	"github.com/segmentd/segmentd/internal/engine/duckdb"
	"github.com/segmentd/segmentd/internal/engine/trino"
	"github.com/segmentd/segmentd/internal/ingest"
	"github.com/segmentd/segmentd/internal/store/sqlstore"
)

// dataPath is where events and profiles live and segments run, opened.
type dataPath struct {
	engine engine.Engine
	fresh  ingest.Fresh
	// embedded is the embedded engine, nil on the distributed path.
	embedded *duckdb.Engine
	// compactor is nil when there is no history to compact into.
	compactor *compact.Compactor
	eraser    api.Eraser
	close     func()
}

// openData opens the distributed path when configured, the embedded
// engine otherwise.
func openData(ctx context.Context, c *Config, st *sqlstore.SQL) (*dataPath, error) {
	if c.Distributed() {
		return openDistributed(ctx, c, st)
	}
	eng, err := duckdb.Open(ctx, filepath.Join(c.DataDir, "events.duckdb"))
	if err != nil {
		return nil, err
	}
	tmp := c.EngineTempDir
	if tmp == "" {
		tmp = filepath.Join(c.DataDir, "tmp")
	}
	if err := eng.SetLimits(ctx, duckdb.Limits{Memory: c.EngineMemory, Threads: c.engineThreads(), TempDir: tmp}); err != nil {
		eng.Close()
		return nil, err
	}
	d := &dataPath{engine: eng, fresh: eng, embedded: eng, eraser: eng, close: func() { eng.Close() }}
	if c.HistoryDir != "" {
		if err := eng.EnableHistory(ctx, c.HistoryDir, c.CompactAge, compact.BoundaryOf(st, eng)); err != nil {
			eng.Close()
			return nil, err
		}
		d.compactor = &compact.Compactor{Stores: eng, State: st, Margin: compactMargin, Now: time.Now}
	}
	return d, nil
}

// compactMargin is how far compaction stays behind the writers' horizon:
// longer than any write takes.
const compactMargin = time.Hour

// openDistributed connects to Cassandra, S3 and Trino, naming whichever is
// unreachable.
func openDistributed(ctx context.Context, c *Config, st *sqlstore.SQL) (*dataPath, error) {
	if c.Trino == "" || c.Cassandra == "" {
		return nil, errors.New("the distributed path needs both --trino and --cassandra")
	}
	if c.S3Endpoint != "" {
		if err := reachable(c.S3Endpoint); err != nil {
			return nil, fmt.Errorf("S3 endpoint %s is unreachable: %w", c.S3Endpoint, err)
		}
	}
	fresh, err := cassandra.Open(ctx, cassandra.Config{Hosts: strings.Split(c.Cassandra, ","), Keyspace: c.CassandraKeyspace,
		Buckets: c.Buckets, CompactAge: c.CompactAge})
	if err != nil {
		return nil, err
	}
	tables := trino.DefaultTables
	tables.Users = "cassandra." + c.CassandraKeyspace + ".users"
	tables.Events = "cassandra." + c.CassandraKeyspace + ".events"
	tables.Late = "cassandra." + c.CassandraKeyspace + ".late_events"
	eng, err := trino.Open(ctx, trino.Config{DSN: c.Trino, Tables: tables, HistoryLocation: c.HistoryLocation,
		QueryTimeout: c.QueryTimeout, MaxScanBytes: c.TrinoMaxScanBytes, MaxMemory: c.TrinoMaxMemory})
	if err != nil {
		fresh.Close()
		return nil, err
	}
	overwrite, err := eng.Session(map[string]string{"hive.insert_existing_partitions_behavior": "OVERWRITE"})
	if err != nil {
		return nil, err
	}
	appendDB, err := eng.Session(map[string]string{"hive.insert_existing_partitions_behavior": "APPEND"})
	if err != nil {
		return nil, err
	}
	eng.SplitBy(compact.BoundaryOf(st, fresh), fresh.Config().Buckets)
	stores := &trino.Compaction{Overwrite: overwrite, Append: appendDB, Tables: tables, Fresh: fresh}
	return &dataPath{
		engine:    eng,
		fresh:     fresh,
		compactor: &compact.Compactor{Stores: stores, State: st, Margin: compactMargin, Now: time.Now},
		eraser:    &compact.Eraser{Stores: stores, State: st},
		close:     func() { overwrite.Close(); appendDB.Close(); eng.Close(); fresh.Close() },
	}, nil
}

// reachable dials an endpoint's host.
func reachable(endpoint string) error {
	u, err := url.Parse(endpoint)
	if err != nil || u.Host == "" {
		return fmt.Errorf("not a URL")
	}
	host := u.Host
	if u.Port() == "" {
		host = net.JoinHostPort(u.Hostname(), map[string]string{"https": "443"}[u.Scheme])
		if u.Scheme != "https" {
			host = net.JoinHostPort(u.Hostname(), "80")
		}
	}
	conn, err := net.DialTimeout("tcp", host, 5*time.Second)
	if err != nil {
		return err
	}
	return conn.Close()
}

// compactAll runs one compaction of every app, logging each.
func compactAll(ctx context.Context, st *sqlstore.SQL, comp *compact.Compactor, log *slog.Logger) error {
	apps, err := st.ListApps(ctx)
	if err != nil {
		return err
	}
	var errs []error
	for _, app := range apps {
		res, err := comp.Run(ctx, app.ID)
		if err != nil {
			log.Error("compaction failed", "app", app.ID, "error", err)
			errs = append(errs, fmt.Errorf("app %s: %w", app.ID, err))
			continue
		}
		log.Info("compacted", "app", app.ID, "days", res.Days, "late_events", res.Late,
			"boundary", res.Boundary.Format(time.DateOnly), "seconds", res.CopyDuration.Seconds())
	}
	return errors.Join(errs...)
}

// compactLoop compacts at once and then every interval until ctx ends.
func compactLoop(ctx context.Context, st *sqlstore.SQL, comp *compact.Compactor, every time.Duration, log *slog.Logger) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		_ = compactAll(ctx, st, comp, log) // logged per app
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
