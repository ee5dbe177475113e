//go:build distributed

package trino_test

import (
	"context"
	"errors"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/segmentd/segmentd/internal/cassandra"
	"github.com/segmentd/segmentd/internal/compile"
	"github.com/segmentd/segmentd/internal/engine/trino"
	"github.com/segmentd/segmentd/segment"
)

func open(t *testing.T) *trino.Engine {
	t.Helper()
	dsn := env(t, "SEGMENTD_TEST_TRINO", "run deploy/local/up.sh and set it to http://segmentd@127.0.0.1:<port>")
	hosts := env(t, "SEGMENTD_TEST_CASSANDRA", "run deploy/local/cassandra.sh start and set it to 127.0.0.1:9042")
	fresh, err := cassandra.Open(context.Background(), cassandra.Config{Hosts: strings.Split(hosts, ","), Keyspace: "segmentd_test", Buckets: 4})
	if err != nil {
		t.Fatal(err)
	}
	fresh.Close()
	eng, err := trino.Open(context.Background(), trino.Config{DSN: dsn, HistoryLocation: "s3://segmentd/segmentd_test/",
		Tables: compile.Tables{Users: "cassandra.segmentd_test.users", Events: "cassandra.segmentd_test.events",
			History: "hive.segmentd_test.events_history", Late: "cassandra.segmentd_test.late_events"}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { eng.Close() })
	return eng
}

// slow is a query that runs for minutes unless canceled.
const slow = `SELECT CAST(sum(x * y + z) AS varchar) AS user_id FROM UNNEST(sequence(1, 10000)) a(x)
	CROSS JOIN UNNEST(sequence(1, 10000)) b(y) CROSS JOIN UNNEST(sequence(1, 10000)) c(z)`

// TestCancel cancels a running query through the context and checks that
// Trino no longer runs it.
func TestCancel(t *testing.T) {
	eng := open(t)
	marker := "segmentd-cancel-" + time.Now().Format("150405.000000")
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		_, err := eng.Members(ctx, &compile.SQL{Text: strings.Replace(slow, "AS varchar) AS user_id", "AS varchar) || '"+marker+"' AS user_id", 1)})
		done <- err
	}()
	running := func() int {
		var n int
		// The marker is written in, not bound: a bound value would make
		// this query's own text match.
		err := eng.DB().QueryRowContext(context.Background(),
			`SELECT count(*) FROM system.runtime.queries WHERE state NOT IN ('FINISHED', 'FAILED') AND query LIKE '%`+marker+`%' AND query NOT LIKE '%system.runtime%'`).Scan(&n)
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	deadline := time.Now().Add(time.Minute)
	for running() == 0 {
		if time.Now().After(deadline) {
			t.Fatal("the query never showed in system.runtime.queries")
		}
		time.Sleep(200 * time.Millisecond)
	}
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Fatalf("the canceled query returned %v", err)
	}
	for running() > 0 {
		if time.Now().After(deadline) {
			t.Fatal("Trino still runs the canceled query")
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// TestProgress runs a query long enough to report progress.
func TestProgress(t *testing.T) {
	eng := open(t)
	var last atomic.Value
	var calls atomic.Int64
	err := eng.Stream(context.Background(),
		&compile.SQL{Text: `SELECT CAST(sum(x * y) AS varchar) AS user_id FROM UNNEST(sequence(1, 10000)) a(x) CROSS JOIN UNNEST(sequence(1, 3000)) b(y)`},
		func(f float64) { calls.Add(1); last.Store(f) }, func(string) error { return nil })
	if err != nil {
		t.Fatal(err)
	}
	if calls.Load() == 0 || last.Load().(float64) != 1 {
		t.Fatalf("%d progress calls, last %v", calls.Load(), last.Load())
	}
}

// TestPushdown shows with EXPLAIN that a query of the split reads the
// fresh store by its full partition key: the Cassandra scan carries the
// partitions, and no filter on day or bucket is left for Trino to apply.
func TestPushdown(t *testing.T) {
	eng := open(t)
	split := trino.Split(time.Date(2026, 10, 26, 0, 0, 0, 0, time.UTC), time.Date(2026, 10, 28, 12, 0, 0, 0, time.UTC), 4)
	opt := compile.Options{AppID: "explain", AsOf: time.Date(2026, 10, 28, 12, 0, 0, 0, time.UTC), Split: split}
	tree := mustTree(t, `{"type":"event","event":"$buy","window":{"last":"7d"}}`)
	q, err := compile.Compile(tree, compile.Trino, opt, eng.Tables())
	if err != nil {
		t.Fatal(err)
	}
	text, err := eng.Explain(context.Background(), q)
	if err != nil {
		t.Fatal(err)
	}
	// Each Cassandra scan names its partitions; an unpushed predicate
	// shows as one <UNPARTITIONED> partition (every token range).
	t.Logf("plan:\n%s", text)
	for _, table := range []string{"segmentd_test:events ", "segmentd_test:late_events ", "segmentd_test:users "} {
		i := strings.Index(text, "relationHandle="+table)
		if i < 0 {
			t.Fatalf("no scan of %s in the plan", table)
		}
		if scan := text[i:min(len(text), i+200)]; strings.Contains(scan, "UNPARTITIONED") || !strings.Contains(scan, "partitions [") {
			t.Errorf("the scan of %s is not by partition: %s", table, scan)
		}
	}
}

func mustTree(t *testing.T, s string) segment.Node {
	t.Helper()
	n, err := segment.Decode([]byte(s), "")
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// TestLimits: the query timeout and the scan limit are session
// properties of every query, so that Trino itself stops a runaway query.
func TestLimits(t *testing.T) {
	dsn := env(t, "SEGMENTD_TEST_TRINO", "run deploy/local/up.sh and set it to http://segmentd@127.0.0.1:<port>")
	eng, err := trino.Open(context.Background(), trino.Config{DSN: dsn, QueryTimeout: 90 * time.Second, MaxScanBytes: 12345,
		HistoryLocation: "s3://segmentd/segmentd_test/",
		Tables: compile.Tables{Users: "cassandra.segmentd_test.users", Events: "cassandra.segmentd_test.events",
			History: "hive.segmentd_test.events_history", Late: "cassandra.segmentd_test.late_events"}})
	if err != nil {
		t.Fatal(err)
	}
	defer eng.Close()
	for name, want := range map[string]string{"query_max_execution_time": "90s", "query_max_scan_physical_bytes": "12345B"} {
		rows, err := eng.DB().QueryContext(context.Background(), "SHOW SESSION LIKE '"+name+"'")
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for rows.Next() {
			var n, v, def, typ, desc string
			if err := rows.Scan(&n, &v, &def, &typ, &desc); err != nil {
				t.Fatal(err)
			}
			got = append(got, v)
		}
		rows.Close()
		if len(got) != 1 || got[0] != want {
			t.Errorf("%s = %v, want %s", name, got, want)
		}
	}
}
