package segment

import (
	"regexp"
	"strconv"
	"testing"
	"time"
)

func TestParseTime(t *testing.T) {
	good := []struct {
		in   string
		want time.Time
	}{
		{"2026-01-01T00:00:00Z", time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)},
		{"2026-01-01T09:00:00+09:00", time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)},
		{"2025-12-31T19:00:00-05:00", time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)},
		{"2026-01-01T05:30:00+05:30", time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)},
		{"2026-01-01T00:00:00+00:00", time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)},
		{"2026-01-01T00:00:00-00:00", time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)},
		{"2026-01-01T00:00:00+23:59", time.Date(2025, 12, 31, 0, 1, 0, 0, time.UTC)},
		{"2026-01-01T00:00:00.1Z", time.Date(2026, 1, 1, 0, 0, 0, 100_000_000, time.UTC)},
		{"2026-01-01T00:00:00.123Z", time.Date(2026, 1, 1, 0, 0, 0, 123_000_000, time.UTC)},
		{"2026-01-01T00:00:00.123456Z", time.Date(2026, 1, 1, 0, 0, 0, 123_456_000, time.UTC)},
		{"2026-01-01T00:00:00.000000Z", time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)},
		{"2026-12-31T23:59:59.999999+01:00", time.Date(2026, 12, 31, 22, 59, 59, 999_999_000, time.UTC)},
		{"2024-02-29T12:00:00Z", time.Date(2024, 2, 29, 12, 0, 0, 0, time.UTC)},
		{"2000-02-29T00:00:00Z", time.Date(2000, 2, 29, 0, 0, 0, 0, time.UTC)},
		{"1970-01-01T00:00:00Z", time.Unix(0, 0).UTC()},
		{"9999-12-31T23:59:59Z", time.Date(9999, 12, 31, 23, 59, 59, 0, time.UTC)},
	}
	for _, c := range good {
		got, ok := ParseTime(c.in)
		if !ok {
			t.Errorf("ParseTime(%q) failed", c.in)
			continue
		}
		if !got.Equal(c.want) || got.Location() != time.UTC {
			t.Errorf("ParseTime(%q) = %v, want %v in UTC", c.in, got, c.want)
		}
	}
	bad := []string{
		"",
		"2026-01-01t00:00:00Z",           // lower-case t
		"2026-01-01T00:00:00z",           // lower-case z
		"2026-01-01T00:00:00.1234567Z",   // 7 fractional digits
		"2026-01-01T00:00:00.123456789Z", // nanoseconds
		"2026-01-01T00:00:00.Z",          // empty fraction
		"2026-01-01T00:00:00,5Z",         // comma
		"2026-01-01T24:00:00Z",           // hour 24
		"2026-01-01T23:60:00Z",
		"2026-01-01T23:59:60Z", // leap second
		"2026-02-30T00:00:00Z", // no such day
		"2026-02-29T00:00:00Z", // not a leap year
		"2100-02-29T00:00:00Z",
		"2026-04-31T00:00:00Z",
		"2026-13-01T00:00:00Z",
		"2026-00-01T00:00:00Z",
		"2026-01-00T00:00:00Z",
		"2026-01-32T00:00:00Z",
		"2026-01-01T00:00:00",       // no offset
		"2026-01-01T00:00Z",         // no seconds
		"2026-01-01",                // date only
		"2026-01-01 00:00:00Z",      // space
		"2026-1-01T00:00:00Z",       // one-digit month
		"26-01-01T00:00:00Z",        // two-digit year
		"+2026-01-01T00:00:00Z",     // signed year
		"2026-01-01T00:00:00+0900",  // offset without colon
		"2026-01-01T00:00:00+09",    // offset without minutes
		"2026-01-01T00:00:00+24:00", // offset hour 24
		"2026-01-01T00:00:00+09:60",
		"2026-01-01T00:00:00UTC",
		" 2026-01-01T00:00:00Z",
		"2026-01-01T00:00:00Z ",
		"2026-01-01T00:00:00Z\n",
		"2026-01-01T00:00:00Zjunk",
		"１９７０-01-01T00:00:00Z", // full-width digits
		"yesterday",
	}
	for _, s := range bad {
		if got, ok := ParseTime(s); ok || !got.IsZero() {
			t.Errorf("ParseTime(%q) = %v, %v; want a failure", s, got, ok)
		}
	}
	// The exported pattern is exactly what ParseTime accepts on shape.
	re := regexp.MustCompile(RFC3339Pattern)
	for _, c := range good {
		if !re.MatchString(c.in) {
			t.Errorf("RFC3339Pattern does not match %q", c.in)
		}
	}
}

func TestParseDuration(t *testing.T) {
	good := []struct {
		in   string
		want Duration
		std  time.Duration
		text string
	}{
		{"90m", Duration{90, 'm'}, 90 * time.Minute, "90m"},
		{"1m", Duration{1, 'm'}, time.Minute, "1m"},
		{"12h", Duration{12, 'h'}, 12 * time.Hour, "12h"},
		{"7d", Duration{7, 'd'}, 7 * 24 * time.Hour, "7d"},
		{"2w", Duration{2, 'w'}, 14 * 24 * time.Hour, "2w"},
		{"007d", Duration{7, 'd'}, 7 * 24 * time.Hour, "7d"},
		{"36600d", Duration{36600, 'd'}, 36600 * 24 * time.Hour, "36600d"}, // the 100-year limit itself
		{"5228w", Duration{5228, 'w'}, 5228 * 7 * 24 * time.Hour, "5228w"},
		{"878400h", Duration{878400, 'h'}, 878400 * time.Hour, "878400h"},
		{"52704000m", Duration{52704000, 'm'}, 52704000 * time.Minute, "52704000m"},
	}
	for _, c := range good {
		d, err := ParseDuration(c.in)
		if err != nil {
			t.Errorf("ParseDuration(%q): %v", c.in, err)
			continue
		}
		if d != c.want || d.Std() != c.std || d.String() != c.text {
			t.Errorf("ParseDuration(%q) = %+v (%v, %q), want %+v (%v, %q)", c.in, d, d.Std(), d.String(), c.want, c.std, c.text)
		}
	}
	bad := []string{
		"", "0d", "0m", "00h", "0w", "7", "7x", "7D", "7M", "-1d", "+1d", "1.5h", "1e3m", "7 d", " 7d", "7d ", "d", "7dd", "1h30m",
		"36601d", "5229w", "878401h", "52704001m", // over 100 years
		"1000000000m",                                          // ten digits
		"999999999m", "999999999h", "999999999d", "999999999w", // would overflow time.Duration
		"30500w", "200000000h", "15250000h",
		"７d",
	}
	for _, s := range bad {
		if d, err := ParseDuration(s); err == nil {
			t.Errorf("ParseDuration(%q) = %+v (%v), want an error", s, d, d.Std())
		}
	}
}

// TestParseDurationNeverWraps scans many large counts: every accepted
// duration is positive, at most 100 years, and exactly N units long.
func TestParseDurationNeverWraps(t *testing.T) {
	checked := 0
	for _, unit := range []string{"m", "h", "d", "w"} {
		for n := int64(1); n <= 999_999_999; n += n/64 + 1 {
			s := strconv.FormatInt(n, 10) + unit
			d, err := ParseDuration(s)
			if err != nil {
				continue
			}
			checked++
			if d.N != n || d.Std() <= 0 || d.Std() > maxDuration || d.Std()/unitLength[unit[0]] != time.Duration(n) {
				t.Errorf("ParseDuration(%q) = %+v with span %v", s, d, d.Std())
			}
		}
	}
	if checked < 1000 {
		t.Errorf("only %d durations accepted", checked)
	}
}

func TestValueInstant(t *testing.T) {
	asOf := time.Date(2026, 3, 10, 12, 0, 0, 0, time.UTC)
	at := time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)
	cases := []struct {
		v    Value
		want time.Time
	}{
		{Time(at), at},
		{Time(at.In(time.FixedZone("x", 3600))), at},
		{Ago(Duration{30, 'd'}), asOf.Add(-30 * 24 * time.Hour)},
		{Ago(Duration{90, 'm'}), asOf.Add(-90 * time.Minute)},
		{Ago(Duration{1, 'w'}), asOf.Add(-7 * 24 * time.Hour)},
	}
	for _, c := range cases {
		if got := c.v.Instant(asOf); !got.Equal(c.want) {
			t.Errorf("%+v.Instant = %v, want %v", c.v, got, c.want)
		}
	}
	if Time(at.In(time.FixedZone("x", 3600))).At.Location() != time.UTC {
		t.Error("Time does not keep its instant in UTC")
	}
	// Ago keeps its own copy of the duration.
	d := Duration{1, 'd'}
	v := Ago(d)
	d.N = 5
	if v.Ago.N != 1 {
		t.Error("Ago aliases its argument")
	}
}

func TestOpsAndAggregates(t *testing.T) {
	for op := range ops {
		want := op != OpExists && op != OpNotExists
		if op.TakesValue() != want {
			t.Errorf("%s.TakesValue() = %v", op, !want)
		}
	}
	if len(ops) != 15 {
		t.Errorf("%d ops, the spec has 15", len(ops))
	}
	cases := []struct {
		fn            AggFn
		numeric, zero bool
	}{
		{AggCount, true, true},
		{AggSum, true, true},
		{AggAvg, true, false},
		{AggMin, true, false},
		{AggMax, true, false},
		{AggFirst, false, false},
		{AggLast, false, false},
		{AggDistinctCount, true, true},
	}
	if len(cases) != len(aggFns) {
		t.Errorf("%d aggregate functions, want %d", len(aggFns), len(cases))
	}
	for _, c := range cases {
		a := Aggregate{Fn: c.fn}
		if !aggFns[c.fn] || a.Numeric() != c.numeric || a.ZeroWhenEmpty() != c.zero {
			t.Errorf("%s: known %v, Numeric %v, ZeroWhenEmpty %v", c.fn, aggFns[c.fn], a.Numeric(), a.ZeroWhenEmpty())
		}
	}
}

func TestIsTimeField(t *testing.T) {
	for f, want := range map[string]bool{"first_seen": true, "last_seen": true, "user_id": false, "first_seen.x": false, "FIRST_SEEN": false, "": false} {
		if IsTimeField(f) != want {
			t.Errorf("IsTimeField(%q) = %v", f, !want)
		}
	}
}
