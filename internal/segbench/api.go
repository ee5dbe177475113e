package segbench

import (
	"bufio"
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"runtime/pprof"
	"sync"
	"time"

	"github.com/segmentd/segmentd/internal/api"
	"github.com/segmentd/segmentd/internal/compile"
	"github.com/segmentd/segmentd/internal/engine"
	"github.com/segmentd/segmentd/internal/engine/duckdb"
	"github.com/segmentd/segmentd/internal/ingest"
	"github.com/segmentd/segmentd/internal/store"
	"github.com/segmentd/segmentd/internal/store/sqlstore"
)

const benchKey = "segbench-admin-key"

// measureAPI measures what goes through the HTTP API of a server on the
// engine: ingestion (POST /events into an app of its own, so that the
// suite's data stays as it was) and export (a run's members.txt).
func measureAPI(ctx context.Context, cfg Config, eng *duckdb.Engine, m Manifest, rep *Report) error {
	st, err := sqlstore.Open(ctx, "sqlite:"+filepath.Join(cfg.Dir, "bench-store.db"))
	if err != nil {
		return err
	}
	defer st.Close()
	if err := ensureApps(ctx, st, m.TimeZone, app, "ingest"); err != nil {
		return err
	}
	c, stop, err := serve(ctx, st, eng, eng)
	if err != nil {
		return err
	}
	defer stop()

	if err := eng.DeleteApp(ctx, "ingest"); err != nil {
		return err
	}
	batches, n, err := eventBatches(ctx, eng.DB(), filepath.Join(cfg.Dir, EventsFile), "ingest", "TRUE", cfg.IngestEvents)
	if err != nil {
		return err
	}
	stopProfile, err := startProfile(cfg.IngestProfile)
	if err != nil {
		return err
	}
	start := time.Now()
	err = c.sendAll(ctx, 4, batches)
	elapsed := time.Since(start)
	if err := errors.Join(err, stopProfile()); err != nil {
		return err
	}
	rep.IngestEvents, rep.IngestPerSecond = n, float64(n)/elapsed.Seconds()

	rep.ExportIDs, rep.ExportPerSecond, err = c.export(ctx)
	return err
}

// ensureApps creates those of the apps the store lacks, in the data's
// time zone.
func ensureApps(ctx context.Context, st *sqlstore.SQL, timeZone string, ids ...string) error {
	for _, id := range ids {
		if _, err := st.GetApp(ctx, id); err == nil {
			continue
		}
		if _, err := st.CreateApp(ctx, store.App{ID: id, TimeZone: timeZone}); err != nil {
			return err
		}
	}
	return nil
}

// serve starts a segmentd API server over the store and the data, on
// loopback HTTP, and returns a client of it and how to stop it.
func serve(ctx context.Context, st *sqlstore.SQL, eng engine.Engine, fresh ingest.Fresh) (client, func(), error) {
	s := api.New(api.Config{Store: st, Engine: eng, Fresh: fresh, AdminKey: benchKey, QueryTimeout: 10 * time.Minute, TrinoTables: eng.Tables()})
	if err := s.Start(ctx); err != nil {
		return client{}, nil, err
	}
	srv := httptest.NewServer(s)
	return client{base: srv.URL}, func() {
		srv.Close()
		s.Shutdown(context.WithoutCancel(ctx))
	}, nil
}

// client talks to the server under test.
type client struct{ base string }

func (c client) do(ctx context.Context, method, path string, body []byte) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Authorization", "Bearer "+benchKey)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err == nil && res.StatusCode >= 300 {
		err = fmt.Errorf("%s %s: %d %s", method, path, res.StatusCode, b)
	}
	return b, err
}

// request is one request of a load.
type request struct {
	method, path string
	body         []byte
}

// eventBatches reads the events of the data that match a condition of
// its columns, in time order, the first limit of them (all when
// negative), as POST /events requests into the app, 1,000 events a batch.
func eventBatches(ctx context.Context, db *sql.DB, eventsPath, appID, where string, limit int) ([]request, int, error) {
	query := `SELECT event_id, user_id, name, strftime(timezone('UTC', time), '%Y-%m-%dT%H:%M:%S.%gZ'), properties
		FROM read_parquet(` + compile.Literal(eventsPath) + `) WHERE ` + where
	if limit >= 0 {
		query += fmt.Sprintf(" LIMIT %d", limit)
	}
	rows, err := db.QueryContext(ctx, query)
	if err != nil {
		return nil, 0, err
	}
	defer rows.Close()
	type event struct {
		EventID    string          `json:"event_id"`
		UserID     string          `json:"user_id"`
		Name       string          `json:"name"`
		Time       string          `json:"time"`
		Properties json.RawMessage `json:"properties"`
	}
	var batches []request
	var batch []event
	total := 0
	flush := func() error {
		b, err := json.Marshal(map[string]any{"events": batch})
		batches, batch = append(batches, request{"POST", "/v1/apps/" + appID + "/events", b}), batch[:0]
		return err
	}
	for rows.Next() {
		var e event
		var props string
		if err := rows.Scan(&e.EventID, &e.UserID, &e.Name, &e.Time, &props); err != nil {
			return nil, 0, err
		}
		e.Properties = json.RawMessage(props)
		batch = append(batch, e)
		if total++; len(batch) == 1000 {
			if err := flush(); err != nil {
				return nil, 0, err
			}
		}
	}
	if len(batch) > 0 {
		if err := flush(); err != nil {
			return nil, 0, err
		}
	}
	return batches, total, rows.Err()
}

// userRequests reads the profiles of the data as PUT /users requests
// into the app.
func userRequests(ctx context.Context, db *sql.DB, usersPath, appID string) ([]request, error) {
	rows, err := db.QueryContext(ctx, `SELECT user_id, '{"attributes": ' || attributes || '}' FROM read_parquet(`+compile.Literal(usersPath)+`)`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []request
	for rows.Next() {
		var id, body string
		if err := rows.Scan(&id, &body); err != nil {
			return nil, err
		}
		out = append(out, request{"PUT", "/v1/apps/" + appID + "/users/" + url.PathEscape(id), []byte(body)})
	}
	return out, rows.Err()
}

// sendAll sends the requests from as many clients at once; the first
// error stops them.
func (c client) sendAll(ctx context.Context, clients int, reqs []request) error {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	next := make(chan request)
	var wg sync.WaitGroup
	for range clients {
		wg.Go(func() {
			for r := range next {
				if _, err := c.do(ctx, r.method, r.path, r.body); err != nil {
					cancel(err)
				}
			}
		})
	}
loop:
	for _, r := range reqs {
		select {
		case next <- r:
		case <-ctx.Done():
			break loop
		}
	}
	close(next)
	wg.Wait()
	return context.Cause(ctx)
}

// export runs a segment of every user with a session and streams its
// members.
func (c client) export(ctx context.Context) (int64, float64, error) {
	body := []byte(`{"name": "sessions", "tree": {"type": "event", "event": "$session", "window": {"all": true}, "op": "gte", "value": 1}}`)
	b, err := c.do(ctx, "POST", "/v1/apps/"+app+"/segments", body)
	if err != nil {
		return 0, 0, err
	}
	var seg struct{ ID string }
	if err := json.Unmarshal(b, &seg); err != nil {
		return 0, 0, err
	}
	if b, err = c.do(ctx, "POST", "/v1/apps/"+app+"/segments/"+seg.ID+"/runs", nil); err != nil {
		return 0, 0, err
	}
	var run struct{ ID, State, Error string }
	for json.Unmarshal(b, &run); run.State == "queued" || run.State == "running"; json.Unmarshal(b, &run) {
		time.Sleep(100 * time.Millisecond)
		if b, err = c.do(ctx, "GET", "/v1/apps/"+app+"/runs/"+run.ID, nil); err != nil {
			return 0, 0, err
		}
	}
	if run.State != "succeeded" {
		return 0, 0, fmt.Errorf("the export run %s: %s", run.State, run.Error)
	}
	req, err := http.NewRequestWithContext(ctx, "GET", c.base+"/v1/apps/"+app+"/runs/"+run.ID+"/members.txt", nil)
	if err != nil {
		return 0, 0, err
	}
	req.Header.Set("Authorization", "Bearer "+benchKey)
	start := time.Now()
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, 0, err
	}
	defer res.Body.Close()
	var n int64
	sc := bufio.NewScanner(res.Body)
	for sc.Scan() {
		n++
	}
	return n, float64(n) / time.Since(start).Seconds(), sc.Err()
}

// startProfile starts a CPU profile into path ("": none) and returns how
// to stop it.
func startProfile(path string) (stop func() error, err error) {
	if path == "" {
		return func() error { return nil }, nil
	}
	f, err := os.Create(path)
	if err != nil {
		return nil, err
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, err
	}
	return func() error {
		pprof.StopCPUProfile()
		return f.Close()
	}, nil
}
