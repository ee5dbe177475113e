package sqlstore

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"math/rand/v2"
	"runtime/debug"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/segmentd/segmentd/internal/record"
	"github.com/segmentd/segmentd/internal/store"
)

// runSuite is the conformance suite every backend passes. newDSN returns the
// DSN of a fresh, empty database that lasts until the test ends.
func runSuite(t *testing.T, newDSN func(t *testing.T) string) {
	open := func(t *testing.T) *SQL {
		t.Helper()
		return openDSN(t, newDSN(t))
	}
	run := func(name string, fn func(t *testing.T)) {
		t.Run(name, func(t *testing.T) {
			defer catchMust(t)
			fn(t)
		})
	}
	run("Ping", func(t *testing.T) {
		s := open(t)
		if err := s.Ping(context.Background()); err != nil {
			t.Fatal(err)
		}
	})
	run("Apps", func(t *testing.T) { testApps(t, open(t)) })
	run("Keys", func(t *testing.T) { testKeys(t, open(t)) })
	run("KeyScopesAndRevocation", func(t *testing.T) { testKeyScopes(t, open(t)) })
	run("KeysBeforeScopesKeepEveryScope", func(t *testing.T) { testKeyScopesMigration(t, newDSN(t)) })
	run("InvalidArguments", func(t *testing.T) { testInvalid(t, open(t)) })
	run("CreateGetSegment", func(t *testing.T) { testCreateGet(t, open(t)) })
	run("Versions", func(t *testing.T) { testVersions(t, open(t)) })
	run("MissingRefs", func(t *testing.T) { testMissingRefs(t, open(t)) })
	run("List", func(t *testing.T) { testList(t, open(t)) })
	run("TenantIsolation", func(t *testing.T) { testTenants(t, open(t)) })
	run("Delete", func(t *testing.T) { testDelete(t, open(t)) })
	run("Timestamps", func(t *testing.T) { testTimestamps(t, open(t)) })
	run("Compactions", func(t *testing.T) { compactionSuite(t, open(t)) })
	run("CreateGetRun", func(t *testing.T) { testCreateGetRun(t, open(t)) })
	run("RunTransitions", func(t *testing.T) { testRunTransitions(t, open(t)) })
	run("RunQueries", func(t *testing.T) { testRunQueries(t, open(t)) })
	run("PurgeRun", func(t *testing.T) { testPurgeRun(t, open(t)) })
	run("ListRuns", func(t *testing.T) { testListRuns(t, open(t)) })
	run("Schedules", func(t *testing.T) { testSchedules(t, open(t)) })
	run("ConcurrentRunFinish", func(t *testing.T) { testConcurrentFinish(t, open(t)) })
	run("LongText", func(t *testing.T) { testLongText(t, open(t)) })
	run("CanceledContext", func(t *testing.T) { testCanceled(t, open(t)) })
	run("ConcurrentUpdates", func(t *testing.T) { testConcurrentUpdates(t, open(t)) })
	run("ConcurrentCreates", func(t *testing.T) { testConcurrentCreates(t, open(t)) })
	run("DeleteRacesReferencingCreate", func(t *testing.T) { testDeleteRace(t, open(t), false) })
	run("DeleteRacesReferencingUpdate", func(t *testing.T) { testDeleteRace(t, open(t), true) })
	run("CrossReferencingUpdates", func(t *testing.T) { testCrossUpdates(t, open(t)) })
	run("MigrationsIdempotent", func(t *testing.T) { testReopen(t, newDSN(t)) })
	run("ConcurrentMigrate", func(t *testing.T) { testConcurrentMigrate(t, newDSN(t)) })
}

func openDSN(t *testing.T, dsn string) *SQL {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	s, err := Open(ctx, dsn)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return s
}

func ctxT(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	t.Cleanup(cancel)
	return ctx
}

// must returns v or, on an error, fails the running test (through the
// recover in runSuite's subtests, so it is only for their goroutine).
func must[T any](v T, err error) T {
	if err != nil {
		panic(mustFailure{err})
	}
	return v
}

type mustFailure struct{ err error }

func catchMust(t *testing.T) {
	if r := recover(); r != nil {
		f, ok := r.(mustFailure)
		if !ok {
			panic(r)
		}
		t.Fatalf("unexpected error: %v\n%s", f.err, debug.Stack())
	}
}

func wantErr(t *testing.T, err, target error, what string) {
	t.Helper()
	if !errors.Is(err, target) {
		t.Fatalf("%s: err = %v, want %v", what, err, target)
	}
}

func mkApp(t *testing.T, s *SQL, id string) store.App {
	t.Helper()
	return must(s.CreateApp(ctxT(t), store.App{ID: id, TimeZone: "Asia/Tokyo"}))
}

func mkSeg(t *testing.T, s *SQL, app, id string, refs ...string) store.Segment {
	t.Helper()
	return must(s.CreateSegment(ctxT(t), store.Segment{AppID: app, ID: id, Name: "name " + id, Description: "desc " + id,
		Tree: `{"op":"and","children":[]}`, Refs: refs}))
}

func sameSegment(t *testing.T, what string, got, want store.Segment) {
	t.Helper()
	if got.AppID != want.AppID || got.ID != want.ID || got.Version != want.Version || got.Name != want.Name ||
		got.Description != want.Description || got.Tree != want.Tree || !slices.Equal(got.Refs, want.Refs) ||
		!got.CreatedAt.Equal(want.CreatedAt) || !got.UpdatedAt.Equal(want.UpdatedAt) {
		t.Fatalf("%s:\n got  %+v\n want %+v", what, got, want)
	}
	if got.Refs == nil {
		t.Fatalf("%s: Refs is nil, want non-nil", what)
	}
}

func testApps(t *testing.T, s *SQL) {
	ctx := ctxT(t)
	before := time.Now().Add(-time.Second)
	a, err := s.CreateApp(ctx, store.App{ID: "shop", TimeZone: "Asia/Tokyo"})
	if err != nil {
		t.Fatal(err)
	}
	if a.ID != "shop" || a.TimeZone != "Asia/Tokyo" || a.CreatedAt.Before(before) || a.CreatedAt.After(time.Now().Add(time.Second)) {
		t.Fatalf("created %+v", a)
	}
	got := must(s.GetApp(ctx, "shop"))
	if got.ID != a.ID || got.TimeZone != a.TimeZone || !got.CreatedAt.Equal(a.CreatedAt) {
		t.Fatalf("GetApp = %+v, want %+v", got, a)
	}
	must(s.CreateApp(ctx, store.App{ID: "bakery", TimeZone: "UTC"}))
	if apps := must(s.ListApps(ctx)); len(apps) != 2 || apps[0].ID != "bakery" || apps[1].ID != "shop" {
		t.Fatalf("ListApps = %+v", apps)
	}
	_, err = s.CreateApp(ctx, store.App{ID: "shop", TimeZone: "UTC"})
	wantErr(t, err, record.ErrConflict, "CreateApp duplicate")
	if !strings.Contains(err.Error(), `"shop"`) {
		t.Errorf("duplicate error %q does not name the app", err)
	}
	// The first one is unchanged.
	if got := must(s.GetApp(ctx, "shop")); got.TimeZone != "Asia/Tokyo" {
		t.Fatalf("after duplicate create: %+v", got)
	}
	_, err = s.GetApp(ctx, "nope")
	wantErr(t, err, record.ErrNotFound, "GetApp missing")
	// IDs are exact: no case folding, no trailing-space padding.
	_, err = s.GetApp(ctx, "SHOP")
	wantErr(t, err, record.ErrNotFound, "GetApp other case")
	_, err = s.GetApp(ctx, "shop ")
	wantErr(t, err, record.ErrNotFound, "GetApp trailing space")
	must(s.CreateApp(ctx, store.App{ID: "Shop", TimeZone: "UTC"}))
	if got := must(s.GetApp(ctx, "Shop")); got.TimeZone != "UTC" {
		t.Fatalf("Shop = %+v", got)
	}
}

func testKeys(t *testing.T, s *SQL) {
	ctx := ctxT(t)
	mkApp(t, s, "shop")
	h := sha256.Sum256([]byte("secret"))
	before := time.Now().Add(-time.Second)
	if err := s.CreateKey(ctx, store.Key{ID: "k1", AppID: "shop", SecretHash: h[:]}); err != nil {
		t.Fatal(err)
	}
	k := must(s.GetKey(ctx, "k1"))
	if k.ID != "k1" || k.AppID != "shop" || string(k.SecretHash) != string(h[:]) {
		t.Fatalf("GetKey = %+v", k)
	}
	if k.CreatedAt.Before(before) || k.CreatedAt.After(time.Now().Add(time.Second)) || k.CreatedAt.Location() != time.UTC {
		t.Fatalf("key CreatedAt = %v", k.CreatedAt)
	}
	// A second key of the same app.
	h2 := sha256.Sum256([]byte("other"))
	if err := s.CreateKey(ctx, store.Key{ID: "k2", AppID: "shop", SecretHash: h2[:]}); err != nil {
		t.Fatal(err)
	}
	if k2 := must(s.GetKey(ctx, "k2")); string(k2.SecretHash) != string(h2[:]) {
		t.Fatalf("k2 = %+v", k2)
	}
	wantErr(t, s.CreateKey(ctx, store.Key{ID: "k1", AppID: "shop", SecretHash: h2[:]}), record.ErrConflict, "CreateKey duplicate")
	wantErr(t, s.CreateKey(ctx, store.Key{ID: "k3", AppID: "nope", SecretHash: h[:]}), record.ErrNotFound, "CreateKey unknown app")
	_, err := s.GetKey(ctx, "nope")
	wantErr(t, err, record.ErrNotFound, "GetKey missing")
	_, err = s.GetKey(ctx, "k3")
	wantErr(t, err, record.ErrNotFound, "GetKey of a failed create")
	// Binary hashes with zero bytes and high bytes survive.
	raw := []byte{0, 1, 0xff, 0x80, 0, 0x7f}
	if err := s.CreateKey(ctx, store.Key{ID: "k4", AppID: "shop", SecretHash: raw}); err != nil {
		t.Fatal(err)
	}
	if k4 := must(s.GetKey(ctx, "k4")); string(k4.SecretHash) != string(raw) {
		t.Fatalf("k4 hash = %x", k4.SecretHash)
	}
}

// testKeyScopes: a key keeps its name and scopes; keys are listed, touched
// and revoked within their app only.
func testKeyScopes(t *testing.T, s *SQL) {
	ctx := ctxT(t)
	mkApp(t, s, "shop")
	mkApp(t, s, "other")
	for _, k := range []store.Key{
		{ID: "k1", AppID: "shop", Name: "sdk", Scopes: []string{"ingest"}, SecretHash: []byte{1}},
		{ID: "k2", AppID: "shop", Name: "dashboard", Scopes: []string{"read", "segments"}, SecretHash: []byte{2}},
		{ID: "k3", AppID: "other", Name: "all", Scopes: []string{"ingest", "read", "segments"}, SecretHash: []byte{3}},
	} {
		if err := s.CreateKey(ctx, k); err != nil {
			t.Fatal(err)
		}
	}
	k2 := must(s.GetKey(ctx, "k2"))
	if k2.Name != "dashboard" || !slices.Equal(k2.Scopes, []string{"read", "segments"}) || !k2.LastUsedAt.IsZero() {
		t.Fatalf("k2 = %+v", k2)
	}
	used := time.Date(2026, 12, 5, 10, 0, 0, 123456000, time.UTC)
	if err := s.TouchKey(ctx, "k2", used); err != nil {
		t.Fatal(err)
	}
	if got := must(s.GetKey(ctx, "k2")).LastUsedAt; !got.Equal(used) {
		t.Fatalf("LastUsedAt = %v, want %v", got, used)
	}
	ids := func(keys []store.Key) []string {
		var out []string
		for _, k := range keys {
			out = append(out, k.ID)
		}
		return out
	}
	if got := ids(must(s.ListKeys(ctx, "shop"))); !slices.Equal(got, []string{"k1", "k2"}) {
		t.Fatalf("keys of shop = %v", got)
	}
	wantErr(t, s.DeleteKey(ctx, "shop", "k3"), record.ErrNotFound, "DeleteKey of another app's key")
	must(s.GetKey(ctx, "k3"))
	if err := s.DeleteKey(ctx, "shop", "k1"); err != nil {
		t.Fatal(err)
	}
	_, err := s.GetKey(ctx, "k1")
	wantErr(t, err, record.ErrNotFound, "GetKey of a revoked key")
	wantErr(t, s.DeleteKey(ctx, "shop", "k1"), record.ErrNotFound, "DeleteKey twice")
	if got := ids(must(s.ListKeys(ctx, "shop"))); !slices.Equal(got, []string{"k2"}) {
		t.Fatalf("keys of shop after revoking k1 = %v", got)
	}
}

// testKeyScopesMigration: a key stored before keys had scopes can still
// do everything in its app.
func testKeyScopesMigration(t *testing.T, dsn string) {
	ctx := ctxT(t)
	s, err := open(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	ms := must(loadMigrations(s.d.name))
	i := slices.IndexFunc(ms, func(m migration) bool { return m.name == "0004_key_scopes" })
	if i < 0 {
		t.Fatal("no migration 0004_key_scopes")
	}
	migrateTo := s.migrateMySQL
	if s.d.name == "sqlite" {
		migrateTo = s.migrateSQLite
	}
	if err := migrateTo(ctx, ms[:i]); err != nil {
		t.Fatal(err)
	}
	mkApp(t, s, "shop")
	if _, err := s.w.ExecContext(ctx, `INSERT INTO api_keys (key_id, app_id, secret_hash, created_at) VALUES ('old', 'shop', ?, ?)`,
		[]byte{1}, s.timeArg(now())); err != nil {
		t.Fatal(err)
	}
	if err := s.migrate(ctx); err != nil {
		t.Fatal(err)
	}
	if k := must(s.GetKey(ctx, "old")); !slices.Equal(k.Scopes, []string{"ingest", "read", "segments"}) || k.Name != "" {
		t.Fatalf("a key from before scopes: %+v", k)
	}
}

func testInvalid(t *testing.T, s *SQL) {
	ctx := ctxT(t)
	mkApp(t, s, "a")
	long := strings.Repeat("x", store.MaxSegmentIDLen+1)
	_, err := s.CreateApp(ctx, store.App{ID: "", TimeZone: "UTC"})
	wantErr(t, err, store.ErrInvalid, "empty app ID")
	_, err = s.CreateApp(ctx, store.App{ID: strings.Repeat("a", store.MaxAppIDLen+1), TimeZone: "UTC"})
	wantErr(t, err, store.ErrInvalid, "long app ID")
	must(s.CreateApp(ctx, store.App{ID: strings.Repeat("a", store.MaxAppIDLen), TimeZone: "UTC"}))
	wantErr(t, s.CreateKey(ctx, store.Key{ID: "", AppID: "a", SecretHash: []byte{1}}), store.ErrInvalid, "empty key ID")
	wantErr(t, s.CreateKey(ctx, store.Key{ID: "k", AppID: "a"}), store.ErrInvalid, "empty hash")
	_, err = s.CreateSegment(ctx, store.Segment{AppID: "a", ID: ""})
	wantErr(t, err, store.ErrInvalid, "empty segment ID")
	_, err = s.CreateSegment(ctx, store.Segment{AppID: "a", ID: long})
	wantErr(t, err, store.ErrInvalid, "long segment ID")
	_, err = s.CreateSegment(ctx, store.Segment{AppID: "a", ID: "s", Refs: []string{""}})
	wantErr(t, err, store.ErrInvalid, "empty ref")
	maxID := strings.Repeat("y", store.MaxSegmentIDLen)
	mkSeg(t, s, "a", maxID)
	must(s.GetSegment(ctx, "a", maxID))
}

func testCreateGet(t *testing.T, s *SQL) {
	ctx := ctxT(t)
	mkApp(t, s, "shop")
	before := time.Now().Add(-time.Second)
	base, err := s.CreateSegment(ctx, store.Segment{AppID: "shop", ID: "base", Name: "Base", Description: "all", Tree: `{"op":"and"}`})
	if err != nil {
		t.Fatal(err)
	}
	if base.Version != 1 || base.CreatedAt.Before(before) || !base.UpdatedAt.Equal(base.CreatedAt) || base.Refs == nil || len(base.Refs) != 0 {
		t.Fatalf("created %+v", base)
	}
	sameSegment(t, "GetSegment(base)", must(s.GetSegment(ctx, "shop", "base")), base)
	sameSegment(t, "GetSegmentVersion(base, 1)", must(s.GetSegmentVersion(ctx, "shop", "base", 1)), base)

	mkSeg(t, s, "shop", "other")
	// Refs come back sorted and without duplicates, Version and timestamps
	// are the store's whatever the caller passed.
	in := store.Segment{AppID: "shop", ID: "vip", Version: 42, Name: "VIP", Description: "d", Tree: "t",
		Refs: []string{"other", "base", "other"}, CreatedAt: time.Unix(1, 0), UpdatedAt: time.Unix(2, 0)}
	vip := must(s.CreateSegment(ctx, in))
	if vip.Version != 1 || !slices.Equal(vip.Refs, []string{"base", "other"}) || vip.CreatedAt.Before(before) {
		t.Fatalf("created %+v", vip)
	}
	if !slices.Equal(in.Refs, []string{"other", "base", "other"}) {
		t.Fatalf("caller's Refs modified: %v", in.Refs)
	}
	sameSegment(t, "GetSegment(vip)", must(s.GetSegment(ctx, "shop", "vip")), vip)

	_, err = s.CreateSegment(ctx, store.Segment{AppID: "shop", ID: "vip", Name: "again"})
	wantErr(t, err, record.ErrConflict, "CreateSegment duplicate")
	sameSegment(t, "after duplicate create", must(s.GetSegment(ctx, "shop", "vip")), vip)

	_, err = s.CreateSegment(ctx, store.Segment{AppID: "nope", ID: "x"})
	wantErr(t, err, record.ErrNotFound, "CreateSegment unknown app")
	var mr *store.MissingRefsError
	if errors.As(err, &mr) {
		t.Fatalf("unknown app reported as missing refs: %v", err)
	}
	_, err = s.GetSegment(ctx, "shop", "nope")
	wantErr(t, err, record.ErrNotFound, "GetSegment missing")
	_, err = s.GetSegmentVersion(ctx, "shop", "nope", 1)
	wantErr(t, err, record.ErrNotFound, "GetSegmentVersion missing segment")
	for _, v := range []int{-1, 0, 2} {
		_, err = s.GetSegmentVersion(ctx, "shop", "base", v)
		wantErr(t, err, record.ErrNotFound, fmt.Sprintf("GetSegmentVersion(base, %d)", v))
	}
	// Unicode and odd bytes in text survive exactly.
	odd := store.Segment{AppID: "shop", ID: "ünï-😀", Name: "名前 'quoted' \"x\" \\ %_", Description: "line1\nline2\t\x00end", Tree: "{\"v\":\"😀\"}"}
	got := must(s.CreateSegment(ctx, odd))
	g := must(s.GetSegment(ctx, "shop", odd.ID))
	if g.Name != odd.Name || g.Description != odd.Description || g.Tree != odd.Tree || g.ID != odd.ID {
		t.Fatalf("odd segment: got %+v", g)
	}
	sameSegment(t, "odd", g, got)
}

func testVersions(t *testing.T, s *SQL) {
	ctx := ctxT(t)
	mkApp(t, s, "shop")
	mkSeg(t, s, "shop", "a")
	mkSeg(t, s, "shop", "b")
	v1 := mkSeg(t, s, "shop", "seg", "a")
	time.Sleep(2 * time.Millisecond)
	v2, err := s.UpdateSegment(ctx, store.Segment{AppID: "shop", ID: "seg", Name: "two", Description: "second", Tree: "t2", Refs: []string{"b", "a"}})
	if err != nil {
		t.Fatal(err)
	}
	if v2.Version != 2 || v2.Name != "two" || v2.Description != "second" || v2.Tree != "t2" || !slices.Equal(v2.Refs, []string{"a", "b"}) {
		t.Fatalf("v2 = %+v", v2)
	}
	if !v2.CreatedAt.Equal(v1.CreatedAt) || !v2.UpdatedAt.After(v1.UpdatedAt) {
		t.Fatalf("v2 times: created %v (v1 %v), updated %v (v1 %v)", v2.CreatedAt, v1.CreatedAt, v2.UpdatedAt, v1.UpdatedAt)
	}
	v3 := must(s.UpdateSegment(ctx, store.Segment{AppID: "shop", ID: "seg", Name: "three", Tree: "t3"}))
	if v3.Version != 3 || len(v3.Refs) != 0 || v3.Refs == nil || v3.Description != "" {
		t.Fatalf("v3 = %+v", v3)
	}
	sameSegment(t, "current", must(s.GetSegment(ctx, "shop", "seg")), v3)
	sameSegment(t, "version 1", must(s.GetSegmentVersion(ctx, "shop", "seg", 1)), v1)
	sameSegment(t, "version 2", must(s.GetSegmentVersion(ctx, "shop", "seg", 2)), v2)
	sameSegment(t, "version 3", must(s.GetSegmentVersion(ctx, "shop", "seg", 3)), v3)
	_, err = s.GetSegmentVersion(ctx, "shop", "seg", 4)
	wantErr(t, err, record.ErrNotFound, "version 4")

	_, err = s.UpdateSegment(ctx, store.Segment{AppID: "shop", ID: "nope", Name: "x"})
	wantErr(t, err, record.ErrNotFound, "UpdateSegment missing")
	_, err = s.UpdateSegment(ctx, store.Segment{AppID: "nope", ID: "seg", Name: "x"})
	wantErr(t, err, record.ErrNotFound, "UpdateSegment unknown app")
	// A segment may reference itself as far as the store is concerned
	// (cycles are the caller's to reject); it does not block its deletion.
	self := must(s.UpdateSegment(ctx, store.Segment{AppID: "shop", ID: "seg", Name: "self", Refs: []string{"seg"}}))
	if self.Version != 4 || !slices.Equal(self.Refs, []string{"seg"}) {
		t.Fatalf("self = %+v", self)
	}
	if err := s.DeleteSegment(ctx, "shop", "seg"); err != nil {
		t.Fatalf("delete self-referencing: %v", err)
	}
}

func testMissingRefs(t *testing.T, s *SQL) {
	ctx := ctxT(t)
	mkApp(t, s, "shop")
	mkSeg(t, s, "shop", "a")
	_, err := s.CreateSegment(ctx, store.Segment{AppID: "shop", ID: "x", Refs: []string{"a", "ghost2", "ghost1"}})
	wantErr(t, err, record.ErrNotFound, "create with missing refs")
	var mr *store.MissingRefsError
	if !errors.As(err, &mr) || !slices.Equal(mr.IDs, []string{"ghost1", "ghost2"}) || mr.AppID != "shop" {
		t.Fatalf("err = %v (%#v), want store.MissingRefsError for ghost1, ghost2", err, mr)
	}
	if !strings.Contains(err.Error(), `"ghost1"`) || !strings.Contains(err.Error(), `"ghost2"`) {
		t.Fatalf("error %q does not name the missing IDs", err)
	}
	_, err = s.GetSegment(ctx, "shop", "x")
	wantErr(t, err, record.ErrNotFound, "nothing stored by a failed create")

	// Referencing itself at creation: it does not exist yet.
	_, err = s.CreateSegment(ctx, store.Segment{AppID: "shop", ID: "y", Refs: []string{"y"}})
	wantErr(t, err, record.ErrNotFound, "create referencing itself")

	v1 := mkSeg(t, s, "shop", "seg", "a")
	_, err = s.UpdateSegment(ctx, store.Segment{AppID: "shop", ID: "seg", Name: "new", Refs: []string{"a", "ghost"}})
	wantErr(t, err, record.ErrNotFound, "update with missing ref")
	if !errors.As(err, &mr) || !slices.Equal(mr.IDs, []string{"ghost"}) {
		t.Fatalf("err = %v, want store.MissingRefsError for ghost", err)
	}
	sameSegment(t, "unchanged after failed update", must(s.GetSegment(ctx, "shop", "seg")), v1)
	// The next successful update is version 2: the failed one used no number.
	if v := must(s.UpdateSegment(ctx, store.Segment{AppID: "shop", ID: "seg", Name: "new"})); v.Version != 2 {
		t.Fatalf("version after failed update = %d", v.Version)
	}
}

func testList(t *testing.T, s *SQL) {
	ctx := ctxT(t)
	mkApp(t, s, "shop")
	mkApp(t, s, "other")
	// Byte order: upper case before lower case, multi-byte UTF-8 last.
	ids := []string{"b", "B", "a", "a0", "A", "z", "é", "seg-010", "seg-002", "seg-1", "~", "Z9", "ab", "a b", "a-b"}
	for i := range 12 {
		ids = append(ids, fmt.Sprintf("gen-%03d", i))
	}
	shuffled := slices.Clone(ids)
	rand.Shuffle(len(shuffled), func(i, j int) { shuffled[i], shuffled[j] = shuffled[j], shuffled[i] })
	want := map[string]store.Segment{}
	for i, id := range shuffled {
		var refs []string
		if i > 0 {
			refs = []string{shuffled[i-1]}
		}
		want[id] = mkSeg(t, s, "shop", id, refs...)
	}
	// Some with later versions: the list shows the current one.
	for _, id := range []string{"b", "gen-005"} {
		want[id] = must(s.UpdateSegment(ctx, store.Segment{AppID: "shop", ID: id, Name: "v2 " + id, Tree: "t", Refs: []string{"a"}}))
	}
	mkSeg(t, s, "other", "a")
	mkSeg(t, s, "other", "zz")
	slices.Sort(ids) // Go's string order is byte order

	for _, limit := range []int{1, 4, 10, len(ids), 100} {
		var got []string
		after := ""
		for pages := 0; ; pages++ {
			if pages > len(ids)+1 {
				t.Fatalf("limit %d: no end", limit)
			}
			page := must(s.ListSegments(ctx, "shop", after, limit))
			if len(page) > limit {
				t.Fatalf("limit %d: page of %d", limit, len(page))
			}
			for _, seg := range page {
				sameSegment(t, "listed "+seg.ID, seg, want[seg.ID])
				got = append(got, seg.ID)
			}
			if len(page) < limit {
				break
			}
			after = page[len(page)-1].ID
		}
		if !slices.Equal(got, ids) {
			t.Fatalf("limit %d: listed\n %q\nwant\n %q", limit, got, ids)
		}
	}
	// A cursor that is not an ID starts after it.
	page := must(s.ListSegments(ctx, "shop", "gen-0055", 2))
	if len(page) != 2 || page[0].ID != "gen-006" || page[1].ID != "gen-007" {
		t.Fatalf("after gen-0055: %v", segIDs(page))
	}
	if page := must(s.ListSegments(ctx, "shop", "~", 10)); len(page) != 1 || page[0].ID != "é" {
		t.Fatalf("after ~: %v", segIDs(page))
	}
	if page := must(s.ListSegments(ctx, "shop", "é", 10)); page == nil || len(page) != 0 {
		t.Fatalf("after the last: %v", page)
	}
	if page := must(s.ListSegments(ctx, "shop", "", 0)); page == nil || len(page) != 0 {
		t.Fatalf("limit 0: %v", page)
	}
	if page := must(s.ListSegments(ctx, "nope", "", 10)); len(page) != 0 {
		t.Fatalf("unknown app: %v", page)
	}
	if page := must(s.ListSegments(ctx, "other", "", 10)); !slices.Equal(segIDs(page), []string{"a", "zz"}) {
		t.Fatalf("other app: %v", segIDs(page))
	}
}

func segIDs(segs []store.Segment) []string {
	out := []string{}
	for _, s := range segs {
		out = append(out, s.ID)
	}
	return out
}

func testTenants(t *testing.T, s *SQL) {
	ctx := ctxT(t)
	mkApp(t, s, "A")
	mkApp(t, s, "B")
	aBase := mkSeg(t, s, "A", "base")
	aSeg := mkSeg(t, s, "A", "seg", "base")
	// The same ID in B is another segment.
	bSeg := mkSeg(t, s, "B", "seg")

	_, err := s.GetSegment(ctx, "B", "base")
	wantErr(t, err, record.ErrNotFound, "B reads A's segment")
	_, err = s.GetSegmentVersion(ctx, "B", "base", 1)
	wantErr(t, err, record.ErrNotFound, "B reads A's version")
	_, err = s.UpdateSegment(ctx, store.Segment{AppID: "B", ID: "base", Name: "hijack"})
	wantErr(t, err, record.ErrNotFound, "B updates A's segment")
	wantErr(t, s.DeleteSegment(ctx, "B", "base"), record.ErrNotFound, "B deletes A's segment")
	_, err = s.CreateSegment(ctx, store.Segment{AppID: "B", ID: "x", Refs: []string{"base"}})
	wantErr(t, err, record.ErrNotFound, "B references A's segment")
	_, err = s.UpdateSegment(ctx, store.Segment{AppID: "B", ID: "seg", Refs: []string{"base"}})
	wantErr(t, err, record.ErrNotFound, "B's update references A's segment")
	if l := must(s.ListSegments(ctx, "B", "", 10)); !slices.Equal(segIDs(l), []string{"seg"}) {
		t.Fatalf("B lists %v", segIDs(l))
	}
	sameSegment(t, "A's base untouched", must(s.GetSegment(ctx, "A", "base")), aBase)
	sameSegment(t, "A's seg untouched", must(s.GetSegment(ctx, "A", "seg")), aSeg)
	sameSegment(t, "B's seg", must(s.GetSegment(ctx, "B", "seg")), bSeg)

	// B's versions are B's own: updating B's seg does not touch A's.
	b2 := must(s.UpdateSegment(ctx, store.Segment{AppID: "B", ID: "seg", Name: "b2"}))
	if b2.Version != 2 {
		t.Fatalf("B seg v = %d", b2.Version)
	}
	sameSegment(t, "A's seg after B update", must(s.GetSegment(ctx, "A", "seg")), aSeg)
	// A reference in A does not block a delete in B and vice versa.
	mkSeg(t, s, "B", "base")
	if err := s.DeleteSegment(ctx, "B", "base"); err != nil {
		t.Fatalf("B deletes its own base while A's seg references A's base: %v", err)
	}
	if err := s.DeleteSegment(ctx, "B", "seg"); err != nil {
		t.Fatal(err)
	}
	sameSegment(t, "A's seg after B delete", must(s.GetSegment(ctx, "A", "seg")), aSeg)
}

func testDelete(t *testing.T, s *SQL) {
	ctx := ctxT(t)
	mkApp(t, s, "shop")
	mkSeg(t, s, "shop", "base")
	must(s.UpdateSegment(ctx, store.Segment{AppID: "shop", ID: "base", Name: "v2"}))
	mkSeg(t, s, "shop", "r2", "base")
	mkSeg(t, s, "shop", "r1", "base")

	err := s.DeleteSegment(ctx, "shop", "base")
	wantErr(t, err, record.ErrConflict, "delete referenced")
	var re *store.ReferencedError
	if !errors.As(err, &re) || !slices.Equal(re.Referrers, []string{"r1", "r2"}) || re.ID != "base" {
		t.Fatalf("err = %v, want store.ReferencedError by r1, r2", err)
	}
	if !strings.Contains(err.Error(), `"r1"`) || !strings.Contains(err.Error(), `"r2"`) {
		t.Fatalf("error %q does not name the referrers", err)
	}
	if v := must(s.GetSegment(ctx, "shop", "base")); v.Version != 2 {
		t.Fatalf("base after refused delete: %+v", v)
	}

	// r1's current version stops referencing base; its version 1 still does,
	// which does not count.
	must(s.UpdateSegment(ctx, store.Segment{AppID: "shop", ID: "r1", Name: "no ref"}))
	err = s.DeleteSegment(ctx, "shop", "base")
	if !errors.As(err, &re) || !slices.Equal(re.Referrers, []string{"r2"}) {
		t.Fatalf("err = %v, want store.ReferencedError by r2 only", err)
	}
	if err := s.DeleteSegment(ctx, "shop", "r2"); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteSegment(ctx, "shop", "base"); err != nil {
		t.Fatalf("delete unreferenced: %v", err)
	}
	for _, v := range []int{1, 2} {
		_, err = s.GetSegmentVersion(ctx, "shop", "base", v)
		wantErr(t, err, record.ErrNotFound, fmt.Sprintf("deleted segment's version %d", v))
	}
	_, err = s.GetSegment(ctx, "shop", "base")
	wantErr(t, err, record.ErrNotFound, "deleted segment")
	wantErr(t, s.DeleteSegment(ctx, "shop", "base"), record.ErrNotFound, "delete twice")
	wantErr(t, s.DeleteSegment(ctx, "nope", "base"), record.ErrNotFound, "delete in unknown app")
	_, err = s.UpdateSegment(ctx, store.Segment{AppID: "shop", ID: "base", Name: "x"})
	wantErr(t, err, record.ErrNotFound, "update deleted")
	// r1's old version still names base and stays readable.
	if old := must(s.GetSegmentVersion(ctx, "shop", "r1", 1)); !slices.Equal(old.Refs, []string{"base"}) {
		t.Fatalf("r1 v1 refs = %v", old.Refs)
	}
	// The ID can be used again, from version 1, with none of the old versions.
	again := mkSeg(t, s, "shop", "base")
	if again.Version != 1 {
		t.Fatalf("recreated version %d", again.Version)
	}
	_, err = s.GetSegmentVersion(ctx, "shop", "base", 2)
	wantErr(t, err, record.ErrNotFound, "recreated segment's old version 2")
	if l := must(s.ListSegments(ctx, "shop", "", 10)); !slices.Equal(segIDs(l), []string{"base", "r1"}) {
		t.Fatalf("list after deletes: %v", segIDs(l))
	}
	// A chain: c references b references a. a cannot go before b.
	mkSeg(t, s, "shop", "a")
	mkSeg(t, s, "shop", "b", "a")
	mkSeg(t, s, "shop", "c", "b", "a")
	wantErr(t, s.DeleteSegment(ctx, "shop", "a"), record.ErrConflict, "delete a")
	wantErr(t, s.DeleteSegment(ctx, "shop", "b"), record.ErrConflict, "delete b")
	for _, id := range []string{"c", "b", "a"} {
		if err := s.DeleteSegment(ctx, "shop", id); err != nil {
			t.Fatalf("delete %s: %v", id, err)
		}
	}
}

func testTimestamps(t *testing.T, s *SQL) {
	ctx := ctxT(t)
	check := func(what string, ts time.Time) {
		t.Helper()
		if ts.Location() != time.UTC {
			t.Errorf("%s: location %v, want UTC", what, ts.Location())
		}
		if ts.Nanosecond()%1000 != 0 {
			t.Errorf("%s: %v has sub-microsecond digits", what, ts)
		}
		if d := time.Since(ts); d < -time.Second || d > time.Minute {
			t.Errorf("%s: %v is not now", what, ts)
		}
	}
	a := mkApp(t, s, "shop")
	check("store.App.CreatedAt (returned)", a.CreatedAt)
	check("store.App.CreatedAt (read)", must(s.GetApp(ctx, "shop")).CreatedAt)
	if err := s.CreateKey(ctx, store.Key{ID: "k", AppID: "shop", SecretHash: []byte{1}}); err != nil {
		t.Fatal(err)
	}
	check("store.Key.CreatedAt", must(s.GetKey(ctx, "k")).CreatedAt)
	seg := mkSeg(t, s, "shop", "s")
	check("store.Segment.CreatedAt", seg.CreatedAt)
	check("store.Segment.UpdatedAt", seg.UpdatedAt)
	read := must(s.GetSegment(ctx, "shop", "s"))
	check("store.Segment.CreatedAt (read)", read.CreatedAt)
	// Returned times equal read times to the microsecond, == not just Equal.
	if read.CreatedAt != seg.CreatedAt || read.UpdatedAt != seg.UpdatedAt {
		t.Errorf("read %v/%v, returned %v/%v", read.CreatedAt, read.UpdatedAt, seg.CreatedAt, seg.UpdatedAt)
	}
	for range 3 {
		time.Sleep(time.Millisecond)
		u := must(s.UpdateSegment(ctx, store.Segment{AppID: "shop", ID: "s", Name: "n"}))
		check("store.Segment.UpdatedAt (update)", u.UpdatedAt)
		if u.CreatedAt != seg.CreatedAt || !u.UpdatedAt.After(seg.UpdatedAt) {
			t.Errorf("update times %v/%v after %v/%v", u.CreatedAt, u.UpdatedAt, seg.CreatedAt, seg.UpdatedAt)
		}
		seg = u
	}
	// Every version keeps its own UpdatedAt and the segment's CreatedAt.
	v1 := must(s.GetSegmentVersion(ctx, "shop", "s", 1))
	if v1.UpdatedAt != v1.CreatedAt || v1.CreatedAt != seg.CreatedAt {
		t.Errorf("v1 times %v/%v", v1.CreatedAt, v1.UpdatedAt)
	}
}

func testLongText(t *testing.T, s *SQL) {
	ctx := ctxT(t)
	mkApp(t, s, "shop")
	tree := strings.Repeat(`{"op":"attr","name":"country","value":"JP"},`, 20000) // ~900 KB
	desc := strings.Repeat("d", 60000)
	seg := must(s.CreateSegment(ctx, store.Segment{AppID: "shop", ID: "big", Name: "big", Description: desc, Tree: tree}))
	got := must(s.GetSegment(ctx, "shop", "big"))
	if got.Tree != tree || got.Description != desc {
		t.Fatalf("long text: tree %d/%d bytes, description %d/%d", len(got.Tree), len(tree), len(got.Description), len(desc))
	}
	sameSegment(t, "big", got, seg)
	// Many references.
	var refs []string
	for i := range 300 {
		id := fmt.Sprintf("r%03d", i)
		mkSeg(t, s, "shop", id)
		refs = append(refs, id)
	}
	many := must(s.CreateSegment(ctx, store.Segment{AppID: "shop", ID: "many", Refs: refs}))
	if !slices.Equal(must(s.GetSegment(ctx, "shop", "many")).Refs, refs) || !slices.Equal(many.Refs, refs) {
		t.Fatal("300 refs not kept")
	}
}

func testCanceled(t *testing.T, s *SQL) {
	mkApp(t, s, "shop")
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := s.GetApp(ctx, "shop"); err == nil {
		t.Error("GetApp on a canceled context succeeded")
	}
	if _, err := s.CreateSegment(ctx, store.Segment{AppID: "shop", ID: "x"}); err == nil {
		t.Error("CreateSegment on a canceled context succeeded")
	}
	if _, err := s.GetSegment(context.Background(), "shop", "x"); !errors.Is(err, record.ErrNotFound) {
		t.Errorf("segment of a canceled create: %v", err)
	}
	// The store still works afterwards.
	mkSeg(t, s, "shop", "y")
}

func testConcurrentUpdates(t *testing.T, s *SQL) {
	ctx := ctxT(t)
	mkApp(t, s, "shop")
	mkSeg(t, s, "shop", "ref")
	mkSeg(t, s, "shop", "seg")
	const workers, each = 8, 10
	var mu sync.Mutex
	seen := map[int]string{}
	var wg sync.WaitGroup
	errs := make(chan error, workers*each)
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range each {
				name := fmt.Sprintf("w%d-%d", w, i)
				var refs []string
				if i%2 == 0 {
					refs = []string{"ref"}
				}
				u, err := s.UpdateSegment(ctx, store.Segment{AppID: "shop", ID: "seg", Name: name, Refs: refs})
				if err != nil {
					errs <- fmt.Errorf("%s: %w", name, err)
					return
				}
				mu.Lock()
				if prev, dup := seen[u.Version]; dup {
					errs <- fmt.Errorf("version %d given to %s and %s", u.Version, prev, name)
				}
				seen[u.Version] = name
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if t.Failed() {
		return
	}
	last := 1 + workers*each
	for v := 2; v <= last; v++ {
		name, ok := seen[v]
		if !ok {
			t.Fatalf("version %d never returned", v)
		}
		got := must(s.GetSegmentVersion(ctx, "shop", "seg", v))
		if got.Name != name {
			t.Fatalf("version %d is %q, returned to %q", v, got.Name, name)
		}
	}
	cur := must(s.GetSegment(ctx, "shop", "seg"))
	if cur.Version != last || cur.Name != seen[last] {
		t.Fatalf("current = v%d %q, want v%d %q", cur.Version, cur.Name, last, seen[last])
	}
	_, err := s.GetSegmentVersion(ctx, "shop", "seg", last+1)
	wantErr(t, err, record.ErrNotFound, "version past the last")
}

func testConcurrentCreates(t *testing.T, s *SQL) {
	ctx := ctxT(t)
	mkApp(t, s, "shop")
	const n = 8
	var wg sync.WaitGroup
	results := make([]error, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, results[i] = s.CreateSegment(ctx, store.Segment{AppID: "shop", ID: "same", Name: fmt.Sprint(i)})
		}()
	}
	wg.Wait()
	ok := 0
	for _, err := range results {
		switch {
		case err == nil:
			ok++
		case errors.Is(err, record.ErrConflict):
		default:
			t.Errorf("concurrent create: %v", err)
		}
	}
	if ok != 1 {
		t.Fatalf("%d of %d concurrent creates of one ID succeeded", ok, n)
	}
	if v := must(s.GetSegment(ctx, "shop", "same")); v.Version != 1 {
		t.Fatalf("version %d", v.Version)
	}
}

// testDeleteRace races DeleteSegment(target) against a create (or update)
// of another segment referencing target: exactly one wins, and never does a
// segment's current version end up referencing a deleted one.
func testDeleteRace(t *testing.T, s *SQL, update bool) {
	ctx := ctxT(t)
	mkApp(t, s, "shop")
	const rounds = 25
	outcomes := map[string]int{}
	for i := range rounds {
		target := fmt.Sprintf("target-%d", i)
		referrer := fmt.Sprintf("ref-%d", i)
		mkSeg(t, s, "shop", target)
		if update {
			mkSeg(t, s, "shop", referrer)
		}
		var delErr, refErr error
		var wg sync.WaitGroup
		start := make(chan struct{})
		wg.Add(2)
		go func() {
			defer wg.Done()
			<-start
			delErr = s.DeleteSegment(ctx, "shop", target)
		}()
		go func() {
			defer wg.Done()
			<-start
			seg := store.Segment{AppID: "shop", ID: referrer, Name: "r", Refs: []string{target}}
			if update {
				_, refErr = s.UpdateSegment(ctx, seg)
			} else {
				_, refErr = s.CreateSegment(ctx, seg)
			}
		}()
		close(start)
		wg.Wait()
		switch {
		case delErr == nil && errors.Is(refErr, record.ErrNotFound):
			var mr *store.MissingRefsError
			if !errors.As(refErr, &mr) || !slices.Equal(mr.IDs, []string{target}) {
				t.Fatalf("round %d: reference error %v does not name %s", i, refErr, target)
			}
			outcomes["delete first"]++
		case refErr == nil && errors.Is(delErr, record.ErrConflict):
			var re *store.ReferencedError
			if !errors.As(delErr, &re) || !slices.Equal(re.Referrers, []string{referrer}) {
				t.Fatalf("round %d: conflict %v does not name %s", i, delErr, referrer)
			}
			outcomes["reference first"]++
		default:
			t.Fatalf("round %d: delete: %v; reference: %v", i, delErr, refErr)
		}
		// The invariant, read back.
		_, targetErr := s.GetSegment(ctx, "shop", target)
		ref, err := s.GetSegment(ctx, "shop", referrer)
		if err == nil && slices.Contains(ref.Refs, target) && targetErr != nil {
			t.Fatalf("round %d: %s references deleted %s", i, referrer, target)
		}
	}
	t.Logf("outcomes over %d rounds: %v", rounds, outcomes)
}

// testCrossUpdates: two segments updated at once to reference each other
// (lock order A→B against B→A) both succeed, whatever the database does
// with the deadlock.
func testCrossUpdates(t *testing.T, s *SQL) {
	ctx := ctxT(t)
	mkApp(t, s, "shop")
	for i := range 10 {
		a, b := fmt.Sprintf("a%d", i), fmt.Sprintf("b%d", i)
		mkSeg(t, s, "shop", a)
		mkSeg(t, s, "shop", b)
		var wg sync.WaitGroup
		var errA, errB error
		wg.Add(2)
		go func() {
			defer wg.Done()
			_, errA = s.UpdateSegment(ctx, store.Segment{AppID: "shop", ID: a, Refs: []string{b}})
		}()
		go func() {
			defer wg.Done()
			_, errB = s.UpdateSegment(ctx, store.Segment{AppID: "shop", ID: b, Refs: []string{a}})
		}()
		wg.Wait()
		if errA != nil || errB != nil {
			t.Fatalf("round %d: %v / %v", i, errA, errB)
		}
		if ga, gb := must(s.GetSegment(ctx, "shop", a)), must(s.GetSegment(ctx, "shop", b)); ga.Version != 2 || gb.Version != 2 {
			t.Fatalf("round %d: versions %d, %d", i, ga.Version, gb.Version)
		}
	}
}

func countMigrations(t *testing.T, s *SQL) (rows, distinct int) {
	t.Helper()
	ctx := ctxT(t)
	if err := s.r.GetContext(ctx, &rows, `SELECT COUNT(*) FROM schema_migrations`); err != nil {
		t.Fatal(err)
	}
	if err := s.r.GetContext(ctx, &distinct, `SELECT COUNT(DISTINCT version) FROM schema_migrations`); err != nil {
		t.Fatal(err)
	}
	return rows, distinct
}

func testReopen(t *testing.T, dsn string) {
	ctx := ctxT(t)
	dialect := "sqlite"
	if strings.HasPrefix(dsn, "mysql://") {
		dialect = "mysql"
	}
	ms, err := loadMigrations(dialect)
	if err != nil {
		t.Fatal(err)
	}
	s1 := openDSN(t, dsn)
	mkApp(t, s1, "shop")
	seg := mkSeg(t, s1, "shop", "seg")
	if rows, _ := countMigrations(t, s1); rows != len(ms) {
		t.Fatalf("%d migration rows, want %d", rows, len(ms))
	}
	var appliedAt dbTime
	if err := s1.r.GetContext(ctx, &appliedAt, `SELECT applied_at FROM schema_migrations WHERE version = 1`); err != nil {
		t.Fatal(err)
	}
	if d := time.Since(appliedAt.Time); d < -time.Second || d > 5*time.Minute {
		t.Fatalf("applied_at %v", appliedAt.Time)
	}
	if err := s1.Close(); err != nil {
		t.Fatal(err)
	}
	// Again, through Migrate and Open: nothing applied twice, data kept.
	if err := Migrate(ctx, dsn); err != nil {
		t.Fatalf("Migrate on a migrated database: %v", err)
	}
	s2 := openDSN(t, dsn)
	s3 := openDSN(t, dsn) // two open at once
	if rows, distinct := countMigrations(t, s2); rows != len(ms) || distinct != len(ms) {
		t.Fatalf("after reopen: %d rows, %d versions, want %d", rows, distinct, len(ms))
	}
	sameSegment(t, "after reopen", must(s2.GetSegment(ctx, "shop", "seg")), seg)
	if _, err := s3.GetApp(ctx, "shop"); err != nil {
		t.Fatal(err)
	}
}

func testConcurrentMigrate(t *testing.T, dsn string) {
	ctx := ctxT(t)
	const n = 4
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = Migrate(ctx, dsn)
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("Migrate %d: %v", i, err)
		}
	}
	s := openDSN(t, dsn)
	ms, _ := loadMigrations(s.d.name)
	if rows, distinct := countMigrations(t, s); rows != len(ms) || distinct != len(ms) {
		t.Fatalf("after concurrent migrations: %d rows, %d versions, want %d", rows, distinct, len(ms))
	}
	mkApp(t, s, "shop")
	mkSeg(t, s, "shop", "seg")
}

// compactionSuite is part of the conformance suite: the state never moves
// back.
func compactionSuite(t *testing.T, s *SQL) {
	ctx := context.Background()
	if _, err := s.GetCompaction(ctx, "a"); !errors.Is(err, record.ErrNotFound) {
		t.Fatalf("before any compaction: %v", err)
	}
	day := func(s string) time.Time { d, _ := time.Parse(time.DateOnly, s); return d }
	if err := s.SetCompaction(ctx, store.Compaction{AppID: "a", Boundary: day("2026-10-20"), Cleaned: day("2026-10-18")}); err != nil {
		t.Fatal(err)
	}
	if err := s.SetCompaction(ctx, store.Compaction{AppID: "a", Boundary: day("2026-10-19"), Cleaned: day("2026-10-20")}); err != nil {
		t.Fatal(err)
	}
	c, err := s.GetCompaction(ctx, "a")
	if err != nil || !c.Boundary.Equal(day("2026-10-20")) || !c.Cleaned.Equal(day("2026-10-20")) {
		t.Fatalf("%+v %v", c, err)
	}
}
