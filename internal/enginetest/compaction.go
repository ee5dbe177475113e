package enginetest

import (
	"context"
	"errors"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/segmentd/segmentd/internal/compact"
	"github.com/segmentd/segmentd/internal/compile"
	"github.com/segmentd/segmentd/internal/corpus"
	"github.com/segmentd/segmentd/internal/dataset"
	"github.com/segmentd/segmentd/internal/engine"
	"github.com/segmentd/segmentd/internal/record"
	"github.com/segmentd/segmentd/internal/store"
	"github.com/segmentd/segmentd/internal/store/sqlstore"
)

// Writer is an engine's ingestion path.
type Writer interface {
	WriteEvents(ctx context.Context, appID string, events []record.Event) (int, error)
	PutUser(ctx context.Context, appID, userID string, attrs map[string]any) (record.User, error)
	GetUser(ctx context.Context, appID, userID string) (record.User, error)
	// UserData is a user's stored profile and the events reads selects,
	// from the engine's own per-user read (the single-user membership
	// check).
	UserData(ctx context.Context, appID, userID string, reads record.Reads) (record.User, []record.Event, error)
}

// Compaction is an engine that keeps events in a fresh store and a
// history, with what CompactionAgreement needs of it.
type Compaction struct {
	AppID  string // an app of Store, with no data yet
	Store  *sqlstore.SQL
	Engine engine.Engine
	Writer Writer
	// SetNow sets the writers' clock (which decides what is late).
	SetNow func(now func() time.Time)
	Stores compact.Stores
	// Split is how a query reads the app's events at the corpus's as_of
	// when history ends before boundary.
	Split func(boundary time.Time) *compile.Split
	// RandomTrees is how many random trees (RandomAgreement) run after
	// the last compaction, over history, fresh partitions and late events.
	RandomTrees int
	// Eraser erases users from every store; Failing is the same over
	// stores whose fresh-store purge fails, as an erasure that dies after
	// purging history would.
	Eraser, Failing interface {
		EraseUser(ctx context.Context, appID, userID string) error
	}
}

// CompactionAgreement loads the corpus data through the ingestion path in
// two phases with a compaction between them (so history, fresh partitions
// and late events all hold part of it, and retried events of compacted
// days are late duplicates), and runs every tree: the members must be the
// reference evaluator's. Then two compactions die, one after copying and
// one after moving the boundary, and 40 trees must still agree after each;
// a third run finishes, and every tree agrees again. After the first and
// the last compaction, MembershipAgreement checks every tenth tree for 30
// users each: the single-user path over Writer.UserData must agree with
// the engine's members. After the first, c.RandomTrees random trees must
// agree too.
func CompactionAgreement(t *testing.T, c Compaction) {
	ctx := context.Background()
	// Nothing is in history yet: the boundary is the data's first day.
	start := day(corpus.Config.Start)
	if err := c.Store.SetCompaction(ctx, store.Compaction{AppID: c.AppID, Boundary: start, Cleaned: start}); err != nil {
		t.Fatal(err)
	}
	comp := &compact.Compactor{Stores: c.Stores, State: c.Store, Margin: time.Hour}

	data := corpus.Dataset()
	events := slices.Clone(data.Events)
	rand.New(rand.NewPCG(5, 6)).Shuffle(len(events), func(i, j int) { events[i], events[j] = events[j], events[i] })
	write := func(now time.Time, evs []record.Event) {
		t.Helper()
		c.SetNow(func() time.Time { return now })
		for lo := 0; lo < len(evs); lo += 1000 {
			if _, err := c.Writer.WriteEvents(ctx, c.AppID, evs[lo:min(lo+1000, len(evs))]); err != nil {
				t.Fatal(err)
			}
		}
	}
	began := time.Now()
	now1 := corpus.AsOf.Add(-20 * 24 * time.Hour)
	var phase1, phase2 []record.Event
	for _, e := range events {
		if e.Time.After(now1) {
			phase2 = append(phase2, e)
		} else {
			phase1 = append(phase1, e)
		}
	}
	write(now1, phase1)
	stored := &dataset.Data{Events: data.Events}
	for _, u := range data.Users {
		if _, err := c.Writer.PutUser(ctx, c.AppID, u.UserID, u.Attributes); err != nil {
			t.Fatal(err)
		}
	}
	t.Logf("phase 1: %d events and %d profiles written in %s", len(phase1), len(data.Users), time.Since(began))

	comp.Now = func() time.Time { return now1.Add(72 * time.Hour) }
	res, err := comp.Run(ctx, c.AppID)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("compaction 1: %d days, %d late events, boundary %s, copy %s", res.Days, res.Late, res.Boundary.Format(time.DateOnly), res.CopyDuration)

	// Phase 2: the rest, and 500 retries of events compacted already.
	write(corpus.AsOf.Add(4*24*time.Hour), append(phase2, phase1[:500]...))
	for _, u := range data.Users {
		got, err := c.Writer.GetUser(ctx, c.AppID, u.UserID)
		if err != nil {
			got = record.User{UserID: u.UserID, Attributes: u.Attributes}
		}
		stored.Users = append(stored.Users, got)
	}

	var cases []Case
	for _, cs := range corpus.Cases() {
		cases = append(cases, Case{Name: cs.Name, JSON: cs.JSON})
	}
	setup := func() Setup {
		b, err := compact.Boundary(ctx, c.Store, c.Stores, c.AppID)
		if err != nil {
			t.Fatal(err)
		}
		return Setup{AppID: c.AppID, Data: stored, AsOf: corpus.AsOf, Location: corpus.Location(), Lookup: corpus.Lookup(),
			Split: c.Split(b.Boundary)}
	}
	agree := func(label string, cases []Case) {
		s := setup()
		began := time.Now()
		t.Run(label, func(t *testing.T) { Agreement(t, c.Engine, s, cases, compile.Fused) })
		t.Logf("%s: %d trees on %s in %s (boundary %s)", label, len(cases), c.Engine.Dialect().Name, time.Since(began), s.Split.Boundary)
	}
	var sample []Case
	for i := 0; i < len(cases); i += 10 {
		sample = append(sample, cases[i])
	}
	candidates := userIDs(data)
	membership := func(label string, seed uint64) {
		b, err := compact.Boundary(ctx, c.Store, c.Stores, c.AppID)
		if err != nil {
			t.Fatal(err)
		}
		s := Setup{AppID: c.AppID, AsOf: corpus.AsOf, Location: corpus.Location(), Lookup: corpus.Lookup(), Split: c.Split(b.Boundary)}
		began := time.Now()
		t.Run(label, func(t *testing.T) { MembershipAgreement(t, c.Engine, c.Writer, s, sample, candidates, 30, seed) })
		t.Logf("%s: %d trees on %s in %s", label, len(sample), c.Engine.Dialect().Name, time.Since(began))
	}
	agree("after-first-compaction", cases)
	agree("totals-after-first-compaction", TotalsCases(stored, corpus.AsOf))
	membership("membership-after-first-compaction", 1)
	// Random trees while history, fresh partitions and late events
	// each hold part of the data.
	if c.RandomTrees > 0 {
		t.Run("random-trees", func(t *testing.T) { RandomAgreement(t, c.Engine, setup(), c.RandomTrees, compile.Fused) })
	}

	// A compaction that dies after copying, before it moves the
	// boundary: queries stay exact; run again, it finishes.
	comp.Now = func() time.Time { return corpus.AsOf.Add(7 * 24 * time.Hour) }
	comp.State = &failingState{State: c.Store, failAt: 1}
	if _, err := comp.Run(ctx, c.AppID); !errors.Is(err, errCrash) {
		t.Fatalf("the crashed run returned %v", err)
	}
	agree("after-a-compaction-died-copying", cases[:40])
	// One that dies after moving the boundary, before recording its
	// cleanup.
	comp.State = &failingState{State: c.Store, failAt: 2}
	if _, err := comp.Run(ctx, c.AppID); !errors.Is(err, errCrash) {
		t.Fatalf("the crashed run returned %v", err)
	}
	agree("after-a-compaction-died-cleaning", cases[:40])
	comp.State = c.Store
	if res, err = comp.Run(ctx, c.AppID); err != nil {
		t.Fatal(err)
	}
	t.Logf("compaction 2: %d days, %d late events, boundary %s, copy %s", res.Days, res.Late, res.Boundary.Format(time.DateOnly), res.CopyDuration)
	agree("after-second-compaction", cases)
	membership("membership-after-second-compaction", 2)
	began = time.Now()
	t.Run("explain-after-second-compaction", func(t *testing.T) { ExplainAgreement(t, c.Engine, setup(), cases) })
	t.Logf("explain-after-second-compaction: %d trees on %s in %s", len(cases), c.Engine.Dialect().Name, time.Since(began))
	began = time.Now()
	t.Run("why-after-second-compaction", func(t *testing.T) { WhyAgreement(t, c.Engine, setup(), sample, 4, 2) })
	t.Logf("why-after-second-compaction: %d trees on %s in %s", len(sample), c.Engine.Dialect().Name, time.Since(began))
	eraseAgreement(t, c, stored, cases[:40], agree)
}

// eraseAgreement erases users whose events are in history, in the fresh
// store and among late events, one of them by an erasure that dies after
// purging history and is retried, and sends a new event for one of them:
// every tree must select exactly the reference evaluator's users over the
// data less the erased users (the new event making a new user), before
// and after another compaction, which must not bring an erased event
// back.
func eraseAgreement(t *testing.T, c Compaction, stored *dataset.Data, cases []Case, agree func(string, []Case)) {
	ctx := context.Background()
	// The users with the most events: they have some in every store.
	n := map[string]int{}
	for _, e := range stored.Events {
		n[e.UserID]++
	}
	ids := userIDs(stored)
	slices.SortStableFunc(ids, func(a, b string) int { return n[b] - n[a] })
	erased := ids[:3]
	if err := c.Failing.EraseUser(ctx, c.AppID, erased[0]); err == nil {
		t.Fatal("the failing erasure succeeded")
	}
	for _, id := range erased {
		began := time.Now()
		if err := c.Eraser.EraseUser(ctx, c.AppID, id); err != nil {
			t.Fatal(err)
		}
		t.Logf("erasing %s (%d events) took %s", id, n[id], time.Since(began))
		if _, err := c.Writer.GetUser(ctx, c.AppID, id); !errors.Is(err, record.ErrNotFound) {
			t.Fatalf("GetUser(%s) after the erasure: %v, want not found", id, err)
		}
		if _, evs, err := c.Writer.UserData(ctx, c.AppID, id, record.AllEvents); err == nil && len(evs) > 0 {
			t.Fatalf("UserData(%s) after the erasure: %d events", id, len(evs))
		}
	}
	// Later, the same ID sends an event dated before all its old ones: a
	// new user of that one event.
	again := record.Event{EventID: "after-erasure-1", UserID: erased[1], Name: "$buy", Time: corpus.Config.Start.Add(time.Hour),
		Properties: map[string]any{"total": 1.0, "items": []any{map[string]any{"price": 1.0}}}}
	c.SetNow(func() time.Time { return corpus.AsOf.Add(8 * 24 * time.Hour) })
	if _, err := c.Writer.WriteEvents(ctx, c.AppID, []record.Event{again}); err != nil {
		t.Fatal(err)
	}
	u, err := c.Writer.GetUser(ctx, c.AppID, again.UserID)
	if err != nil {
		t.Fatal(err)
	}
	if !u.FirstSeen.Equal(again.Time) || !u.LastSeen.Equal(again.Time) {
		t.Fatalf("the new user of an erased ID: first_seen %v, last_seen %v, want both %s", u.FirstSeen, u.LastSeen, again.Time)
	}
	gone := map[string]bool{erased[0]: true, erased[1]: true, erased[2]: true}
	left := &dataset.Data{Users: []record.User{u}, Events: []record.Event{again}}
	for _, u := range stored.Users {
		if !gone[u.UserID] {
			left.Users = append(left.Users, u)
		}
	}
	for _, e := range stored.Events {
		if !gone[e.UserID] {
			left.Events = append(left.Events, e)
		}
	}
	*stored = *left
	slices.SortFunc(stored.Events, func(a, b record.Event) int { return a.Time.Compare(b.Time) })
	agree("after-erasure", cases)
	comp := &compact.Compactor{Stores: c.Stores, State: c.Store, Margin: time.Hour, Now: func() time.Time { return corpus.AsOf.Add(9 * 24 * time.Hour) }}
	if _, err := comp.Run(ctx, c.AppID); err != nil {
		t.Fatal(err)
	}
	agree("after-erasure-and-compaction", cases)
}

// userIDs are the IDs of the users with a profile or an event, sorted.
func userIDs(data *dataset.Data) []string {
	seen := map[string]bool{}
	for _, u := range data.Users {
		seen[u.UserID] = true
	}
	for _, e := range data.Events {
		seen[e.UserID] = true
	}
	ids := make([]string, 0, len(seen))
	for id := range seen {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	return ids
}

func day(t time.Time) time.Time {
	y, m, d := t.UTC().Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

var errCrash = errors.New("the compaction died here")

// failingState fails the failAt-th SetCompaction, as a compaction that
// dies at that point would.
type failingState struct {
	compact.State
	failAt, calls int
}

func (f *failingState) SetCompaction(ctx context.Context, c store.Compaction) error {
	if f.calls++; f.calls == f.failAt {
		return errCrash
	}
	return f.State.SetCompaction(ctx, c)
}

// FailFresh is stores whose fresh-store purge fails after history's,
// as an erasure that dies there would.
func FailFresh(stores compact.UserStores) compact.UserStores { return failFresh{stores} }

type failFresh struct{ compact.UserStores }

func (failFresh) EraseFresh(context.Context, string, string) error { return errCrash }
