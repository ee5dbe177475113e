package api

import (
	"fmt"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// TestSchema: GET …/schema lists the app's event names with their counts
// and last times, the paths of their properties (through arrays of
// objects) and of the users' attributes with their types and frequent
// values, and the built-in fields; another app's data never shows, and
// another app's key gets 404. A write makes a cached dictionary new.
func TestSchema(t *testing.T) {
	st, eng := embedded(t)
	srv := httptest.NewServer(New(Config{Store: st, Engine: eng, Fresh: eng, AdminKey: adminKey, QueryTimeout: 30 * time.Second}))
	t.Cleanup(srv.Close)
	c := client{t: t, base: srv.URL}
	key := c.want(c.do("POST", "/v1/apps", adminKey, map[string]any{"app_id": "shop"}), 201, "", "")["api_key"].(string)
	other := c.want(c.do("POST", "/v1/apps", adminKey, map[string]any{"app_id": "other"}), 201, "", "")["api_key"].(string)

	// Before any data: no names, no users, the built-in fields.
	m := c.want(c.do("GET", "/v1/apps/shop/schema", key, nil), 200, "", "")
	if got := dictionary(m); got != "users 0/0 [user_id:string first_seen:time last_seen:time]\n" {
		t.Errorf("empty app:\n%s", got)
	}

	c.want(c.do("POST", "/v1/apps/shop/events", key, eventsBody(
		event("e1", "u1", "$buy", "2026-01-05T00:00:00Z", map[string]any{
			"items": []any{map[string]any{"price": 100, "sku": "a"}, map[string]any{"price": 250}}, "currency": "JPY", "coupon": true}),
		event("e2", "u1", "$buy", "2026-01-06T00:00:00Z", map[string]any{
			"items": []any{map[string]any{"price": 100}, nil}, "currency": "USD", "coupon": "SAVE10"}),
		event("e3", "u2", "$buy", "2026-01-07T10:00:00Z", map[string]any{"items": []any{}, "currency": "JPY"}),
		event("e4", "u3", "view_item", "2026-01-05T00:00:00Z", map[string]any{
			"tags": []any{"a", "b", []any{"c"}}, "meta": map[string]any{"page": map[string]any{"id": 7}}, "n": nil, "bad key": 1}),
	)), 202, "", "")
	for user, attrs := range map[string]map[string]any{
		"u1": {"country": "JP", "address": map[string]any{"city": "Tokyo", "zip": "100"}, "vip": true},
		"u2": {"country": "JP", "address": map[string]any{"city": "Osaka"}, "score": 3},
		"u3": {"country": "US", "score": "high"},
	} {
		c.want(c.do("PUT", "/v1/apps/shop/users/"+user, key, map[string]any{"attributes": attrs}), 200, "", "")
	}
	// The other app: names, properties and attributes of its own.
	c.want(c.do("POST", "/v1/apps/other/events", other, eventsBody(
		event("o1", "u1", "secret_event", "2026-01-08T00:00:00Z", map[string]any{"secret_prop": "x"}),
		event("o2", "u1", "$buy", "2026-01-08T00:00:00Z", map[string]any{"currency": "EUR", "other_prop": 1}),
	)), 202, "", "")
	c.want(c.do("PUT", "/v1/apps/other/users/u9", other, map[string]any{"attributes": map[string]any{"secret_attr": "y"}}), 200, "", "")

	want := `$buy 3 2026-01-07T10:00:00Z sampled 3: currency[string]3{JPY:2 USD:1} coupon[string boolean]2{SAVE10:1 true:1} items[object array]2{} items.price[number]2{100:2 250:1} items.sku[string]1{a:1}
view_item 1 2026-01-05T00:00:00Z sampled 1: meta[object]1{} meta.page[object]1{} meta.page.id[number]1{7:1} tags[string array]1{a:1 b:1}
users 3/3 [user_id:string first_seen:time last_seen:time]: country[string]3{JP:2 US:1} address[object]2{} address.city[string]2{Osaka:1 Tokyo:1} score[string number]2{high:1 3:1} address.zip[string]1{100:1} vip[boolean]1{true:1}
`
	m = c.want(c.do("GET", "/v1/apps/shop/schema", key, nil), 200, "", "")
	if got := dictionary(m); got != want {
		t.Errorf("dictionary:\n got %s\nwant %s", got, want)
	}
	if m["cached"] != false || m["app_id"] != "shop" || m["watermark"] == nil || m["events_truncated"] != false || m["sample_truncated"] != false {
		t.Errorf("reply: %v", m)
	}
	for _, secret := range []string{"secret", "other_prop", "EUR"} {
		if strings.Contains(fmt.Sprint(m), secret) {
			t.Errorf("the other app's %q shows in shop's dictionary", secret)
		}
	}
	// The same again, from the cache.
	m = c.want(c.do("GET", "/v1/apps/shop/schema", key, nil), 200, "", "")
	if got := dictionary(m); got != want || m["cached"] != true {
		t.Errorf("cached: %v\n%s", m["cached"], got)
	}
	// A write moves the watermark: the next dictionary is new.
	c.want(c.do("POST", "/v1/apps/shop/events", key, eventsBody(
		event("e5", "u4", "signup", "2026-01-09T00:00:00Z", nil))), 202, "", "")
	m = c.want(c.do("GET", "/v1/apps/shop/schema", key, nil), 200, "", "")
	if got := dictionary(m); m["cached"] != false || !strings.Contains(got, "signup 1 2026-01-09T00:00:00Z sampled 1:\n") || !strings.Contains(got, "users 4/4") {
		t.Errorf("after a write: cached %v\n%s", m["cached"], got)
	}
	// The other app's dictionary is its own; shop's key cannot read it.
	m = c.want(c.do("GET", "/v1/apps/other/schema", other, nil), 200, "", "")
	if got := dictionary(m); !strings.HasPrefix(got, "$buy 1 2026-01-08T00:00:00Z sampled 1: currency[string]1{EUR:1} other_prop[number]1{1:1}\nsecret_event 1") {
		t.Errorf("other:\n%s", got)
	}
	c.want(c.do("GET", "/v1/apps/shop/schema", other, nil), 404, "not_found", "")
	c.want(c.do("GET", "/v1/apps/other/schema", key, nil), 404, "not_found", "")
	c.want(c.do("GET", "/v1/apps/nope/schema", adminKey, nil), 404, "not_found", "")
}

// dictionary writes a dictionary reply a line an event name, then the
// users: "name count last_seen sampled n: path[types]count{value:count …} …".
func dictionary(m map[string]any) string {
	var b strings.Builder
	paths := func(list any) {
		for _, x := range asList(list) {
			p := x.(map[string]any)
			var types, values []string
			for _, t := range asList(p["types"]) {
				types = append(types, t.(string))
			}
			for _, v := range asList(p["values"]) {
				vc := v.(map[string]any)
				values = append(values, fmt.Sprintf("%v:%v", vc["value"], vc["count"]))
			}
			fmt.Fprintf(&b, " %s[%s]%v{%s}", p["path"], strings.Join(types, " "), p["count"], strings.Join(values, " "))
		}
	}
	for _, x := range asList(m["events"]) {
		ev := x.(map[string]any)
		fmt.Fprintf(&b, "%s %v %s sampled %v:", ev["name"], ev["count"], ev["last_seen"], ev["sampled"])
		paths(ev["properties"])
		b.WriteString("\n")
	}
	u := m["users"].(map[string]any)
	var builtin []string
	for _, x := range asList(u["builtin"]) {
		f := x.(map[string]any)
		builtin = append(builtin, fmt.Sprintf("%s:%s", f["path"], f["type"]))
	}
	fmt.Fprintf(&b, "users %v/%v [%s]", u["sampled"], u["count"], strings.Join(builtin, " "))
	if len(asList(u["attributes"])) > 0 {
		b.WriteString(":")
		paths(u["attributes"])
	}
	b.WriteString("\n")
	return b.String()
}
