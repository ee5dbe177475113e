package segment

import (
	"encoding/json"
	"time"
)

// window reads a window, which takes exactly one of its forms; without one
// it is all time.
func (d *decoder) window(raw any, path string) Window {
	if raw == nil {
		return Window{Kind: WindowAll}
	}
	obj := d.object(raw, path, "last", "calendar", "offset", "since", "until", "all")
	if obj == nil {
		return Window{}
	}
	// Each form present is read (and its problems reported) even when
	// there are several, the last one read setting the kind.
	var w Window
	forms := 0
	for _, form := range []func(map[string]any, string, *Window) bool{
		d.windowLast, d.windowCalendar, d.windowRange, d.windowAll,
	} {
		if form(obj, path, &w) {
			forms++
		}
	}
	if forms != 1 {
		d.problems.add(path, "a window takes exactly one of last, calendar, since/until or all")
	}
	return w
}

func (d *decoder) windowLast(obj map[string]any, path string, w *Window) bool {
	raw, ok := obj["last"]
	if !ok {
		return false
	}
	w.Kind = WindowLast
	w.Last = d.duration(raw, Pointer(path, "last"))
	return true
}

func (d *decoder) windowCalendar(obj map[string]any, path string, w *Window) bool {
	raw, ok := obj["calendar"]
	if !ok {
		if _, ok := obj["offset"]; ok {
			d.problems.add(Pointer(path, "offset"), "offset goes with calendar")
		}
		return false
	}
	w.Kind = WindowCalendar
	w.Period, _ = raw.(string)
	switch w.Period {
	case PeriodDay, PeriodWeek, PeriodMonth, PeriodYear:
	default:
		d.problems.add(Pointer(path, "calendar"), "calendar is day, week, month or year, not %s", jsonText(raw))
	}
	if raw, ok := obj["offset"]; ok {
		n, _ := raw.(json.Number)
		off, err := n.Int64()
		if err != nil || off > 0 || off < -MaxOffset {
			d.problems.add(Pointer(path, "offset"), "offset is a whole number from -%d to 0", MaxOffset)
		}
		w.Offset = int(off)
	}
	return true
}

func (d *decoder) windowRange(obj map[string]any, path string, w *Window) bool {
	_, hasSince := obj["since"]
	_, hasUntil := obj["until"]
	if !hasSince && !hasUntil {
		return false
	}
	w.Kind = WindowRange
	w.Since = d.windowTime(obj, "since", path)
	w.Until = d.windowTime(obj, "until", path)
	if !w.Since.IsZero() && !w.Until.IsZero() && !w.Since.Before(w.Until) {
		d.problems.add(Pointer(path, "until"), "until must be after since")
	}
	return true
}

func (d *decoder) windowAll(obj map[string]any, path string, w *Window) bool {
	all, ok := obj["all"]
	if !ok {
		return false
	}
	w.Kind = WindowAll
	if all != true {
		d.problems.add(Pointer(path, "all"), "all must be true")
	}
	return true
}

func (d *decoder) windowTime(obj map[string]any, key, path string) time.Time {
	raw, ok := obj[key]
	if !ok {
		return time.Time{}
	}
	s, _ := raw.(string)
	t, ok := ParseTime(s)
	if !ok {
		d.problems.add(Pointer(path, key), "%s is not an RFC 3339 time (at most microsecond precision)", jsonText(raw))
	} else if t.IsZero() {
		// A zero bound means "no bound" in Window and Bounds.
		d.problems.add(Pointer(path, key), "%s must be after 0001-01-01T00:00:00Z", key)
	}
	return t
}

// duration reads a duration string: a window's last, a funnel's within,
// an {"ago"}.
func (d *decoder) duration(raw any, path string) Duration {
	s, _ := raw.(string)
	dur, err := ParseDuration(s)
	if err != nil {
		d.problems.add(path, "%v", err)
	}
	return dur
}
