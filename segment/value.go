package segment

import (
	"fmt"
	"regexp"
	"strconv"
	"time"
)

// Op is a comparison operator.
type Op string

// The operators of the spec.
const (
	OpEq          Op = "eq"
	OpNeq         Op = "neq"
	OpLt          Op = "lt"
	OpLte         Op = "lte"
	OpGt          Op = "gt"
	OpGte         Op = "gte"
	OpBetween     Op = "between"
	OpIn          Op = "in"
	OpNotIn       Op = "not_in"
	OpContains    Op = "contains"
	OpNotContains Op = "not_contains"
	OpStartsWith  Op = "starts_with"
	OpEndsWith    Op = "ends_with"
	OpExists      Op = "exists"
	OpNotExists   Op = "not_exists"
)

var ops = map[Op]bool{OpEq: true, OpNeq: true, OpLt: true, OpLte: true, OpGt: true,
	OpGte: true, OpBetween: true, OpIn: true, OpNotIn: true, OpContains: true,
	OpNotContains: true, OpStartsWith: true, OpEndsWith: true, OpExists: true, OpNotExists: true}

// TakesValue reports whether the operator needs a value.
func (o Op) TakesValue() bool { return o != OpExists && o != OpNotExists }

// Kind is the type of an operand.
type Kind uint8

// Operand kinds. KindNone is the absent value of exists and not_exists.
const (
	KindNone Kind = iota
	KindNumber
	KindString
	KindBool
	KindTime
	KindList
)

// Value is the operand of a comparison. A time is either absolute (At) or
// relative to as_of (Ago); a list holds the operands of in, not_in and
// between.
type Value struct {
	Kind Kind
	Num  float64
	Str  string
	Bool bool
	At   time.Time
	Ago  *Duration
	List []Value
}

// Number, String, Bool, Time, Ago and List build operands.
func Number(f float64) Value { return Value{Kind: KindNumber, Num: f} }
func String(s string) Value  { return Value{Kind: KindString, Str: s} }
func Bool(b bool) Value      { return Value{Kind: KindBool, Bool: b} }
func Time(t time.Time) Value { return Value{Kind: KindTime, At: t.UTC()} }
func Ago(d Duration) Value   { return Value{Kind: KindTime, Ago: &d} }
func List(vs ...Value) Value { return Value{Kind: KindList, List: vs} }

// Instant resolves a time operand at as_of.
func (v Value) Instant(asOf time.Time) time.Time {
	if v.Ago != nil {
		return asOf.Add(-v.Ago.Std())
	}
	return v.At
}

// Duration is a whole number of minutes, hours, days or weeks, as written
// in a tree ("90m", "7d"). A day is 24 hours and a week 7 days: durations
// are exact spans of time, unlike calendar windows.
type Duration struct {
	N    int64
	Unit byte
}

var unitLength = map[byte]time.Duration{'m': time.Minute, 'h': time.Hour, 'd': 24 * time.Hour, 'w': 7 * 24 * time.Hour}

// maxDuration keeps every span far from time.Duration's overflow.
const maxDuration = 100 * 366 * 24 * time.Hour

var durationRE = regexp.MustCompile(`^([0-9]{1,9})([mhdw])$`)

// ParseDuration parses "90m", "12h", "7d" or "2w".
func ParseDuration(s string) (Duration, error) {
	m := durationRE.FindStringSubmatch(s)
	if m == nil {
		return Duration{}, fmt.Errorf("duration %q is not a whole number followed by m, h, d or w", s)
	}
	n, _ := strconv.ParseInt(m[1], 10, 64)
	d := Duration{N: n, Unit: m[2][0]}
	if n == 0 {
		return Duration{}, fmt.Errorf("duration %q must be positive", s)
	}
	// Compare N before multiplying, which could overflow.
	if n > int64(maxDuration/unitLength[d.Unit]) || d.Std() > maxDuration {
		return Duration{}, fmt.Errorf("duration %q is longer than 100 years", s)
	}
	return d, nil
}

// Std converts the duration to a time.Duration.
func (d Duration) Std() time.Duration { return time.Duration(d.N) * unitLength[d.Unit] }

func (d Duration) String() string { return strconv.FormatInt(d.N, 10) + string(d.Unit) }

// RFC3339Pattern is the exact shape of a time string: RFC 3339 with an
// upper-case T and at most microsecond precision, which every engine parses
// to the same instant. Engines check time strings in SQL with it too.
const RFC3339Pattern = `^[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])T([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](\.[0-9]{1,6})?(Z|[+-]([01][0-9]|2[0-3]):[0-5][0-9])$`

var rfc3339RE = regexp.MustCompile(RFC3339Pattern)

// ParseTime parses a time string as the language reads one: ok is false for
// anything that does not match RFC3339Pattern, which then is no time at all.
func ParseTime(s string) (t time.Time, ok bool) {
	if !rfc3339RE.MatchString(s) {
		return time.Time{}, false
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}, false
	}
	return t.UTC(), true
}
