package segbench

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"time"

	"github.com/segmentd/segmentd/internal/compile"
	"github.com/segmentd/segmentd/internal/engine"
	"github.com/segmentd/segmentd/internal/engine/duckdb"
	"github.com/segmentd/segmentd/segment"
)

// Config is what a segbench run does.
type Config struct {
	// Dir keeps the generated data (reused when it matches) and the
	// engine's database.
	Dir   string
	Scale float64
	Seed  uint64
	// Runs is how often each query runs (at least 5).
	Runs int
	// IngestEvents is how many events go through the ingestion API.
	IngestEvents int
	Log          *slog.Logger
}

// app is the benchmark's app ID.
const app = "bench"

// Run generates (or reuses) the data, loads it and measures the suite.
func Run(ctx context.Context, cfg Config) (*Report, error) {
	if cfg.Runs < 5 {
		cfg.Runs = 5
	}
	log := cfg.Log
	if log == nil {
		log = slog.Default()
	}
	rep := &Report{Date: time.Now().UTC(), Machine: thisMachine()}
	m, err := WriteData(ctx, cfg.Dir, cfg.Scale, cfg.Seed)
	if err != nil {
		return nil, err
	}
	rep.Data = m
	log.Info("data", "users", m.Users, "events", m.Events, "seconds", m.GenerateSeconds)

	dbPath := filepath.Join(cfg.Dir, "bench.duckdb")
	eng, err := openFresh(ctx, dbPath)
	if err != nil {
		return nil, err
	}
	defer eng.Close()
	start := time.Now()
	if err := eng.LoadParquet(ctx, app, filepath.Join(cfg.Dir, UsersFile), filepath.Join(cfg.Dir, EventsFile)); err != nil {
		return nil, err
	}
	rep.Load = time.Since(start)
	log.Info("loaded into DuckDB", "seconds", rep.Load.Seconds())

	loc, err := time.LoadLocation(m.TimeZone)
	if err != nil {
		return nil, err
	}
	for _, t := range Suite() {
		res, err := measureTree(ctx, eng, t, m.AsOf, loc, cfg.Runs)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", t.Name, err)
		}
		log.Info("tree", "name", t.Name, "members", res.Members, "fused_ms", ms(res.Fused.Median), "naive_ms", ms(res.Naive.Median))
		rep.Trees = append(rep.Trees, res)
	}
	if err := measureAPI(ctx, cfg, eng, m, rep); err != nil {
		return nil, err
	}
	rep.PeakRSS = peakRSS()
	return rep, nil
}

// measureTree compiles a tree and times its three queries, interleaved
// (fused, naive, hand-written, then again) so that drift of the machine
// spreads over all three. The three must select the same members.
func measureTree(ctx context.Context, eng *duckdb.Engine, t Tree, asOf time.Time, loc *time.Location, runs int) (TreeResult, error) {
	res := TreeResult{Tree: t.Name, Engine: eng.Dialect().Name}
	tree, err := segment.Decode(t.JSON, "")
	if err != nil {
		return res, err
	}
	if tree, err = segment.Expand(ctx, tree, "", t.Lookup()); err != nil {
		return res, err
	}
	compileFor := func(st compile.Strategy) (*compile.SQL, error) {
		opt := compile.Options{AppID: app, AsOf: asOf, Location: loc, Strategy: st}
		return compile.Compile(tree, eng.Dialect(), opt, eng.Tables())
	}
	var compiles []time.Duration
	for range 100 {
		start := time.Now()
		if _, err := compileFor(compile.Fused); err != nil {
			return res, err
		}
		compiles = append(compiles, time.Since(start))
	}
	res.Compile = timing(compiles)
	queries := map[string]*compile.SQL{}
	for _, st := range []compile.Strategy{compile.Fused, compile.Naive} {
		if queries[string(st)], err = compileFor(st); err != nil {
			return res, err
		}
	}
	if hand, err := t.HandSQL(eng.Dialect().Name, app, asOf, loc); err == nil {
		queries["hand"] = hand
	}
	// One untimed run each: the members must agree (and the caches warm).
	var want []string
	for _, name := range []string{"fused", "naive", "hand"} {
		q, ok := queries[name]
		if !ok {
			continue
		}
		got, err := engine.Members(ctx, eng, q)
		if err != nil {
			return res, fmt.Errorf("%s: %w", name, err)
		}
		if want == nil {
			want = got
		} else if !slices.Equal(want, got) {
			return res, fmt.Errorf("%s selects %d members, fused %d", name, len(got), len(want))
		}
	}
	res.Members = int64(len(want))
	times := map[string][]time.Duration{}
	for range runs {
		for name, q := range queries {
			start := time.Now()
			if _, err := eng.Count(ctx, q); err != nil {
				return res, fmt.Errorf("%s: %w", name, err)
			}
			times[name] = append(times[name], time.Since(start))
		}
	}
	res.Fused, res.Naive = timing(times["fused"]), timing(times["naive"])
	if ts, ok := times["hand"]; ok {
		h := timing(ts)
		res.Hand = &h
	}
	return res, nil
}

// openFresh opens an empty database at path.
func openFresh(ctx context.Context, path string) (*duckdb.Engine, error) {
	for _, f := range []string{path, path + ".wal"} {
		if err := os.Remove(f); err != nil && !os.IsNotExist(err) {
			return nil, err
		}
	}
	return duckdb.Open(ctx, path)
}
