//go:build distributed

package trino_test

import (
	"context"
	"errors"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/segmentd/segmentd/internal/compile"
	"github.com/segmentd/segmentd/internal/engine/trino"
	"github.com/segmentd/segmentd/segment"
)

func open(t *testing.T) *trino.Engine {
	t.Helper()
	dsn := env(t, "SEGMENTD_TEST_TRINO", "run deploy/local/up.sh and set it to http://segmentd@127.0.0.1:<port>")
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
const slow = `SELECT CAST(count(*) AS varchar) FROM UNNEST(sequence(1, 10000)) a(x)
	CROSS JOIN UNNEST(sequence(1, 10000)) b(y) CROSS JOIN UNNEST(sequence(1, 10000)) c(z)`

// TestCancel cancels a running query through the context and checks that
// Trino no longer runs it.
func TestCancel(t *testing.T) {
	eng := open(t)
	marker := "segmentd-cancel-" + time.Now().Format("150405.000000")
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		_, err := eng.Members(ctx, &compile.SQL{Text: "SELECT '" + marker + "' FROM (" + slow + ")"})
		done <- err
	}()
	running := func() int {
		var n int
		err := eng.DB().QueryRowContext(context.Background(),
			`SELECT count(*) FROM system.runtime.queries WHERE state NOT IN ('FINISHED', 'FAILED') AND query LIKE ? AND query NOT LIKE '%system.runtime%'`,
			"%"+marker+"%").Scan(&n)
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
	if err := <-done; !errors.Is(err, context.Canceled) && (err == nil || !strings.Contains(err.Error(), "canceled")) {
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
	_, err := eng.MembersProgress(context.Background(),
		&compile.SQL{Text: `SELECT CAST(count(*) AS varchar) FROM UNNEST(sequence(1, 10000)) a(x) CROSS JOIN UNNEST(sequence(1, 3000)) b(y)`},
		func(f float64) { calls.Add(1); last.Store(f) })
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
	rows, err := eng.DB().QueryContext(context.Background(), "EXPLAIN "+q.Text, q.Params...)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var plan strings.Builder
	for rows.Next() {
		var line string
		if err := rows.Scan(&line); err != nil {
			t.Fatal(err)
		}
		plan.WriteString(line)
	}
	text := plan.String()
	// 3 days × 4 buckets = 12 partitions for the events table.
	t.Logf("plan:\n%s", text)
	if !strings.Contains(text, "cassandra:segmentd_test.events") || !strings.Contains(text, "partitions=12") {
		t.Fatalf("the Cassandra scan does not carry the 12 partitions:\n%s", text)
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
