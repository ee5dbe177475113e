package segbench

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"sync"
	"time"

	"github.com/segmentd/segmentd/internal/api"
	"github.com/segmentd/segmentd/internal/compile"
	"github.com/segmentd/segmentd/internal/engine/duckdb"
	"github.com/segmentd/segmentd/internal/store"
)

const benchKey = "segbench-admin-key"

// measureAPI measures what goes through the HTTP API of a server on the
// engine: ingestion (POST /events into an app of its own, so that the
// suite's data stays as it was) and export (a run's members.txt).
func measureAPI(ctx context.Context, cfg Config, eng *duckdb.Engine, m Manifest, rep *Report) error {
	st, err := store.Open(ctx, "sqlite:"+filepath.Join(cfg.Dir, "bench-store.db"))
	if err != nil {
		return err
	}
	defer st.Close()
	for _, id := range []string{app, "ingest"} {
		if _, err := st.GetApp(ctx, id); err == nil {
			continue
		}
		if _, err := st.CreateApp(ctx, store.App{ID: id, TimeZone: m.TimeZone}); err != nil {
			return err
		}
	}
	s := api.New(api.Config{Store: st, Data: eng, AdminKey: benchKey, QueryTimeout: 10 * time.Minute})
	if err := s.Start(ctx); err != nil {
		return err
	}
	defer s.Shutdown(context.WithoutCancel(ctx))
	srv := httptest.NewServer(s)
	defer srv.Close()
	c := client{base: srv.URL}

	if err := eng.DeleteApp(ctx, "ingest"); err != nil {
		return err
	}
	batches, n, err := eventBatches(ctx, eng, filepath.Join(cfg.Dir, EventsFile), cfg.IngestEvents)
	if err != nil {
		return err
	}
	start := time.Now()
	if err := c.ingest(ctx, batches); err != nil {
		return err
	}
	rep.IngestEvents, rep.IngestPerSecond = n, float64(n)/time.Since(start).Seconds()

	rep.ExportIDs, rep.ExportPerSecond, err = c.export(ctx)
	return err
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

// eventBatches reads the first n events of the data as bodies of POST
// /events, 1,000 a batch.
func eventBatches(ctx context.Context, eng *duckdb.Engine, eventsPath string, n int) ([][]byte, int, error) {
	rows, err := eng.DB().QueryContext(ctx, `SELECT event_id, user_id, name, strftime(time, '%Y-%m-%dT%H:%M:%S.%gZ'), properties
		FROM read_parquet(`+compile.Literal(eventsPath)+`) LIMIT ?`, n)
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
	var batches [][]byte
	var batch []event
	total := 0
	flush := func() error {
		b, err := json.Marshal(map[string]any{"events": batch})
		batches, batch = append(batches, b), batch[:0]
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

// ingest posts the batches from 4 clients at once.
func (c client) ingest(ctx context.Context, batches [][]byte) error {
	next := make(chan []byte)
	errs := make(chan error, 4)
	var wg sync.WaitGroup
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for b := range next {
				if _, err := c.do(ctx, "POST", "/v1/apps/ingest/events", b); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	for _, b := range batches {
		select {
		case next <- b:
		case err := <-errs:
			close(next)
			wg.Wait()
			return err
		}
	}
	close(next)
	wg.Wait()
	select {
	case err := <-errs:
		return err
	default:
		return nil
	}
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
