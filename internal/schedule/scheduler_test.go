package schedule

import (
	"context"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/segmentd/segmentd/internal/store"
	"github.com/segmentd/segmentd/internal/store/sqlstore"
)

// fakeClock is a clock that moves only when told.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = t
}

// env is a store with apps, and Schedulers on it whose Create creates the
// slot's run as the server does (failed at once with a reason) and
// records it.
type env struct {
	t     *testing.T
	st    *sqlstore.SQL
	clock *fakeClock
	mu    sync.Mutex
	made  []store.Run // runs created, in order
}

func sqliteDSN(t *testing.T) string {
	return "sqlite:" + filepath.Join(t.TempDir(), "segmentd.db")
}

func newEnv(t *testing.T, dsn string) *env {
	t.Helper()
	e := &env{t: t, st: openSQL(t, dsn), clock: &fakeClock{}}
	for app, zone := range map[string]string{"a": "America/New_York", "b": "UTC"} {
		if _, err := e.st.CreateApp(context.Background(), store.App{ID: app, TimeZone: zone}); err != nil {
			t.Fatal(err)
		}
	}
	return e
}

func openSQL(t *testing.T, dsn string) *sqlstore.SQL {
	t.Helper()
	st, err := sqlstore.Open(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

// scheduler is a Scheduler on st (another handle of the same database
// stands for another server).
func (e *env) scheduler(st *sqlstore.SQL) *Scheduler {
	return New(Config{Store: st, Now: e.clock.Now, Create: func(ctx context.Context, sl store.Slot, fail string) error {
		r, created, err := st.CreateSlotRun(ctx, sl, store.Run{Version: 1, Key: "k-" + sl.SegmentID + "-" + sl.Slot.String()})
		if err != nil || !created {
			return err
		}
		if fail != "" {
			if r, _, err = st.FinishRun(ctx, store.Run{AppID: r.AppID, ID: r.ID, State: store.RunFailed, Error: fail}); err != nil {
				return err
			}
		}
		e.mu.Lock()
		e.made = append(e.made, r)
		e.mu.Unlock()
		return nil
	}})
}

func (e *env) segment(app, id, schedule string, refs ...string) store.Segment {
	e.t.Helper()
	seg, err := e.st.CreateSegment(context.Background(), store.Segment{AppID: app, ID: id, Name: id, Tree: `{"op":"and","children":[]}`,
		Refs: refs, Schedule: schedule})
	if err != nil {
		e.t.Fatal(err)
	}
	return seg
}

func (e *env) tick(s *Scheduler) {
	e.t.Helper()
	if err := s.Tick(context.Background()); err != nil {
		e.t.Fatal(err)
	}
}

// taken returns the runs created since the last call.
func (e *env) taken() []store.Run {
	e.mu.Lock()
	defer e.mu.Unlock()
	out := e.made
	e.made = nil
	return out
}

func (e *env) finish(r store.Run, state store.RunState, reason string) {
	e.t.Helper()
	end := store.Run{AppID: r.AppID, ID: r.ID, State: state, Error: reason}
	if state == store.RunSucceeded {
		n := int64(1)
		end.Count = &n
	}
	if _, ok, err := e.st.FinishRun(context.Background(), end); err != nil || !ok {
		e.t.Fatalf("finish %s: %v %v", r.ID, ok, err)
	}
}

func segs(runs []store.Run) string {
	ids := make([]string, len(runs))
	for i, r := range runs {
		ids[i] = r.SegmentID
	}
	return strings.Join(ids, ",")
}

// TestEveryMissedSlotsRunOnce: a schedule whose slots passed while no
// server ran gets one run, for the latest slot, with as_of the slot and
// scheduled set; the next slot gets the next.
func TestEveryMissedSlotsRunOnce(t *testing.T) {
	e := newEnv(t, sqliteDSN(t))
	seg := e.segment("b", "seg_h", `{"every":"1h"}`)
	s := e.scheduler(e.st)
	// Five hours and ten minutes later: five slots passed.
	now := seg.UpdatedAt.Add(5*time.Hour + 10*time.Minute)
	e.clock.Set(now)
	e.tick(s)
	e.tick(s)
	got := e.taken()
	want := now.Truncate(time.Hour)
	if len(got) != 1 || !got[0].AsOf.Equal(want) || !got[0].Scheduled || got[0].State != store.RunQueued {
		t.Fatalf("runs %+v, want one scheduled run at %v", got, want)
	}
	// A new Scheduler (a restart) does not run the slot again.
	e.tick(e.scheduler(e.st))
	if got := e.taken(); len(got) != 0 {
		t.Fatalf("restart ran again: %+v", got)
	}
	e.clock.Set(now.Add(time.Hour))
	e.tick(s)
	if got := e.taken(); len(got) != 1 || !got[0].AsOf.Equal(want.Add(time.Hour)) {
		t.Fatalf("next slot: %+v", got)
	}
	// No slot before the schedule was saved.
	fresh := e.segment("b", "seg_new", `{"every":"1w"}`)
	e.clock.Set(fresh.UpdatedAt.Add(time.Minute))
	e.tick(s)
	for _, r := range e.taken() {
		if r.SegmentID == "seg_new" {
			t.Fatalf("a slot before the schedule was saved ran: %+v", r)
		}
	}
}

// TestCronDSTDays: a 02:30 New York schedule runs once on the
// spring-forward day, at 03:00 EDT, and once on a fall-back day's 01:30
// schedule, at its first occurrence.
func TestCronDSTDays(t *testing.T) {
	e := newEnv(t, sqliteDSN(t))
	e.segment("a", "seg_0230", `{"cron":"30 2 * * *"}`)
	e.segment("a", "seg_0130", `{"cron":"30 1 * * *"}`)
	s := e.scheduler(e.st)
	ny := mustLoc(t, "America/New_York")
	// 14 March 2027: clocks jump 02:00 EST → 03:00 EDT.
	for _, at := range []string{"2027-03-14T06:59:00Z", "2027-03-14T07:00:00Z", "2027-03-14T07:30:00Z", "2027-03-14T08:00:00Z"} {
		e.clock.Set(utc(at))
		e.tick(s)
	}
	var spring []store.Run
	for _, r := range e.taken() {
		if r.SegmentID == "seg_0230" {
			spring = append(spring, r)
		}
	}
	if len(spring) != 2 || !spring[1].AsOf.Equal(utc("2027-03-14T07:00:00Z")) || spring[1].AsOf.In(ny).Hour() != 3 {
		t.Fatalf("spring-forward runs %+v: want the 13th's, then one at 03:00 EDT", spring)
	}
	// 7 November 2027: 02:00 EDT → 01:00 EST; 01:30 happens twice.
	for _, at := range []string{"2027-11-07T05:29:00Z", "2027-11-07T05:30:00Z", "2027-11-07T06:00:00Z", "2027-11-07T06:30:00Z", "2027-11-07T07:00:00Z"} {
		e.clock.Set(utc(at))
		e.tick(s)
	}
	var fall []store.Run
	for _, r := range e.taken() {
		if r.SegmentID == "seg_0130" {
			fall = append(fall, r)
		}
	}
	if len(fall) != 2 || !fall[1].AsOf.Equal(utc("2027-11-07T05:30:00Z")) {
		t.Fatalf("fall-back runs %+v: want the 6th's, then one at 01:30 EDT only", fall)
	}
}

// TestDependencyOrder: segments due together run referenced ones first
// (transitively), independent ones at once; a failed dependency fails its
// dependents with a reason naming it.
func TestDependencyOrder(t *testing.T) {
	e := newEnv(t, sqliteDSN(t))
	c := e.segment("b", "seg_c", `{"every":"1h"}`)
	e.segment("b", "seg_b", `{"every":"1h"}`, "seg_c")
	e.segment("b", "seg_x", "", "seg_b") // not scheduled: a path through it counts
	e.segment("b", "seg_a", `{"every":"1h"}`, "seg_x")
	e.segment("b", "seg_d", `{"every":"1h"}`)
	e.segment("a", "seg_other", `{"every":"1h"}`)
	s := e.scheduler(e.st)
	e.clock.Set(c.UpdatedAt.Add(2 * time.Hour))
	e.tick(s)
	roots := e.taken()
	if got := segs(roots); got != "seg_other,seg_c,seg_d" && got != "seg_c,seg_other,seg_d" {
		t.Fatalf("first runs %s: want the roots, apps in turn", got)
	}
	slot, err := e.st.GetSlot(context.Background(), "b", "seg_a", roots[0].AsOf)
	if err != nil || len(slot.Deps) != 2 || slot.Deps[0].SegmentID != "seg_b" || slot.Deps[1].SegmentID != "seg_c" {
		t.Fatalf("seg_a's slot %+v %v: want deps seg_b and seg_c", slot, err)
	}
	e.tick(s) // seg_c still queued: nothing new
	if got := e.taken(); len(got) != 0 {
		t.Fatalf("runs before seg_c ended: %s", segs(got))
	}
	for _, r := range roots {
		if r.SegmentID == "seg_c" {
			e.finish(r, store.RunSucceeded, "")
		}
	}
	e.tick(s)
	mid := e.taken()
	if segs(mid) != "seg_b" || mid[0].State != store.RunQueued {
		t.Fatalf("after seg_c: %+v, want seg_b queued", mid)
	}
	e.finish(mid[0], store.RunFailed, "the query failed: boom")
	e.tick(s)
	last := e.taken()
	if segs(last) != "seg_a" || last[0].State != store.RunFailed || !last[0].Scheduled ||
		!strings.Contains(last[0].Error, "dependency seg_b failed") || !strings.Contains(last[0].Error, mid[0].ID) {
		t.Fatalf("after seg_b failed: %+v, want seg_a failed naming seg_b", last)
	}
}

// TestTwoSchedulersOneSlotSQLite: two servers (two handles of one SQLite
// store) ticking at once create exactly one run per slot.
func TestTwoSchedulersOneSlotSQLite(t *testing.T) {
	testTwoSchedulers(t, sqliteDSN(t))
}

func testTwoSchedulers(t *testing.T, dsn string) {
	e := newEnv(t, dsn)
	other := openSQL(t, dsn)
	first := e.segment("a", "seg_1", `{"every":"5m"}`)
	e.segment("a", "seg_2", `{"every":"5m"}`, "seg_1")
	e.segment("b", "seg_3", `{"cron":"*/5 * * * *"}`)
	servers := []*Scheduler{e.scheduler(e.st), e.scheduler(other), e.scheduler(e.st), e.scheduler(other)}
	start := first.UpdatedAt.Add(time.Hour)
	slots := 0
	var all []store.Run
	for i := range 6 {
		e.clock.Set(start.Add(time.Duration(i) * 5 * time.Minute))
		slots++
		var wg sync.WaitGroup
		for _, s := range servers {
			wg.Go(func() {
				for range 3 {
					if err := s.Tick(context.Background()); err != nil {
						t.Error(err)
					}
				}
			})
		}
		wg.Wait()
		// Let the dependents go.
		for _, r := range e.taken() {
			all = append(all, r)
			if r.State == store.RunQueued {
				e.finish(r, store.RunSucceeded, "")
			}
		}
		for _, s := range servers {
			e.tick(s)
		}
		for _, r := range e.taken() {
			all = append(all, r)
			e.finish(r, store.RunSucceeded, "")
		}
	}
	perSlot := map[string]int{}
	for _, r := range all {
		perSlot[r.SegmentID+"@"+r.AsOf.String()]++
	}
	if len(perSlot) != 3*slots {
		t.Fatalf("%d slots with runs, want %d: %v", len(perSlot), 3*slots, perSlot)
	}
	for k, n := range perSlot {
		if n != 1 {
			t.Errorf("slot %s: %d runs", k, n)
		}
	}
	for _, app := range []string{"a", "b"} {
		for _, id := range []string{"seg_1", "seg_2", "seg_3"} {
			runs, err := e.st.ListRuns(context.Background(), app, id, store.RunPage{Limit: 100})
			if err != nil {
				t.Fatal(err)
			}
			if len(runs) != 0 && len(runs) != slots {
				t.Errorf("%s/%s: %d runs in the store, want %d", app, id, len(runs), slots)
			}
		}
	}
}
