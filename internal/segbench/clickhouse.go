package segbench

import (
	"bufio"
	"context"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/segmentd/segmentd/internal/compile"
)

// The ClickHouse peer (issue 17): ClickHouse in-process through chdb, run
// by clickhouse/peer.py on the Python of deploy/local/chdb.sh, with the
// tables and functions of clickhouse/schema.sql, loaded by
// clickhouse/load.sql from the same Parquet files as the embedded engine,
// and the hand-written suite/<tree>.clickhouse.sql of each tree.
//
//go:embed clickhouse/peer.py clickhouse/schema.sql clickhouse/load.sql
var clickhouseFiles embed.FS

// PeerClickHouse is the name of the ClickHouse peer (--peer clickhouse),
// also the dialect of its hand-written queries.
const PeerClickHouse = "clickhouse"

// clickhouseThreads is ClickHouse's max_threads: the issue compares the
// engines at two threads each (DuckDB takes one a core on the two-core
// machine it was measured on).
const clickhouseThreads = 2

// clickhouse is a running peer.
type clickhouse struct {
	cmd *exec.Cmd
	in  io.WriteCloser
	out *bufio.Reader
}

// clickhouseAnswer is the peer's answer to a statement.
type clickhouseAnswer struct {
	Seconds float64             `json:"seconds"`
	Rows    [][]json.RawMessage `json:"rows"`
	Error   string              `json:"error"`
}

// startClickHouse starts the peer on python (a Python with chdb) over a
// new database in dir, and creates the tables and functions.
func startClickHouse(ctx context.Context, python, dir string) (*clickhouse, error) {
	if _, err := os.Stat(python); err != nil {
		return nil, fmt.Errorf("segbench: the ClickHouse peer needs chdb (bash deploy/local/chdb.sh install): %w", err)
	}
	if err := os.RemoveAll(dir); err != nil {
		return nil, err
	}
	script, _ := clickhouseFiles.ReadFile("clickhouse/peer.py") // embedded: cannot fail
	cmd := exec.CommandContext(ctx, python, "-c", string(script), dir, strconv.Itoa(clickhouseThreads))
	cmd.Stderr = os.Stderr
	in, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("segbench: starting the ClickHouse peer: %w", err)
	}
	c := &clickhouse{cmd: cmd, in: in, out: bufio.NewReaderSize(out, 1<<20)}
	if err := c.script("clickhouse/schema.sql", nil); err != nil {
		c.Close()
		return nil, err
	}
	return c, nil
}

// Close ends the peer (its database stays in its directory).
func (c *clickhouse) Close() error {
	c.in.Close()
	return c.cmd.Wait()
}

// do runs a statement with ClickHouse's {name:Type} parameters.
func (c *clickhouse) do(sql string, params map[string]string) (clickhouseAnswer, error) {
	var a clickhouseAnswer
	req, err := json.Marshal(map[string]any{"sql": sql, "params": params})
	if err != nil {
		return a, err
	}
	if _, err := c.in.Write(append(req, '\n')); err != nil {
		return a, fmt.Errorf("segbench: the ClickHouse peer: %w", err)
	}
	line, err := c.out.ReadBytes('\n')
	if err != nil {
		return a, fmt.Errorf("segbench: the ClickHouse peer: %w", err)
	}
	if err := json.Unmarshal(line, &a); err != nil {
		return a, fmt.Errorf("segbench: the ClickHouse peer: %w", err)
	}
	if a.Error != "" {
		return a, fmt.Errorf("ClickHouse: %s", a.Error)
	}
	return a, nil
}

// statementEnd ends each statement of a script: a semicolon at the end of
// a line.
var statementEnd = regexp.MustCompile(`;[ \t]*\n`)

// script runs the statements of an embedded SQL file, each with params.
func (c *clickhouse) script(name string, params map[string]string) error {
	text, _ := clickhouseFiles.ReadFile(name) // embedded: cannot fail
	for _, stmt := range statementEnd.Split(string(text)+"\n", -1) {
		if onlyComments(stmt) {
			continue
		}
		if _, err := c.do(stmt, params); err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
	}
	return nil
}

func onlyComments(stmt string) bool {
	for line := range strings.Lines(stmt) {
		if l := strings.TrimSpace(line); l != "" && !strings.HasPrefix(l, "--") {
			return false
		}
	}
	return true
}

// load loads a data set's Parquet files (in dir) as the app's, merges
// each table into one part and returns the bytes the tables take on disk
// (their active parts).
func (c *clickhouse) load(dir, appID string) (int64, error) {
	params := map[string]string{"app_id": appID,
		"users": filepath.Join(dir, UsersFile), "events": filepath.Join(dir, EventsFile)}
	if err := c.script("clickhouse/load.sql", params); err != nil {
		return 0, err
	}
	a, err := c.do(`SELECT sum(bytes_on_disk) FROM system.parts
		WHERE active AND database = currentDatabase() AND table IN ('events', 'users')`, nil)
	if err != nil {
		return 0, err
	}
	var size json.Number
	if len(a.Rows) != 1 || len(a.Rows[0]) != 1 || json.Unmarshal(a.Rows[0][0], &size) != nil {
		return 0, fmt.Errorf("segbench: ClickHouse's size: %v", a.Rows)
	}
	return size.Int64()
}

// members returns the sorted members a hand-written query selects.
func (c *clickhouse) members(q *compile.SQL) ([]string, error) {
	text, params := clickhouseParams(q)
	a, err := c.do("SELECT user_id FROM (\n"+text+"\n) ORDER BY user_id", params)
	if err != nil {
		return nil, err
	}
	ids := make([]string, len(a.Rows))
	for i, r := range a.Rows {
		if len(r) != 1 || json.Unmarshal(r[0], &ids[i]) != nil {
			return nil, fmt.Errorf("segbench: ClickHouse's member row %s", r)
		}
	}
	return ids, nil
}

// count counts a query's members as the engines' Count does, and returns
// the time ClickHouse took, measured in its process.
func (c *clickhouse) count(q *compile.SQL) (time.Duration, error) {
	text, params := clickhouseParams(q)
	a, err := c.do("SELECT count() FROM (\n"+text+"\n)", params)
	if err != nil {
		return 0, err
	}
	return time.Duration(a.Seconds * float64(time.Second)), nil
}

// clickhouseParams turns the positional ?s of a bound query into
// ClickHouse's query parameters, {p0:String}, {p1:DateTime64(6, 'UTC')}:
// values travel apart from the text, and a time zone given as one is a
// constant, as toTimeZone needs.
func clickhouseParams(q *compile.SQL) (string, map[string]string) {
	var b strings.Builder
	params := map[string]string{}
	last := 0
	for i, m := range q.Marks {
		name := "p" + strconv.Itoa(i)
		b.WriteString(q.Text[last:m])
		switch v := q.Params[i].(type) {
		case time.Time:
			fmt.Fprintf(&b, "{%s:DateTime64(6, 'UTC')}", name)
			params[name] = v.UTC().Format("2006-01-02 15:04:05.000000")
		default:
			fmt.Fprintf(&b, "{%s:String}", name)
			params[name] = fmt.Sprint(v)
		}
		last = m + 1
	}
	b.WriteString(q.Text[last:])
	return b.String(), params
}

// runClickHouse loads the data into the peer, in dir/clickhouse; the
// caller measures the suite on it and closes it.
func runClickHouse(ctx context.Context, cfg Config, rep *Report) (*clickhouse, error) {
	c, err := startClickHouse(ctx, cfg.ChdbPython, filepath.Join(cfg.Dir, "clickhouse"))
	if err != nil {
		return nil, err
	}
	start := time.Now()
	size, err := c.load(cfg.Dir, app)
	if err != nil {
		return nil, errors.Join(err, c.Close())
	}
	rep.ClickHouse = &ClickHouseLoad{Load: time.Since(start), Bytes: size}
	cfg.logger().Info("loaded into ClickHouse", "seconds", rep.ClickHouse.Load.Seconds(), "bytes", size)
	return c, nil
}
