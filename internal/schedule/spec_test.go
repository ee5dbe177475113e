package schedule

import (
	"errors"
	"testing"
	"time"
)

func mustLoc(t *testing.T, name string) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation(name)
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

func mustSpec(t *testing.T, raw string) *Spec {
	t.Helper()
	s, err := Parse([]byte(raw))
	if err != nil || s == nil {
		t.Fatalf("Parse(%s) = %v, %v", raw, s, err)
	}
	return s
}

func utc(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return t
}

func TestEverySlots(t *testing.T) {
	s := mustSpec(t, `{"every":"1h"}`)
	tokyo := mustLoc(t, "Asia/Tokyo")
	if got := s.Next(utc("2026-05-01T10:17:00Z"), tokyo); !got.Equal(utc("2026-05-01T11:00:00Z")) {
		t.Errorf("Next = %v", got)
	}
	if got := s.Next(utc("2026-05-01T11:00:00Z"), tokyo); !got.Equal(utc("2026-05-01T12:00:00Z")) {
		t.Errorf("Next of a slot = %v, want the one after", got)
	}
	if got := s.Latest(utc("2026-05-01T10:17:00Z"), tokyo); !got.Equal(utc("2026-05-01T10:00:00Z")) {
		t.Errorf("Latest = %v", got)
	}
	if got := s.Latest(utc("2026-05-01T10:00:00Z"), tokyo); !got.Equal(utc("2026-05-01T10:00:00Z")) {
		t.Errorf("Latest at a slot = %v", got)
	}
	d := mustSpec(t, `{"every":"1d"}`) // elapsed time: UTC midnights
	if got := d.Latest(utc("2026-05-01T10:17:00Z"), tokyo); !got.Equal(utc("2026-05-01T00:00:00Z")) {
		t.Errorf("1d Latest = %v", got)
	}
}

func TestCronSlots(t *testing.T) {
	tokyo := mustLoc(t, "Asia/Tokyo")
	s := mustSpec(t, `{"cron":"0 6 * * *"}`)
	// 06:00 in Tokyo is 21:00 UTC the day before.
	if got := s.Next(utc("2026-05-01T10:00:00Z"), tokyo); !got.Equal(utc("2026-05-01T21:00:00Z")) {
		t.Errorf("Next = %v", got)
	}
	if got := s.Latest(utc("2026-05-01T10:00:00Z"), tokyo); !got.Equal(utc("2026-04-30T21:00:00Z")) {
		t.Errorf("Latest = %v", got)
	}
	// Mondays and Thursdays at 09:15 and 17:15, UTC.
	w := mustSpec(t, `{"cron":"15 9,17 * * mon,4"}`)
	got := []time.Time{}
	at := utc("2026-05-01T00:00:00Z") // a Friday
	for range 4 {
		at = w.Next(at, time.UTC)
		got = append(got, at)
	}
	want := []string{"2026-05-04T09:15:00Z", "2026-05-04T17:15:00Z", "2026-05-07T09:15:00Z", "2026-05-07T17:15:00Z"}
	for i := range want {
		if !got[i].Equal(utc(want[i])) {
			t.Errorf("slot %d = %v, want %s", i, got[i], want[i])
		}
	}
	// Both day fields restricted: either matches (the 1st, or Sundays).
	o := mustSpec(t, `{"cron":"0 0 1 * sun"}`)
	if got := o.Next(utc("2026-05-01T00:00:00Z"), time.UTC); !got.Equal(utc("2026-05-03T00:00:00Z")) {
		t.Errorf("dom or dow Next = %v", got)
	}
	// Steps and ranges.
	st := mustSpec(t, `{"cron":"*/20 8-9 * * *"}`)
	if got := st.Next(utc("2026-05-01T09:40:00Z"), time.UTC); !got.Equal(utc("2026-05-02T08:00:00Z")) {
		t.Errorf("step Next = %v", got)
	}
	// 29 February.
	f := mustSpec(t, `{"cron":"0 0 29 2 *"}`)
	if got := f.Next(utc("2026-05-01T00:00:00Z"), time.UTC); !got.Equal(utc("2028-02-29T00:00:00Z")) {
		t.Errorf("29 Feb Next = %v", got)
	}
}

// TestCronDSTSpringForward: on a day that skips 02:30, a 02:30 schedule
// runs once, at the first instant after the gap (03:00 local).
func TestCronDSTSpringForward(t *testing.T) {
	for _, c := range []struct {
		zone, before, gapEnd, nextDay string
	}{
		// New York, 8 March 2026: 02:00 EST → 03:00 EDT.
		{"America/New_York", "2026-03-07T12:00:00Z", "2026-03-08T07:00:00Z", "2026-03-09T06:30:00Z"},
		// Berlin, 29 March 2026: 02:00 CET → 03:00 CEST.
		{"Europe/Berlin", "2026-03-28T12:00:00Z", "2026-03-29T01:00:00Z", "2026-03-30T00:30:00Z"},
	} {
		loc := mustLoc(t, c.zone)
		s := mustSpec(t, `{"cron":"30 2 * * *"}`)
		first := s.Next(utc(c.before), loc)
		if !first.Equal(utc(c.gapEnd)) {
			t.Errorf("%s: slot on the spring-forward day = %v, want %s", c.zone, first.UTC(), c.gapEnd)
		}
		if first.In(loc).Hour() != 3 || first.In(loc).Minute() != 0 {
			t.Errorf("%s: slot at %v local, want 03:00", c.zone, first.In(loc))
		}
		if second := s.Next(first, loc); !second.Equal(utc(c.nextDay)) {
			t.Errorf("%s: next slot = %v, want %s (once that day)", c.zone, second.UTC(), c.nextDay)
		}
		if l := s.Latest(first.Add(time.Minute), loc); !l.Equal(first) {
			t.Errorf("%s: Latest after the gap = %v, want %v", c.zone, l, first)
		}
		// Every half hour of the skipped hour: both collapse into one slot.
		h := mustSpec(t, `{"cron":"0,30 2 * * *"}`)
		a := h.Next(utc(c.before), loc)
		b := h.Next(a, loc)
		if !a.Equal(utc(c.gapEnd)) || b.Sub(a) < 20*time.Hour {
			t.Errorf("%s: skipped slots %v then %v, want one at %s", c.zone, a, b, c.gapEnd)
		}
	}
}

// TestCronDSTFallBack: on a day that repeats 01:30, a 01:30 schedule runs
// once, at the first occurrence.
func TestCronDSTFallBack(t *testing.T) {
	for _, c := range []struct {
		zone, before, first, nextDay string
	}{
		// New York, 1 November 2026: 02:00 EDT → 01:00 EST.
		{"America/New_York", "2026-10-31T12:00:00Z", "2026-11-01T05:30:00Z", "2026-11-02T06:30:00Z"},
		// Berlin, 25 October 2026: 03:00 CEST → 02:00 CET (02:30 repeats).
		{"Europe/Berlin", "2026-10-24T12:00:00Z", "2026-10-25T00:30:00Z", "2026-10-26T01:30:00Z"},
	} {
		loc := mustLoc(t, c.zone)
		cron := `{"cron":"30 1 * * *"}`
		if c.zone == "Europe/Berlin" {
			cron = `{"cron":"30 2 * * *"}`
		}
		s := mustSpec(t, cron)
		first := s.Next(utc(c.before), loc)
		if !first.Equal(utc(c.first)) {
			t.Errorf("%s: slot on the fall-back day = %v, want %s (the first occurrence)", c.zone, first.UTC(), c.first)
		}
		if second := s.Next(first, loc); !second.Equal(utc(c.nextDay)) {
			t.Errorf("%s: next slot = %v, want %s (not the repeated hour)", c.zone, second.UTC(), c.nextDay)
		}
		// An instant in the repeated hour, after the first occurrence:
		// the latest slot is that first occurrence.
		if l := s.Latest(first.Add(90*time.Minute), loc); !l.Equal(first) {
			t.Errorf("%s: Latest in the repeated hour = %v, want %v", c.zone, l.UTC(), first.UTC())
		}
	}
}

func TestParseProblems(t *testing.T) {
	for raw, path := range map[string]string{
		`{"every":"1s"}`:                    "/every",
		`{"every":"4m"}`:                    "/every",
		`{"every":"0h"}`:                    "/every",
		`{"every":"53w"}`:                   "/every",
		`{"every":5}`:                       "/every",
		`{"cron":"0 6 * *"}`:                "/cron",
		`{"cron":"60 6 * * *"}`:             "/cron",
		`{"cron":"0 6 31 2 *"}`:             "/cron",
		`{"cron":"*/0 * * * *"}`:            "/cron",
		`{"cron":"0 6 * * *","x":1}`:        "/x",
		`{}`:                                "",
		`"daily"`:                           "",
		`{"every":"1h","cron":"0 6 * * *"}`: "/cron",
	} {
		_, err := Parse([]byte(raw))
		var e *Error
		if !errors.As(err, &e) || len(e.Problems) == 0 || e.Problems[0].Path != path {
			t.Errorf("Parse(%s) = %v, want a problem at %q", raw, err, path)
		}
	}
	for _, raw := range []string{``, `null`} {
		if s, err := Parse([]byte(raw)); s != nil || err != nil {
			t.Errorf("Parse(%q) = %v, %v, want no schedule", raw, s, err)
		}
	}
	if s := mustSpec(t, `{"cron":" 0  6 * * SUN "}`); s.String() != `{"cron":"0 6 * * SUN"}` {
		t.Errorf("canonical = %s", s)
	}
	if s := mustSpec(t, `{"every":"90m"}`); s.String() != `{"every":"90m"}` || s.Every != 90*time.Minute {
		t.Errorf("every = %s %v", s, s.Every)
	}
}
