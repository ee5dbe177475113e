//go:build integration

package segbench

import (
	"context"
	"maps"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/segmentd/segmentd/internal/compile"
	"github.com/segmentd/segmentd/internal/corpus"
	"github.com/segmentd/segmentd/internal/enginetest"
	"github.com/segmentd/segmentd/segment"
)

// TestClickHouseHandSQL runs the ClickHouse peer's query of every tree of
// the suite over the corpus data (3,000 users, Europe/Berlin, a DST change
// the week before as_of), written as Parquet and loaded as segbench loads
// its data, beside another app's: each must select exactly the reference
// evaluator's members. It needs chdb (bash deploy/local/chdb.sh install,
// or SEGMENTD_TEST_CHDB_PYTHON naming a Python with chdb), so it runs with
// the integration tests (make test-integration installs chdb); without
// chdb it fails, never skips.
func TestClickHouseHandSQL(t *testing.T) {
	python := os.Getenv("SEGMENTD_TEST_CHDB_PYTHON")
	if python == "" {
		python = filepath.Join("..", "..", ".cache", "chdb", "bin", "python3")
	}
	if _, err := os.Stat(python); err != nil {
		t.Fatalf("chdb is not installed (%v): bash deploy/local/chdb.sh install", err)
	}
	ctx := context.Background()
	dir := t.TempDir()
	c, err := startClickHouse(ctx, python, filepath.Join(dir, "clickhouse"))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	// Another app's data must never show in any of the queries.
	other := corpus.Config
	other.Seed++
	for _, d := range []struct {
		app  string
		seed uint64
	}{{"bench", corpus.Config.Seed}, {"other", other.Seed}} {
		cfg := corpus.Config
		cfg.Seed = d.seed
		data := filepath.Join(dir, d.app)
		if err := os.Mkdir(data, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := writeParquet(ctx, data, cfg); err != nil {
			t.Fatal(err)
		}
		if _, err := c.load(data, d.app); err != nil {
			t.Fatal(err)
		}
	}
	// seg_sum adds from the least value to the greatest, one after the
	// other: as an explicit left fold does, on arrays of values of many
	// magnitudes whose sum depends on the order.
	a, err := c.do(`SELECT toInt32(countIf(seg_sum(v) != arrayFold((acc, x) -> acc + x, arraySort(v), toFloat64(0))))
		FROM (SELECT arrayMap(i -> (rand(i) % 1000) / 7 * exp10(rand(i + 1) % 12), range(rand() % 200)) AS v FROM numbers(10000))`, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(a.Rows) != 1 || string(a.Rows[0][0]) != "0" {
		t.Errorf("seg_sum against a left fold: %s of 10000 arrays differ", a.Rows)
	}
	s := enginetest.Setup{AppID: "bench", Data: corpus.Dataset(), AsOf: corpus.AsOf, Location: corpus.Location()}
	opt := compile.Options{AppID: s.AppID, AsOf: s.AsOf, Location: s.Location}
	agree(t, c.members, s, func(t *testing.T, tree Tree, _ segment.Node) map[string]*compile.SQL {
		q, err := tree.HandQuery(PeerClickHouse, opt, compile.Tables{})
		if err != nil {
			t.Fatal(err)
		}
		return map[string]*compile.SQL{PeerClickHouse: q}
	})
}

// TestClickHouseParams checks that a bound query's ?s become ClickHouse's
// typed parameters, in order, with the values apart from the text.
func TestClickHouseParams(t *testing.T) {
	q, err := bind(`SELECT '?', :app_id, toTimeZone(:as_of, :tz) -- ?`,
		map[string]any{"app_id": "it's", "as_of": time.Date(2026, 3, 2, 12, 0, 0, 1000, time.FixedZone("", 9*3600)), "tz": "Asia/Tokyo"})
	if err != nil {
		t.Fatal(err)
	}
	text, params := clickhouseParams(q)
	wantText := `SELECT '?', {p0:String}, toTimeZone({p1:DateTime64(6, 'UTC')}, {p2:String}) -- ?`
	wantParams := map[string]string{"p0": "it's", "p1": "2026-03-02 03:00:00.000001", "p2": "Asia/Tokyo"}
	if text != wantText || !maps.Equal(params, wantParams) {
		t.Errorf("got %q %v, want %q %v", text, params, wantText, wantParams)
	}
}
