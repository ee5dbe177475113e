package dataset

import (
	"encoding/json"
	"errors"
	"math"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/segmentd/segmentd/internal/record"
)

var (
	testAsOf = time.Date(2026, time.October, 28, 14, 30, 0, 0, time.UTC)
	testCfg  = Config{
		Users:    2000,
		Events:   40000,
		Seed:     7,
		Start:    testAsOf.AddDate(0, -14, 0),
		End:      testAsOf.AddDate(0, 0, 4),
		AsOf:     testAsOf,
		TimeZone: "Europe/Berlin",
	}
)

func TestGenerateIsDeterministic(t *testing.T) {
	a, b := Generate(testCfg), Generate(testCfg)
	if !reflect.DeepEqual(a, b) {
		t.Fatal("two runs with the same Config differ")
	}
	other := testCfg
	other.Seed++
	if reflect.DeepEqual(a, Generate(other)) {
		t.Fatal("another seed gives the same data")
	}
}

func TestGenerateShape(t *testing.T) {
	d := Generate(testCfg)
	if len(d.Users) != testCfg.Users || len(d.Events) != testCfg.Events {
		t.Fatalf("got %d users and %d events, want %d and %d", len(d.Users), len(d.Events), testCfg.Users, testCfg.Events)
	}
	users := map[string]record.User{}
	for i, u := range d.Users {
		if i > 0 && d.Users[i-1].UserID >= u.UserID {
			t.Fatalf("user IDs not in increasing byte order: %q then %q", d.Users[i-1].UserID, u.UserID)
		}
		if len(u.UserID) != 7 || !strings.HasPrefix(u.UserID, "u") {
			t.Fatalf("user ID %q is not u and six digits", u.UserID)
		}
		users[u.UserID] = u
	}
	ids := map[string]bool{}
	first, last := map[string]time.Time{}, map[string]time.Time{}
	for i, e := range d.Events {
		if _, ok := users[e.UserID]; !ok {
			t.Fatalf("event %s of unknown user %q", e.EventID, e.UserID)
		}
		if e.EventID == "" || ids[e.EventID] {
			t.Fatalf("event ID %q is empty or repeated", e.EventID)
		}
		ids[e.EventID] = true
		if e.Time.Location() != time.UTC || !e.Time.Equal(e.Time.Truncate(time.Millisecond)) {
			t.Fatalf("event %s: time %v is not UTC with millisecond precision", e.EventID, e.Time)
		}
		if e.Time.Before(testCfg.Start) || !e.Time.Before(testCfg.End) {
			t.Fatalf("event %s: time %v outside [Start, End)", e.EventID, e.Time)
		}
		if i > 0 && e.Time.Before(d.Events[i-1].Time) {
			t.Fatalf("events not in time order at %d", i)
		}
		if f, ok := first[e.UserID]; !ok || e.Time.Before(f) {
			first[e.UserID] = e.Time
		}
		if l, ok := last[e.UserID]; !ok || e.Time.After(l) {
			last[e.UserID] = e.Time
		}
	}
	for _, u := range d.Users {
		if f, ok := first[u.UserID]; ok && (!u.FirstSeen.Equal(f) || !u.LastSeen.Equal(last[u.UserID])) {
			t.Fatalf("user %s: first/last seen %v/%v, events span %v/%v", u.UserID, u.FirstSeen, u.LastSeen, f, last[u.UserID])
		}
		if u.FirstSeen.IsZero() || u.LastSeen.Before(u.FirstSeen) {
			t.Fatalf("user %s: first/last seen %v/%v", u.UserID, u.FirstSeen, u.LastSeen)
		}
	}
}

// TestGenerateValuesAreDecodedJSON checks that attributes and properties
// hold what encoding/json would decode, and that every number is a whole
// number, a half or (the weights, whose sums test the order of addition)
// a tenth.
func TestGenerateValuesAreDecodedJSON(t *testing.T) {
	d := Generate(testCfg)
	check := func(what string, m map[string]any) {
		b, err := json.Marshal(m)
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		var back map[string]any
		if err := json.Unmarshal(b, &back); err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		if !reflect.DeepEqual(m, back) {
			t.Fatalf("%s: %#v does not survive a JSON round trip", what, m)
		}
		walkJSON(m, func(v any) {
			if f, ok := v.(float64); ok && math.Round(f*10)/10 != f {
				t.Fatalf("%s: %v is not a whole number, a half or a tenth", what, f)
			}
		})
	}
	for _, u := range d.Users {
		check("user "+u.UserID, u.Attributes)
		for k, v := range u.Attributes {
			if _, nested := v.(map[string]any); nested && k != "address" {
				t.Fatalf("user %s: attribute %s is nested", u.UserID, k)
			}
		}
	}
	for _, e := range d.Events {
		check("event "+e.EventID, e.Properties)
	}
}

func walkJSON(v any, fn func(any)) {
	fn(v)
	switch v := v.(type) {
	case map[string]any:
		for _, x := range v {
			walkJSON(x, fn)
		}
	case []any:
		for _, x := range v {
			walkJSON(x, fn)
		}
	}
}

// TestGenerateEdgeCases checks that the data holds every awkward case the
// segment corpus relies on.
func TestGenerateEdgeCases(t *testing.T) {
	d := Generate(testCfg)
	loc, _ := time.LoadLocation(testCfg.TimeZone)
	has := map[string]int{}
	byUser := d.EventsByUser()
	for _, u := range d.Users {
		evs := byUser[u.UserID]
		if len(evs) == 0 {
			has["user without events"]++
		}
		if len(evs) > 200 {
			has["very active user"]++
		}
		if _, ok := u.Attributes["vip"]; !ok {
			has["missing attribute"]++
		} else if u.Attributes["vip"] == nil {
			has["null attribute"]++
		}
		if a, ok := u.Attributes["address"].(map[string]any); ok && a["city"] != nil {
			has["address.city"]++
		}
		if u.Attributes["nickname"] == Canary {
			has["canary attribute"]++
		}
		seen := map[string]bool{}
		for _, e := range evs {
			k := e.Name + e.Time.String()
			if seen[k] {
				has["equal times, same user and name"]++
			}
			seen[k] = true
		}
	}
	for _, e := range d.Events {
		if e.Time.After(testCfg.AsOf) {
			has["after as_of"]++
		}
		if e.Time.Equal(testCfg.AsOf) {
			has["at as_of"]++
		}
		if l := e.Time.In(loc); l.Month() == time.October && l.Day() == 25 && l.Year() == 2026 && (l.Hour() == 2 || l.Hour() == 1) {
			has["around the autumn DST change"]++
		}
		if l := e.Time.In(loc); l.Month() == time.March && l.Day() == 29 && l.Year() == 2026 && l.Hour() < 5 {
			has["around the spring DST change"]++
		}
		if e.Time.Equal(time.Date(2026, time.October, 26, 0, 0, 0, 0, loc).Add(-time.Millisecond)) ||
			e.Time.Equal(time.Date(2026, time.October, 26, 0, 0, 0, 0, loc)) {
			has["at a Monday midnight"]++
		}
		for k, v := range e.Properties {
			if v == nil {
				has["null property"]++
			}
			if v == Canary {
				has["canary property "+k]++
			}
		}
		if e.Name == "$buy" {
			items, _ := e.Properties["items"].([]any)
			for _, it := range items {
				switch it := it.(type) {
				case nil:
					has["null item"]++
				case map[string]any:
					switch it["price"].(type) {
					case nil:
						has["item without price"]++
					case string:
						has["price as a string"]++
					}
				}
			}
			if _, ok := e.Properties["coupon"]; !ok {
				has["buy without coupon"]++
			}
		}
	}
	want := []string{"user without events", "very active user", "missing attribute", "null attribute",
		"address.city", "canary attribute", "equal times, same user and name", "after as_of",
		"around the autumn DST change", "around the spring DST change", "at a Monday midnight",
		"null property", "canary property coupon", "null item", "item without price", "price as a string",
		"buy without coupon"}
	for _, w := range want {
		if has[w] == 0 {
			t.Errorf("no %s", w)
		}
	}
	if t.Failed() {
		t.Logf("found: %v", has)
	}
}

func TestGenerateEdges(t *testing.T) {
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for _, cfg := range []Config{
		{Users: 0, Events: 0, Start: start, End: start.Add(time.Hour)},
		{Users: 1, Events: 10, Start: start, End: start.Add(time.Hour)},
		{Users: 3, Events: 0, Start: start, End: start.AddDate(0, 1, 0)},
	} {
		d := Generate(cfg)
		if len(d.Users) != cfg.Users || len(d.Events) != cfg.Events {
			t.Errorf("%+v: got %d users, %d events", cfg, len(d.Users), len(d.Events))
		}
	}
	for _, cfg := range []Config{
		{Users: 0, Events: 1, Start: start, End: start.Add(time.Hour)},
		{Users: 1, Events: 1, Start: start, End: start},
		{Users: 1, Events: 1, Start: start, End: start.Add(time.Hour), TimeZone: "Nowhere/Land"},
	} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("%+v: no panic", cfg)
				}
			}()
			Generate(cfg)
		}()
	}
}

// BenchmarkGenerate makes the demo's size: 100,000 users and 2,000,000
// events. Run with -benchtime=1x.
func BenchmarkGenerate(b *testing.B) {
	cfg := Config{Users: 100_000, Events: 2_000_000, Seed: 1,
		Start: testAsOf.AddDate(-1, 0, 0), End: testAsOf.AddDate(0, 0, 2), AsOf: testAsOf, TimeZone: "Europe/Berlin"}
	for b.Loop() {
		d := Generate(cfg)
		if len(d.Events) != cfg.Events {
			b.Fatal(len(d.Events))
		}
	}
}

func TestEventIDsAreUnordered(t *testing.T) {
	d := Generate(testCfg)
	ids := make([]string, len(d.Events))
	for i, e := range d.Events {
		ids[i] = e.EventID
	}
	if slices.IsSorted(ids) {
		t.Fatal("event IDs follow time order: ties broken by event_id would equal ties broken by position")
	}
}

func TestGenerateChunks(t *testing.T) {
	if err := GenerateChunks(testCfg, testCfg.Users, func(d *Data) error {
		if !reflect.DeepEqual(d, Generate(testCfg)) {
			t.Error("a single chunk differs from Generate")
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}

	cfg := testCfg
	cfg.UserTimeZones, cfg.Zipf = true, 0.8
	users, events, chunks := 0, 0, 0
	lastUser, eventIDs := "", map[string]bool{}
	err := GenerateChunks(cfg, 300, func(d *Data) error {
		chunks++
		mine := map[string]bool{}
		for _, u := range d.Users {
			if u.UserID <= lastUser {
				t.Fatalf("user %s after %s", u.UserID, lastUser)
			}
			lastUser, mine[u.UserID] = u.UserID, true
		}
		for i, e := range d.Events {
			if !mine[e.UserID] || eventIDs[e.EventID] || (i > 0 && e.Time.Before(d.Events[i-1].Time)) {
				t.Fatalf("chunk %d: event %d (%s of %s) is another chunk's, repeated or out of time order", chunks, i, e.EventID, e.UserID)
			}
			eventIDs[e.EventID] = true
		}
		users, events = users+len(d.Users), events+len(d.Events)
		return nil
	})
	if err != nil || chunks != 7 || users != cfg.Users || events != cfg.Events {
		t.Fatalf("%d chunks of %d users and %d events in all (%v), want 7, %d and %d", chunks, users, events, err, cfg.Users, cfg.Events)
	}

	stop := errors.New("stop")
	chunks = 0
	if err := GenerateChunks(cfg, 300, func(*Data) error { chunks++; return stop }); err != stop || chunks != 1 {
		t.Fatalf("an error from fn: %v after %d chunks", err, chunks)
	}
}

// TestUserTimeZones checks that users live in several zones, start most
// sessions in their local daytime and evening, and often come back the
// same day.
func TestUserTimeZones(t *testing.T) {
	cfg := testCfg
	cfg.UserTimeZones = true
	d := Generate(cfg)
	zones, names := map[string]*time.Location{}, map[string]bool{}
	for _, u := range d.Users {
		name, _ := u.Attributes["timezone"].(string)
		loc, err := time.LoadLocation(name)
		if err != nil {
			t.Fatalf("user %s: timezone %q: %v", u.UserID, name, err)
		}
		zones[u.UserID], names[name] = loc, true
	}
	if len(names) < 5 {
		t.Fatalf("users live in %d time zones, want several", len(names))
	}
	night, evening, sessions := 0, 0, 0
	days := map[string]bool{}
	for _, e := range d.Events {
		if e.Name != "$session" {
			continue
		}
		sessions++
		local := e.Time.In(zones[e.UserID])
		days[e.UserID+local.Format(time.DateOnly)] = true
		switch h := local.Hour(); {
		case h >= 1 && h < 6:
			night++
		case h >= 18 && h < 23:
			evening++
		}
	}
	// hourShare gives 5% to the night and 37% to the evening; the sessions
	// at window boundaries and after AsOf keep their time.
	if night*100 > 10*sessions || evening*100 < 30*sessions {
		t.Fatalf("of %d sessions, %d start at night and %d in the evening, local time", sessions, night, evening)
	}
	// Half the sessions return to the day of the one before.
	if perDay := float64(sessions) / float64(len(days)); perDay < 1.5 {
		t.Fatalf("%.1f sessions a user's active day, want users who come back the same day", perDay)
	}
}

// TestZipf checks that Zipf activity has a heavier tail than the default:
// the most active 0.1% of users make a larger share of the events (about
// a fifth against 6%; the tail shows only with many users).
func TestZipf(t *testing.T) {
	lognormal := testCfg
	lognormal.Users, lognormal.Events = 20_000, 200_000
	zipf := lognormal
	zipf.Zipf = 0.8
	top := func(cfg Config) float64 {
		counts := []int{}
		for _, evs := range Generate(cfg).EventsByUser() {
			counts = append(counts, len(evs))
		}
		slices.Sort(counts)
		sum := 0
		for _, n := range counts[len(counts)-cfg.Users/1000:] {
			sum += n
		}
		return float64(sum) / float64(cfg.Events)
	}
	light, heavy := top(lognormal), top(zipf)
	t.Logf("the top 0.1%% of users make %.0f%% of the events (log-normal), %.0f%% (Zipf 0.8)", 100*light, 100*heavy)
	if heavy < 2*light {
		t.Fatal("Zipf's tail is not heavier")
	}
}
