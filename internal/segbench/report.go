package segbench

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"runtime"
	"slices"
	"strings"
	"time"
)

// Timing is a figure measured several times: its median, min and max.
type Timing struct {
	Median time.Duration `json:"median_ns"`
	Min    time.Duration `json:"min_ns"`
	Max    time.Duration `json:"max_ns"`
	Runs   int           `json:"runs"`
}

// timing summarizes durations.
func timing(ds []time.Duration) Timing {
	s := slices.Clone(ds)
	slices.Sort(s)
	return Timing{Median: s[len(s)/2], Min: s[0], Max: s[len(s)-1], Runs: len(s)}
}

// TreeResult is one tree of the suite on one engine.
type TreeResult struct {
	Tree    string `json:"tree"`
	Engine  string `json:"engine"`
	Members int64  `json:"members"`
	// Compile is the fused plan's compile time (tree to SQL).
	Compile Timing `json:"compile"`
	Fused   Timing `json:"fused"`
	Naive   Timing `json:"naive"`
	// Explain is the explain query's: every node's count in one query.
	Explain Timing `json:"explain"`
	// Hand is the hand-written query's, when the engine has one.
	Hand *Timing `json:"hand,omitempty"`
	// ClickHouse is the ClickHouse peer's hand-written query's, when the
	// run had the peer (--peer clickhouse), on the same data.
	ClickHouse *Timing `json:"clickhouse,omitempty"`
}

// FusedOverHand and NaiveOverFused are the ratios of medians the issue
// asks for (0 when there is no hand-written query).
func (r TreeResult) FusedOverHand() float64 {
	if r.Hand == nil {
		return 0
	}
	return float64(r.Fused.Median) / float64(r.Hand.Median)
}

func (r TreeResult) NaiveOverFused() float64 {
	return float64(r.Naive.Median) / float64(r.Fused.Median)
}

// ClickHouseOverFused is the time ClickHouse takes as a fraction of
// segmentd's fused plan (0 without the peer).
func (r TreeResult) ClickHouseOverFused() float64 {
	if r.ClickHouse == nil {
		return 0
	}
	return float64(r.ClickHouse.Median) / float64(r.Fused.Median)
}

// ExplainOverFused is the price of every node's size next to the count.
func (r TreeResult) ExplainOverFused() float64 {
	return float64(r.Explain.Median) / float64(r.Fused.Median)
}

// Machine says where a report was measured.
type Machine struct {
	CPU    string `json:"cpu"`
	Cores  int    `json:"cores"`
	Memory string `json:"memory"`
	Go     string `json:"go"`
}

func thisMachine() Machine {
	m := Machine{CPU: "unknown", Cores: runtime.NumCPU(), Memory: "unknown", Go: runtime.Version()}
	if v := procField("/proc/cpuinfo", "model name"); v != "" {
		m.CPU = v
	}
	if v := procField("/proc/meminfo", "MemTotal"); v != "" {
		m.Memory = v
	}
	return m
}

// procField is the value of the first "name: value" line of a /proc file.
func procField(path, name string) string {
	f, err := os.Open(path)
	if err != nil {
		return ""
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), ":")
		if ok && strings.TrimSpace(k) == name {
			return strings.TrimSpace(v)
		}
	}
	return ""
}

// peakRSS is the process's peak resident memory (VmHWM), in bytes.
func peakRSS() int64 {
	var kb int64
	fmt.Sscanf(procField("/proc/self/status", "VmHWM"), "%d", &kb)
	return kb << 10
}

// Report is what a segbench run measured.
type Report struct {
	Date time.Time `json:"date"`
	// Command is the command line that measured it.
	Command string   `json:"command"`
	Machine Machine  `json:"machine"`
	Data    Manifest `json:"data"`
	// Load is the bulk load of the Parquet files into DuckDB (0 when the
	// embedded engine was not measured).
	Load time.Duration `json:"load_ns"`
	// DuckDBBytes is the embedded engine's database file after the load.
	DuckDBBytes int64 `json:"duckdb_bytes,omitempty"`
	// Typing is typing the attribute keys and the numeric aggregates'
	// property paths the suite's trees read (engine.TypeTrees), as saving
	// them through the API does; 0 when they were typed already
	// (--keep-db).
	Typing time.Duration `json:"typing_ns,omitempty"`
	// TypedKeys is how many keys the embedded engine keeps typed.
	TypedKeys int `json:"typed_keys,omitempty"`
	// TypedProperties is how many property paths (of an event name) it
	// keeps typed.
	TypedProperties int `json:"typed_properties,omitempty"`
	// ClickHouse is the load into the ClickHouse peer, when it ran.
	ClickHouse *ClickHouseLoad `json:"clickhouse_load,omitempty"`
	// TrinoLoad is the load into the distributed path, when measured.
	TrinoLoad *TrinoLoad `json:"trino_load,omitempty"`
	// Trees are the suite's trees on each engine measured.
	Trees []TreeResult `json:"trees"`
	// IngestPerSecond is events a second through POST /events of the
	// embedded engine.
	IngestPerSecond float64 `json:"ingest_events_per_second"`
	IngestEvents    int     `json:"ingest_events"`
	// ExportPerSecond is IDs a second streamed from a run's members.txt.
	ExportPerSecond float64 `json:"export_ids_per_second"`
	ExportIDs       int64   `json:"export_ids"`
	PeakRSS         int64   `json:"peak_rss_bytes"`
}

// ClickHouseLoad is what loading the data into the ClickHouse peer
// measured: the inserts from the Parquet files and the merges into one
// part, and the bytes the tables' parts take on disk.
type ClickHouseLoad struct {
	Load  time.Duration `json:"load_ns"`
	Bytes int64         `json:"bytes"`
}

func ms(d time.Duration) string { return fmt.Sprintf("%.1f", float64(d)/float64(time.Millisecond)) }

// Markdown writes the report as a section of docs/BENCHMARKS.md.
func (r *Report) Markdown(w io.Writer) {
	fmt.Fprintf(w, "\n## segbench, scale %g (%s)\n\n", r.Data.Scale, r.Date.Format(time.DateOnly))
	fmt.Fprintf(w, "`%s`: %d users and %d events (seed %d), %s, %d cores, %s, %s. "+
		"Medians of %d runs, with min and max, in ms.\n\n",
		r.Command, r.Data.Users, r.Data.Events, r.Data.Seed, r.Machine.CPU, r.Machine.Cores, r.Machine.Memory, r.Machine.Go, r.runs())
	fmt.Fprintln(w, "| tree | engine | members | compile µs | fused | naive | hand-written | explain | ClickHouse | fused/hand | naive/fused | explain/fused | ClickHouse/fused |")
	fmt.Fprintln(w, "|---|---|---|---|---|---|---|---|---|---|---|---|---|")
	for _, t := range r.Trees {
		ratio, chRatio := "—", "—"
		if t.Hand != nil {
			ratio = fmt.Sprintf("%.2f×", t.FusedOverHand())
		}
		if t.ClickHouse != nil {
			chRatio = fmt.Sprintf("%.2f×", t.ClickHouseOverFused())
		}
		fmt.Fprintf(w, "| %s | %s | %d | %.0f | %s | %s | %s | %s | %s | %s | %.2f× | %.2f× | %s |\n",
			t.Tree, t.Engine, t.Members, float64(t.Compile.Median)/float64(time.Microsecond),
			spread(&t.Fused), spread(&t.Naive), spread(t.Hand), spread(&t.Explain), spread(t.ClickHouse),
			ratio, t.NaiveOverFused(), t.ExplainOverFused(), chRatio)
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, "| what | figure |")
	fmt.Fprintln(w, "|---|---|")
	fmt.Fprintf(w, "| data generation (Parquet) | %.1f s |\n", r.Data.GenerateSeconds)
	if r.Load > 0 {
		fmt.Fprintf(w, "| bulk load into DuckDB | %.1f s |\n", r.Load.Seconds())
		fmt.Fprintf(w, "| DuckDB database after the load | %.0f MB |\n", float64(r.DuckDBBytes)/1e6)
	}
	if r.IngestEvents > 0 {
		fmt.Fprintf(w, "| ingestion through `POST /events` (embedded, 1,000-event batches) | %.0f events/s (%d events) |\n", r.IngestPerSecond, r.IngestEvents)
		fmt.Fprintf(w, "| export, a run's `members.txt` | %.2fM IDs/s (%d IDs) |\n", r.ExportPerSecond/1e6, r.ExportIDs)
	}
	if r.Typing > 0 {
		fmt.Fprintf(w, "| typing the %d attribute keys and %d property paths the trees read (typed columns of users and events) | %.1f s |\n", r.TypedKeys, r.TypedProperties, r.Typing.Seconds())
	}
	if c := r.ClickHouse; c != nil {
		fmt.Fprintf(w, "| load into ClickHouse (chdb, inserts from Parquet and merges) | %.1f s |\n", c.Load.Seconds())
		fmt.Fprintf(w, "| ClickHouse tables on disk (active parts) | %.0f MB |\n", float64(c.Bytes)/1e6)
	}
	if t := r.TrinoLoad; t != nil {
		fmt.Fprintf(w, "| history (days before %s) into Parquet on S3 through Trino | %.1f s (%d events) |\n",
			t.Boundary.Format(time.DateOnly), t.History.Seconds(), t.HistoryEvents)
		fmt.Fprintf(w, "| profiles through `PUT /users` (Cassandra, 16 clients) | %.0f users/s (%d users) |\n", t.UsersPerSecond, t.Users)
		fmt.Fprintf(w, "| ingestion through `POST /events` (Cassandra, 1,000-event batches, the fresh days) | %.0f events/s (%d events) |\n",
			t.IngestPerSecond, t.FreshEvents)
	}
	fmt.Fprintf(w, "| peak memory (RSS) of segbench | %d MB |\n", r.PeakRSS>>20)
}

// spread is a timing's median (min–max), or a dash for none.
func spread(t *Timing) string {
	if t == nil {
		return "—"
	}
	return fmt.Sprintf("%s (%s–%s)", ms(t.Median), ms(t.Min), ms(t.Max))
}

func (r *Report) runs() int {
	if len(r.Trees) == 0 {
		return 0
	}
	return r.Trees[0].Fused.Runs
}
