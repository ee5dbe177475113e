// Command trinosql runs SQL statements on a Trino server through its REST
// protocol (POST /v1/statement, then follow nextUri) with nothing but the
// standard library, and prints each statement's rows tab-separated, one per
// line (statements that change something print nothing but their row count,
// on stderr). It stops at the first failing statement and exits 1 with Trino's
// error message.
//
// Used by deploy/local/smoke.sh:
//
//	go run ./deploy/local/trinosql -server http://127.0.0.1:8085 "SELECT 1" "SHOW CATALOGS"
package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"time"
)

type sessionProps []string

func (s *sessionProps) String() string     { return strings.Join(*s, ",") }
func (s *sessionProps) Set(v string) error { *s = append(*s, v); return nil }

type result struct {
	ID      string  `json:"id"`
	NextURI string  `json:"nextUri"`
	Data    [][]any `json:"data"`
	Stats   struct {
		State string `json:"state"`
	} `json:"stats"`
	Error *struct {
		Message   string `json:"message"`
		ErrorName string `json:"errorName"`
	} `json:"error"`
	UpdateType  string `json:"updateType"`
	UpdateCount *int64 `json:"updateCount"`
}

func main() {
	server := flag.String("server", envOr("TRINO_URL", "http://127.0.0.1:8085"), "Trino server URL")
	user := flag.String("user", "segmentd", "X-Trino-User")
	catalog := flag.String("catalog", "", "default catalog")
	schema := flag.String("schema", "", "default schema")
	timeout := flag.Duration("timeout", 5*time.Minute, "timeout per statement")
	quiet := flag.Bool("q", false, "do not echo the statements")
	var session sessionProps
	flag.Var(&session, "session", "session property name=value, e.g. hive.insert_existing_partitions_behavior=OVERWRITE (repeatable)")
	flag.Parse()
	if flag.NArg() == 0 {
		fmt.Fprintln(os.Stderr, "usage: trinosql [-server URL] [-catalog C -schema S] SQL...")
		os.Exit(2)
	}
	c := &http.Client{Timeout: 30 * time.Second}
	for _, sql := range flag.Args() {
		if !*quiet {
			fmt.Fprintf(os.Stderr, "trino> %s\n", sql)
		}
		if err := run(c, strings.TrimRight(*server, "/"), *user, *catalog, *schema, session, sql, *timeout); err != nil {
			fmt.Fprintln(os.Stderr, "trinosql:", err)
			os.Exit(1)
		}
	}
}

func envOr(k, def string) string {
	if v := os.Getenv(k); v != "" {
		return v
	}
	return def
}

func run(c *http.Client, server, user, catalog, schema string, session []string, sql string, timeout time.Duration) error {
	req, err := http.NewRequest(http.MethodPost, server+"/v1/statement", bytes.NewBufferString(sql))
	if err != nil {
		return err
	}
	req.Header.Set("X-Trino-User", user)
	req.Header.Set("X-Trino-Source", "segmentd-trinosql")
	if catalog != "" {
		req.Header.Set("X-Trino-Catalog", catalog)
	}
	if schema != "" {
		req.Header.Set("X-Trino-Schema", schema)
	}
	for _, p := range session {
		req.Header.Add("X-Trino-Session", p)
	}
	deadline := time.Now().Add(timeout)
	for {
		r, err := fetch(c, req)
		if err != nil {
			return err
		}
		for _, row := range r.Data {
			if r.UpdateType != "" {
				break // DDL and DML answer with a row count or true: not a result set
			}
			cells := make([]string, len(row))
			for i, v := range row {
				if v == nil {
					cells[i] = "NULL"
				} else {
					cells[i] = fmt.Sprint(v)
				}
			}
			fmt.Println(strings.Join(cells, "\t"))
		}
		if r.Error != nil {
			return fmt.Errorf("%s: %s", r.Error.ErrorName, r.Error.Message)
		}
		if r.NextURI == "" {
			if r.UpdateType != "" && r.UpdateCount != nil {
				fmt.Fprintf(os.Stderr, "%s: %d rows\n", r.UpdateType, *r.UpdateCount)
			}
			return nil
		}
		if time.Now().After(deadline) {
			cancel, _ := http.NewRequest(http.MethodDelete, r.NextURI, nil)
			cancel.Header.Set("X-Trino-User", user)
			if resp, err := c.Do(cancel); err == nil {
				resp.Body.Close()
			}
			return fmt.Errorf("query %s did not finish within %s", r.ID, timeout)
		}
		req, err = http.NewRequest(http.MethodGet, r.NextURI, nil)
		if err != nil {
			return err
		}
		req.Header.Set("X-Trino-User", user)
	}
}

func fetch(c *http.Client, req *http.Request) (*result, error) {
	for attempt := 0; ; attempt++ {
		resp, err := c.Do(req)
		if err != nil {
			return nil, err
		}
		body, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil {
			return nil, err
		}
		switch resp.StatusCode {
		case http.StatusOK:
			var r result
			dec := json.NewDecoder(bytes.NewReader(body))
			dec.UseNumber() // print bigint values as they are, not as floats
			if err := dec.Decode(&r); err != nil {
				return nil, fmt.Errorf("decoding answer: %w", err)
			}
			return &r, nil
		case http.StatusServiceUnavailable, http.StatusTooManyRequests, http.StatusBadGateway:
			if attempt < 20 {
				time.Sleep(500 * time.Millisecond)
				if req.GetBody != nil {
					req.Body, _ = req.GetBody()
				}
				continue
			}
		}
		return nil, fmt.Errorf("%s %s: %s: %s", req.Method, req.URL, resp.Status, strings.TrimSpace(string(body)))
	}
}
