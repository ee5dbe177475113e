package segbench

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"time"

	duckdb "github.com/duckdb/duckdb-go/v2"

	"github.com/segmentd/segmentd/internal/compile"
	"github.com/segmentd/segmentd/internal/dataset"
)

// The benchmark data: Scale 1 is the default size, and the app
// lives in TimeZone (its calendar windows are Tokyo's days and weeks,
// while its users live in their own countries' zones).
const (
	UsersFile    = "users.parquet"
	EventsFile   = "events.parquet"
	ManifestFile = "manifest.json"
	TimeZone     = "Asia/Tokyo"

	usersAtScale1  = 1_000_000
	eventsAtScale1 = 30_000_000
	// zipf is the exponent of the users' activity: the most active 1% of
	// users make about a third of the events.
	zipf = 0.8
	// chunkEvents is about how many events are generated at once, which
	// bounds the writer's memory: a chunk's Go values and JSON texts take
	// about 900 bytes an event.
	chunkEvents = 250_000
	// dataVersion changes whenever the data of a scale and seed changes,
	// so that files written before are not reused.
	dataVersion = 1
)

// AsOf is the instant the benchmark evaluates at: the end of the data's
// thirteen months. It is fixed, so that a scale and seed always give the
// same data and the same results.
var AsOf = time.Date(2026, time.March, 2, 3, 0, 0, 0, time.UTC) // Monday noon in Tokyo

// Manifest describes a data set written by WriteData (manifest.json).
type Manifest struct {
	Version         int       `json:"version"`
	Scale           float64   `json:"scale"`
	Seed            uint64    `json:"seed"`
	Users           int       `json:"users"`
	Events          int       `json:"events"`
	AsOf            time.Time `json:"as_of"`
	TimeZone        string    `json:"time_zone"`
	GenerateSeconds float64   `json:"generate_seconds"`
	// UsersBytes and EventsBytes are the Parquet files' sizes.
	UsersBytes  int64 `json:"users_bytes"`
	EventsBytes int64 `json:"events_bytes"`
}

// DataConfig is the generator's configuration at a scale (1 is 1,000,000
// users and 30,000,000 events), for whatever needs the files' data as Go
// values: GenerateChunks of it makes the same users and events.
func DataConfig(scale float64, seed uint64) (dataset.Config, error) {
	users := math.Round(usersAtScale1 * scale)
	if !(users >= 1) || users > math.MaxInt32 {
		return dataset.Config{}, fmt.Errorf("segbench: scale %v gives %v users", scale, users)
	}
	return dataset.Config{
		Users:         int(users),
		Events:        int(math.Round(eventsAtScale1 * scale)),
		Seed:          seed,
		Start:         AsOf.AddDate(0, -13, 0),
		End:           AsOf,
		TimeZone:      TimeZone,
		UserTimeZones: true,
		Zipf:          zipf,
	}, nil
}

// WriteData writes the data of a scale and seed into dir as users.parquet
// and events.parquet, the columns of the engines' tables without app_id
// (attributes and properties as JSON text, events in time order, which
// lets engines skip row groups by time), and manifest.json last. A dir
// whose manifest already has the scale and seed is kept as it is, so that
// repeated benchmark runs generate once.
func WriteData(ctx context.Context, dir string, scale float64, seed uint64) (Manifest, error) {
	cfg, err := DataConfig(scale, seed)
	if err != nil {
		return Manifest{}, err
	}
	manifest := filepath.Join(dir, ManifestFile)
	if m, err := readManifest(manifest); err == nil && m.Version == dataVersion && m.Scale == scale && m.Seed == seed {
		return m, nil
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return Manifest{}, err
	}
	if err := os.Remove(manifest); err != nil && !errors.Is(err, os.ErrNotExist) {
		return Manifest{}, err
	}
	start := time.Now()
	if err := writeParquet(ctx, dir, cfg); err != nil {
		return Manifest{}, err
	}
	m := Manifest{Version: dataVersion, Scale: scale, Seed: seed, Users: cfg.Users, Events: cfg.Events,
		AsOf: AsOf, TimeZone: TimeZone, GenerateSeconds: time.Since(start).Seconds()}
	for _, f := range []struct {
		name string
		size *int64
	}{{UsersFile, &m.UsersBytes}, {EventsFile, &m.EventsBytes}} {
		st, err := os.Stat(filepath.Join(dir, f.name))
		if err != nil {
			return Manifest{}, err
		}
		*f.size = st.Size()
	}
	b, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return Manifest{}, err
	}
	return m, os.WriteFile(manifest, append(b, '\n'), 0o644)
}

// readManifest reads a manifest whose Parquet files are all there.
func readManifest(path string) (Manifest, error) {
	var m Manifest
	b, err := os.ReadFile(path)
	if err != nil {
		return m, err
	}
	if err := json.Unmarshal(b, &m); err != nil {
		return m, fmt.Errorf("%s: %w", path, err)
	}
	for _, f := range []string{UsersFile, EventsFile} {
		if _, err := os.Stat(filepath.Join(filepath.Dir(path), f)); err != nil {
			return m, err
		}
	}
	return m, nil
}

// writeParquet generates the data chunk by chunk into a scratch DuckDB
// file in dir, through the appender, then has DuckDB sort the events and
// write both tables as Parquet: DuckDB's sort spills to disk, so memory
// stays bounded by a chunk whatever the scale.
func writeParquet(ctx context.Context, dir string, cfg dataset.Config) error {
	scratch := filepath.Join(dir, "scratch.duckdb")
	removeScratch := func() {
		for _, f := range []string{scratch, scratch + ".wal"} {
			os.Remove(f)
		}
	}
	removeScratch() // a run that died left it
	defer removeScratch()
	connector, err := duckdb.NewConnector(scratch, nil)
	if err != nil {
		return fmt.Errorf("segbench: %w", err)
	}
	db := sql.OpenDB(connector)
	defer db.Close()
	// DuckDB's own memory is bounded too: beyond the limit, the sort spills.
	const tables = `
		SET memory_limit = '2GB';
		CREATE TABLE users (user_id VARCHAR, attributes VARCHAR, first_seen TIMESTAMPTZ, last_seen TIMESTAMPTZ);
		CREATE TABLE events (event_id VARCHAR, user_id VARCHAR, name VARCHAR, time TIMESTAMPTZ, properties VARCHAR)`
	if _, err := db.ExecContext(ctx, tables); err != nil {
		return fmt.Errorf("segbench: scratch tables: %w", err)
	}
	conn, err := db.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	if err := conn.Raw(func(dc any) error { return appendData(ctx, dc.(driver.Conn), cfg) }); err != nil {
		return err
	}
	for _, out := range []struct{ file, query string }{
		{UsersFile, `SELECT * FROM users`},
		{EventsFile, `SELECT * FROM events ORDER BY time, event_id`},
	} {
		path := filepath.Join(dir, out.file)
		stmt := `COPY (` + out.query + `) TO ` + compile.Literal(path+".tmp") + ` (FORMAT parquet)`
		if _, err := conn.ExecContext(ctx, stmt); err != nil {
			return fmt.Errorf("segbench: writing %s: %w", out.file, err)
		}
		if err := os.Rename(path+".tmp", path); err != nil {
			return err
		}
	}
	return nil
}

// appendData generates the data and appends it to the scratch tables,
// committing chunk by chunk. The appender takes rows on one thread, so it
// appends a chunk while the next is generated and encoded on the others;
// at most two chunks are in memory.
func appendData(ctx context.Context, c driver.Conn, cfg dataset.Config) error {
	users, err := duckdb.NewAppenderFromConn(c, "", "users")
	if err != nil {
		return fmt.Errorf("segbench: %w", err)
	}
	events, err := duckdb.NewAppenderFromConn(c, "", "events")
	if err != nil {
		users.Close()
		return fmt.Errorf("segbench: %w", err)
	}
	queue, done := make(chan encoded), make(chan struct{})
	var appendErr error
	go func() {
		defer close(done)
		for ch := range queue {
			if appendErr = ch.append(users, events); appendErr != nil {
				return
			}
		}
	}()
	chunkUsers := max(1, int(int64(cfg.Users)*chunkEvents/max(1, int64(cfg.Events))))
	err = dataset.GenerateChunks(cfg, chunkUsers, func(d *dataset.Data) error {
		if err := ctx.Err(); err != nil {
			return err
		}
		ch, err := encode(d)
		if err != nil {
			return err
		}
		select {
		case queue <- ch:
			return nil
		case <-done:
			return appendErr
		}
	})
	close(queue)
	<-done
	if err == nil {
		err = appendErr
	}
	return errors.Join(err, users.Close(), events.Close())
}

// encoded is a chunk of data with its attributes and properties as JSON.
type encoded struct {
	*dataset.Data
	attrs, props []string
}

func encode(d *dataset.Data) (encoded, error) {
	attrs, err := jsonTexts(len(d.Users), func(i int) map[string]any { return d.Users[i].Attributes })
	if err != nil {
		return encoded{}, err
	}
	props, err := jsonTexts(len(d.Events), func(i int) map[string]any { return d.Events[i].Properties })
	return encoded{d, attrs, props}, err
}

// append appends the chunk and commits it.
func (ch encoded) append(users, events *duckdb.Appender) error {
	for i, u := range ch.Users {
		if err := users.AppendRow(u.UserID, ch.attrs[i], u.FirstSeen, u.LastSeen); err != nil {
			return fmt.Errorf("segbench: appending users: %w", err)
		}
	}
	for i, e := range ch.Events {
		if err := events.AppendRow(e.EventID, e.UserID, e.Name, e.Time, ch.props[i]); err != nil {
			return fmt.Errorf("segbench: appending events: %w", err)
		}
	}
	return errors.Join(users.Flush(), events.Flush())
}

// jsonTexts encodes n maps as JSON text on every CPU: encoding is most of
// the writer's work, and the appender takes rows on one thread.
func jsonTexts(n int, get func(i int) map[string]any) ([]string, error) {
	out := make([]string, n)
	workers := runtime.GOMAXPROCS(0)
	errs := make([]error, workers)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for i := w * n / workers; i < (w+1)*n/workers; i++ {
				b, err := json.Marshal(get(i))
				if err != nil {
					errs[w] = err
					return
				}
				out[i] = string(b)
			}
		})
	}
	wg.Wait()
	return out, errors.Join(errs...)
}
