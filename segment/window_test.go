package segment

import (
	"fmt"
	"testing"
	"time"
)

func last(n int64, unit byte) Window { return Window{Kind: WindowLast, Last: Duration{n, unit}} }
func cal(period string, offset int) Window {
	return Window{Kind: WindowCalendar, Period: period, Offset: offset}
}

func TestWindowResolve(t *testing.T) {
	cases := []struct {
		name     string
		zone     string
		asOf     string
		w        Window
		from     string // "" for no lower bound
		exclFrom bool
		until    string // "" for no bound but as_of
		hours    float64
	}{
		// UTC.
		{"last 7d", "UTC", "2026-03-10T12:00:00Z", last(7, 'd'), "2026-03-03T12:00:00Z", true, "", 0},
		{"last 90m", "UTC", "2026-03-10T12:00:00Z", last(90, 'm'), "2026-03-10T10:30:00Z", true, "", 0},
		{"last 2w", "UTC", "2026-03-10T12:00:00Z", last(2, 'w'), "2026-02-24T12:00:00Z", true, "", 0},
		{"last 12h keeps sub-second as_of", "UTC", "2026-03-10T12:00:00.25Z", last(12, 'h'), "2026-03-10T00:00:00.25Z", true, "", 0},
		{"day 0", "UTC", "2026-03-10T12:00:00Z", cal(PeriodDay, 0), "2026-03-10T00:00:00Z", false, "", 0},
		{"day 0 at midnight", "UTC", "2026-03-10T00:00:00Z", cal(PeriodDay, 0), "2026-03-10T00:00:00Z", false, "", 0},
		{"day -1", "UTC", "2026-03-10T12:00:00Z", cal(PeriodDay, -1), "2026-03-09T00:00:00Z", false, "2026-03-10T00:00:00Z", 24},
		{"day -10 across a month", "UTC", "2026-03-10T12:00:00Z", cal(PeriodDay, -10), "2026-02-28T00:00:00Z", false, "2026-03-01T00:00:00Z", 24},
		{"day -1000", "UTC", "2026-03-10T12:00:00Z", cal(PeriodDay, -1000), "2023-06-14T00:00:00Z", false, "2023-06-15T00:00:00Z", 24},
		{"day -1 on the first of January", "UTC", "2026-01-01T00:00:00Z", cal(PeriodDay, -1), "2025-12-31T00:00:00Z", false, "2026-01-01T00:00:00Z", 24},
		{"week 0 on a Tuesday", "UTC", "2026-03-10T12:00:00Z", cal(PeriodWeek, 0), "2026-03-09T00:00:00Z", false, "", 0},
		{"week 0 on a Sunday", "UTC", "2026-03-15T23:59:59Z", cal(PeriodWeek, 0), "2026-03-09T00:00:00Z", false, "", 0},
		{"week 0 on a Monday", "UTC", "2026-03-16T00:00:00Z", cal(PeriodWeek, 0), "2026-03-16T00:00:00Z", false, "", 0},
		{"week -1 on a Sunday", "UTC", "2026-03-15T12:00:00Z", cal(PeriodWeek, -1), "2026-03-02T00:00:00Z", false, "2026-03-09T00:00:00Z", 168},
		{"week -1 on a Monday", "UTC", "2026-03-16T00:00:00Z", cal(PeriodWeek, -1), "2026-03-09T00:00:00Z", false, "2026-03-16T00:00:00Z", 168},
		{"week 0 across a year", "UTC", "2026-01-01T12:00:00Z", cal(PeriodWeek, 0), "2025-12-29T00:00:00Z", false, "", 0},
		{"week -1 across a year", "UTC", "2026-01-01T12:00:00Z", cal(PeriodWeek, -1), "2025-12-22T00:00:00Z", false, "2025-12-29T00:00:00Z", 168},
		{"week -52", "UTC", "2026-03-10T12:00:00Z", cal(PeriodWeek, -52), "2025-03-10T00:00:00Z", false, "2025-03-17T00:00:00Z", 168},
		{"month 0", "UTC", "2026-03-10T12:00:00Z", cal(PeriodMonth, 0), "2026-03-01T00:00:00Z", false, "", 0},
		{"month -1 in January is December", "UTC", "2026-01-15T12:00:00Z", cal(PeriodMonth, -1), "2025-12-01T00:00:00Z", false, "2026-01-01T00:00:00Z", 31 * 24},
		{"month -13", "UTC", "2026-01-15T12:00:00Z", cal(PeriodMonth, -13), "2024-12-01T00:00:00Z", false, "2025-01-01T00:00:00Z", 31 * 24},
		{"month -12", "UTC", "2026-03-10T12:00:00Z", cal(PeriodMonth, -12), "2025-03-01T00:00:00Z", false, "2025-04-01T00:00:00Z", 31 * 24},
		{"month -1 on the 31st is February", "UTC", "2026-03-31T12:00:00Z", cal(PeriodMonth, -1), "2026-02-01T00:00:00Z", false, "2026-03-01T00:00:00Z", 28 * 24},
		{"month -1 in a leap year", "UTC", "2024-03-31T12:00:00Z", cal(PeriodMonth, -1), "2024-02-01T00:00:00Z", false, "2024-03-01T00:00:00Z", 29 * 24},
		{"month -2 from February", "UTC", "2026-02-28T12:00:00Z", cal(PeriodMonth, -2), "2025-12-01T00:00:00Z", false, "2026-01-01T00:00:00Z", 31 * 24},
		{"month -1000", "UTC", "2026-03-10T12:00:00Z", cal(PeriodMonth, -1000), "1942-11-01T00:00:00Z", false, "1942-12-01T00:00:00Z", 30 * 24},
		{"year 0", "UTC", "2026-03-10T12:00:00Z", cal(PeriodYear, 0), "2026-01-01T00:00:00Z", false, "", 0},
		{"year -1", "UTC", "2026-03-10T12:00:00Z", cal(PeriodYear, -1), "2025-01-01T00:00:00Z", false, "2026-01-01T00:00:00Z", 365 * 24},
		{"year -2 is a leap year", "UTC", "2026-03-10T12:00:00Z", cal(PeriodYear, -2), "2024-01-01T00:00:00Z", false, "2025-01-01T00:00:00Z", 366 * 24},
		{"range", "UTC", "2026-03-10T12:00:00Z", Window{Kind: WindowRange, Since: mustTime(t, "2026-01-01T00:00:00Z"), Until: mustTime(t, "2026-02-01T00:00:00Z")},
			"2026-01-01T00:00:00Z", false, "2026-02-01T00:00:00Z", 31 * 24},
		{"since only", "UTC", "2026-03-10T12:00:00Z", Window{Kind: WindowRange, Since: mustTime(t, "2026-01-01T00:00:00Z")}, "2026-01-01T00:00:00Z", false, "", 0},
		{"until only", "UTC", "2026-03-10T12:00:00Z", Window{Kind: WindowRange, Until: mustTime(t, "2026-02-01T00:00:00Z")}, "", false, "2026-02-01T00:00:00Z", 0},
		{"all", "UTC", "2026-03-10T12:00:00Z", Window{Kind: WindowAll}, "", false, "", 0},
		{"zero window is all", "UTC", "2026-03-10T12:00:00Z", Window{}, "", false, "", 0},

		// Fixed offsets: the local date decides.
		{"Tokyo day 0 after UTC midnight", "Asia/Tokyo", "2026-03-10T20:00:00Z", cal(PeriodDay, 0), "2026-03-10T15:00:00Z", false, "", 0},
		{"Tokyo month 0 on the first", "Asia/Tokyo", "2026-03-31T16:00:00Z", cal(PeriodMonth, 0), "2026-03-31T15:00:00Z", false, "", 0},
		{"Kolkata month 0 across a month", "Asia/Kolkata", "2026-03-31T20:00:00Z", cal(PeriodMonth, 0), "2026-03-31T18:30:00Z", false, "", 0},
		{"Kolkata year -1", "Asia/Kolkata", "2026-03-31T20:00:00Z", cal(PeriodYear, -1), "2024-12-31T18:30:00Z", false, "2025-12-31T18:30:00Z", 365 * 24},
		{"Chatham day -1", "Pacific/Chatham", "2026-07-01T00:00:00Z", cal(PeriodDay, -1), "2026-06-29T11:15:00Z", false, "2026-06-30T11:15:00Z", 24},

		// New York: EST -5, EDT -4; DST from 2026-03-08 02:00 to 2026-11-01 02:00.
		{"NY month 0 on New Year's Eve", "America/New_York", "2026-01-01T03:00:00Z", cal(PeriodMonth, 0), "2025-12-01T05:00:00Z", false, "", 0},
		{"NY day 0 on the spring change", "America/New_York", "2026-03-08T16:00:00Z", cal(PeriodDay, 0), "2026-03-08T05:00:00Z", false, "", 0},
		{"NY day of the spring change", "America/New_York", "2026-03-09T16:00:00Z", cal(PeriodDay, -1), "2026-03-08T05:00:00Z", false, "2026-03-09T04:00:00Z", 23},
		{"NY day of the autumn change", "America/New_York", "2026-11-02T17:00:00Z", cal(PeriodDay, -1), "2026-11-01T04:00:00Z", false, "2026-11-02T05:00:00Z", 25},
		{"NY day after the autumn change", "America/New_York", "2026-11-03T17:00:00Z", cal(PeriodDay, -1), "2026-11-02T05:00:00Z", false, "2026-11-03T05:00:00Z", 24},
		{"NY week of the spring change", "America/New_York", "2026-03-11T16:00:00Z", cal(PeriodWeek, -1), "2026-03-02T05:00:00Z", false, "2026-03-09T04:00:00Z", 167},
		{"NY week of the autumn change", "America/New_York", "2026-11-04T17:00:00Z", cal(PeriodWeek, -1), "2026-10-26T04:00:00Z", false, "2026-11-02T05:00:00Z", 169},
		{"NY week 0 on the Sunday of the change", "America/New_York", "2026-03-08T16:00:00Z", cal(PeriodWeek, 0), "2026-03-02T05:00:00Z", false, "", 0},
		{"NY March", "America/New_York", "2026-04-15T16:00:00Z", cal(PeriodMonth, -1), "2026-03-01T05:00:00Z", false, "2026-04-01T04:00:00Z", 743},
		{"NY November", "America/New_York", "2026-12-10T17:00:00Z", cal(PeriodMonth, -1), "2026-11-01T04:00:00Z", false, "2026-12-01T05:00:00Z", 721},
		{"NY year 2026", "America/New_York", "2027-02-01T17:00:00Z", cal(PeriodYear, -1), "2026-01-01T05:00:00Z", false, "2027-01-01T05:00:00Z", 8760},
		{"NY last 24h is exact across the change", "America/New_York", "2026-03-08T16:00:00Z", last(24, 'h'), "2026-03-07T16:00:00Z", true, "", 0},
		{"NY last 1d is exact across the change", "America/New_York", "2026-03-08T16:00:00Z", last(1, 'd'), "2026-03-07T16:00:00Z", true, "", 0},

		// Berlin: CET +1, CEST +2; DST from 2026-03-29 02:00 to 2026-10-25 03:00.
		{"Berlin day 0 after the gap", "Europe/Berlin", "2026-03-29T01:30:00Z", cal(PeriodDay, 0), "2026-03-28T23:00:00Z", false, "", 0},
		{"Berlin day of the spring change", "Europe/Berlin", "2026-03-30T10:00:00Z", cal(PeriodDay, -1), "2026-03-28T23:00:00Z", false, "2026-03-29T22:00:00Z", 23},
		{"Berlin day of the autumn change", "Europe/Berlin", "2026-10-26T11:00:00Z", cal(PeriodDay, -1), "2026-10-24T22:00:00Z", false, "2026-10-25T23:00:00Z", 25},
		{"Berlin week of the spring change", "Europe/Berlin", "2026-04-01T10:00:00Z", cal(PeriodWeek, -1), "2026-03-22T23:00:00Z", false, "2026-03-29T22:00:00Z", 167},
		{"Berlin week of the autumn change", "Europe/Berlin", "2026-10-28T11:00:00Z", cal(PeriodWeek, -1), "2026-10-18T22:00:00Z", false, "2026-10-25T23:00:00Z", 169},
		{"Berlin week 0 on the Sunday of the change", "Europe/Berlin", "2026-03-29T10:00:00Z", cal(PeriodWeek, 0), "2026-03-22T23:00:00Z", false, "", 0},
		{"Berlin week -2 before the change", "Europe/Berlin", "2026-04-01T10:00:00Z", cal(PeriodWeek, -2), "2026-03-15T23:00:00Z", false, "2026-03-22T23:00:00Z", 168},
		{"Berlin March", "Europe/Berlin", "2026-04-01T10:00:00Z", cal(PeriodMonth, -1), "2026-02-28T23:00:00Z", false, "2026-03-31T22:00:00Z", 743},
		{"Berlin October", "Europe/Berlin", "2026-11-01T10:00:00Z", cal(PeriodMonth, -1), "2026-09-30T22:00:00Z", false, "2026-10-31T23:00:00Z", 745},

		// Midnight changes: America/Santiago (-04/-03) skips 2026-09-06
		// 00:00-01:00 and repeats 2026-04-04 23:00-24:00; America/Havana
		// (CST/CDT) skips 2026-03-08 00:00-01:00 and repeats 2026-11-01
		// 00:00-01:00. A day starts at its first instant.
		{"Santiago day 0 on the skipped midnight", "America/Santiago", "2026-09-06T15:00:00Z", cal(PeriodDay, 0), "2026-09-06T04:00:00Z", false, "", 0},
		{"Santiago day of the spring change", "America/Santiago", "2026-09-07T15:00:00Z", cal(PeriodDay, -1), "2026-09-06T04:00:00Z", false, "2026-09-07T03:00:00Z", 23},
		{"Santiago day before the spring change", "America/Santiago", "2026-09-06T15:00:00Z", cal(PeriodDay, -1), "2026-09-05T04:00:00Z", false, "2026-09-06T04:00:00Z", 24},
		{"Santiago day before the autumn change", "America/Santiago", "2026-04-05T16:00:00Z", cal(PeriodDay, -1), "2026-04-04T03:00:00Z", false, "2026-04-05T04:00:00Z", 25},
		{"Santiago week of the spring change", "America/Santiago", "2026-09-08T15:00:00Z", cal(PeriodWeek, -1), "2026-08-31T04:00:00Z", false, "2026-09-07T03:00:00Z", 167},
		{"Havana day 0 on the skipped midnight", "America/Havana", "2026-03-08T16:00:00Z", cal(PeriodDay, 0), "2026-03-08T05:00:00Z", false, "", 0},
		{"Havana day of the spring change", "America/Havana", "2026-03-09T16:00:00Z", cal(PeriodDay, -1), "2026-03-08T05:00:00Z", false, "2026-03-09T04:00:00Z", 23},
		{"Havana day before the spring change", "America/Havana", "2026-03-08T16:00:00Z", cal(PeriodDay, -1), "2026-03-07T05:00:00Z", false, "2026-03-08T05:00:00Z", 24},
		{"Havana day of the autumn change", "America/Havana", "2026-11-02T17:00:00Z", cal(PeriodDay, -1), "2026-11-01T04:00:00Z", false, "2026-11-02T05:00:00Z", 25},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			loc := mustLoad(t, c.zone)
			asOf := mustTime(t, c.asOf)
			// as_of may come in any location; the bounds are the same.
			for _, at := range []time.Time{asOf, asOf.In(loc), asOf.In(time.FixedZone("x", -7*3600))} {
				b := c.w.Resolve(at, loc)
				if !b.AsOf.Equal(asOf) {
					t.Errorf("AsOf = %v, want %v", b.AsOf, asOf)
				}
				checkInstant(t, "From", b.From, c.from)
				checkInstant(t, "Until", b.Until, c.until)
				if b.FromExclusive != c.exclFrom {
					t.Errorf("FromExclusive = %v, want %v", b.FromExclusive, c.exclFrom)
				}
				for name, tm := range map[string]time.Time{"From": b.From, "Until": b.Until, "AsOf": b.AsOf} {
					if !tm.IsZero() && tm.Location() != time.UTC {
						t.Errorf("%s is in %v, not UTC", name, tm.Location())
					}
				}
				if c.hours != 0 {
					if got := b.Until.Sub(b.From).Hours(); got != c.hours {
						t.Errorf("the period lasts %v hours, want %v", got, c.hours)
					}
				}
			}
		})
	}
}

func checkInstant(t *testing.T, name string, got time.Time, want string) {
	t.Helper()
	if want == "" {
		if !got.IsZero() {
			t.Errorf("%s = %v, want none", name, got)
		}
		return
	}
	if w := mustTime(t, want); !got.Equal(w) {
		t.Errorf("%s = %v, want %v", name, got.UTC(), w)
	}
}

func TestBoundsContains(t *testing.T) {
	asOf := mustTime(t, "2026-03-10T12:00:00Z")
	ns := time.Nanosecond
	type probe struct {
		at   time.Time
		want bool
	}
	cases := []struct {
		name   string
		w      Window
		probes func(b Bounds) []probe
	}{
		{"last is exclusive below, inclusive at as_of", last(7, 'd'), func(b Bounds) []probe {
			return []probe{{b.From.Add(-ns), false}, {b.From, false}, {b.From.Add(ns), true}, {b.From.Add(time.Microsecond), true},
				{asOf.Add(-ns), true}, {asOf, true}, {asOf.Add(ns), false}, {asOf.Add(time.Hour), false}}
		}},
		{"calendar offset 0 ends at as_of", cal(PeriodDay, 0), func(b Bounds) []probe {
			return []probe{{b.From.Add(-ns), false}, {b.From, true}, {asOf, true}, {asOf.Add(ns), false},
				{mustTime(t, "2026-03-10T23:59:59Z"), false}} // later the same day, but after as_of
		}},
		{"calendar offset -1 is half-open", cal(PeriodWeek, -1), func(b Bounds) []probe {
			return []probe{{b.From.Add(-ns), false}, {b.From, true}, {b.Until.Add(-ns), true}, {b.Until, false}, {asOf, false}}
		}},
		{"range is half-open", Window{Kind: WindowRange, Since: mustTime(t, "2026-01-01T00:00:00Z"), Until: mustTime(t, "2026-02-01T00:00:00Z")}, func(b Bounds) []probe {
			return []probe{{b.From.Add(-ns), false}, {b.From, true}, {b.Until.Add(-ns), true}, {b.Until, false}, {asOf, false}}
		}},
		{"range until after as_of stops at as_of", Window{Kind: WindowRange, Since: mustTime(t, "2026-03-01T00:00:00Z"), Until: mustTime(t, "2027-01-01T00:00:00Z")}, func(Bounds) []probe {
			return []probe{{asOf, true}, {asOf.Add(ns), false}, {mustTime(t, "2026-12-31T00:00:00Z"), false}}
		}},
		{"range since after as_of holds nothing", Window{Kind: WindowRange, Since: mustTime(t, "2026-04-01T00:00:00Z")}, func(Bounds) []probe {
			return []probe{{asOf, false}, {mustTime(t, "2026-04-01T00:00:00Z"), false}, {mustTime(t, "2026-05-01T00:00:00Z"), false}}
		}},
		{"until only", Window{Kind: WindowRange, Until: mustTime(t, "2026-02-01T00:00:00Z")}, func(b Bounds) []probe {
			return []probe{{mustTime(t, "1970-01-01T00:00:00Z"), true}, {b.Until.Add(-ns), true}, {b.Until, false}}
		}},
		{"all", Window{Kind: WindowAll}, func(Bounds) []probe {
			return []probe{{time.Time{}, true}, {mustTime(t, "1900-01-01T00:00:00Z"), true}, {asOf, true}, {asOf.Add(ns), false},
				{mustTime(t, "2100-01-01T00:00:00Z"), false}}
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			b := c.w.Resolve(asOf, time.UTC)
			for _, p := range c.probes(b) {
				if got := b.Contains(p.at); got != p.want {
					t.Errorf("Contains(%v) = %v, want %v (bounds %+v)", p.at.UTC().Format(time.RFC3339Nano), got, p.want, b)
				}
				// The location of the event time does not matter.
				if got := b.Contains(p.at.In(time.FixedZone("y", 5*3600))); got != p.want {
					t.Errorf("Contains(%v in +05:00) = %v, want %v", p.at, got, p.want)
				}
			}
		})
	}
}

// TestCalendarPeriodsTile checks, in zones with every kind of DST change,
// on every day of several years and at several hours, that calendar
// periods are what they should be: the period containing t starts at the
// first instant of its local day, at or before t; it ends where the next
// begins; the previous one ends where it begins; and weeks start on Monday.
func TestCalendarPeriodsTile(t *testing.T) {
	zones := []string{"UTC", "Europe/Berlin", "America/New_York", "America/Santiago", "America/Havana",
		"Asia/Beirut", "Africa/Cairo", "Asia/Tokyo", "Asia/Kolkata", "Australia/Lord_Howe", "Pacific/Chatham",
		"America/St_Johns", "Asia/Tehran", "America/Asuncion", "Europe/London", "Australia/Sydney", "America/Sao_Paulo",
		"Asia/Gaza", "Asia/Amman", "Antarctica/Vostok"} // midnight repeated: Gaza 2020-10-24, Amman 2019-10-25, Vostok 2023-12-18
	years := []int{2016, 2019, 2020, 2023, 2024, 2025, 2026, 2027}
	hours := []int{0, 1, 2, 3, 12, 23}
	for _, zone := range zones {
		loc := mustLoad(t, zone)
		failures := 0
		fail := func(format string, args ...any) {
			t.Helper()
			if failures++; failures <= 10 {
				t.Errorf(zone+": "+format, args...)
			}
		}
		for _, y := range years {
			for d := time.Date(y, 1, 1, 12, 0, 0, 0, time.UTC); d.Year() == y; d = d.AddDate(0, 0, 1) {
				for _, h := range hours {
					// An instant near local hour h of that date (a skipped
					// hour lands just after the gap).
					at := time.Date(d.Year(), d.Month(), d.Day(), h, 30, 0, 0, loc)
					for _, p := range []string{PeriodDay, PeriodWeek, PeriodMonth, PeriodYear} {
						start := PeriodStart(at, loc, p, 0)
						next := PeriodStart(at, loc, p, 1)
						prev := PeriodStart(at, loc, p, -1)
						where := fmt.Sprintf("%s %s offset 0 at %s", p, at.Format(time.RFC3339), start.In(loc).Format(time.RFC3339))
						if start.After(at) || !next.After(at) || !prev.Before(start) {
							fail("%s: %v <= %v < %v does not hold (prev %v)", where, start, at, next, prev)
							continue
						}
						if got := PeriodStart(start, loc, p, 0); !got.Equal(start) {
							fail("%s: the period of its own start begins at %v", where, got)
						}
						if got := PeriodStart(start.Add(-time.Nanosecond), loc, p, 0); !got.Equal(prev) {
							fail("%s: the period before its start begins at %v, want %v", where, got, prev)
						}
						if got := PeriodStart(next.Add(-time.Nanosecond), loc, p, 0); !got.Equal(start) {
							fail("%s: the period's last instant is in a period starting at %v", where, got)
						}
						// The start is the first instant of a local date:
						// the instant before it is on another date.
						sy, sm, sd := start.In(loc).Date()
						py, pm, pd := start.Add(-time.Nanosecond).In(loc).Date()
						if sy == py && sm == pm && sd == pd {
							fail("%s: the start is not the first instant of its day", where)
						}
						ay, am, ad := at.In(loc).Date()
						switch p {
						case PeriodDay:
							if sy != ay || sm != am || sd != ad {
								fail("%s: the day starts on another date", where)
							}
						case PeriodWeek:
							if wd := start.In(loc).Weekday(); wd != time.Monday {
								fail("%s: the week starts on %v", where, wd)
							}
							if h := next.Sub(start).Hours(); h < 166 || h > 170 {
								fail("%s: the week lasts %v hours", where, h)
							}
						case PeriodMonth:
							if sy != ay || sm != am || sd != 1 {
								fail("%s: the month starts on %d-%d-%d", where, sy, sm, sd)
							}
						case PeriodYear:
							if sy != ay || sm != 1 || sd != 1 {
								fail("%s: the year starts on %d-%d-%d", where, sy, sm, sd)
							}
						}
					}
				}
			}
		}
	}
}

// TestPeriodStartOffsets checks that offset n is n steps of offset -1.
func TestPeriodStartOffsets(t *testing.T) {
	for _, zone := range []string{"UTC", "Europe/Berlin", "America/Santiago"} {
		loc := mustLoad(t, zone)
		at := time.Date(2026, 3, 31, 12, 0, 0, 0, loc)
		for _, p := range []string{PeriodDay, PeriodWeek, PeriodMonth, PeriodYear} {
			cur := PeriodStart(at, loc, p, 0)
			for off := -1; off >= -400; off-- {
				step := PeriodStart(cur.Add(-time.Nanosecond), loc, p, 0)
				if got := PeriodStart(at, loc, p, off); !got.Equal(step) {
					t.Fatalf("%s %s offset %d = %v, want %v", zone, p, off, got.In(loc), step.In(loc))
				}
				cur = step
			}
		}
	}
}
