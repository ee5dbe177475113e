package segment

import "time"

// WindowKind says which form of window a tree used.
type WindowKind uint8

// The window forms of the spec. WindowAll is also the default.
const (
	WindowAll WindowKind = iota
	WindowLast
	WindowCalendar
	WindowRange
)

// Calendar periods.
const (
	PeriodDay   = "day"
	PeriodWeek  = "week"
	PeriodMonth = "month"
	PeriodYear  = "year"
)

// Window selects events by time. Every window also ends at as_of.
type Window struct {
	Kind WindowKind
	// Last is the span of a WindowLast.
	Last Duration
	// Period and Offset describe a WindowCalendar (Offset <= 0).
	Period string
	Offset int
	// Since and Until bound a WindowRange; either may be zero.
	Since, Until time.Time
}

// Bounds is a window resolved at an as_of in a time zone: the events it
// counts are those with From <= time (or From < time when FromExclusive),
// time < Until when Until is set, and always time <= AsOf.
type Bounds struct {
	From          time.Time // zero: unbounded below
	FromExclusive bool
	Until         time.Time // zero: no bound but AsOf
	AsOf          time.Time
}

// Contains reports whether an event at t falls in the bounds.
func (b Bounds) Contains(t time.Time) bool {
	if t.After(b.AsOf) {
		return false
	}
	if !b.From.IsZero() {
		if t.Before(b.From) || (b.FromExclusive && t.Equal(b.From)) {
			return false
		}
	}
	return b.Until.IsZero() || t.Before(b.Until)
}

// Resolve turns the window into absolute bounds at asOf, with calendar
// periods taken in loc (the app's time zone).
func (w Window) Resolve(asOf time.Time, loc *time.Location) Bounds {
	b := Bounds{AsOf: asOf.UTC()}
	switch w.Kind {
	case WindowLast:
		b.From, b.FromExclusive = asOf.Add(-w.Last.Std()).UTC(), true
	case WindowCalendar:
		start := PeriodStart(asOf, loc, w.Period, w.Offset)
		b.From = start.UTC()
		if w.Offset < 0 {
			b.Until = PeriodStart(asOf, loc, w.Period, w.Offset+1).UTC()
		}
	case WindowRange:
		b.From, b.Until = w.Since, w.Until
	}
	return b
}

// PeriodStart returns the first instant of the calendar period that is
// offset periods from the one containing t, in loc. Weeks are ISO weeks,
// starting on Monday. Periods start at local midnight; where a DST change
// skips midnight, at the first instant of the day that exists.
func PeriodStart(t time.Time, loc *time.Location, period string, offset int) time.Time {
	l := t.In(loc)
	y, m, d := l.Date()
	switch period {
	case PeriodDay:
		return startOfDay(y, m, d+offset, loc)
	case PeriodWeek:
		sinceMonday := (int(l.Weekday()) + 6) % 7
		return startOfDay(y, m, d-sinceMonday+7*offset, loc)
	case PeriodMonth:
		return startOfDay(y, m+time.Month(offset), 1, loc)
	default: // PeriodYear; decoding admits no other period
		return startOfDay(y+offset, 1, 1, loc)
	}
}

// startOfDay returns the first instant of the local date y-m-d (normalized
// as time.Date normalizes it) in loc.
func startOfDay(y int, m time.Month, d int, loc *time.Location) time.Time {
	start := time.Date(y, m, d, 0, 0, 0, 0, loc)
	wy, wm, wd := time.Date(y, m, d, 0, 0, 0, 0, time.UTC).Date()
	isMidnight := func(t time.Time) bool {
		ty, tm, td := t.Date()
		return ty == wy && tm == wm && td == wd && t.Hour() == 0 && t.Minute() == 0 && t.Second() == 0
	}
	// Where a DST change skips midnight, time.Date may give an instant of
	// the day before (it does in zones west of UTC, e.g. America/Santiago:
	// 23:00 -04 for the missing 00:00 -03). The day then begins when the
	// zone changes.
	if sy, sm, sd := start.Date(); sy != wy || sm != wm || sd != wd {
		if _, end := start.ZoneBounds(); !end.IsZero() {
			start = end
		}
	}
	// Where a change back repeats midnight, time.Date may give the later
	// one (e.g. Asia/Gaza on 2020-10-24); the day begins at the earlier.
	if zoneStart, _ := start.ZoneBounds(); !zoneStart.IsZero() {
		_, off := zoneStart.Add(-time.Nanosecond).Zone()
		early := time.Date(wy, wm, wd, 0, 0, 0, 0, time.FixedZone("", off)).In(loc)
		if early.Before(start) && isMidnight(early) {
			start = early
		}
	}
	return start
}
