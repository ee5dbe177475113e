package segbench

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/segmentd/segmentd/internal/compile"
	"github.com/segmentd/segmentd/internal/engine"
	"github.com/segmentd/segmentd/internal/engine/duckdb"
	"github.com/segmentd/segmentd/internal/query"
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
	// IngestEvents is how many events go through the ingestion API of the
	// embedded engine.
	IngestEvents int
	// DuckDB measures the embedded engine (false: Trino alone).
	DuckDB bool
	// KeepDB measures the database an earlier run loaded into Dir, which
	// must hold the data, instead of loading it again (a bulk load at
	// scale 1 takes minutes): no load figure then.
	KeepDB bool
	// Trino, when its URL is set, measures the distributed path too.
	Trino TrinoConfig
	// Peer, when PeerClickHouse, measures the suite on ClickHouse too,
	// beside the embedded engine, through ChdbPython (a Python with chdb:
	// deploy/local/chdb.sh).
	Peer       string
	ChdbPython string
	// Trees, when set, limits the suite to the trees whose names start
	// with one of these; the API is not measured then.
	Trees []string
	// SQLDir, when set, receives every query measured, to profile.
	SQLDir string
	// IngestProfile, when set, receives a CPU profile (pprof) of the
	// ingestion through the API.
	IngestProfile string
	Log           *slog.Logger
}

// measures is whether the tree named name is among those cfg measures.
func (c Config) measures(name string) bool {
	return len(c.Trees) == 0 || slices.ContainsFunc(c.Trees, func(p string) bool { return strings.HasPrefix(name, p) })
}

func (c Config) logger() *slog.Logger {
	if c.Log == nil {
		return slog.Default()
	}
	return c.Log
}

// app is the benchmark's app ID.
const app = "bench"

// Run generates (or reuses) the data, loads it and measures the suite on
// each engine.
func Run(ctx context.Context, cfg Config) (*Report, error) {
	if cfg.Runs < 5 {
		cfg.Runs = 5
	}
	if !cfg.DuckDB && cfg.Trino.URL == "" {
		return nil, errors.New("segbench: no engine to measure")
	}
	if cfg.Peer != "" && (cfg.Peer != PeerClickHouse || !cfg.DuckDB) {
		return nil, fmt.Errorf("segbench: peer %q: the peer is %q, beside the embedded engine", cfg.Peer, PeerClickHouse)
	}
	log := cfg.logger()
	rep := &Report{Date: time.Now().UTC(), Machine: thisMachine()}
	m, err := WriteData(ctx, cfg.Dir, cfg.Scale, cfg.Seed)
	if err != nil {
		return nil, err
	}
	rep.Data = m
	log.Info("data", "users", m.Users, "events", m.Events, "seconds", m.GenerateSeconds)
	if cfg.DuckDB {
		if err := runDuckDB(ctx, cfg, m, rep); err != nil {
			return nil, err
		}
	}
	if cfg.Trino.URL != "" {
		if err := runTrino(ctx, cfg, m, rep); err != nil {
			return nil, err
		}
	}
	rep.PeakRSS = peakRSS()
	return rep, nil
}

// runDuckDB bulk-loads the data into the embedded engine and measures the
// suite and the API on it, and the suite on the peer, if any.
func runDuckDB(ctx context.Context, cfg Config, m Manifest, rep *Report) (err error) {
	path := filepath.Join(cfg.Dir, "bench.duckdb")
	var eng *duckdb.Engine
	if cfg.KeepDB {
		if eng, err = openLoaded(ctx, path, m); err != nil {
			return err
		}
		defer eng.Close()
	} else {
		if eng, err = openFresh(ctx, path); err != nil {
			return err
		}
		defer eng.Close()
		start := time.Now()
		if err := eng.LoadParquet(ctx, app, filepath.Join(cfg.Dir, UsersFile), filepath.Join(cfg.Dir, EventsFile)); err != nil {
			return err
		}
		rep.Load = time.Since(start)
		if rep.DuckDBBytes, err = fileSizes(path, path+".wal"); err != nil {
			return err
		}
		cfg.logger().Info("loaded into DuckDB", "seconds", rep.Load.Seconds(), "bytes", rep.DuckDBBytes)
	}
	if err := typeSuite(ctx, eng, rep); err != nil {
		return err
	}
	var peer *clickhouse
	if cfg.Peer == PeerClickHouse {
		if peer, err = runClickHouse(ctx, cfg, rep); err != nil {
			return err
		}
		defer func() { err = errors.Join(err, peer.Close()) }()
	}
	if err := measureSuite(ctx, cfg, eng, app, m, rep, peer); err != nil {
		return err
	}
	if len(cfg.Trees) > 0 {
		return nil
	}
	return measureAPI(ctx, cfg, eng, m, rep)
}

// typeSuite types the attribute keys the suite's trees read, as a server
// does when their segments are saved (query.KeepTyped).
func typeSuite(ctx context.Context, eng *duckdb.Engine, rep *Report) error {
	var trees []segment.Node
	for _, t := range Suite() {
		tree, err := segment.Decode(t.JSON, "")
		if err != nil {
			return err
		}
		trees = append(trees, tree)
		for _, s := range t.Saved {
			if tree, err = decodeSaved(s); err != nil {
				return err
			}
			trees = append(trees, tree)
		}
	}
	typed := func() int { return len(eng.Tables().Typed) + len(eng.Tables().Numbers) }
	before, start := typed(), time.Now()
	if err := engine.TypeTrees(ctx, eng, trees...); err != nil {
		return err
	}
	rep.TypedKeys, rep.TypedProperties = len(eng.Tables().Typed), len(eng.Tables().Numbers)
	if typed() > before {
		rep.Typing = time.Since(start)
	}
	return nil
}

// fileSizes is the bytes of the files that exist among paths.
func fileSizes(paths ...string) (int64, error) {
	var n int64
	for _, p := range paths {
		st, err := os.Stat(p)
		if errors.Is(err, os.ErrNotExist) {
			continue
		}
		if err != nil {
			return 0, err
		}
		n += st.Size()
	}
	return n, nil
}

// measureSuite measures every tree of the suite on an engine that holds
// the data under appID, and on the peer when there is one (nil: none).
func measureSuite(ctx context.Context, cfg Config, eng engine.Engine, appID string, m Manifest, rep *Report, peer *clickhouse) error {
	loc, err := time.LoadLocation(m.TimeZone)
	if err != nil {
		return err
	}
	split, err := eng.Split(ctx, appID, m.AsOf)
	if err != nil {
		return err
	}
	for _, t := range Suite() {
		if !cfg.measures(t.Name) {
			continue
		}
		opt := compile.Options{AppID: appID, AsOf: m.AsOf, Location: loc, Split: split}
		res, err := measureTree(ctx, eng, t, opt, cfg.Runs, peer, cfg.SQLDir)
		if err != nil {
			return fmt.Errorf("%s on %s: %w", t.Name, eng.Dialect().Name, err)
		}
		cfg.logger().Info("tree", "name", t.Name, "engine", res.Engine, "members", res.Members,
			"fused_ms", ms(res.Fused.Median), "naive_ms", ms(res.Naive.Median), "hand_ms", handMS(res), "explain_ms", ms(res.Explain.Median),
			"clickhouse_ms", optionalMS(res.ClickHouse))
		rep.Trees = append(rep.Trees, res)
	}
	return nil
}

func handMS(r TreeResult) string { return optionalMS(r.Hand) }

func optionalMS(t *Timing) string {
	if t == nil {
		return "-"
	}
	return ms(t.Median)
}

// measureTree compiles a tree and times its three queries, and the peer's
// query when there is a peer, interleaved (fused, naive, hand-written,
// ClickHouse, then again) so that drift of the machine spreads over all.
// All must select the same members. opt is what they are compiled for,
// less the strategy.
func measureTree(ctx context.Context, eng engine.Engine, t Tree, opt compile.Options, runs int, peer *clickhouse, sqlDir string) (TreeResult, error) {
	res := TreeResult{Tree: t.Name, Engine: eng.Dialect().Name}
	tree, err := t.Expand(ctx)
	if err != nil {
		return res, err
	}
	compileFor := func(st compile.Strategy) (*compile.SQL, error) {
		opt.Strategy = st
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
	switch hand, err := t.HandQuery(eng.Dialect().Name, opt, eng.Tables()); {
	case err == nil:
		queries["hand"] = hand
	case !errors.Is(err, ErrNoHandSQL):
		return res, err
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
	var peerQuery *compile.SQL
	if peer != nil {
		// ClickHouse's query reads its own tables: no split.
		if peerQuery, err = t.HandQuery(PeerClickHouse, compile.Options{AppID: opt.AppID, AsOf: opt.AsOf, Location: opt.Location}, compile.Tables{}); err != nil {
			return res, err
		}
		got, err := peer.members(peerQuery)
		if err != nil {
			return res, err
		}
		if !slices.Equal(got, want) {
			return res, fmt.Errorf("ClickHouse selects %d members, segmentd %d; the first different: %s", len(got), len(want), firstDiff(got, want))
		}
	}
	// Explain: every node's size in one query, whose root must count the
	// members.
	given, err := segment.Decode(t.JSON, "")
	if err != nil {
		return res, err
	}
	ex := query.NewExplainer(given, tree, false)
	opt.Strategy = compile.Fused
	explain, err := compile.CompileExplain(tree, ex.Columns, eng.Dialect(), opt, eng.Tables())
	if err != nil {
		return res, err
	}
	if sqlDir != "" {
		queries["explain"] = explain
		err := writeQueries(filepath.Join(sqlDir, t.Name+"."+res.Engine), queries)
		delete(queries, "explain")
		if err != nil {
			return res, err
		}
	}
	explainOnce := func() error {
		counts, err := eng.Counts(ctx, explain)
		if err == nil && ex.Nodes(counts[1:])[0].Count != res.Members {
			err = fmt.Errorf("the root counts %d users, fused %d", ex.Nodes(counts[1:])[0].Count, res.Members)
		}
		if err != nil {
			return fmt.Errorf("explain: %w", err)
		}
		return nil
	}
	if err := explainOnce(); err != nil {
		return res, err
	}
	times := map[string][]time.Duration{}
	for range runs {
		for name, q := range queries {
			start := time.Now()
			if _, err := eng.Count(ctx, q); err != nil {
				return res, fmt.Errorf("%s: %w", name, err)
			}
			times[name] = append(times[name], time.Since(start))
		}
		start := time.Now()
		if err := explainOnce(); err != nil {
			return res, err
		}
		times["explain"] = append(times["explain"], time.Since(start))
		if peer != nil {
			took, err := peer.count(peerQuery)
			if err != nil {
				return res, err
			}
			times[PeerClickHouse] = append(times[PeerClickHouse], took)
		}
	}
	res.Fused, res.Naive, res.Explain = timing(times["fused"]), timing(times["naive"]), timing(times["explain"])
	if ts, ok := times["hand"]; ok {
		h := timing(ts)
		res.Hand = &h
	}
	if ts, ok := times[PeerClickHouse]; ok {
		c := timing(ts)
		res.ClickHouse = &c
	}
	return res, nil
}

// firstDiff returns the least string in one sorted list and not the other.
func firstDiff(a, b []string) string {
	for i := 0; i < len(a) || i < len(b); i++ {
		switch {
		case i == len(a):
			return b[i]
		case i == len(b):
			return a[i]
		case a[i] != b[i]:
			return min(a[i], b[i])
		}
	}
	return ""
}

// openLoaded opens the database an earlier run loaded at path, checking
// that it holds the data of m.
func openLoaded(ctx context.Context, path string, m Manifest) (*duckdb.Engine, error) {
	if _, err := os.Stat(path); err != nil {
		return nil, fmt.Errorf("segbench: --keep-db: %w", err)
	}
	eng, err := duckdb.Open(ctx, path)
	if err != nil {
		return nil, err
	}
	var users, events int
	err = eng.DB().QueryRowContext(ctx, `SELECT (SELECT count(*) FROM users WHERE app_id = ?),
		(SELECT count(*) FROM events WHERE app_id = ?) + (SELECT count(*) FROM late_events WHERE app_id = ?)`, app, app, app).Scan(&users, &events)
	if err == nil && (users != m.Users || events != m.Events) {
		err = fmt.Errorf("segbench: --keep-db: %s holds %d users and %d events of the benchmark, the data %d and %d", path, users, events, m.Users, m.Events)
	}
	if err != nil {
		eng.Close()
		return nil, err
	}
	return eng, nil
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

// writeQueries writes each query to prefix.name.sql, its parameters in a
// comment after it.
func writeQueries(prefix string, queries map[string]*compile.SQL) error {
	if err := os.MkdirAll(filepath.Dir(prefix), 0o755); err != nil {
		return err
	}
	for name, q := range queries {
		params, err := json.Marshal(q.Params)
		if err != nil {
			return err
		}
		text := fmt.Sprintf("%s\n-- params: %s\n", q.Text, params)
		if err := os.WriteFile(prefix+"."+name+".sql", []byte(text), 0o644); err != nil {
			return err
		}
	}
	return nil
}
