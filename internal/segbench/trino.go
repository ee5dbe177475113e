package segbench

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/segmentd/segmentd/internal/cassandra"
	"github.com/segmentd/segmentd/internal/compact"
	"github.com/segmentd/segmentd/internal/compile"
	"github.com/segmentd/segmentd/internal/engine/trino"
	"github.com/segmentd/segmentd/internal/store"
	"github.com/segmentd/segmentd/internal/store/sqlstore"
)

// TrinoConfig is the distributed path segbench measures too when URL is
// set: the flags of `segmentd serve --trino … --cassandra …`
// (docs/distributed.md), and the S3 endpoint the history is loaded
// through.
type TrinoConfig struct {
	// URL is Trino's, http://user@host:port.
	URL string
	// Cassandra are the contact points, comma-separated host:port.
	Cassandra string
	// Keyspace is the fresh store's Cassandra keyspace, and the schema of
	// the history in Trino's hive catalog.
	Keyspace string
	Buckets  int
	// HistoryLocation is the S3 location of that schema (s3://bucket/prefix/).
	HistoryLocation string
	// S3Endpoint is where the history's staging file is uploaded, with the
	// credentials of AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY.
	S3Endpoint string
	// CompactAge places the boundary: the days before
	// day(as_of - CompactAge) are history, the rest fresh, as a server with
	// that --compact-age keeps them at as_of.
	CompactAge time.Duration
}

// TrinoLoad is what loading the data into the distributed path measured.
type TrinoLoad struct {
	// App is the app that holds the data there: one per data set, so that
	// data of another scale never mixes in, and loading again rewrites the
	// same rows.
	App string `json:"app"`
	// Boundary is the first day of the fresh store: history holds the
	// days before it.
	Boundary      time.Time     `json:"boundary"`
	HistoryEvents int64         `json:"history_events"`
	History       time.Duration `json:"history_load_ns"`
	// Users are the profiles put through PUT /users.
	Users          int     `json:"users"`
	UsersPerSecond float64 `json:"users_per_second"`
	// FreshEvents are the events of the fresh days, posted through
	// POST /events into Cassandra.
	FreshEvents     int     `json:"fresh_events"`
	IngestPerSecond float64 `json:"ingest_events_per_second"`
}

// historyTable is where the trino engine reads history: the hive schema
// is named after the keyspace, as in the tests.
func (c TrinoConfig) tables() compile.Tables {
	ks := c.Keyspace
	return compile.Tables{Users: "cassandra." + ks + ".users", Events: "cassandra." + ks + ".events",
		History: "hive." + ks + ".events_history", Late: "cassandra." + ks + ".late_events"}
}

// trinoApp is the app of a data set on the distributed path.
func trinoApp(m Manifest) string {
	scale := strings.ReplaceAll(fmt.Sprint(m.Scale), ".", "_")
	return fmt.Sprintf("bench-v%d-%s-%d", m.Version, scale, m.Seed)
}

// distributedPath is the distributed engine opened as serve opens it.
type distributedPath struct {
	cfg   TrinoConfig
	fresh *cassandra.Store
	trino *trino.Engine
	// overwrite is a Trino session that overwrites the hive partitions an
	// INSERT writes, as compaction's does.
	overwrite *sql.DB
}

func openDistributed(ctx context.Context, c TrinoConfig) (*distributedPath, error) {
	fresh, err := cassandra.Open(ctx, cassandra.Config{Hosts: strings.Split(c.Cassandra, ","), Keyspace: c.Keyspace,
		Buckets: c.Buckets, CompactAge: c.CompactAge})
	if err != nil {
		return nil, err
	}
	eng, err := trino.Open(ctx, trino.Config{DSN: c.URL, Tables: c.tables(), HistoryLocation: c.HistoryLocation,
		QueryTimeout: 30 * time.Minute})
	if err != nil {
		fresh.Close()
		return nil, err
	}
	overwrite, err := eng.Session(map[string]string{"hive.insert_existing_partitions_behavior": "OVERWRITE"})
	if err != nil {
		eng.Close()
		fresh.Close()
		return nil, err
	}
	return &distributedPath{cfg: c, fresh: fresh, trino: eng, overwrite: overwrite}, nil
}

func (d *distributedPath) Close() {
	d.overwrite.Close()
	d.trino.Close()
	d.fresh.Close()
}

// runTrino loads the data into the distributed path and measures the
// suite on Trino: history as Parquet on S3, then a segmentd server on the
// distributed engine takes the profiles and the fresh days' events
// through its API, as it would from the apps that send them.
func runTrino(ctx context.Context, cfg Config, m Manifest, rep *Report) error {
	log := cfg.logger()
	s3, err := newS3Client(cfg.Trino.S3Endpoint)
	if err != nil {
		return err
	}
	d, err := openDistributed(ctx, cfg.Trino)
	if err != nil {
		return err
	}
	defer d.Close()
	load := &TrinoLoad{App: trinoApp(m), Boundary: d.fresh.Horizon(m.AsOf)}
	rep.TrinoLoad = load

	start := time.Now()
	if load.HistoryEvents, err = d.loadHistory(ctx, s3, cfg.Dir, load.App, load.Boundary); err != nil {
		return err
	}
	load.History = time.Since(start)
	log.Info("history loaded into S3 through Trino", "events", load.HistoryEvents, "boundary", load.Boundary.Format(time.DateOnly),
		"seconds", load.History.Seconds())

	st, err := sqlstore.Open(ctx, "sqlite:"+filepath.Join(cfg.Dir, "bench-trino-store.db"))
	if err != nil {
		return err
	}
	defer st.Close()
	if err := ensureApps(ctx, st, m.TimeZone, load.App); err != nil {
		return err
	}
	// The boundary is the writers' horizon at as_of (where a compaction
	// then leaves it, but for its hour's margin): queries read history
	// before it, and the server's writers, their clock at as_of as if the
	// benchmark ran then, send the days from it to the fresh store.
	if err := st.SetCompaction(ctx, store.Compaction{AppID: load.App, Boundary: load.Boundary, Cleaned: load.Boundary}); err != nil {
		return err
	}
	d.fresh.SetNow(func() time.Time { return m.AsOf })
	d.trino.SplitBy(compact.BoundaryOf(st, d.fresh), d.fresh.Config().Buckets)
	c, stop, err := serve(ctx, st, d.trino, d.fresh)
	if err != nil {
		return err
	}
	defer stop()

	scratch, err := sql.Open("duckdb", "")
	if err != nil {
		return err
	}
	defer scratch.Close()
	users, err := userRequests(ctx, scratch, filepath.Join(cfg.Dir, UsersFile), load.App)
	if err != nil {
		return err
	}
	start = time.Now()
	if err := c.sendAll(ctx, 16, users); err != nil {
		return err
	}
	load.Users, load.UsersPerSecond = len(users), float64(len(users))/time.Since(start).Seconds()
	log.Info("profiles put through the API", "users", load.Users, "per_second", load.UsersPerSecond)

	batches, n, err := eventBatches(ctx, scratch, filepath.Join(cfg.Dir, EventsFile), load.App,
		"time >= "+compile.Literal(load.Boundary.Format(time.RFC3339))+"::TIMESTAMPTZ", -1)
	if err != nil {
		return err
	}
	start = time.Now()
	if err := c.sendAll(ctx, 4, batches); err != nil {
		return err
	}
	load.FreshEvents, load.IngestPerSecond = n, float64(n)/time.Since(start).Seconds()
	log.Info("fresh events posted into Cassandra", "events", n, "per_second", load.IngestPerSecond)

	return measureSuite(ctx, cfg, d.trino, load.App, m, rep, nil)
}

// stagingTable is the hive table over the staging file, next to the
// history table.
func (d *distributedPath) stagingTable() string {
	return "hive." + d.cfg.Keyspace + ".segbench_staging"
}

// maxPartitions bounds the days one INSERT writes, as in compaction
// (Trino's hive.max-partitions-per-writers is 100 by default).
const maxPartitions = 90

// loadHistory writes the events before the boundary into the history
// table, in the app's partitions: DuckDB writes them as one Parquet file
// in the history's columns, which is uploaded to S3 beside the history
// and read by Trino through a staging table; Trino copies it into the
// history table, 90 days a statement, overwriting those partitions, so
// the files are Trino's own, as compaction writes them. It returns the
// events history holds for the app afterwards, which must be all of them.
func (d *distributedPath) loadHistory(ctx context.Context, s3 *s3Client, dir, appID string, boundary time.Time) (int64, error) {
	loc, err := parseS3(d.cfg.HistoryLocation)
	if err != nil {
		return 0, err
	}
	local := filepath.Join(dir, "history-staging.parquet")
	defer os.Remove(local)
	first, want, err := writeStaging(ctx, filepath.Join(dir, EventsFile), local, boundary)
	if err != nil {
		return 0, err
	}
	prefix := loc.prefix + "segbench_staging/"
	key := prefix + "events.parquet"
	if err := s3.put(ctx, loc.bucket, key, local); err != nil {
		return 0, err
	}
	defer s3.delete(context.WithoutCancel(ctx), loc.bucket, key)
	db := d.trino.DB()
	staging := d.stagingTable()
	ddl := []string{
		`DROP TABLE IF EXISTS ` + staging,
		`CREATE TABLE ` + staging + ` (event_id varchar, user_id varchar, name varchar, time timestamp(3), properties varchar, day date)
			WITH (format = 'PARQUET', external_location = ` + compile.Literal(s3Location{loc.bucket, prefix}.String()) + `)`,
	}
	for _, stmt := range ddl {
		if _, err := db.ExecContext(ctx, stmt); err != nil {
			return 0, fmt.Errorf("segbench: trino: %w", err)
		}
	}
	defer db.ExecContext(context.WithoutCancel(ctx), `DROP TABLE IF EXISTS `+staging)
	insert := `INSERT INTO ` + d.cfg.tables().History + ` (event_id, user_id, name, time, properties, app_id, day)
		SELECT event_id, user_id, name, time, properties, ?, day FROM ` + staging + `
		WHERE day >= CAST(? AS date) AND day < CAST(? AS date)`
	for from := first; from.Before(boundary); from = from.AddDate(0, 0, maxPartitions) {
		until := from.AddDate(0, 0, maxPartitions)
		if until.After(boundary) {
			until = boundary
		}
		if _, err := d.overwrite.ExecContext(ctx, insert, appID, from.Format(time.DateOnly), until.Format(time.DateOnly)); err != nil {
			return 0, fmt.Errorf("segbench: copying history from %s: %w", from.Format(time.DateOnly), err)
		}
	}
	var got int64
	err = db.QueryRowContext(ctx, `SELECT count(*) FROM `+d.cfg.tables().History+` WHERE app_id = ? AND day < CAST(? AS date)`,
		appID, boundary.Format(time.DateOnly)).Scan(&got)
	if err == nil && got != want {
		err = fmt.Errorf("segbench: history holds %d events of %s before %s, want %d (partitions of an earlier load?)",
			got, appID, boundary.Format(time.DateOnly), want)
	}
	return got, err
}

// writeStaging writes the events before boundary into a Parquet file with
// the history's columns (time as a UTC timestamp, and its day), and
// returns the first day and the number of events.
func writeStaging(ctx context.Context, eventsPath, out string, boundary time.Time) (time.Time, int64, error) {
	db, err := sql.Open("duckdb", "")
	if err != nil {
		return time.Time{}, 0, err
	}
	defer db.Close()
	events := `read_parquet(` + compile.Literal(eventsPath) + `) WHERE time < ` + compile.Literal(boundary.Format(time.RFC3339)) + `::TIMESTAMPTZ`
	stmt := `COPY (SELECT event_id, user_id, name, timezone('UTC', time) AS time, properties, timezone('UTC', time)::DATE AS day
		FROM ` + events + `) TO ` + compile.Literal(out) + ` (FORMAT parquet)`
	if _, err := db.ExecContext(ctx, stmt); err != nil {
		return time.Time{}, 0, fmt.Errorf("segbench: writing the history's staging file: %w", err)
	}
	var first sql.NullTime
	var n int64
	err = db.QueryRowContext(ctx, `SELECT min(day)::TIMESTAMP, count(*) FROM read_parquet(`+compile.Literal(out)+`)`).Scan(&first, &n)
	if err == nil && !first.Valid {
		err = errors.New("segbench: no event before the boundary")
	}
	return first.Time.UTC(), n, err
}
