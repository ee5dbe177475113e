package evaluate_test

// Hand-derived membership tests for the reference evaluator.
//
// Every expected answer below was worked out by hand from
// shared/spec/segment-language.md and the project's recorded decisions
// (value paths, type mismatches, time strings, aggregates over numeric
// values, first/last ties, window bounds, funnels, `not` relative to the
// app's users). None was obtained by running the evaluator. The comment on a
// case gives the derivation where it is not obvious.
//
// Each case is also checked two more ways, both consequences of the spec:
//   - with its events in reverse order (Member takes events in any order);
//   - wrapped in {"type":"not"}: `not` is relative to the app's users, so
//     Member(not X) == !Member(X) for every user.

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"
	_ "time/tzdata" // zone tests must not depend on the host's zoneinfo

	"github.com/segmentd/segmentd/internal/evaluate"
	"github.com/segmentd/segmentd/internal/record"
	"github.com/segmentd/segmentd/segment"
)

// defaultAsOf is a Wednesday. In UTC:
//
//	calendar day    offset 0:  [2026-03-11T00:00Z, as_of]
//	calendar week   offset 0:  [2026-03-09T00:00Z (Mon), as_of]
//	calendar week   offset -1: [2026-03-02T00:00Z, 2026-03-09T00:00Z)
//	calendar month  offset -1: [2026-02-01T00:00Z, 2026-03-01T00:00Z)
//	last 7d:                   (2026-03-04T12:00Z, as_of]
const defaultAsOf = "2026-03-11T12:00:00Z"

type tcase struct {
	name   string
	tree   string
	attrs  string       // the user's attributes as JSON; "" = none
	user   *record.User // when set, the whole profile (attrs is ignored)
	events []record.Event
	asOf   string // RFC 3339; "" = defaultAsOf
	zone   string // IANA zone of the app; "" = no Location (UTC)
	want   bool
}

// at parses an RFC 3339 time (with optional fraction).
func at(s string) time.Time {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		panic(err)
	}
	return t
}

// obj decodes a JSON object the way the dataset holds one (float64
// numbers, []any, map[string]any, nil).
func obj(s string) map[string]any {
	if s == "" {
		return nil
	}
	var m map[string]any
	if err := json.Unmarshal([]byte(s), &m); err != nil {
		panic(fmt.Sprintf("%s: %v", s, err))
	}
	return m
}

// ev builds one event of user u1.
func ev(id, name, t, props string) record.Event {
	return record.Event{EventID: id, UserID: "u1", Name: name, Time: at(t), Properties: obj(props)}
}

// attr builds an attribute node; value "" means no value (exists, not_exists).
func attr(field, op, value string) string {
	if value == "" {
		return fmt.Sprintf(`{"type":"attribute","field":%q,"op":%q}`, field, op)
	}
	return fmt.Sprintf(`{"type":"attribute","field":%q,"op":%q,"value":%s}`, field, op, value)
}

// pred builds one where predicate.
func pred(property, op, value string) string {
	if value == "" {
		return fmt.Sprintf(`{"property":%q,"op":%q}`, property, op)
	}
	return fmt.Sprintf(`{"property":%q,"op":%q,"value":%s}`, property, op, value)
}

// buyWhere is "performed buy at least once" with the given predicates.
func buyWhere(preds ...string) string {
	return `{"type":"event","event":"buy","where":[` + strings.Join(preds, ",") + `]}`
}

// agg builds an event node over "buy" with an aggregate, optional where
// (JSON array text or ""), optional window (JSON text or ""), op and value.
func agg(fn, property, where, window, op, value string) string {
	var b strings.Builder
	b.WriteString(`{"type":"event","event":"buy"`)
	if where != "" {
		b.WriteString(`,"where":` + where)
	}
	if fn == "count" {
		b.WriteString(`,"aggregate":{"fn":"count"}`)
	} else {
		fmt.Fprintf(&b, `,"aggregate":{"fn":%q,"property":%q}`, fn, property)
	}
	if window != "" {
		b.WriteString(`,"window":` + window)
	}
	fmt.Fprintf(&b, `,"op":%q`, op)
	if value != "" {
		b.WriteString(`,"value":` + value)
	}
	b.WriteString(`}`)
	return b.String()
}

// inWindow is "performed buy at least once in window".
func inWindow(window string) string {
	return `{"type":"event","event":"buy","window":` + window + `}`
}

// one is a single buy event at t.
func one(t string) []record.Event { return []record.Event{ev("b1", "buy", t, `{}`)} }

// ---------------------------------------------------------------------------
// attributes

const baseAttrs = `{
 "country":"JP", "age":30, "vip":true, "name":"Alice", "nick":null,
 "address":{"city":"Tokyo","zip":null}, "tags":["a",null,"b"], "empty_tags":[null],
 "code":"81", "neg_zero":-0, "accent":"é",
 "signup":"2026-03-01T00:00:00+09:00", "late":"2026-02-28T20:00:00-05:00",
 "last_login":"2026-03-10T12:00:00Z",
 "bad_space":"2026-03-01 00:00:00Z", "bad_lower_t":"2026-03-01t00:00:00Z",
 "frac7":"2026-03-01T00:00:00.1234567Z", "frac6":"2026-03-01T00:00:00.123456Z",
 "dotted.key":"flat"}`

func attributeCases() []tcase {
	c := func(name, tree string, want bool) tcase {
		return tcase{name: "attr/" + name, tree: tree, attrs: baseAttrs, want: want}
	}
	return []tcase{
		// eq / neq on strings
		c("eq string", attr("country", "eq", `"JP"`), true),
		c("eq is case sensitive", attr("country", "eq", `"jp"`), false),
		c("neq other string", attr("country", "neq", `"US"`), true),
		c("neq same string", attr("country", "neq", `"JP"`), false),
		// missing vs null: only not_exists holds
		c("missing neq", attr("region", "neq", `"JP"`), false),
		c("missing not_in", attr("region", "not_in", `["JP"]`), false),
		c("missing not_contains", attr("region", "not_contains", `"x"`), false),
		c("missing not_exists", attr("region", "not_exists", ""), true),
		c("missing exists", attr("region", "exists", ""), false),
		c("null neq", attr("nick", "neq", `"x"`), false),
		c("null not_in", attr("nick", "not_in", `["x"]`), false),
		c("null not_exists", attr("nick", "not_exists", ""), true),
		c("null exists", attr("nick", "exists", ""), false),
		c("present exists", attr("country", "exists", ""), true),
		c("present not_exists", attr("country", "not_exists", ""), false),
		// in / not_in
		c("in strings", attr("country", "in", `["KR","JP"]`), true),
		c("in strings miss", attr("country", "in", `["US","KR"]`), false),
		c("not_in strings", attr("country", "not_in", `["US","KR"]`), true),
		c("not_in strings hit", attr("country", "not_in", `["JP"]`), false),
		c("in mixed list number", attr("age", "in", `["JP",30]`), true),
		c("not_in number", attr("age", "not_in", `[31]`), true),
		c("not_in number hit", attr("age", "not_in", `[30,31]`), false),
		// 30 is a number, "30" a string: 30 is not in ["30"]
		c("in number vs string list", attr("age", "in", `["30"]`), false),
		c("not_in number vs string list", attr("age", "not_in", `["30"]`), true),
		c("in string vs number list", attr("code", "in", `[81]`), false),
		// not_in holds only for a string or number value
		c("not_in boolean", attr("vip", "not_in", `["true"]`), false),
		// numeric order
		c("lt number", attr("age", "lt", `31`), true),
		c("lt number equal", attr("age", "lt", `30`), false),
		c("lte number equal", attr("age", "lte", `30`), true),
		c("gt number", attr("age", "gt", `29.5`), true),
		c("gt number equal", attr("age", "gt", `30`), false),
		c("gte number equal", attr("age", "gte", `30`), true),
		c("gte number above", attr("age", "gte", `30.000001`), false),
		c("between inclusive low", attr("age", "between", `[30,40]`), true),
		c("between inclusive high", attr("age", "between", `[20,30]`), true),
		c("between outside", attr("age", "between", `[31,40]`), false),
		c("negative zero eq zero", attr("neg_zero", "eq", `0`), true),
		// string order is byte order: "A" (0x41) < "B" < "a" (0x61)
		c("lt string byte order", attr("name", "lt", `"Bob"`), true),
		c("gt string upper vs lower", attr("name", "gt", `"alice"`), false),
		c("lt string upper vs lower", attr("name", "lt", `"alice"`), true),
		c("lte string equal", attr("name", "lte", `"Alice"`), true),
		c("lt string equal", attr("name", "lt", `"Alice"`), false),
		// "é" is 0xC3 0xA9, above "z" (0x7A)
		c("gt string utf8 bytes", attr("accent", "gt", `"z"`), true),
		// string operators
		c("contains", attr("name", "contains", `"lic"`), true),
		c("contains case sensitive", attr("name", "contains", `"LIC"`), false),
		c("not_contains", attr("name", "not_contains", `"x"`), true),
		c("not_contains hit", attr("name", "not_contains", `"Ali"`), false),
		c("not_contains case sensitive", attr("name", "not_contains", `"ALI"`), true),
		c("starts_with", attr("name", "starts_with", `"Al"`), true),
		c("starts_with miss", attr("name", "starts_with", `"li"`), false),
		c("ends_with", attr("name", "ends_with", `"ce"`), true),
		c("ends_with miss", attr("name", "ends_with", `"Al"`), false),
		// type mismatches are false
		c("neq string on number", attr("age", "neq", `"JP"`), false),
		c("eq string on number", attr("age", "eq", `"30"`), false),
		c("eq number on numeric string", attr("code", "eq", `81`), false),
		c("gt string operand on number", attr("age", "gt", `"2"`), false),
		c("gt number operand on string", attr("country", "gt", `5`), false),
		c("contains on number", attr("age", "contains", `"3"`), false),
		c("not_contains on number", attr("age", "not_contains", `"x"`), false),
		c("between numbers on string", attr("code", "between", `[0,100]`), false),
		c("gt ago on number", attr("age", "gt", `{"ago":"1d"}`), false),
		c("between times on number", attr("age", "between", `["2000-01-01T00:00:00Z","2100-01-01T00:00:00Z"]`), false),
		// booleans: eq / neq only, and only with booleans
		c("bool eq true", attr("vip", "eq", `true`), true),
		c("bool eq false", attr("vip", "eq", `false`), false),
		c("bool neq false", attr("vip", "neq", `false`), true),
		c("bool neq true", attr("vip", "neq", `true`), false),
		c("bool eq string", attr("vip", "eq", `"true"`), false),
		c("bool eq number", attr("vip", "eq", `1`), false),
		c("bool neq number", attr("vip", "neq", `1`), false),
		c("bool gt number", attr("vip", "gt", `0`), false),
		// nested paths
		c("nested eq", attr("address.city", "eq", `"Tokyo"`), true),
		c("nested starts_with", attr("address.city", "starts_with", `"To"`), true),
		c("nested null not_exists", attr("address.zip", "not_exists", ""), true),
		c("nested null neq", attr("address.zip", "neq", `"x"`), false),
		c("nested missing key not_exists", attr("address.country", "not_exists", ""), true),
		c("object exists", attr("address", "exists", ""), true),
		c("object eq string", attr("address", "eq", `"Tokyo"`), false),
		c("path through a string", attr("country.code", "not_exists", ""), true),
		// a dotted field is a path: the flat key "dotted.key" is never reached
		c("flat dotted key is not a path", attr("dotted.key", "eq", `"flat"`), false),
		c("flat dotted key not_exists", attr("dotted.key", "not_exists", ""), true),
		// array values: any element; nulls are no values
		c("array eq element", attr("tags", "eq", `"b"`), true),
		c("array in miss", attr("tags", "in", `["c"]`), false),
		c("array neq some element", attr("tags", "neq", `"a"`), true),
		c("array not_in some element", attr("tags", "not_in", `["a"]`), true),
		c("array not_in all elements", attr("tags", "not_in", `["a","b"]`), false),
		c("array of null exists", attr("empty_tags", "exists", ""), false),
		c("array of null not_exists", attr("empty_tags", "not_exists", ""), true),
		// user_id
		c("user_id eq", attr("user_id", "eq", `"u1"`), true),
		c("user_id starts_with", attr("user_id", "starts_with", `"u"`), true),
		c("user_id in miss", attr("user_id", "in", `["u2","u3"]`), false),
		// time strings: as_of - 10d = 2026-03-01T12:00Z; signup is 2026-02-28T15:00Z
		c("time string gte ago", attr("signup", "gte", `{"ago":"10d"}`), false),
		c("time string lt ago", attr("signup", "lt", `{"ago":"10d"}`), true),
		c("time string gt ago 11d", attr("signup", "gt", `{"ago":"11d"}`), true),
		// as_of - 1d = 2026-03-10T12:00Z exactly = last_login
		c("time string gt ago equal", attr("last_login", "gt", `{"ago":"1d"}`), false),
		c("time string gte ago equal", attr("last_login", "gte", `{"ago":"1d"}`), true),
		c("time string between offset parsed", attr("signup", "between", `["2026-02-28T15:00:00Z","2026-02-28T15:00:00Z"]`), true),
		// late = 2026-03-01T01:00Z as a time, but "2026-02-28..." as bytes
		c("string lt compares bytes not times", attr("late", "lt", `"2026-03-01T00:00:00Z"`), true),
		c("between compares times not bytes", attr("late", "between", `["2026-02-28T00:00:00Z","2026-03-01T00:30:00Z"]`), false),
		c("between compares times in", attr("late", "between", `["2026-03-01T00:30:00Z","2026-03-01T02:00:00Z"]`), true),
		c("time not parsing: space", attr("bad_space", "between", `["2000-01-01T00:00:00Z","2100-01-01T00:00:00Z"]`), false),
		c("time not parsing: space ago", attr("bad_space", "lt", `{"ago":"1d"}`), false),
		c("time not parsing: lower t", attr("bad_lower_t", "between", `["2000-01-01T00:00:00Z","2100-01-01T00:00:00Z"]`), false),
		c("time not parsing: 7 fraction digits", attr("frac7", "between", `["2000-01-01T00:00:00Z","2100-01-01T00:00:00Z"]`), false),
		c("time parsing: 6 fraction digits", attr("frac6", "between", `["2000-01-01T00:00:00Z","2100-01-01T00:00:00Z"]`), true),
	}
}

func profileCases() []tcase {
	// first_seen = 2026-03-04T12:00Z = as_of - 7d exactly; last_seen missing.
	u := &record.User{UserID: "u1", FirstSeen: at("2026-03-04T12:00:00Z")}
	c := func(name, tree string, want bool) tcase {
		return tcase{name: "profile/" + name, tree: tree, user: u, want: want}
	}
	return []tcase{
		c("first_seen gte ago equal", attr("first_seen", "gte", `{"ago":"7d"}`), true),
		c("first_seen gt ago equal", attr("first_seen", "gt", `{"ago":"7d"}`), false),
		c("first_seen lt ago 1w equal", attr("first_seen", "lt", `{"ago":"1w"}`), false),
		c("first_seen lt time", attr("first_seen", "lt", `"2026-03-05T00:00:00Z"`), true),
		c("first_seen eq time other offset", attr("first_seen", "eq", `"2026-03-04T21:00:00+09:00"`), true),
		c("first_seen neq time", attr("first_seen", "neq", `"2026-03-04T12:00:01Z"`), true),
		c("first_seen between inclusive", attr("first_seen", "between", `["2026-03-01T00:00:00Z","2026-03-04T12:00:00Z"]`), true),
		c("first_seen between ago", attr("first_seen", "between", `[{"ago":"8d"},{"ago":"6d"}]`), true),
		c("first_seen exists", attr("first_seen", "exists", ""), true),
		c("last_seen missing not_exists", attr("last_seen", "not_exists", ""), true),
		c("last_seen missing exists", attr("last_seen", "exists", ""), false),
		c("last_seen missing lt", attr("last_seen", "lt", `{"ago":"1d"}`), false),
		c("last_seen missing neq", attr("last_seen", "neq", `"2026-03-01T00:00:00Z"`), false),
		c("no attributes: neq", attr("country", "neq", `"JP"`), false),
		c("no attributes: not_exists", attr("country", "not_exists", ""), true),
	}
}

// ---------------------------------------------------------------------------
// where predicates

const richProps = `{
 "plan":"pro", "amount":250, "coupon":null, "gift":false, "tags":["x","y"],
 "ref":"news_letter", "meta":{"src":"ad"}, "paid_at":"2026-03-10T10:00:00Z",
 "items":[{"price":5,"sku":"a"},{"price":50,"sku":"b"},{"sku":"c"},{"price":null}],
 "orders":[{"items":[{"price":1}]},{"items":[{"price":2},{"price":null}]},{"note":"none"}],
 "nested":[[1,2],3], "deep":[[{"b":1}]]}`

func whereCases() []tcase {
	evs := []record.Event{ev("w1", "buy", "2026-03-10T10:00:00Z", richProps)}
	c := func(name, tree string, want bool) tcase {
		return tcase{name: "where/" + name, tree: tree, events: evs, want: want}
	}
	p := func(name, prop, op, value string, want bool) tcase {
		return c(name, buyWhere(pred(prop, op, value)), want)
	}
	return []tcase{
		p("eq", "plan", "eq", `"pro"`, true),
		p("eq case", "plan", "eq", `"Pro"`, false),
		p("neq", "plan", "neq", `"free"`, true),
		p("neq same", "plan", "neq", `"pro"`, false),
		p("lt", "amount", "lt", `300`, true),
		p("lt equal", "amount", "lt", `250`, false),
		p("lte equal", "amount", "lte", `250`, true),
		p("gt", "amount", "gt", `249`, true),
		p("gt equal", "amount", "gt", `250`, false),
		p("gte equal", "amount", "gte", `250`, true),
		p("gte above", "amount", "gte", `251`, false),
		p("between", "amount", "between", `[200,250]`, true),
		p("between outside", "amount", "between", `[251,300]`, false),
		p("in", "plan", "in", `["max","pro"]`, true),
		p("in number", "amount", "in", `[250]`, true),
		p("in number vs string", "amount", "in", `["250"]`, false),
		p("not_in", "plan", "not_in", `["free"]`, true),
		p("not_in hit", "plan", "not_in", `["pro","max"]`, false),
		p("not_in number vs string", "amount", "not_in", `["250"]`, true),
		p("not_in number hit", "amount", "not_in", `[250]`, false),
		p("contains", "ref", "contains", `"letter"`, true),
		p("not_contains", "ref", "not_contains", `"ads"`, true),
		p("not_contains hit", "ref", "not_contains", `"news"`, false),
		p("starts_with", "ref", "starts_with", `"news"`, true),
		p("starts_with miss", "ref", "starts_with", `"letter"`, false),
		p("ends_with", "ref", "ends_with", `"_letter"`, true),
		p("ends_with miss", "ref", "ends_with", `"news"`, false),
		p("null exists", "coupon", "exists", "", false),
		p("null not_exists", "coupon", "not_exists", "", true),
		p("null neq", "coupon", "neq", `"X"`, false),
		p("null not_in", "coupon", "not_in", `["X"]`, false),
		p("missing not_exists", "channel", "not_exists", "", true),
		p("missing neq", "channel", "neq", `"web"`, false),
		p("missing exists", "channel", "exists", "", false),
		p("bool eq false", "gift", "eq", `false`, true),
		p("bool neq true", "gift", "neq", `true`, true),
		p("bool eq 0", "gift", "eq", `0`, false),
		p("bool neq 0", "gift", "neq", `0`, false),
		p("number neq string", "amount", "neq", `"250"`, false),
		p("number contains", "amount", "contains", `"2"`, false),
		p("string gt number", "plan", "gt", `5`, false),
		p("number gt string", "amount", "gt", `"1"`, false),
		// arrays of scalars: any element
		p("array eq element", "tags", "eq", `"y"`, true),
		p("array not_contains some element", "tags", "not_contains", `"x"`, true),
		p("array in miss", "tags", "in", `["z"]`, false),
		// items.price yields 5, 50 (the element without price and the null are skipped)
		p("array path gt any", "items.price", "gt", `10`, true),
		p("array path gt none", "items.price", "gt", `50`, false),
		p("array path exists", "items.price", "exists", "", true),
		p("array path not_exists some values", "items.price", "not_exists", "", false),
		p("array path key in one element", "items.sku", "eq", `"c"`, true),
		p("array path key in no element", "items.qty", "not_exists", "", true),
		// orders.items.price: arrays on the way and at the end yield 1, 2
		p("nested arrays eq", "orders.items.price", "eq", `2`, true),
		p("nested arrays eq miss", "orders.items.price", "eq", `3`, false),
		p("nested arrays between", "orders.items.price", "between", `[1.5,1.9]`, false),
		p("array path to scalar in one element", "orders.note", "eq", `"none"`, true),
		// an array stands for its elements one level only: [[1,2],3] yields [1,2] and 3
		p("array of arrays inner element", "nested", "eq", `1`, false),
		p("array of arrays scalar element", "nested", "eq", `3`, true),
		p("array of arrays of objects", "deep.b", "not_exists", "", true),
		p("object path", "meta.src", "eq", `"ad"`, true),
		p("object eq string", "meta", "eq", `"ad"`, false),
		p("object exists", "meta", "exists", "", true),
		// paid_at 2026-03-10T10:00Z; as_of-1d = 2026-03-10T12:00Z
		p("time string gte ago 1d", "paid_at", "gte", `{"ago":"1d"}`, false),
		p("time string gte ago 2d", "paid_at", "gte", `{"ago":"2d"}`, true),
		p("time string between equal", "paid_at", "between", `["2026-03-10T10:00:00Z","2026-03-10T10:00:00Z"]`, true),
		p("time on number", "amount", "gt", `{"ago":"1d"}`, false),
		// several predicates: all must hold, each over any value on its own
		c("two predicates both hold", buyWhere(pred("plan", "eq", `"pro"`), pred("amount", "gt", `200`)), true),
		c("two predicates one fails", buyWhere(pred("plan", "eq", `"pro"`), pred("amount", "gt", `300`)), false),
		// price > 10 holds on element b, sku = "a" on element a: the predicates
		// are independent, so the event matches
		c("two predicates different elements", buyWhere(pred("items.price", "gt", `10`), pred("items.sku", "eq", `"a"`)), true),
		c("other event name", `{"type":"event","event":"Buy"}`, false),
	}
}

// ---------------------------------------------------------------------------
// aggregates

func aggregateCases() []tcase {
	// b4 is after as_of and never counts; v1 is another event name.
	evs := []record.Event{
		ev("b1", "buy", "2026-03-01T10:00:00Z", `{"items":[{"price":100},{"price":300}],"plan":"free"}`),
		ev("b2", "buy", "2026-03-05T10:00:00Z", `{"items":[{"price":200},{"sku":"x"},{"price":null},{"price":"50"}],"plan":"pro"}`),
		ev("v1", "view", "2026-03-06T10:00:00Z", `{"items":[{"price":99999}],"plan":"view"}`),
		ev("b4", "buy", "2026-03-11T12:00:00.001Z", `{"items":[{"price":5000}],"plan":"future"}`),
	}
	none := `[{"property":"plan","op":"eq","value":"nothing"}]`
	c := func(name, tree string, want bool) tcase {
		return tcase{name: "agg/" + name, tree: tree, events: evs, want: want}
	}
	// numeric values of items.price over b1, b2: 100, 300, 200 ("50" is a string)
	return []tcase{
		c("count events not elements", agg("count", "", "", "", "eq", `2`), true),
		c("default op is gte 1", `{"type":"event","event":"buy","aggregate":{"fn":"count"}}`, true),
		c("sum", agg("sum", "items.price", "", "", "eq", `600`), true),
		c("avg", agg("avg", "items.price", "", "", "eq", `200`), true),
		c("min", agg("min", "items.price", "", "", "eq", `100`), true),
		c("max", agg("max", "items.price", "", "", "eq", `300`), true),
		c("max not future", agg("max", "items.price", "", "", "lt", `5000`), true),
		// 100, 300, 200, "50"
		c("distinct_count", agg("distinct_count", "items.price", "", "", "eq", `4`), true),
		// where selects b1 (it has 300 > 250); the sum is over all of b1's values
		c("sum over matching events", agg("sum", "items.price", `[{"property":"items.price","op":"gt","value":250}]`, "", "eq", `400`), true),
		c("avg with where", agg("avg", "items.price", `[{"property":"plan","op":"eq","value":"pro"}]`, "", "eq", `200`), true),
		c("sum in window", agg("sum", "items.price", "", `{"calendar":"week","offset":-1}`, "eq", `200`), true),
		c("first", agg("first", "plan", "", "", "eq", `"free"`), true),
		c("last ignores after as_of", agg("last", "plan", "", "", "eq", `"pro"`), true),
		c("exists on count", agg("count", "", none, "", "exists", ""), true),
		// nothing matching
		c("none: count eq 0", agg("count", "", none, "", "eq", `0`), true),
		c("none: sum eq 0", agg("sum", "items.price", none, "", "eq", `0`), true),
		c("none: sum exists", agg("sum", "items.price", none, "", "exists", ""), true),
		c("none: distinct_count eq 0", agg("distinct_count", "items.price", none, "", "eq", `0`), true),
		c("none: avg lt", agg("avg", "items.price", none, "", "lt", `1e9`), false),
		c("none: avg exists", agg("avg", "items.price", none, "", "exists", ""), false),
		c("none: avg not_exists", agg("avg", "items.price", none, "", "not_exists", ""), true),
		c("none: min gte", agg("min", "items.price", none, "", "gte", `-1e9`), false),
		c("none: max lte", agg("max", "items.price", none, "", "lte", `1e9`), false),
		c("none: max not_exists", agg("max", "items.price", none, "", "not_exists", ""), true),
		c("none: first exists", agg("first", "plan", none, "", "exists", ""), false),
		c("none: last not_exists", agg("last", "plan", none, "", "not_exists", ""), true),
		c("none: last neq", agg("last", "plan", none, "", "neq", `"x"`), false),
	}
}

func aggregateValueCases() []tcase {
	evsOf := func(vals ...string) []record.Event {
		var out []record.Event
		for i, v := range vals {
			out = append(out, ev(fmt.Sprintf("a%02d", i), "buy", fmt.Sprintf("2026-03-01T%02d:00:00Z", i), `{"v":`+v+`}`))
		}
		return out
	}
	nonNumeric := evsOf(`"100"`, `true`)
	// values: 1000, "1000", true, -0, 0, 1000, (object ignored), (null: none),
	// true, false => distinct 1000, "1000", true, 0, false = 5
	mixed := evsOf(`1000`, `"1000"`, `true`, `-0`, `0`, `1000`, `{"x":1}`, `null`, `[true,false]`)
	signed := evsOf(`-5`, `3`, `"-10"`)
	half := evsOf(`1`, `2`)
	return []tcase{
		{name: "aggv/only strings and booleans: sum eq 0", tree: agg("sum", "v", "", "", "eq", `0`), events: nonNumeric, want: true},
		{name: "aggv/only strings and booleans: avg exists", tree: agg("avg", "v", "", "", "exists", ""), events: nonNumeric, want: false},
		{name: "aggv/only strings and booleans: min not_exists", tree: agg("min", "v", "", "", "not_exists", ""), events: nonNumeric, want: true},
		{name: "aggv/only strings and booleans: distinct_count", tree: agg("distinct_count", "v", "", "", "eq", `2`), events: nonNumeric, want: true},
		{name: "aggv/distinct_count mixed types", tree: agg("distinct_count", "v", "", "", "eq", `5`), events: mixed, want: true},
		{name: "aggv/sum mixed types", tree: agg("sum", "v", "", "", "eq", `2000`), events: mixed, want: true},
		{name: "aggv/count mixed", tree: agg("count", "", "", "", "eq", `9`), events: mixed, want: true},
		{name: "aggv/min negative", tree: agg("min", "v", "", "", "eq", `-5`), events: signed, want: true},
		{name: "aggv/max", tree: agg("max", "v", "", "", "eq", `3`), events: signed, want: true},
		{name: "aggv/sum negative", tree: agg("sum", "v", "", "", "eq", `-2`), events: signed, want: true},
		{name: "aggv/avg negative", tree: agg("avg", "v", "", "", "eq", `-1`), events: signed, want: true},
		{name: "aggv/avg fraction", tree: agg("avg", "v", "", "", "eq", `1.5`), events: half, want: true},
		{name: "aggv/avg between", tree: agg("avg", "v", "", "", "between", `[1.4,1.6]`), events: half, want: true},
		{name: "aggv/avg gt", tree: agg("avg", "v", "", "", "gt", `1.5`), events: half, want: false},
	}
}

func firstLastCases() []tcase {
	seq := []record.Event{
		ev("e2", "buy", "2026-03-02T00:00:00Z", `{"plan":"pro"}`),
		ev("e1", "buy", "2026-03-01T00:00:00Z", `{"plan":"free"}`),
		ev("e3", "buy", "2026-03-03T00:00:00Z", `{"plan":"max"}`),
	}
	// equal latest times: "e9" > "e10" in byte order, so e9 is last
	tieLast := []record.Event{
		ev("e1", "buy", "2026-03-01T00:00:00Z", `{"plan":"Z"}`),
		ev("e10", "buy", "2026-03-03T00:00:00Z", `{"plan":"A"}`),
		ev("e9", "buy", "2026-03-03T00:00:00Z", `{"plan":"B"}`),
	}
	tieFirst := []record.Event{
		ev("x2", "buy", "2026-03-01T00:00:00Z", `{"plan":"B"}`),
		ev("x1", "buy", "2026-03-01T00:00:00Z", `{"plan":"A"}`),
		ev("x3", "buy", "2026-03-02T00:00:00Z", `{"plan":"C"}`),
	}
	// the tie winner has no plan: no fallback to the other event
	tieNoValue := []record.Event{
		ev("e10", "buy", "2026-03-03T00:00:00Z", `{"plan":"A"}`),
		ev("e9", "buy", "2026-03-03T00:00:00Z", `{}`),
	}
	firstNoValue := []record.Event{
		ev("e1", "buy", "2026-03-01T00:00:00Z", `{"other":1}`),
		ev("e2", "buy", "2026-03-02T00:00:00Z", `{"plan":"pro"}`),
	}
	arr := []record.Event{ev("e1", "buy", "2026-03-01T00:00:00Z", `{"items":[{"qty":1},{"price":7},{"price":9}]}`)}
	lastNull := []record.Event{
		ev("e1", "buy", "2026-03-01T00:00:00Z", `{"plan":"pro"}`),
		ev("e2", "buy", "2026-03-02T00:00:00Z", `{"plan":null}`),
	}
	misc := []record.Event{ev("e1", "buy", "2026-03-01T00:00:00Z", `{"n":5,"s":"1","meta":{"k":1},"ts":"2026-03-01T00:00:00Z"}`)}
	return []tcase{
		{name: "firstlast/first", tree: agg("first", "plan", "", "", "eq", `"free"`), events: seq, want: true},
		{name: "firstlast/last", tree: agg("last", "plan", "", "", "eq", `"max"`), events: seq, want: true},
		{name: "firstlast/last with where", tree: agg("last", "plan", `[{"property":"plan","op":"neq","value":"max"}]`, "", "eq", `"pro"`), events: seq, want: true},
		{name: "firstlast/last in range window", tree: agg("last", "plan", "", `{"since":"2026-03-01T00:00:00Z","until":"2026-03-03T00:00:00Z"}`, "eq", `"pro"`), events: seq, want: true},
		{name: "firstlast/first string order", tree: agg("first", "plan", "", "", "lt", `"g"`), events: seq, want: true},
		{name: "firstlast/last tie larger event_id", tree: agg("last", "plan", "", "", "eq", `"B"`), events: tieLast, want: true},
		{name: "firstlast/last tie smaller event_id loses", tree: agg("last", "plan", "", "", "eq", `"A"`), events: tieLast, want: false},
		{name: "firstlast/first tie larger event_id", tree: agg("first", "plan", "", "", "eq", `"B"`), events: tieFirst, want: true},
		{name: "firstlast/first tie smaller event_id loses", tree: agg("first", "plan", "", "", "eq", `"A"`), events: tieFirst, want: false},
		{name: "firstlast/tie winner without value", tree: agg("last", "plan", "", "", "not_exists", ""), events: tieNoValue, want: true},
		{name: "firstlast/first event without value", tree: agg("first", "plan", "", "", "exists", ""), events: firstNoValue, want: false},
		{name: "firstlast/first event without value eq", tree: agg("first", "plan", "", "", "eq", `"pro"`), events: firstNoValue, want: false},
		{name: "firstlast/last event without value has last", tree: agg("last", "plan", "", "", "eq", `"pro"`), events: firstNoValue, want: true},
		{name: "firstlast/array path first element value", tree: agg("last", "items.price", "", "", "eq", `7`), events: arr, want: true},
		{name: "firstlast/array path not a later element", tree: agg("first", "items.price", "", "", "eq", `9`), events: arr, want: false},
		{name: "firstlast/latest null", tree: agg("last", "plan", "", "", "not_exists", ""), events: lastNull, want: true},
		{name: "firstlast/number gt", tree: agg("first", "n", "", "", "gt", `4`), events: misc, want: true},
		{name: "firstlast/string vs number", tree: agg("first", "s", "", "", "eq", `1`), events: misc, want: false},
		{name: "firstlast/object value defined", tree: agg("first", "meta", "", "", "exists", ""), events: misc, want: true},
		{name: "firstlast/object value eq", tree: agg("first", "meta", "", "", "eq", `"x"`), events: misc, want: false},
		{name: "firstlast/time string gt ago", tree: agg("first", "ts", "", "", "gt", `{"ago":"30d"}`), events: misc, want: true},
	}
}

// ---------------------------------------------------------------------------
// windows

func windowCases() []tcase {
	w := func(name, window, eventTime, asOf, zone string, want bool) tcase {
		return tcase{name: "window/" + name, tree: inWindow(window), events: one(eventTime), asOf: asOf, zone: zone, want: want}
	}
	const (
		last7   = `{"last":"7d"}`
		day0    = `{"calendar":"day","offset":0}`
		dayM1   = `{"calendar":"day","offset":-1}`
		week0   = `{"calendar":"week","offset":0}`
		weekM1  = `{"calendar":"week","offset":-1}`
		weekM2  = `{"calendar":"week","offset":-2}`
		month0  = `{"calendar":"month","offset":0}`
		monthM1 = `{"calendar":"month","offset":-1}`
		year0   = `{"calendar":"year","offset":0}`
		yearM1  = `{"calendar":"year","offset":-1}`
		rng     = `{"since":"2026-03-01T00:00:00Z","until":"2026-03-05T00:00:00Z"}`
	)
	return []tcase{
		// last: as_of - 7d < time <= as_of
		w("last lower bound exclusive", last7, "2026-03-04T12:00:00Z", "", "", false),
		w("last just after lower bound", last7, "2026-03-04T12:00:00.001Z", "", "", true),
		w("last as_of inclusive", last7, "2026-03-11T12:00:00Z", "", "", true),
		w("last after as_of", last7, "2026-03-11T12:00:00.001Z", "", "", false),
		w("last 90m inside", `{"last":"90m"}`, "2026-03-11T10:31:00Z", "", "", true),
		w("last 90m bound", `{"last":"90m"}`, "2026-03-11T10:30:00Z", "", "", false),
		w("last 1w is 7d", `{"last":"1w"}`, "2026-03-04T12:00:00.001Z", "", "", true),
		w("last 2h", `{"last":"2h"}`, "2026-03-11T10:00:00Z", "", "", false),
		// Berlin, as_of 2026-10-25T23:30Z (00:30 CET on Monday, after the DST
		// change): last 1d is 24 h, from 2026-10-24T23:30Z; 22:45Z is out although
		// it is after 00:30 local on the previous calendar day
		w("last 1d is 24h across DST", `{"last":"1d"}`, "2026-10-24T22:45:00Z", "2026-10-25T23:30:00Z", "Europe/Berlin", false),
		w("last 1d inside across DST", `{"last":"1d"}`, "2026-10-24T23:31:00Z", "2026-10-25T23:30:00Z", "Europe/Berlin", true),
		// calendar day (UTC)
		w("day0 midnight", day0, "2026-03-11T00:00:00Z", "", "", true),
		w("day0 before midnight", day0, "2026-03-10T23:59:59.999Z", "", "", false),
		w("day0 after as_of", day0, "2026-03-11T12:00:01Z", "", "", false),
		w("day-1 start", dayM1, "2026-03-10T00:00:00Z", "", "", true),
		w("day-1 end exclusive", dayM1, "2026-03-11T00:00:00Z", "", "", false),
		// calendar week (ISO, Monday first)
		w("week0 monday", week0, "2026-03-09T00:00:00Z", "", "", true),
		w("week0 sunday before", week0, "2026-03-08T23:59:59.999Z", "", "", false),
		w("week-1 monday", weekM1, "2026-03-02T00:00:00Z", "", "", true),
		w("week-1 sunday", weekM1, "2026-03-08T23:59:59.999Z", "", "", true),
		w("week-1 end exclusive", weekM1, "2026-03-09T00:00:00Z", "", "", false),
		w("week-1 before", weekM1, "2026-03-01T23:59:59Z", "", "", false),
		w("week-2", weekM2, "2026-02-23T00:00:00Z", "", "", true),
		w("week-2 not week-1", weekM2, "2026-03-02T00:00:00Z", "", "", false),
		// as_of Friday 2027-01-01: the ISO week started Monday 2026-12-28
		w("week0 across new year", week0, "2026-12-28T00:00:00Z", "2027-01-01T12:00:00Z", "", true),
		w("week0 across new year sunday", week0, "2026-12-27T23:59:59Z", "2027-01-01T12:00:00Z", "", false),
		// calendar month and year (UTC)
		w("month0 first", month0, "2026-03-01T00:00:00Z", "", "", true),
		w("month0 before", month0, "2026-02-28T23:59:59.999Z", "", "", false),
		w("month-1 first", monthM1, "2026-02-01T00:00:00Z", "", "", true),
		w("month-1 last ms", monthM1, "2026-02-28T23:59:59.999Z", "", "", true),
		w("month-1 end exclusive", monthM1, "2026-03-01T00:00:00Z", "", "", false),
		w("month-1 before", monthM1, "2026-01-31T23:59:59Z", "", "", false),
		w("month-12", `{"calendar":"month","offset":-12}`, "2025-03-15T00:00:00Z", "", "", true),
		w("month-12 not month-11", `{"calendar":"month","offset":-12}`, "2025-04-01T00:00:00Z", "", "", false),
		w("year0", year0, "2026-01-01T00:00:00Z", "", "", true),
		w("year0 before", year0, "2025-12-31T23:59:59Z", "", "", false),
		w("year-1", yearM1, "2025-06-01T00:00:00Z", "", "", true),
		w("year-1 end exclusive", yearM1, "2026-01-01T00:00:00Z", "", "", false),
		// Tokyo (UTC+9): as_of 2026-02-28T15:30Z is 2026-03-01 00:30 JST, so
		// March began at 2026-02-28T15:00Z and February at 2026-01-31T15:00Z
		w("tokyo month0 start", month0, "2026-02-28T15:00:00Z", "2026-02-28T15:30:00Z", "Asia/Tokyo", true),
		w("tokyo month0 before", month0, "2026-02-28T14:59:59Z", "2026-02-28T15:30:00Z", "Asia/Tokyo", false),
		w("tokyo month-1 end", monthM1, "2026-02-28T14:59:59Z", "2026-02-28T15:30:00Z", "Asia/Tokyo", true),
		w("tokyo month-1 start", monthM1, "2026-01-31T15:00:00Z", "2026-02-28T15:30:00Z", "Asia/Tokyo", true),
		w("tokyo month-1 before", monthM1, "2026-01-31T14:59:59Z", "2026-02-28T15:30:00Z", "Asia/Tokyo", false),
		w("tokyo day0 is not the UTC day", day0, "2026-02-28T14:00:00Z", "2026-02-28T15:30:00Z", "Asia/Tokyo", false),
		// Berlin, ISO week 2026-10-19..25 holds the end of DST (Sunday
		// 2026-10-25 03:00 CEST -> 02:00 CET). It runs from Monday 00:00 CEST =
		// 2026-10-18T22:00Z to Monday 2026-10-26 00:00 CET = 2026-10-25T23:00Z
		// (169 h). as_of is Wednesday 2026-10-28T12:00Z.
		w("berlin dst week-1 before start", weekM1, "2026-10-18T21:59:59Z", "2026-10-28T12:00:00Z", "Europe/Berlin", false),
		w("berlin dst week-1 start", weekM1, "2026-10-18T22:00:00Z", "2026-10-28T12:00:00Z", "Europe/Berlin", true),
		w("berlin dst week-1 last hour (CET)", weekM1, "2026-10-25T22:30:00Z", "2026-10-28T12:00:00Z", "Europe/Berlin", true),
		w("berlin dst week-1 end exclusive", weekM1, "2026-10-25T23:00:00Z", "2026-10-28T12:00:00Z", "Europe/Berlin", false),
		w("berlin dst week0 start", week0, "2026-10-25T23:00:00Z", "2026-10-28T12:00:00Z", "Europe/Berlin", true),
		w("berlin dst week0 before", week0, "2026-10-25T22:59:59Z", "2026-10-28T12:00:00Z", "Europe/Berlin", false),
		// Berlin, day 2026-10-25 is 25 h: from 2026-10-24T22:00Z (00:00 CEST).
		// as_of 2026-10-25T22:30Z is 23:30 CET the same day.
		w("berlin dst day0 start", day0, "2026-10-24T22:00:00Z", "2026-10-25T22:30:00Z", "Europe/Berlin", true),
		w("berlin dst day0 before", day0, "2026-10-24T21:59:59Z", "2026-10-25T22:30:00Z", "Europe/Berlin", false),
		// Berlin, day 2026-03-29 (start of DST) is 23 h: 2026-03-28T23:00Z
		// (00:00 CET) to 2026-03-29T22:00Z (00:00 CEST Monday)
		w("berlin spring day-1 start", dayM1, "2026-03-28T23:00:00Z", "2026-03-30T12:00:00Z", "Europe/Berlin", true),
		w("berlin spring day-1 late", dayM1, "2026-03-29T21:30:00Z", "2026-03-30T12:00:00Z", "Europe/Berlin", true),
		w("berlin spring day-1 end exclusive", dayM1, "2026-03-29T22:00:00Z", "2026-03-30T12:00:00Z", "Europe/Berlin", false),
		// America/Santiago skips midnight at the start of DST: 2026-09-05 23:59:59
		// -04 is followed by 2026-09-06 01:00 -03 (04:00Z), so the day 2026-09-06
		// begins at 04:00Z and 03:30Z (23:30 -04) still belongs to 2026-09-05
		w("santiago skipped midnight day0 start", day0, "2026-09-06T04:00:00Z", "2026-09-06T12:00:00Z", "America/Santiago", true),
		w("santiago skipped midnight day0 before", day0, "2026-09-06T03:30:00Z", "2026-09-06T12:00:00Z", "America/Santiago", false),
		w("santiago skipped midnight day-1 end", dayM1, "2026-09-06T03:59:59Z", "2026-09-06T12:00:00Z", "America/Santiago", true),
		w("santiago skipped midnight day-1 start", dayM1, "2026-09-05T04:00:00Z", "2026-09-06T12:00:00Z", "America/Santiago", true),
		w("santiago skipped midnight day-1 before", dayM1, "2026-09-05T03:59:00Z", "2026-09-06T12:00:00Z", "America/Santiago", false),
		// no Location means UTC
		w("default zone utc week", weekM1, "2026-03-08T23:30:00Z", "", "", true),
		// since <= time < until, and never after as_of
		w("range since inclusive", rng, "2026-03-01T00:00:00Z", "", "", true),
		w("range until exclusive", rng, "2026-03-05T00:00:00Z", "", "", false),
		w("range inside", rng, "2026-03-04T23:59:59.999Z", "", "", true),
		w("range before", rng, "2026-02-28T23:59:59Z", "", "", false),
		w("range since only", `{"since":"2026-03-10T00:00:00Z"}`, "2026-03-11T12:00:00Z", "", "", true),
		w("range since only after as_of", `{"since":"2026-03-10T00:00:00Z"}`, "2026-03-11T13:00:00Z", "", "", false),
		w("range until only", `{"until":"2026-03-01T00:00:00Z"}`, "2020-02-01T00:00:00Z", "", "", true),
		w("range past as_of", `{"since":"2026-03-11T00:00:00Z","until":"2026-04-01T00:00:00Z"}`, "2026-03-12T00:00:00Z", "", "", false),
		w("range offset times", `{"since":"2026-03-01T09:00:00+09:00","until":"2026-03-02T00:00:00Z"}`, "2026-03-01T00:00:00Z", "", "", true),
		w("range offset times before", `{"since":"2026-03-01T09:00:00+09:00","until":"2026-03-02T00:00:00Z"}`, "2026-02-28T23:59:59Z", "", "", false),
		// all / no window
		w("all old", `{"all":true}`, "2000-01-01T00:00:00Z", "", "", true),
		w("all after as_of", `{"all":true}`, "2026-03-11T12:00:01Z", "", "", false),
		{name: "window/none after as_of", tree: `{"type":"event","event":"buy"}`, events: one("2026-03-11T12:00:00.001Z"), want: false},
		{name: "window/none at as_of", tree: `{"type":"event","event":"buy"}`, events: one("2026-03-11T12:00:00Z"), want: true},
	}
}

// ---------------------------------------------------------------------------
// users without events, and the boolean nodes

func zeroEventCases() []tcase {
	c := func(name, tree string, want bool) tcase {
		return tcase{name: "zero/" + name, tree: tree, attrs: `{"country":"JP"}`, want: want}
	}
	return []tcase{
		c("performed", `{"type":"event","event":"buy"}`, false),
		c("count eq 0", agg("count", "", "", "", "eq", `0`), true),
		c("count lt 1", agg("count", "", "", "", "lt", `1`), true),
		c("count eq 0 in window", agg("count", "", "", `{"last":"7d"}`, "eq", `0`), true),
		c("sum eq 0", agg("sum", "items.price", "", "", "eq", `0`), true),
		c("sum lte 100", agg("sum", "items.price", "", "", "lte", `100`), true),
		c("distinct_count eq 0", agg("distinct_count", "sku", "", "", "eq", `0`), true),
		c("avg exists", agg("avg", "items.price", "", "", "exists", ""), false),
		c("avg lt", agg("avg", "items.price", "", "", "lt", `100`), false),
		c("min not_exists", agg("min", "items.price", "", "", "not_exists", ""), true),
		c("first eq", agg("first", "plan", "", "", "eq", `"x"`), false),
		c("funnel", `{"type":"funnel","steps":[{"event":"view"},{"event":"buy"}]}`, false),
		c("funnel exact reached 1", `{"type":"funnel","steps":[{"event":"view"},{"event":"buy"}],"reached":1,"exact":true}`, false),
		c("not performed", `{"type":"not","child":{"type":"event","event":"buy"}}`, true),
		c("and attribute and not performed", `{"type":"and","children":[`+attr("country", "eq", `"JP"`)+`,{"type":"not","child":{"type":"event","event":"buy"}}]}`, true),
	}
}

func logicCases() []tcase {
	yes := attr("country", "eq", `"JP"`)
	no := attr("country", "eq", `"US"`)
	missingNeq := attr("region", "neq", `"EU"`)
	c := func(name, tree string, want bool) tcase {
		return tcase{name: "logic/" + name, tree: tree, attrs: `{"country":"JP","age":30}`, want: want}
	}
	and := func(cs ...string) string { return `{"type":"and","children":[` + strings.Join(cs, ",") + `]}` }
	or := func(cs ...string) string { return `{"type":"or","children":[` + strings.Join(cs, ",") + `]}` }
	not := func(x string) string { return `{"type":"not","child":` + x + `}` }
	return []tcase{
		c("and single", and(yes), true),
		c("and all", and(yes, attr("age", "gte", `18`)), true),
		c("and one false", and(yes, no), false),
		c("or one true", or(no, yes), true),
		c("or none", or(no, attr("age", "lt", `18`)), false),
		c("not false", not(no), true),
		c("not not", not(not(yes)), true),
		// region is missing: neq is false, so its negation holds
		c("not of neq on missing", not(missingNeq), true),
		c("missing: neither eq nor neq", or(missingNeq, attr("region", "eq", `"EU"`)), false),
		c("nested and or not", and(or(no, yes), not(and(yes, no))), true),
		c("nested or of ands", or(and(yes, no), and(not(yes), yes)), false),
		c("de morgan", not(or(no, attr("age", "gt", `40`))), true),
	}
}

// ---------------------------------------------------------------------------
// funnels

func funnelCases() []tcase {
	three := func(extra string) string {
		return `{"type":"funnel","steps":[{"event":"view"},{"event":"cart"},{"event":"buy","where":[{"property":"total","op":"gt","value":0}]}]` + extra + `}`
	}
	two := func(extra string) string {
		return `{"type":"funnel","steps":[{"event":"view"},{"event":"cart"}]` + extra + `}`
	}
	c := func(name, tree string, evs []record.Event, want bool) tcase {
		return tcase{name: "funnel/" + name, tree: tree, events: evs, want: want}
	}
	full := []record.Event{
		ev("f1", "view", "2026-03-10T00:00:00Z", `{}`),
		ev("f2", "cart", "2026-03-10T01:00:00Z", `{}`),
		ev("f3", "buy", "2026-03-10T02:00:00Z", `{"total":10}`),
	}
	// reaches 2 of 3: the only buy has total 0
	reach2 := []record.Event{
		ev("f1", "view", "2026-03-10T00:00:00Z", `{}`),
		ev("f2", "cart", "2026-03-10T01:00:00Z", `{}`),
		ev("f3", "buy", "2026-03-10T02:00:00Z", `{"total":0}`),
	}
	reach1 := []record.Event{ev("f1", "view", "2026-03-10T00:00:00Z", `{}`)}
	sameTime := []record.Event{
		ev("f1", "view", "2026-03-10T00:00:00Z", `{}`),
		ev("f2", "cart", "2026-03-10T00:00:00Z", `{}`),
	}
	cartFirst := []record.Event{
		ev("f1", "cart", "2026-03-10T00:00:00Z", `{}`),
		ev("f2", "view", "2026-03-10T01:00:00Z", `{}`),
	}
	pair := func(view, cart string) []record.Event {
		return []record.Event{ev("p1", "view", view, `{}`), ev("p2", "cart", cart, `{}`)}
	}
	// within 1h: the first view's cart comes 2h later; the second view at
	// +90m reaches cart at +2h and buy at +150m
	laterE1 := []record.Event{
		ev("l1", "view", "2026-03-10T00:00:00Z", `{}`),
		ev("l2", "view", "2026-03-10T01:30:00Z", `{}`),
		ev("l3", "cart", "2026-03-10T02:00:00Z", `{}`),
		ev("l4", "buy", "2026-03-10T02:30:00Z", `{"total":1}`),
	}
	// within 1d: view, cart +1h, a buy before the cart, and a buy past 1d
	buyTooLate := []record.Event{
		ev("g1", "view", "2026-03-09T00:00:00Z", `{}`),
		ev("g2", "buy", "2026-03-09T00:30:00Z", `{"total":5}`),
		ev("g3", "cart", "2026-03-09T01:00:00Z", `{}`),
		ev("g4", "buy", "2026-03-10T00:00:00.001Z", `{"total":5}`),
	}
	twoViews := func(t1, t2 string) []record.Event {
		return []record.Event{ev("v1", "view", t1, `{}`), ev("v2", "view", t2, `{}`)}
	}
	viewView := `{"type":"funnel","steps":[{"event":"view"},{"event":"view"}]}`
	return []tcase{
		c("three steps", three(`,"within":"1d"`), full, true),
		c("three steps default reached is all", three(""), reach2, false),
		c("reached 2 of 3", three(`,"reached":2`), reach2, true),
		c("reached 2 needs 2", three(`,"reached":2`), reach1, false),
		c("reached 1", three(`,"reached":1`), reach1, true),
		// the buy with total 0 does not count; the one with total 5 does
		c("step where filters", three(`,"within":"1d"`), append(slices.Clone(reach2), ev("f4", "buy", "2026-03-10T03:00:00Z", `{"total":5}`)), true),
		c("exact 2 with 3 reached", three(`,"reached":2,"exact":true`), full, false),
		c("exact 2 with 2 reached", three(`,"reached":2,"exact":true`), reach2, true),
		c("exact 2 with 1 reached", three(`,"reached":2,"exact":true`), reach1, false),
		c("exact 1 dropped after step 1", three(`,"reached":1,"exact":true`), reach1, true),
		c("exact 3 is all", three(`,"reached":3,"exact":true`), full, true),
		c("exact 1 with none", three(`,"reached":1,"exact":true`), nil, false),
		// equal times do not advance
		c("equal times do not advance", two(""), sameTime, false),
		c("equal times reach 1", two(`,"reached":1,"exact":true`), sameTime, true),
		c("order matters", two(""), cartFirst, false),
		// within: ek - e1 <= within
		c("within inclusive", two(`,"within":"1d"`), pair("2026-03-09T00:00:00Z", "2026-03-10T00:00:00Z"), true),
		c("within exceeded by 1ms", two(`,"within":"1d"`), pair("2026-03-09T00:00:00Z", "2026-03-10T00:00:00.001Z"), false),
		c("within 90m", two(`,"within":"90m"`), pair("2026-03-10T00:00:00Z", "2026-03-10T01:30:00Z"), true),
		c("no within", two(""), pair("2025-01-01T00:00:00Z", "2026-03-11T11:00:00Z"), true),
		// the window restricts step 1 only; last 7d is (2026-03-04T12:00Z, as_of]
		c("window e1 outside", two(`,"window":{"last":"7d"}`), pair("2026-03-04T12:00:00Z", "2026-03-05T00:00:00Z"), false),
		c("window e1 inside", two(`,"window":{"last":"7d"}`), pair("2026-03-04T12:00:01Z", "2026-03-11T12:00:00Z"), true),
		c("window applies to step 1 only", two(`,"window":{"since":"2026-03-01T00:00:00Z","until":"2026-03-02T00:00:00Z"}`), pair("2026-03-01T12:00:00Z", "2026-03-08T00:00:00Z"), true),
		c("window calendar week-1 step 2 this week", two(`,"window":{"calendar":"week","offset":-1}`), pair("2026-03-08T23:00:00Z", "2026-03-09T01:00:00Z"), true),
		c("window calendar week-1 e1 this week", two(`,"window":{"calendar":"week","offset":-1}`), pair("2026-03-09T00:00:00Z", "2026-03-09T01:00:00Z"), false),
		// events after as_of never count
		c("step 2 after as_of", two(""), pair("2026-03-11T11:00:00Z", "2026-03-11T12:00:00.001Z"), false),
		c("step 2 at as_of", two(""), pair("2026-03-11T11:00:00Z", "2026-03-11T12:00:00Z"), true),
		c("step 1 after as_of", two(`,"reached":1`), pair("2026-03-11T12:00:01Z", "2026-03-11T12:00:02Z"), false),
		// reached is the max over e1
		c("later e1 reaches further", three(`,"within":"1h"`), laterE1, true),
		c("later e1 exact 3", three(`,"within":"1h","reached":3,"exact":true`), laterE1, true),
		c("buy before cart and buy too late", three(`,"within":"1d"`), buyTooLate, false),
		c("buy before cart and buy too late exact 2", three(`,"within":"1d","reached":2,"exact":true`), buyTooLate, true),
		c("buy too late without within", three(""), buyTooLate, true),
		// the same event name twice needs two events at different times
		c("repeated step one event", viewView, twoViews("2026-03-10T00:00:00Z", "2026-03-10T00:00:00Z")[:1], false),
		c("repeated step same time", viewView, twoViews("2026-03-10T00:00:00Z", "2026-03-10T00:00:00Z"), false),
		c("repeated step two times", viewView, twoViews("2026-03-10T00:00:00Z", "2026-03-10T00:00:01Z"), true),
	}
}

// ---------------------------------------------------------------------------
// the spec's worked example, at as_of Wednesday 2026-03-11T12:00Z in UTC:
// today is [2026-03-11T00:00Z, as_of], last week [2026-03-02, 2026-03-09).

const workedExample = `{"type":"and","children":[
  {"type":"event","event":"$meta","aggregate":{"fn":"last","property":"isMember"},
   "window":{"calendar":"day","offset":0},"op":"eq","value":1},
  {"type":"event","event":"$buy","aggregate":{"fn":"avg","property":"items.price"},
   "window":{"all":true},"op":"gte","value":10000},
  {"type":"event","event":"$buy","aggregate":{"fn":"sum","property":"items.price"},
   "window":{"calendar":"week","offset":-1},"op":"lte","value":100},
  {"type":"event","event":"$session",
   "window":{"calendar":"week","offset":-1},"op":"gt","value":10}]}`

func sessions(n int, prefix string) []record.Event {
	var out []record.Event
	for i := range n {
		t := time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC).Add(time.Duration(i) * 13 * time.Hour)
		out = append(out, record.Event{EventID: fmt.Sprintf("%s%02d", prefix, i), UserID: "u1", Name: "$session", Time: t})
	}
	return out
}

func workedExampleCases() []tcase {
	meta := func(id, t, isMember string) record.Event {
		return ev(id, "$meta", t, `{"isMember":`+isMember+`}`)
	}
	// avg over all time = (30000 + 60 + 40) / 3 = 10033.3; last week sum = 100
	bigOld := ev("b1", "$buy", "2026-02-10T10:00:00Z", `{"items":[{"price":30000}]}`)
	smallLastWeek := ev("b2", "$buy", "2026-03-04T10:00:00Z", `{"items":[{"price":60},{"price":40}]}`)
	build := func(parts ...[]record.Event) []record.Event {
		var out []record.Event
		for _, p := range parts {
			out = append(out, p...)
		}
		return out
	}
	member := []record.Event{meta("m1", "2026-03-11T08:00:00Z", "1")}
	buys := []record.Event{bigOld, smallLastWeek}
	c := func(name string, evs []record.Event, want bool) tcase {
		return tcase{name: "worked/" + name, tree: workedExample, events: evs, want: want}
	}
	return []tcase{
		// 11 sessions from Mon 00:00 every 13 h: the last at Mar 7 10:00
		c("in", build(member, buys, sessions(11, "s")), true),
		c("in without last week buys", build(member, []record.Event{bigOld}, sessions(11, "s")), true),
		c("in: flag 0 earlier today then 1", build([]record.Event{meta("m0", "2026-03-11T07:00:00Z", "0")}, member, buys, sessions(11, "s")), true),
		c("in: later flag after as_of ignored", build(member, []record.Event{meta("m9", "2026-03-11T12:00:01Z", "0")}, buys, sessions(11, "s")), true),
		// equal times: the larger event_id ("m2") is the last
		c("in: tie won by larger event_id", build([]record.Event{meta("m1", "2026-03-11T08:00:00Z", "0"), meta("m2", "2026-03-11T08:00:00Z", "1")}, buys, sessions(11, "s")), true),
		c("out: tie lost by smaller event_id", build([]record.Event{meta("m1", "2026-03-11T08:00:00Z", "1"), meta("m2", "2026-03-11T08:00:00Z", "0")}, buys, sessions(11, "s")), false),
		c("out: flag set yesterday only", build([]record.Event{meta("m1", "2026-03-10T23:59:59Z", "1")}, buys, sessions(11, "s")), false),
		c("out: flag 1 then 0 today", build(member, []record.Event{meta("m2", "2026-03-11T09:00:00Z", "0")}, buys, sessions(11, "s")), false),
		c("out: flag is the string \"1\"", build([]record.Event{meta("m1", "2026-03-11T08:00:00Z", `"1"`)}, buys, sessions(11, "s")), false),
		c("out: flag true", build([]record.Event{meta("m1", "2026-03-11T08:00:00Z", `true`)}, buys, sessions(11, "s")), false),
		// last week sum 101
		c("out: spent 101 last week", build(member, []record.Event{bigOld, ev("b2", "$buy", "2026-03-04T10:00:00Z", `{"items":[{"price":61},{"price":40}]}`)}, sessions(11, "s")), false),
		// avg (29000 + 60 + 40) / 3 = 9700
		c("out: avg below 10000", build(member, []record.Event{ev("b1", "$buy", "2026-02-10T10:00:00Z", `{"items":[{"price":29000}]}`), smallLastWeek}, sessions(11, "s")), false),
		// no $buy: sum is 0 (<= 100) but avg is undefined
		c("out: never bought", build(member, sessions(11, "s")), false),
		c("out: exactly 10 sessions", build(member, buys, sessions(10, "s")), false),
		c("out: 11th session this week", build(member, buys, sessions(10, "s"), []record.Event{{EventID: "sx", UserID: "u1", Name: "$session", Time: at("2026-03-09T00:00:00Z")}}), false),
		c("out: 11th session before last week", build(member, buys, sessions(10, "s"), []record.Event{{EventID: "sx", UserID: "u1", Name: "$session", Time: at("2026-03-01T23:59:59Z")}}), false),
		c("in: 12 sessions", build(member, buys, sessions(12, "s")), true),
	}
}

// ---------------------------------------------------------------------------

func allCases() []tcase {
	var all []tcase
	for _, part := range [][]tcase{
		attributeCases(), profileCases(), whereCases(), aggregateCases(),
		aggregateValueCases(), firstLastCases(), windowCases(), zeroEventCases(),
		logicCases(), funnelCases(), workedExampleCases(),
	} {
		all = append(all, part...)
	}
	return all
}

func decode(t *testing.T, src string) segment.Node {
	t.Helper()
	n, err := segment.Decode([]byte(src), "")
	if err != nil {
		t.Fatalf("Decode(%s): %v", src, err)
	}
	return n
}

func TestMember(t *testing.T) {
	cases := allCases()
	seen := map[string]bool{}
	for _, c := range cases {
		if seen[c.name] {
			t.Fatalf("duplicate case name %q", c.name)
		}
		seen[c.name] = true
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			tree := decode(t, c.tree)
			notTree := decode(t, `{"type":"not","child":`+c.tree+`}`)
			u := record.User{UserID: "u1", Attributes: obj(c.attrs)}
			if c.user != nil {
				u = *c.user
			}
			asOf := defaultAsOf
			if c.asOf != "" {
				asOf = c.asOf
			}
			opt := evaluate.Options{AsOf: at(asOf)}
			if c.zone != "" {
				loc, err := time.LoadLocation(c.zone)
				if err != nil {
					t.Fatal(err)
				}
				opt.Location = loc
			}
			if got := evaluate.Member(tree, u, c.events, opt); got != c.want {
				t.Errorf("Member = %v, want %v\ntree: %s", got, c.want, c.tree)
			}
			rev := slices.Clone(c.events)
			slices.Reverse(rev)
			if got := evaluate.Member(tree, u, rev, opt); got != c.want {
				t.Errorf("Member with events reversed = %v, want %v", got, c.want)
			}
			if got := evaluate.Member(notTree, u, c.events, opt); got != !c.want {
				t.Errorf("Member(not) = %v, want %v", got, !c.want)
			}
		})
	}
}

// TestCaseCount keeps the table from shrinking unnoticed.
func TestCaseCount(t *testing.T) {
	if n := len(allCases()); n < 80 {
		t.Fatalf("only %d cases", n)
	}
}
