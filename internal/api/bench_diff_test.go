package api_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http/httptest"
	"path/filepath"
	"testing"
	"time"

	"github.com/segmentd/segmentd/internal/api"
	"github.com/segmentd/segmentd/internal/cache"
	"github.com/segmentd/segmentd/internal/query"
	"github.com/segmentd/segmentd/internal/snapshot"
	"github.com/segmentd/segmentd/internal/store"
	"github.com/segmentd/segmentd/internal/store/sqlstore"
)

// diffEnv is a server with two succeeded runs of one segment, of about
// streamN IDs each, 1% of them only in the first (exited) and 1% only in
// the second (entered).
type diffEnv struct {
	url, key  string // url is the second run's
	snapshots cache.Store
	countsKey string // where the diff's counts are cached
	ids       int64  // of both runs
	entered   int64
	exited    int64
}

func newDiffEnv(b *testing.B, snapshots cache.Store) diffEnv {
	ctx := context.Background()
	st, err := sqlstore.Open(ctx, "sqlite:"+filepath.Join(b.TempDir(), "segmentd.db"))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { st.Close() })
	const app = "bench"
	if _, err := st.CreateApp(ctx, store.App{ID: app, TimeZone: "UTC"}); err != nil {
		b.Fatal(err)
	}
	seg, err := st.CreateSegment(ctx, store.Segment{AppID: app, ID: "seg_all", Name: "all",
		Tree: `{"type":"attribute","field":"country","op":"exists"}`})
	if err != nil {
		b.Fatal(err)
	}
	asOf := time.Now().UTC().Truncate(time.Second)
	var runs [2]store.Run
	var writers [2]*snapshot.Writer
	for i := range runs {
		runs[i], err = st.CreateRun(ctx, store.Run{AppID: app, SegmentID: seg.ID, Version: seg.Version, AsOf: asOf.Add(time.Duration(i) * time.Hour), Key: fmt.Sprint("bench", i)})
		if err != nil {
			b.Fatal(err)
		}
		writers[i] = snapshot.NewWriter(snapshots, query.SnapshotKey(app, runs[i].ID), 24*time.Hour)
	}
	env := diffEnv{key: "bench-admin", snapshots: snapshots, countsKey: "diffs/" + app + "/" + runs[1].ID + "/" + runs[0].ID}
	add := func(i int, id string) {
		if err := writers[i].Add(ctx, id); err != nil {
			b.Fatal(err)
		}
		env.ids++
	}
	r := rand.New(rand.NewPCG(5, 6))
	for i := range streamN {
		id := fmt.Sprintf("u%015d", i)
		switch r.IntN(100) {
		case 0:
			add(0, id)
			env.exited++
		case 1:
			add(0, id)
			add(1, id)
			add(1, id+"x")
			env.entered++
		default:
			add(0, id)
			add(1, id)
		}
	}
	for i, run := range runs {
		if _, _, err := st.StartRun(ctx, app, run.ID); err != nil {
			b.Fatal(err)
		}
		m, err := writers[i].Close(ctx, snapshot.Meta{AsOf: run.AsOf, SegmentID: seg.ID, SegmentVersion: seg.Version, CreatedAt: run.CreatedAt})
		if err != nil {
			b.Fatal(err)
		}
		_, _, err = st.FinishRun(ctx, store.Run{ID: run.ID, AppID: app, State: store.RunSucceeded, Count: &m.Count,
			Snapshot: query.PlaceLocal + ":" + query.SnapshotKey(app, run.ID)})
		if err != nil {
			b.Fatal(err)
		}
	}
	srv := httptest.NewServer(api.New(api.Config{Store: st, AdminKey: env.key, Runs: api.RunConfig{Local: snapshots}}))
	b.Cleanup(srv.Close)
	env.url = srv.URL + "/v1/apps/" + app + "/runs/" + runs[1].ID
	return env
}

// BenchmarkDiffHTTP diffs two runs of 10M IDs over loopback HTTP, from
// snapshots in memory and on disk (the embedded default): counts is GET
// …/diff with its cached counts deleted first (one merge of both
// snapshots), entered.txt one GET of the stream whose lines the client
// counts. IDs/s counts the IDs of both runs, which every request merges.
func BenchmarkDiffHTTP(b *testing.B) {
	disk, err := cache.OpenDisk(b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { disk.Close() })
	for _, s := range []struct {
		name  string
		store cache.Store
	}{{"memory", cache.NewMemory(1 << 30)}, {"disk", disk}} {
		b.Run(s.name, func(b *testing.B) { benchDiffHTTP(b, newDiffEnv(b, s.store)) })
	}
}

func benchDiffHTTP(b *testing.B, env diffEnv) {
	b.Run("counts", func(b *testing.B) {
		for b.Loop() {
			if err := env.snapshots.Delete(context.Background(), env.countsKey); err != nil {
				b.Fatal(err)
			}
			var d struct{ Entered, Exited int64 }
			getJSON(b, env.url+"/diff", env.key, &d)
			if d.Entered != env.entered || d.Exited != env.exited {
				b.Fatalf("diff %+v, want %d entered and %d exited", d, env.entered, env.exited)
			}
		}
		b.ReportMetric(float64(env.ids)*float64(b.N)/b.Elapsed().Seconds(), "IDs/s")
	})
	b.Run("entered.txt", func(b *testing.B) {
		for b.Loop() {
			res := get(b, env.url+"/diff/entered.txt", env.key)
			n, err := countLines(res.Body)
			res.Body.Close()
			if err != nil || n != env.entered {
				b.Fatalf("%d lines, want %d: %v", n, env.entered, err)
			}
		}
		b.ReportMetric(float64(env.ids)*float64(b.N)/b.Elapsed().Seconds(), "IDs/s")
	})
}

func countLines(r io.Reader) (int64, error) {
	buf := make([]byte, 64<<10)
	var lines int64
	for {
		n, err := r.Read(buf)
		lines += int64(bytes.Count(buf[:n], []byte{'\n'}))
		if err == io.EOF {
			return lines, nil
		}
		if err != nil {
			return lines, err
		}
	}
}
