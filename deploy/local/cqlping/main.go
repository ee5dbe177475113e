// Command cqlping checks that a Cassandra node answers CQL: it connects with
// the gocql driver (a real protocol handshake: OPTIONS, STARTUP), reads
// release_version from system.local and prints it. With -e it then runs the
// given CQL statements in order and prints the rows of those that return any
// (one line per row, columns as name=value, sorted by name).
//
// Used by deploy/local/cassandra.sh (start, health) and the smoke check in
// deploy/local/smoke.sh; exits 1 when the node does not answer.
//
//	go run ./deploy/local/cqlping -host 127.0.0.1 -port 9042
//	go run ./deploy/local/cqlping -e "CREATE KEYSPACE IF NOT EXISTS k WITH replication = {'class':'SimpleStrategy','replication_factor':1}"
package main

import (
	"flag"
	"fmt"
	"os"
	"sort"
	"strings"
	"time"

	gocql "github.com/apache/cassandra-gocql-driver/v2"
)

type stmts []string

func (s *stmts) String() string     { return strings.Join(*s, "; ") }
func (s *stmts) Set(v string) error { *s = append(*s, v); return nil }

func main() {
	host := flag.String("host", "127.0.0.1", "contact point")
	port := flag.Int("port", 9042, "native transport port")
	timeout := flag.Duration("timeout", 5*time.Second, "connect and query timeout")
	quiet := flag.Bool("q", false, "print nothing, only set the exit code")
	var exec stmts
	flag.Var(&exec, "e", "CQL statement to run after the check (repeatable)")
	flag.Parse()

	if err := run(*host, *port, *timeout, *quiet, exec); err != nil {
		if !*quiet {
			fmt.Fprintln(os.Stderr, "cqlping:", err)
		}
		os.Exit(1)
	}
}

func run(host string, port int, timeout time.Duration, quiet bool, exec []string) error {
	cluster := gocql.NewCluster(host)
	cluster.Port = port
	cluster.Timeout = timeout
	cluster.ConnectTimeout = timeout
	cluster.Consistency = gocql.One
	cluster.NumConns = 1
	cluster.Logger = nopLogger{}

	session, err := cluster.CreateSession()
	if err != nil {
		return fmt.Errorf("connect %s:%d: %w", host, port, err)
	}
	defer session.Close()

	var version, dc string
	if err := session.Query("SELECT release_version, data_center FROM system.local").Scan(&version, &dc); err != nil {
		return fmt.Errorf("query system.local: %w", err)
	}
	if !quiet {
		fmt.Printf("cassandra %s (datacenter %s) at %s:%d\n", version, dc, host, port)
	}

	for _, stmt := range exec {
		iter := session.Query(stmt).Iter()
		for {
			row := map[string]any{}
			if !iter.MapScan(row) {
				break
			}
			if !quiet {
				fmt.Println(formatRow(row))
			}
		}
		if err := iter.Close(); err != nil {
			return fmt.Errorf("%s: %w", stmt, err)
		}
	}
	return nil
}

func formatRow(row map[string]any) string {
	names := make([]string, 0, len(row))
	for n := range row {
		names = append(names, n)
	}
	sort.Strings(names)
	parts := make([]string, len(names))
	for i, n := range names {
		parts[i] = fmt.Sprintf("%s=%v", n, row[n])
	}
	return strings.Join(parts, " ")
}

// nopLogger keeps the driver's reconnect chatter out of the health output.
type nopLogger struct{}

func (nopLogger) Error(string, ...gocql.LogField)   {}
func (nopLogger) Warning(string, ...gocql.LogField) {}
func (nopLogger) Info(string, ...gocql.LogField)    {}
func (nopLogger) Debug(string, ...gocql.LogField)   {}
