package ingest

import (
	"errors"
	"fmt"
	"math"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/segmentd/segmentd/internal/record"
	"github.com/segmentd/segmentd/segment"
)

// clock is the server clock the tests run at.
var clock = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

func TestMain(m *testing.M) {
	now = func() time.Time { return clock }
	m.Run()
}

// ev is an event's JSON with the given fields replaced (a value "-"
// drops the field).
func ev(over map[string]string) string {
	fields := []struct{ k, v string }{
		{"event_id", `"e1"`}, {"user_id", `"u1"`}, {"name", `"$buy"`},
		{"time", `"2026-02-01T10:00:00Z"`}, {"properties", `{"total":1}`},
	}
	var parts []string
	for _, f := range fields {
		v := f.v
		if o, ok := over[f.k]; ok {
			v = o
		}
		if v != "-" {
			parts = append(parts, fmt.Sprintf("%q:%s", f.k, v))
		}
	}
	for k, v := range over {
		if !strings.Contains("event_id user_id name time properties", k) {
			parts = append(parts, fmt.Sprintf("%q:%s", k, v))
		}
	}
	return "{" + strings.Join(parts, ",") + "}"
}

func batch(events ...string) string { return `{"events":[` + strings.Join(events, ",") + `]}` }

// problemOf returns the code and path of err's first problem, and all
// paths.
func problemOf(t *testing.T, err error) (code, path string, paths []string) {
	t.Helper()
	var se *segment.Error
	if !errors.As(err, &se) {
		t.Fatalf("error %v (%T) is not a *segment.Error", err, err)
	}
	if len(se.Problems) == 0 {
		t.Fatal("no problems")
	}
	for _, p := range se.Problems {
		paths = append(paths, p.Path)
	}
	return se.Problems[0].Code, se.Problems[0].Path, paths
}

func TestDecodeEventsErrors(t *testing.T) {
	good := ev(nil)
	many := make([]string, MaxEvents+1)
	for i := range many {
		many[i] = ev(map[string]string{"event_id": fmt.Sprintf(`"e%d"`, i)})
	}
	deep := strings.Repeat(`{"a":`, MaxDepth) + "1" + strings.Repeat("}", MaxDepth)
	tooDeep := strings.Repeat(`{"a":`, MaxDepth+1) + "1" + strings.Repeat("}", MaxDepth+1)
	_ = deep
	cases := []struct {
		name, body string
		code, path string
	}{
		{"empty body", ``, "invalid_json", ""},
		{"malformed", `{"events":[`, "invalid_json", ""},
		{"trailing comma", batch(good) + `,`, "invalid_json", ""},
		{"trailing data", batch(good) + `{}`, "invalid_json", ""},
		{"not an object", `[]`, CodeInvalidArgument, ""},
		{"unknown top-level field", `{"events":[` + good + `],"app":"x"}`, CodeInvalidArgument, "/app"},
		{"duplicate events", `{"events":[` + good + `],"events":[]}`, CodeInvalidArgument, "/events"},
		{"no events field", `{}`, CodeInvalidArgument, "/events"},
		{"events null", `{"events":null}`, CodeInvalidArgument, "/events"},
		{"events object", `{"events":{}}`, CodeInvalidArgument, "/events"},
		{"empty batch", `{"events":[]}`, CodeInvalidArgument, "/events"},
		{"too many", batch(many...), CodeInvalidArgument, "/events"},
		{"event not object", batch(good, `"x"`), CodeInvalidArgument, "/events/1"},
		{"missing event_id", batch(ev(map[string]string{"event_id": "-"})), CodeInvalidArgument, "/events/0/event_id"},
		{"empty event_id", batch(ev(map[string]string{"event_id": `""`})), CodeInvalidArgument, "/events/0/event_id"},
		{"numeric event_id", batch(ev(map[string]string{"event_id": `17`})), CodeInvalidArgument, "/events/0/event_id"},
		{"long event_id", batch(ev(map[string]string{"event_id": `"` + strings.Repeat("x", 257) + `"`})), CodeInvalidArgument, "/events/0/event_id"},
		{"control in user_id", batch(ev(map[string]string{"user_id": `"a\nb"`})), CodeInvalidArgument, "/events/0/user_id"},
		{"NUL in user_id", batch(ev(map[string]string{"user_id": `"a\u0000b"`})), CodeInvalidArgument, "/events/0/user_id"},
		{"C1 control in name", batch(ev(map[string]string{"name": `"a\u0085"`})), CodeInvalidArgument, "/events/0/name"},
		{"raw invalid UTF-8 in user_id", batch(ev(map[string]string{"user_id": "\"a\xffb\""})), CodeInvalidArgument, "/events/0/user_id"},
		{"lone surrogate in event_id", batch(ev(map[string]string{"event_id": `"a\ud800"`})), CodeInvalidArgument, "/events/0/event_id"},
		{"lone low surrogate", batch(ev(map[string]string{"event_id": `"\udc00x"`})), CodeInvalidArgument, "/events/0/event_id"},
		{"null name", batch(ev(map[string]string{"name": `null`})), CodeInvalidArgument, "/events/0/name"},
		{"missing time", batch(ev(map[string]string{"time": "-"})), CodeInvalidArgument, "/events/0/time"},
		{"epoch time", batch(ev(map[string]string{"time": `1767225600`})), CodeInvalidArgument, "/events/0/time"},
		{"date only", batch(ev(map[string]string{"time": `"2026-02-01"`})), CodeInvalidArgument, "/events/0/time"},
		{"no zone", batch(ev(map[string]string{"time": `"2026-02-01T10:00:00"`})), CodeInvalidArgument, "/events/0/time"},
		{"lower-case t", batch(ev(map[string]string{"time": `"2026-02-01t10:00:00Z"`})), CodeInvalidArgument, "/events/0/time"},
		{"space", batch(ev(map[string]string{"time": `"2026-02-01 10:00:00Z"`})), CodeInvalidArgument, "/events/0/time"},
		{"Feb 30", batch(ev(map[string]string{"time": `"2026-02-30T10:00:00Z"`})), CodeInvalidArgument, "/events/0/time"},
		{"leap second", batch(ev(map[string]string{"time": `"2026-02-01T23:59:60Z"`})), CodeInvalidArgument, "/events/0/time"},
		{"offset 24h", batch(ev(map[string]string{"time": `"2026-02-01T10:00:00+24:00"`})), CodeInvalidArgument, "/events/0/time"},
		{"empty fraction", batch(ev(map[string]string{"time": `"2026-02-01T10:00:00.Z"`})), CodeInvalidArgument, "/events/0/time"},
		{"before year 1 in UTC", batch(ev(map[string]string{"time": `"0001-01-01T00:30:00+01:00"`})), CodeInvalidArgument, "/events/0/time"},
		{"too far in the future", batch(ev(map[string]string{"time": `"2026-03-01T13:00:00.001Z"`})), CodeInvalidArgument, "/events/0/time"},
		{"properties array", batch(ev(map[string]string{"properties": `[]`})), CodeInvalidArgument, "/events/0/properties"},
		{"properties string", batch(ev(map[string]string{"properties": `"{}"`})), CodeInvalidArgument, "/events/0/properties"},
		{"number overflow", batch(ev(map[string]string{"properties": `{"items":[{"price":1e400}]}`})), CodeInvalidArgument, "/events/0/properties/items/0/price"},
		{"negative overflow", batch(ev(map[string]string{"properties": `{"x":-2e308}`})), CodeInvalidArgument, "/events/0/properties/x"},
		{"too deep", batch(ev(map[string]string{"properties": tooDeep})), CodeInvalidArgument, "/events/0/properties" + strings.Repeat("/a", MaxDepth)},
		{"too deep in arrays", batch(ev(map[string]string{"properties": `{"a":` + strings.Repeat("[", MaxDepth) + strings.Repeat("]", MaxDepth) + `}`})), CodeInvalidArgument, "/events/0/properties/a" + strings.Repeat("/0", MaxDepth-1)},
		{"invalid UTF-8 in property", batch(ev(map[string]string{"properties": "{\"a\":\"\xc3\"}"})), CodeInvalidArgument, "/events/0/properties"},
		{"unknown field", batch(ev(map[string]string{"timestamp": `"x"`})), CodeInvalidArgument, "/events/0/timestamp"},
		{"duplicate field", batch(`{"event_id":"a","event_id":"b","user_id":"u","name":"n","time":"2026-02-01T10:00:00Z"}`), CodeInvalidArgument, "/events/0/event_id"},
		{"pointer escaping", batch(ev(map[string]string{"a/b~c": `1`})), CodeInvalidArgument, "/events/0/a~1b~0c"},
		{"first bad event is reported first", batch(good, good, ev(map[string]string{"time": `"yesterday"`}), ev(map[string]string{"user_id": `""`})), CodeInvalidArgument, "/events/2/time"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			events, err := DecodeEvents([]byte(c.body))
			if err == nil {
				t.Fatalf("accepted: %+v", events)
			}
			if events != nil {
				t.Errorf("events returned with an error")
			}
			code, path, _ := problemOf(t, err)
			if code != c.code || path != c.path {
				t.Errorf("first problem %s at %q, want %s at %q (%v)", code, path, c.code, c.path, err)
			}
		})
	}
}

func TestDecodeEventsReportsEveryProblemInOrder(t *testing.T) {
	body := batch(
		ev(nil),
		ev(map[string]string{"time": `"x"`, "user_id": `""`, "extra": `1`}),
		ev(map[string]string{"name": "-"}),
	)
	_, err := DecodeEvents([]byte(body))
	_, _, paths := problemOf(t, err)
	want := []string{"/events/1/user_id", "/events/1/time", "/events/1/extra", "/events/2/name"}
	if !reflect.DeepEqual(paths, want) {
		t.Errorf("paths %q, want %q", paths, want)
	}
}

func TestDecodeEventsCapsProblems(t *testing.T) {
	bad := make([]string, MaxEvents)
	for i := range bad {
		bad[i] = ev(map[string]string{"time": `"x"`})
	}
	_, err := DecodeEvents([]byte(batch(bad...)))
	var se *segment.Error
	if !errors.As(err, &se) || len(se.Problems) != MaxProblems {
		t.Fatalf("got %v problems, want %d", len(se.Problems), MaxProblems)
	}
}

func TestDecodeEventsValues(t *testing.T) {
	cases := []struct {
		name string
		over map[string]string
		want record.Event
	}{
		{"defaults", nil, record.Event{EventID: "e1", UserID: "u1", Name: "$buy",
			Time: time.Date(2026, 2, 1, 10, 0, 0, 0, time.UTC), Properties: map[string]any{"total": 1.0}}},
		{"properties absent", map[string]string{"properties": "-"}, record.Event{EventID: "e1", UserID: "u1", Name: "$buy",
			Time: time.Date(2026, 2, 1, 10, 0, 0, 0, time.UTC), Properties: map[string]any{}}},
		{"properties null", map[string]string{"properties": "null"}, record.Event{EventID: "e1", UserID: "u1", Name: "$buy",
			Time: time.Date(2026, 2, 1, 10, 0, 0, 0, time.UTC), Properties: map[string]any{}}},
		{"offset to UTC, nanoseconds truncated to milliseconds", map[string]string{"time": `"2026-02-01T19:00:00.123456789+09:00"`, "properties": `{}`},
			record.Event{EventID: "e1", UserID: "u1", Name: "$buy",
				Time: time.Date(2026, 2, 1, 10, 0, 0, 123000000, time.UTC), Properties: map[string]any{}}},
		{"more than nine fractional digits", map[string]string{"time": `"2026-02-01T10:00:00.9999999999999Z"`, "properties": `{}`},
			record.Event{EventID: "e1", UserID: "u1", Name: "$buy",
				Time: time.Date(2026, 2, 1, 10, 0, 0, 999000000, time.UTC), Properties: map[string]any{}}},
		{"one fractional digit, negative offset", map[string]string{"time": `"2026-02-01T05:30:00.5-04:30"`, "properties": `{}`},
			record.Event{EventID: "e1", UserID: "u1", Name: "$buy",
				Time: time.Date(2026, 2, 1, 10, 0, 0, 500000000, time.UTC), Properties: map[string]any{}}},
		{"up to an hour ahead of the clock", map[string]string{"time": `"2026-03-01T13:00:00Z"`, "properties": `{}`},
			record.Event{EventID: "e1", UserID: "u1", Name: "$buy",
				Time: time.Date(2026, 3, 1, 13, 0, 0, 0, time.UTC), Properties: map[string]any{}}},
		{"old times", map[string]string{"time": `"0001-01-01T00:00:00Z"`, "properties": `{}`},
			record.Event{EventID: "e1", UserID: "u1", Name: "$buy",
				Time: time.Date(1, 1, 1, 0, 0, 0, 0, time.UTC), Properties: map[string]any{}}},
		{"unicode and escapes", map[string]string{"event_id": `"\u00e9v\ud83d\ude00"`, "user_id": `"유저 1"`, "name": `"a \"b\" \\u"`, "properties": `{}`},
			record.Event{EventID: "év😀", UserID: "유저 1", Name: `a "b" \u`,
				Time: time.Date(2026, 2, 1, 10, 0, 0, 0, time.UTC), Properties: map[string]any{}}},
		{"256-byte IDs", map[string]string{"event_id": `"` + strings.Repeat("é", 128) + `"`, "properties": `{}`},
			record.Event{EventID: strings.Repeat("é", 128), UserID: "u1", Name: "$buy",
				Time: time.Date(2026, 2, 1, 10, 0, 0, 0, time.UTC), Properties: map[string]any{}}},
		{"nested properties, numbers as float64", map[string]string{"properties": `{"items":[{"price":1000,"sku":"a"},null],"big":12345678901234567890,"tiny":1e-400,"neg":-0.5,"ok":true,"n":null,"":1,"a.b":2}`},
			record.Event{EventID: "e1", UserID: "u1", Name: "$buy", Time: time.Date(2026, 2, 1, 10, 0, 0, 0, time.UTC),
				Properties: map[string]any{"items": []any{map[string]any{"price": 1000.0, "sku": "a"}, nil},
					"big": 12345678901234567890.0, "tiny": 0.0, "neg": -0.5, "ok": true, "n": nil, "": 1.0, "a.b": 2.0}}},
		{"maximum depth", map[string]string{"properties": strings.Repeat(`{"a":`, MaxDepth-1) + "[1]" + strings.Repeat("}", MaxDepth-1)},
			record.Event{EventID: "e1", UserID: "u1", Name: "$buy", Time: time.Date(2026, 2, 1, 10, 0, 0, 0, time.UTC),
				Properties: nest(MaxDepth-1, []any{1.0}).(map[string]any)}},
		{"largest float", map[string]string{"properties": `{"x":1.7976931348623157e308}`},
			record.Event{EventID: "e1", UserID: "u1", Name: "$buy", Time: time.Date(2026, 2, 1, 10, 0, 0, 0, time.UTC),
				Properties: map[string]any{"x": math.MaxFloat64}}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			events, err := DecodeEvents([]byte(batch(ev(c.over))))
			if err != nil {
				t.Fatal(err)
			}
			if len(events) != 1 || !reflect.DeepEqual(events[0], c.want) {
				t.Errorf("got  %#v\nwant %#v", events, c.want)
			}
		})
	}
}

// nest wraps v in n objects {"a": …}.
func nest(n int, v any) any {
	for range n {
		v = map[string]any{"a": v}
	}
	return v
}

func TestDecodeEventsKeepsOrderAndDuplicates(t *testing.T) {
	body := batch(
		ev(map[string]string{"event_id": `"b"`}),
		ev(map[string]string{"event_id": `"a"`}),
		ev(map[string]string{"event_id": `"b"`, "time": `"2026-02-02T00:00:00Z"`}),
	)
	events, err := DecodeEvents([]byte(body))
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, e := range events {
		ids = append(ids, e.EventID)
	}
	if !reflect.DeepEqual(ids, []string{"b", "a", "b"}) {
		t.Errorf("ids %q", ids)
	}
}

func TestDecodeEventsMaxBatch(t *testing.T) {
	list := make([]string, MaxEvents)
	for i := range list {
		list[i] = ev(map[string]string{"event_id": fmt.Sprintf(`"e%d"`, i)})
	}
	events, err := DecodeEvents([]byte(batch(list...)))
	if err != nil || len(events) != MaxEvents {
		t.Fatalf("%d events, %v", len(events), err)
	}
}

func TestValidUserID(t *testing.T) {
	cases := map[string]bool{
		"u1":                     true,
		"user@example.com":       true,
		"유저":                     true,
		"a b/c?d#e":              true,
		strings.Repeat("x", 256): true,
		strings.Repeat("x", 257): false,
		"":                       false,
		"a\tb":                   false,
		"a\x7fb":                 false,
		"a\u0085b":               false,
		"a\xffb":                 false,
	}
	for id, want := range cases {
		if got := ValidUserID(id); got != want {
			t.Errorf("ValidUserID(%q) = %v, want %v", id, got, want)
		}
	}
}

func TestDecodeAttributesErrors(t *testing.T) {
	manyKeys := make([]string, MaxAttributes+1)
	for i := range manyKeys {
		manyKeys[i] = fmt.Sprintf(`"k%d":1`, i)
	}
	cases := []struct {
		name, body string
		code, path string
	}{
		{"malformed", `{"attributes":{`, "invalid_json", ""},
		{"empty body", ` `, "invalid_json", ""},
		{"trailing data", `{"attributes":{}} x`, "invalid_json", ""},
		{"not an object", `null`, CodeInvalidArgument, ""},
		{"missing", `{}`, CodeInvalidArgument, "/attributes"},
		{"null", `{"attributes":null}`, CodeInvalidArgument, "/attributes"},
		{"array", `{"attributes":[]}`, CodeInvalidArgument, "/attributes"},
		{"unknown field", `{"attributes":{},"user_id":"u"}`, CodeInvalidArgument, "/user_id"},
		{"dotted key", `{"attributes":{"address.city":"x"}}`, CodeInvalidArgument, "/attributes/address.city"},
		{"empty key", `{"attributes":{"":"x"}}`, CodeInvalidArgument, "/attributes/"},
		{"digit first", `{"attributes":{"1a":"x"}}`, CodeInvalidArgument, "/attributes/1a"},
		{"space in key", `{"attributes":{"a b":"x"}}`, CodeInvalidArgument, "/attributes/a b"},
		{"slash in key", `{"attributes":{"a/b":"x"}}`, CodeInvalidArgument, "/attributes/a~1b"},
		{"key too long", `{"attributes":{"` + strings.Repeat("k", 129) + `":1}}`, CodeInvalidArgument, "/attributes/" + strings.Repeat("k", 129)},
		{"built-in key", `{"attributes":{"first_seen":"2026-01-01T00:00:00Z"}}`, CodeInvalidArgument, "/attributes/first_seen"},
		{"user_id key", `{"attributes":{"plan":"a","user_id":"x"}}`, CodeInvalidArgument, "/attributes/user_id"},
		{"duplicate key", `{"attributes":{"plan":"a","plan":"b"}}`, CodeInvalidArgument, "/attributes/plan"},
		{"too many keys", `{"attributes":{` + strings.Join(manyKeys, ",") + `}}`, CodeInvalidArgument, "/attributes"},
		{"too large", `{"attributes":{"bio":"` + strings.Repeat("x", MaxAttributesBytes) + `"}}`, CodeInvalidArgument, "/attributes"},
		{"overflow", `{"attributes":{"n":[1,{"m":1e999}]}}`, CodeInvalidArgument, "/attributes/n/1/m"},
		{"too deep", `{"attributes":{"a":` + strings.Repeat("[", MaxDepth) + strings.Repeat("]", MaxDepth) + `}}`, CodeInvalidArgument, "/attributes/a" + strings.Repeat("/0", MaxDepth-1)},
		{"lone surrogate", `{"attributes":{"city":"\ud83d"}}`, CodeInvalidArgument, "/attributes/city"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			attrs, err := DecodeAttributes([]byte(c.body))
			if err == nil {
				t.Fatalf("accepted: %v", attrs)
			}
			code, path, _ := problemOf(t, err)
			if code != c.code || path != c.path {
				t.Errorf("first problem %s at %q, want %s at %q (%v)", code, path, c.code, c.path, err)
			}
		})
	}
}

func TestDecodeAttributesValues(t *testing.T) {
	manyKeys := make([]string, MaxAttributes)
	want := map[string]any{}
	for i := range manyKeys {
		manyKeys[i] = fmt.Sprintf(`"k%d":%d`, i, i)
		want[fmt.Sprintf("k%d", i)] = float64(i)
	}
	cases := []struct {
		name, body string
		want       map[string]any
	}{
		{"empty", `{"attributes":{}}`, map[string]any{}},
		{"scalars", `{"attributes":{"country":"JP","age":31,"vip":true,"score":0.5}}`,
			map[string]any{"country": "JP", "age": 31.0, "vip": true, "score": 0.5}},
		{"null deletes", `{"attributes":{"country":null,"plan":"pro"}}`, map[string]any{"country": nil, "plan": "pro"}},
		{"nested", `{"attributes":{"address":{"city":"Tokyo","zip":null},"tags":["a","b"]}}`,
			map[string]any{"address": map[string]any{"city": "Tokyo", "zip": nil}, "tags": []any{"a", "b"}}},
		{"key characters", `{"attributes":{"$locale":"ja","_x-y":1,"A9":2}}`, map[string]any{"$locale": "ja", "_x-y": 1.0, "A9": 2.0}},
		{"256 keys", `{"attributes":{` + strings.Join(manyKeys, ",") + `}}`, want},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := DecodeAttributes([]byte(c.body))
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, c.want) {
				t.Errorf("got %#v, want %#v", got, c.want)
			}
		})
	}
}

func TestCheckProfile(t *testing.T) {
	small := map[string]any{"a": 1.0}
	if err := CheckProfile(small); err != nil {
		t.Error(err)
	}
	many := map[string]any{}
	for i := range MaxAttributes + 1 {
		many[fmt.Sprint("k", i)] = 1.0
	}
	if _, path, _ := problemOf(t, CheckProfile(many)); path != "/attributes" {
		t.Errorf("path %q", path)
	}
	large := map[string]any{"a": strings.Repeat("x", MaxAttributesBytes)}
	if _, path, _ := problemOf(t, CheckProfile(large)); path != "/attributes" {
		t.Errorf("path %q", path)
	}
}

func TestParseTime(t *testing.T) {
	good := map[string]time.Time{
		"2026-01-01T00:00:00Z":              time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC),
		"2026-01-01T09:00:00+09:00":         time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC),
		"2025-12-31T23:59:59.9999999-00:01": time.Date(2026, 1, 1, 0, 0, 59, 999000000, time.UTC),
		"2024-02-29T12:00:00.1Z":            time.Date(2024, 2, 29, 12, 0, 0, 100000000, time.UTC),
	}
	for s, want := range good {
		got, ok := ParseTime(s)
		if !ok || !got.Equal(want) || got.Location() != time.UTC {
			t.Errorf("ParseTime(%q) = %v, %v; want %v", s, got, ok, want)
		}
	}
	for _, s := range []string{"2025-02-29T12:00:00Z", "2026-01-01T00:00:00", "2026-01-01T00:00:00z", "2026-01-01T00:00Z", "+2026-01-01T00:00:00Z", "2026-1-01T00:00:00Z", "2026-01-01T00:00:00+0900"} {
		if _, ok := ParseTime(s); ok {
			t.Errorf("ParseTime(%q) accepted", s)
		}
	}
}

func BenchmarkDecodeEvents(b *testing.B) {
	list := make([]string, MaxEvents)
	for i := range list {
		list[i] = ev(map[string]string{"event_id": fmt.Sprintf(`"e%08d"`, i), "user_id": fmt.Sprintf(`"u%06d"`, i%300),
			"properties": `{"items":[{"price":1200,"sku":"sku-1"},{"price":300,"sku":"sku-2"}],"total":1500,"coupon":null}`})
	}
	body := []byte(batch(list...))
	b.SetBytes(int64(len(body)))
	for b.Loop() {
		if _, err := DecodeEvents(body); err != nil {
			b.Fatal(err)
		}
	}
}
