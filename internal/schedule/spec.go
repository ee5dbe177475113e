// Package schedule runs saved segments on their schedules: the schedule of
// a segment (Spec: every a duration, or a 5-field cron in the app's time
// zone), its slots (Spec.Next, Spec.Latest), and the Scheduler that claims
// each due slot once in the segment store, whatever the number of servers,
// and creates its run when the runs of the segments it references in the
// same batch have succeeded.
//
// Time zones. Cron fields are wall-clock times in the app's zone. A wall
// time that a spring-forward skips (02:30 on a day the clocks jump from
// 02:00 to 03:00) fires once, at the first instant after the gap (03:00
// local); several skipped times of one day collapse into that one slot. A
// wall time that a fall-back repeats (01:30 on a day that has it twice)
// fires once, at its first occurrence. `every` is elapsed time, not wall
// time: its slots are the multiples of the duration since 1970-01-01T00:00Z,
// whatever the zone (1d is 24 hours; use cron for a time of day).
package schedule

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// MinEvery is the shortest `every`.
const MinEvery = 5 * time.Minute

// MaxEvery is the longest `every` (a year of weeks).
const MaxEvery = 52 * 7 * 24 * time.Hour

// Spec is a parsed schedule: exactly one of Every and Cron is set.
type Spec struct {
	Every     time.Duration
	EveryText string // as written ("1h")
	Cron      *Cron
}

// Problem is a validation problem at a JSON Pointer relative to the
// schedule (prefix it with "/schedule").
type Problem struct {
	Path    string
	Message string
}

// Error is every problem of a schedule.
type Error struct{ Problems []Problem }

func (e *Error) Error() string {
	msgs := make([]string, len(e.Problems))
	for i, p := range e.Problems {
		msgs[i] = p.Path + ": " + p.Message
	}
	return "schedule: " + strings.Join(msgs, "; ")
}

// Parse decodes a schedule body: {"every": "1h"} or {"cron": "0 6 * * *"}.
// null or empty input is no schedule (nil, nil). Problems are *Error with
// paths relative to the schedule ("", "/every", "/cron").
func Parse(raw []byte) (*Spec, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return nil, nil
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(raw, &m); err != nil || m == nil {
		return nil, &Error{[]Problem{{"", `a schedule is an object: {"every": "1h"} or {"cron": "0 6 * * *"}, or null`}}}
	}
	var probs []Problem
	for k := range m {
		if k != "every" && k != "cron" {
			probs = append(probs, Problem{"/" + k, "unknown field: a schedule has `every` or `cron`"})
		}
	}
	_, hasEvery := m["every"]
	_, hasCron := m["cron"]
	switch {
	case hasEvery && hasCron:
		probs = append(probs, Problem{"/cron", "a schedule has either `every` or `cron`, not both"})
	case !hasEvery && !hasCron:
		probs = append(probs, Problem{"", "a schedule needs `every` or `cron`"})
	}
	spec := &Spec{}
	if hasEvery {
		var s string
		if err := json.Unmarshal(m["every"], &s); err != nil {
			probs = append(probs, Problem{"/every", "every is a string: an integer and a unit m, h, d or w (\"1h\")"})
		} else if d, err := ParseEvery(s); err != nil {
			probs = append(probs, Problem{"/every", err.Error()})
		} else {
			spec.Every, spec.EveryText = d, s
		}
	}
	if hasCron && !hasEvery {
		var s string
		if err := json.Unmarshal(m["cron"], &s); err != nil {
			probs = append(probs, Problem{"/cron", "cron is a string of 5 fields: minute hour day-of-month month day-of-week"})
		} else if c, err := ParseCron(s); err != nil {
			probs = append(probs, Problem{"/cron", err.Error()})
		} else {
			spec.Cron = c
		}
	}
	if len(probs) > 0 {
		return nil, &Error{probs}
	}
	return spec, nil
}

// ParseEvery parses a duration as the segment language writes it: an
// integer and a unit m, h, d (24h) or w (7d), from MinEvery to MaxEvery.
func ParseEvery(s string) (time.Duration, error) {
	if len(s) < 2 {
		return 0, fmt.Errorf("every %q: an integer and a unit m, h, d or w (\"1h\")", s)
	}
	unit := map[byte]time.Duration{'m': time.Minute, 'h': time.Hour, 'd': 24 * time.Hour, 'w': 7 * 24 * time.Hour}[s[len(s)-1]]
	n, err := strconv.ParseInt(s[:len(s)-1], 10, 64)
	if unit == 0 || err != nil || n <= 0 || s[0] == '+' || s[0] == '0' {
		return 0, fmt.Errorf("every %q: an integer and a unit m, h, d or w (\"1h\")", s)
	}
	if n > int64(MaxEvery/unit) {
		return 0, fmt.Errorf("every %q: at most 52w", s)
	}
	d := time.Duration(n) * unit
	if d < MinEvery {
		return 0, fmt.Errorf("every %q: at least 5m", s)
	}
	return d, nil
}

// MarshalJSON writes the canonical form: {"every":"1h"} or {"cron":"0 6 * * *"}.
func (s *Spec) MarshalJSON() ([]byte, error) {
	if s.Cron != nil {
		return json.Marshal(map[string]string{"cron": s.Cron.text})
	}
	return json.Marshal(map[string]string{"every": s.EveryText})
}

// String is the canonical JSON.
func (s *Spec) String() string {
	b, _ := s.MarshalJSON()
	return string(b)
}

// Next is the first slot strictly after t, in loc (cron) — the zero time
// if there is none within about 11 years (a 30 February).
func (s *Spec) Next(t time.Time, loc *time.Location) time.Time {
	if s.Cron == nil {
		return time.Unix(0, 0).UTC().Add((t.Sub(time.Unix(0, 0))/s.Every + 1) * s.Every)
	}
	return s.Cron.next(t, loc)
}

// Latest is the last slot at or before t; the zero time if none within
// about 11 years.
func (s *Spec) Latest(t time.Time, loc *time.Location) time.Time {
	if s.Cron == nil {
		d := t.Sub(time.Unix(0, 0))
		k := d / s.Every
		if d < 0 && d%s.Every != 0 {
			k--
		}
		return time.Unix(0, 0).UTC().Add(k * s.Every)
	}
	return s.Cron.latest(t, loc)
}
