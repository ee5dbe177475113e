package schedule

import (
	"fmt"
	"math/bits"
	"strconv"
	"strings"
	"time"
)

// Cron is a parsed 5-field cron expression: minute (0-59), hour (0-23),
// day of month (1-31), month (1-12 or jan-dec), day of week (0-7 or
// sun-sat, 0 and 7 both Sunday). Each field is `*`, a value, a range
// `a-b`, a step `*/n` or `a-b/n`, or a list of those separated by commas.
// As in Vixie cron, when both day fields are restricted (neither starts
// with `*`) a day matches if either does.
type Cron struct {
	text                          string
	minute, hour, dom, month, dow uint64 // bit i: value i allowed
	domStar, dowStar              bool
}

type cronField struct {
	name     string
	min, max int
	names    []string // names[i] is value min+i, if any
}

var cronFields = [5]cronField{
	{"minute", 0, 59, nil},
	{"hour", 0, 23, nil},
	{"day of month", 1, 31, nil},
	{"month", 1, 12, []string{"jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"}},
	{"day of week", 0, 7, []string{"sun", "mon", "tue", "wed", "thu", "fri", "sat", "sun"}},
}

// maxCronLen bounds a cron expression, in bytes.
const maxCronLen = 256

// ParseCron parses a 5-field cron expression.
func ParseCron(s string) (*Cron, error) {
	if len(s) > maxCronLen {
		return nil, fmt.Errorf("cron: at most %d bytes", maxCronLen)
	}
	fields := strings.Fields(s)
	if len(fields) != 5 {
		return nil, fmt.Errorf("cron %q: 5 fields (minute hour day-of-month month day-of-week), found %d", s, len(fields))
	}
	var sets [5]uint64
	for i, f := range fields {
		set, err := parseCronField(f, cronFields[i])
		if err != nil {
			return nil, fmt.Errorf("cron %q: %w", s, err)
		}
		sets[i] = set
	}
	if sets[4]&(1<<7) != 0 { // 7 is Sunday
		sets[4] = sets[4]&^(1<<7) | 1
	}
	c := &Cron{text: strings.Join(fields, " "), minute: sets[0], hour: sets[1], dom: sets[2], month: sets[3], dow: sets[4],
		domStar: strings.HasPrefix(fields[2], "*"), dowStar: strings.HasPrefix(fields[4], "*")}
	if !c.possible() {
		return nil, fmt.Errorf("cron %q: no date matches it", s)
	}
	return c, nil
}

func parseCronField(f string, cf cronField) (uint64, error) {
	var set uint64
	for part := range strings.SplitSeq(f, ",") {
		rng, stepText, hasStep := strings.Cut(part, "/")
		lo, hi := cf.min, cf.max
		switch {
		case rng == "*":
		case strings.Contains(rng, "-"):
			a, b, _ := strings.Cut(rng, "-")
			var err1, err2 error
			lo, err1 = cronValue(a, cf)
			hi, err2 = cronValue(b, cf)
			if err1 != nil || err2 != nil || lo > hi {
				return 0, fmt.Errorf("%s: bad range %q (%d-%d)", cf.name, rng, cf.min, cf.max)
			}
		default:
			v, err := cronValue(rng, cf)
			if err != nil {
				return 0, err
			}
			lo = v
			if !hasStep {
				hi = v
			}
		}
		step := 1
		if hasStep {
			n, err := strconv.Atoi(stepText)
			if err != nil || n < 1 || n > cf.max {
				return 0, fmt.Errorf("%s: bad step %q", cf.name, stepText)
			}
			step = n
		}
		for v := lo; v <= hi; v += step {
			set |= 1 << v
		}
	}
	return set, nil
}

func cronValue(s string, cf cronField) (int, error) {
	for i, n := range cf.names {
		if strings.EqualFold(s, n) {
			return cf.min + i, nil
		}
	}
	v, err := strconv.Atoi(s)
	if err != nil || v < cf.min || v > cf.max || s == "" || s[0] == '+' || s[0] == '-' {
		return 0, fmt.Errorf("%s: %q is not a value from %d to %d", cf.name, s, cf.min, cf.max)
	}
	return v, nil
}

// possible reports whether some date matches (not 30 February only).
func (c *Cron) possible() bool {
	if !c.domStar && !c.dowStar || c.dowStar && c.domStar {
		return true
	}
	if !c.dowStar { // dom is *: every day of some week day exists
		return true
	}
	maxDay := [13]int{0, 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31}
	for m := 1; m <= 12; m++ {
		if c.month&(1<<m) != 0 && bits.TrailingZeros64(c.dom) <= maxDay[m] {
			return true
		}
	}
	return false
}

// String is the expression, fields separated by one space.
func (c *Cron) String() string { return c.text }

func (c *Cron) dayMatches(y int, m time.Month, d int) bool {
	if c.month&(1<<uint(m)) == 0 {
		return false
	}
	wd := time.Date(y, m, d, 12, 0, 0, 0, time.UTC).Weekday()
	domOK, dowOK := c.dom&(1<<uint(d)) != 0, c.dow&(1<<uint(wd)) != 0
	if !c.domStar && !c.dowStar {
		return domOK || dowOK
	}
	return domOK && dowOK
}

// searchDays bounds the days Next and Latest look through (about 11 years,
// more than the 8 between two 29 Februaries on a given week day).
const searchDays = 4100

func (c *Cron) next(t time.Time, loc *time.Location) time.Time {
	lt := t.In(loc)
	y, m, d := lt.Date()
	for i := 0; i < searchDays; i++ {
		day := time.Date(y, m, d+i, 12, 0, 0, 0, time.UTC)
		dy, dm, dd := day.Date()
		if !c.dayMatches(dy, dm, dd) {
			continue
		}
		for h := 0; h < 24; h++ {
			if c.hour&(1<<h) == 0 {
				continue
			}
			for mi := 0; mi < 60; mi++ {
				if c.minute&(1<<mi) == 0 {
					continue
				}
				if at := wallInstant(dy, dm, dd, h, mi, loc); at.After(t) {
					return at
				}
			}
		}
	}
	return time.Time{}
}

func (c *Cron) latest(t time.Time, loc *time.Location) time.Time {
	lt := t.In(loc)
	y, m, d := lt.Date()
	for i := 0; i < searchDays; i++ {
		day := time.Date(y, m, d-i, 12, 0, 0, 0, time.UTC)
		dy, dm, dd := day.Date()
		if !c.dayMatches(dy, dm, dd) {
			continue
		}
		for h := 23; h >= 0; h-- {
			if c.hour&(1<<h) == 0 {
				continue
			}
			for mi := 59; mi >= 0; mi-- {
				if c.minute&(1<<mi) == 0 {
					continue
				}
				if at := wallInstant(dy, dm, dd, h, mi, loc); !at.After(t) {
					return at
				}
			}
		}
	}
	return time.Time{}
}

// wallInstant is the instant of a wall-clock time in loc: its first
// occurrence when a fall-back repeats it, the first instant after the gap
// (the transition) when a spring-forward skips it. It is non-decreasing in
// the wall time, so the slots of a day stay in order.
func wallInstant(y int, m time.Month, d, h, mi int, loc *time.Location) time.Time {
	u := time.Date(y, m, d, h, mi, 0, 0, time.UTC)
	_, offBefore := u.Add(-26 * time.Hour).In(loc).Zone()
	_, offAfter := u.Add(26 * time.Hour).In(loc).Zone()
	var best time.Time
	for _, off := range []int{offBefore, offAfter} {
		at := u.Add(-time.Duration(off) * time.Second)
		if w := at.In(loc); w.Hour() == h && w.Minute() == mi && w.Day() == d {
			if best.IsZero() || at.Before(best) {
				best = at
			}
		}
	}
	if !best.IsZero() {
		return best.In(loc)
	}
	// In a gap: the transition lies between the wall time read with the
	// later offset (still before it) and with the earlier offset (after).
	lo := u.Add(-time.Duration(offAfter) * time.Second)
	hi := u.Add(-time.Duration(offBefore) * time.Second)
	if !lo.Before(hi) { // not a simple gap; fall back on Go's choice
		return time.Date(y, m, d, h, mi, 0, 0, loc)
	}
	_, offLo := lo.In(loc).Zone()
	for hi.Sub(lo) > time.Second {
		mid := lo.Add(hi.Sub(lo) / 2).Truncate(time.Second)
		if _, off := mid.In(loc).Zone(); off == offLo {
			lo = mid
		} else {
			hi = mid
		}
	}
	return hi.In(loc)
}
