package sqlstore

import (
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/segmentd/segmentd/internal/record"
	"github.com/segmentd/segmentd/internal/store"
)

// testSchedules: a segment's schedule is kept with its version; a slot is
// claimed once and its run created once, whatever the number of callers;
// leases decide which runs another server may take.
func testSchedules(t *testing.T, s *SQL) {
	ctx := ctxT(t)
	mkApp(t, s, "shop")
	mkSeg(t, s, "shop", "seg_b")
	a := must(s.CreateSegment(ctx, store.Segment{AppID: "shop", ID: "seg_a", Name: "a", Tree: `{"type":"segment","segment_id":"seg_b"}`,
		Refs: []string{"seg_b"}, Schedule: `{"every":"1h"}`}))
	if a.Schedule != `{"every":"1h"}` {
		t.Fatalf("created schedule %q", a.Schedule)
	}
	if got := must(s.GetSegment(ctx, "shop", "seg_a")); got.Schedule != `{"every":"1h"}` {
		t.Fatalf("GetSegment schedule %q", got.Schedule)
	}
	sched := must(s.ListScheduledSegments(ctx))
	if len(sched) != 1 || sched[0].ID != "seg_a" || len(sched[0].Refs) != 1 || sched[0].Refs[0] != "seg_b" {
		t.Fatalf("ListScheduledSegments = %+v", sched)
	}
	if refs := must(s.SegmentRefs(ctx, "shop")); len(refs["seg_a"]) != 1 {
		t.Fatalf("SegmentRefs = %v", refs)
	}
	a.Schedule = ""
	must(s.UpdateSegment(ctx, a))
	if n := len(must(s.ListScheduledSegments(ctx))); n != 0 {
		t.Fatalf("%d scheduled after the schedule was removed", n)
	}
	if v1 := must(s.GetSegmentVersion(ctx, "shop", "seg_a", 1)); v1.Schedule != `{"every":"1h"}` {
		t.Fatalf("version 1 schedule %q", v1.Schedule)
	}

	// Claims: many callers, one winner; the run created once.
	slot := time.Date(2026, 5, 1, 6, 0, 0, 0, time.UTC)
	sl := store.Slot{AppID: "shop", SegmentID: "seg_a", Slot: slot, Deps: []store.SlotRef{{SegmentID: "seg_b", Slot: slot}}}
	var wg sync.WaitGroup
	var mu sync.Mutex
	claims, created := 0, 0
	runIDs := map[string]bool{}
	for range 8 {
		wg.Go(func() {
			ok := must(s.ClaimSlot(ctx, sl))
			r, c := must2(s.CreateSlotRun(ctx, sl, store.Run{Version: 2, Key: "k"}))
			mu.Lock()
			defer mu.Unlock()
			if ok {
				claims++
			}
			if c {
				created++
			}
			runIDs[r.ID] = true
		})
	}
	wg.Wait()
	if claims != 1 || created != 1 || len(runIDs) != 1 {
		t.Fatalf("claims %d, created %d, run IDs %v: want one of each", claims, created, runIDs)
	}
	got := must(s.GetSlot(ctx, "shop", "seg_a", slot))
	if !runIDs[got.RunID] || len(got.Deps) != 1 || got.Deps[0].SegmentID != "seg_b" || !got.Deps[0].Slot.Equal(slot) {
		t.Fatalf("slot %+v", got)
	}
	run := must(s.GetRun(ctx, "shop", got.RunID))
	if !run.Scheduled || !run.AsOf.Equal(slot) || run.State != store.RunQueued || run.Version != 2 {
		t.Fatalf("slot run %+v", run)
	}
	if _, err := s.GetSlot(ctx, "shop", "seg_a", slot.Add(time.Hour)); !errors.Is(err, record.ErrNotFound) {
		t.Fatalf("GetSlot of an unclaimed slot: %v", err)
	}
	// Waiting and closed slots.
	later := store.Slot{AppID: "shop", SegmentID: "seg_a", Slot: slot.Add(time.Hour)}
	must(s.ClaimSlot(ctx, later))
	if w := must(s.WaitingSlots(ctx)); len(w) != 1 || !w[0].Slot.Equal(later.Slot) || len(w[0].Deps) != 0 {
		t.Fatalf("WaitingSlots = %+v", w)
	}
	if !must(s.CloseSlot(ctx, later)) || must(s.CloseSlot(ctx, later)) {
		t.Fatal("CloseSlot: want true once")
	}
	if w := must(s.WaitingSlots(ctx)); len(w) != 0 {
		t.Fatalf("WaitingSlots after close = %+v", w)
	}
	if r, c := must2(s.CreateSlotRun(ctx, later, store.Run{Version: 2, Key: "k"})); c || r.ID != "" {
		t.Fatalf("CreateSlotRun of a closed slot = %+v, %v", r, c)
	}

	// Leases: a run with a live lease is not taken; an expired one is,
	// by one caller.
	now := time.Now().UTC().Truncate(time.Second)
	leased := must(s.CreateRun(ctx, store.Run{AppID: "shop", SegmentID: "seg_a", Version: 2, AsOf: slot, Key: "l", LeaseUntil: now.Add(time.Minute)}))
	if !leased.LeaseUntil.Equal(now.Add(time.Minute)) {
		t.Fatalf("lease %v", leased.LeaseUntil)
	}
	must2(s.StartRun(ctx, "shop", leased.ID))
	// The slot's run has a zero lease: expired. The leased one is not.
	taken := must(s.TakeExpiredRuns(ctx, now, now.Add(30*time.Second), 100))
	if len(taken) != 1 || taken[0].ID != got.RunID {
		t.Fatalf("taken %v, want the slot's run only", runIDsOf(taken))
	}
	if again := must(s.TakeExpiredRuns(ctx, now, now.Add(30*time.Second), 100)); len(again) != 0 {
		t.Fatalf("taken twice: %v", runIDsOf(again))
	}
	// After the lease, the running run is taken back to queued.
	at := now.Add(2 * time.Minute)
	taken = must(s.TakeExpiredRuns(ctx, at, at.Add(30*time.Second), 100))
	ids := runIDsOf(taken)
	if len(taken) != 2 || ids[leased.ID] != store.RunQueued {
		t.Fatalf("taken after the lease: %v", ids)
	}
	if r := must(s.GetRun(ctx, "shop", leased.ID)); r.State != store.RunQueued || !r.StartedAt.IsZero() || !r.LeaseUntil.Equal(at.Add(30*time.Second)) {
		t.Fatalf("taken run %+v", r)
	}
	// A renewed lease keeps it.
	must0(s.RenewRunLeases(ctx, []string{leased.ID}, at.Add(time.Hour)))
	if again := must(s.TakeExpiredRuns(ctx, at.Add(time.Minute), at.Add(2*time.Minute), 100)); runIDsOf(again)[leased.ID] != "" {
		t.Fatal("a renewed run was taken")
	}
	// Released (zero): taken at once.
	must0(s.RenewRunLeases(ctx, []string{leased.ID}, time.Time{}))
	if again := must(s.TakeExpiredRuns(ctx, at, at.Add(time.Minute), 100)); runIDsOf(again)[leased.ID] == "" {
		t.Fatal("a released run was not taken")
	}
}

func must2[A, B any](a A, b B, err error) (A, B) {
	if err != nil {
		panic(mustFailure{err})
	}
	return a, b
}

func must0(err error) {
	if err != nil {
		panic(mustFailure{err})
	}
}

func runIDsOf(runs []store.Run) map[string]store.RunState {
	m := map[string]store.RunState{}
	for _, r := range runs {
		m[r.ID] = r.State
	}
	return m
}
