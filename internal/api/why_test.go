package api

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/segmentd/segmentd/internal/cache"
	"github.com/segmentd/segmentd/internal/corpus"
	"github.com/segmentd/segmentd/internal/enginetest"
	"github.com/segmentd/segmentd/segment"
)

// TestUserExplain: POST …/users/{user_id}/explain and GET
// …/members/{user_id}?explain=true through HTTP on the embedded engine.
// For users picked at random, on a sample of corpus trees (references
// among them), the root's member of both is the membership route's
// answer and the reference evaluator's over the whole corpus.
func TestUserExplain(t *testing.T) {
	e := newRunEnv(t, nil, RunConfig{Local: cache.NewMemory(16 << 20)})
	data := corpus.Dataset()
	if err := e.eng.Load(context.Background(), "corpus", data); err != nil {
		t.Fatal(err)
	}
	setup := enginetest.Setup{AppID: "corpus", Data: data, AsOf: corpus.AsOf, Location: corpus.Location(), Lookup: corpus.Lookup()}
	rng := rand.New(rand.NewPCG(14, 3))
	asOf := corpus.AsOf.Format(time.RFC3339)
	var members, checked int
	for i, c := range corpus.Cases() {
		if i%8 != 0 && !strings.Contains(c.Name, "segment") {
			continue
		}
		t.Run(c.Name, func(t *testing.T) {
			e.t = t
			tree, err := segment.Decode(c.JSON, "")
			if err != nil {
				t.Fatal(err)
			}
			expanded, err := segment.Expand(context.Background(), tree, "", corpus.Lookup())
			if err != nil {
				t.Fatal(err)
			}
			want := enginetest.Expected(expanded, setup)
			seg := e.want(e.do("POST", "/v1/apps/corpus/segments", adminKey, map[string]any{"name": c.Name, "tree": json.RawMessage(c.JSON)}), 201, "", "")
			segPath := "/v1/apps/corpus/segments/" + seg["id"].(string) + "/members/"
			var nodes int
			segment.Walk(tree, "", func(segment.Node, string, int) bool { nodes++; return true })
			for k := range 6 {
				u := data.Users[rng.IntN(len(data.Users))].UserID
				if k < 2 && len(want) > 0 {
					u = want[rng.IntN(len(want))]
				}
				_, in := slices.BinarySearch(want, u)
				m := e.want(e.do("GET", segPath+url.PathEscape(u), adminKey, nil), 200, "", "")
				if m["member"] != in {
					t.Fatalf("user %s: membership %v, want %v", u, m["member"], in)
				}
				x := e.want(e.do("GET", segPath+url.PathEscape(u)+"?explain=true", adminKey, nil), 200, "", "")
				root := rootNode(t, x, nodes)
				if x["member"] != in || root["member"] != in || x["segment_version"] != 1.0 || x["user_known"] != true {
					t.Fatalf("user %s: ?explain=true %v (root %v), want member %v", u, x["member"], root, in)
				}
				p := e.want(e.do("POST", "/v1/apps/corpus/users/"+url.PathEscape(u)+"/explain", adminKey,
					map[string]any{"tree": json.RawMessage(c.JSON), "as_of": asOf}), 200, "", "")
				root = rootNode(t, p, nodes)
				if p["member"] != in || root["member"] != in || p["user_id"] != u || p["as_of"] != asOf {
					t.Fatalf("user %s: POST explain member %v (root %v), want %v", u, p["member"], root, in)
				}
				checked++
				if in {
					members++
				}
			}
		})
	}
	e.t = t
	if members == 0 || members == checked {
		t.Errorf("%d checks, %d of them members: the sample proves little", checked, members)
	}
}

// rootNode checks an explanation's nodes (one per node of the tree, the
// root first) and returns the root.
func rootNode(t *testing.T, m map[string]any, nodes int) map[string]any {
	t.Helper()
	list, _ := m["nodes"].([]any)
	if len(list) != nodes {
		t.Fatalf("%d nodes explained, the tree has %d", len(list), nodes)
	}
	root := list[0].(map[string]any)
	if root["pointer"] != "" {
		t.Fatalf("the first node is %v", root)
	}
	return root
}

// TestUserExplainRoute: the route's answers on a small app, its errors,
// a user the app has never seen, references expanded on request, and its
// tenancy.
func TestUserExplainRoute(t *testing.T) {
	e := newRunEnv(t, nil, RunConfig{Local: cache.NewMemory(16 << 20)})
	e.want(e.do("POST", "/v1/apps", adminKey, map[string]any{"app_id": "tokyo", "time_zone": "Asia/Tokyo"}), 201, "", "")
	e.want(e.do("POST", "/v1/apps/tokyo/events", adminKey, map[string]any{"events": []map[string]any{
		{"event_id": "e1", "user_id": "alice", "name": "$buy", "time": "2026-10-25T11:00:00Z", "properties": map[string]any{"items": []any{map[string]any{"price": 100}, map[string]any{"price": 150}}}},
		{"event_id": "e2", "user_id": "alice", "name": "view_item", "time": "2026-10-27T01:00:00Z"},
	}}), 202, "", "")
	e.want(e.do("PUT", "/v1/apps/tokyo/users/alice", adminKey, map[string]any{"attributes": map[string]any{"country": "JP"}}), 200, "", "")
	vip := e.want(e.do("POST", "/v1/apps/tokyo/segments", adminKey, map[string]any{"name": "jp",
		"tree": json.RawMessage(`{"type":"attribute","field":"country","op":"in","value":["JP","KR"]}`)}), 201, "", "")
	tree := fmt.Sprintf(`{"type":"and","children":[
		{"type":"segment","segment_id":%q},
		{"type":"event","event":"$buy","aggregate":{"fn":"sum","property":"items.price"},"window":{"calendar":"week","offset":-1},"op":"lte","value":100},
		{"type":"not","child":{"type":"attribute","field":"plan","op":"eq","value":"gold"}}]}`, vip["id"])
	// as_of Wednesday 2026-10-28 in Tokyo: last week is 10-19 to 10-26 there
	body := map[string]any{"tree": json.RawMessage(tree), "as_of": "2026-10-28T03:00:00Z"}
	m := e.want(e.do("POST", "/v1/apps/tokyo/users/alice/explain", adminKey, body), 200, "", "")
	if m["member"] != false || m["user_known"] != true || m["user_id"] != "alice" || m["as_of"] != "2026-10-28T03:00:00Z" {
		t.Fatalf("%v", m)
	}
	got, _ := json.Marshal(m["nodes"])
	want := `[{"member":false,"pointer":"","type":"and"},` +
		`{"member":true,"pointer":"/children/0","segment_id":"` + vip["id"].(string) + `","type":"segment"},` +
		`{"aggregate":{"defined":true,"fn":"sum","property":"items.price","value":250},"event":"$buy","from":"2026-10-19T00:00:00+09:00",` +
		`"matching_events":1,"member":false,"op":"lte","pointer":"/children/1",` +
		`"reason":"sum of items.price from 2026-10-19T00:00:00+09:00 to 2026-10-26T00:00:00+09:00 = 250, wanted lte 100",` +
		`"type":"event","until":"2026-10-26T00:00:00+09:00","value":100},` +
		`{"member":true,"pointer":"/children/2","type":"not"},` +
		`{"field":"plan","member":false,"missing":true,"op":"eq","pointer":"/children/2/child","type":"attribute","value":"gold"}]`
	if string(got) != want {
		t.Errorf("nodes\n %s\nwant\n %s", got, want)
	}

	// references expanded on request
	body["expand_references"] = true
	m = e.want(e.do("POST", "/v1/apps/tokyo/users/alice/explain", adminKey, body), 200, "", "")
	nodes := m["nodes"].([]any)
	if n := nodes[2].(map[string]any); len(nodes) != 6 || n["pointer"] != "/children/0/tree" || n["type"] != "attribute" || n["member"] != true {
		t.Errorf("expanded: %v", nodes)
	}

	// a user the app has never seen: every node, none a member
	m = e.want(e.do("POST", "/v1/apps/tokyo/users/nobody/explain", adminKey, body), 200, "", "")
	if m["member"] != false || m["user_known"] != false || len(m["nodes"].([]any)) != 6 {
		t.Fatalf("unknown user: %v", m)
	}
	for _, n := range m["nodes"].([]any) {
		if n := n.(map[string]any); n["member"] != false || n["reason"] != nil || n["missing"] != nil {
			t.Errorf("unknown user: %v", n)
		}
	}
	seg := e.want(e.do("POST", "/v1/apps/tokyo/segments", adminKey, map[string]any{"name": "t", "tree": json.RawMessage(tree)}), 201, "", "")
	m = e.want(e.do("GET", "/v1/apps/tokyo/segments/"+seg["id"].(string)+"/members/nobody?explain=true", adminKey, nil), 200, "", "")
	if m["member"] != false || m["user_known"] != false || len(m["nodes"].([]any)) != 5 {
		t.Fatalf("unknown user, GET: %v", m)
	}
	m = e.want(e.do("GET", "/v1/apps/tokyo/segments/"+seg["id"].(string)+"/members/alice?explain=false", adminKey, nil), 200, "", "")
	if _, has := m["nodes"]; has || len(m) != 3 {
		t.Errorf("explain=false: %v", m)
	}
	m = e.want(e.do("GET", "/v1/apps/tokyo/segments/"+seg["id"].(string)+"/members/alice?explain=true&expand_references=true", adminKey, nil), 200, "", "")
	if len(m["nodes"].([]any)) != 6 || m["user_known"] != true {
		t.Errorf("GET expanded: %v", m)
	}

	// errors
	e.want(e.do("POST", "/v1/apps/tokyo/users/alice/explain", adminKey, `{"tree":{"type":"and","children":[{"type":"attribute","field":"x","op":"greater","value":1}]}}`), 400, CodeInvalidTree, "/tree/children/0/op")
	e.want(e.do("POST", "/v1/apps/tokyo/users/alice/explain", adminKey, `{}`), 400, CodeInvalidTree, "/tree")
	e.want(e.do("POST", "/v1/apps/tokyo/users/alice/explain", adminKey, `{"tree":{"type":"segment","segment_id":"seg_nope"}}`), 400, CodeInvalidTree, "/tree/segment_id")
	e.want(e.do("POST", "/v1/apps/tokyo/users/alice/explain", adminKey, `{"tree":{"type":"attribute","field":"x","op":"exists"},"as_of":"now"}`), 400, CodeInvalidArgument, "/as_of")
	e.want(e.do("POST", "/v1/apps/tokyo/users/alice/explain", adminKey, `{"tree":{"type":"attribute","field":"x","op":"exists"},"expand_references":null}`), 400, CodeInvalidArgument, "/expand_references")
	e.want(e.do("POST", "/v1/apps/tokyo/users/alice/explain", adminKey, `{"tree":{"type":"attribute","field":"x","op":"exists"},"why":1}`), 400, CodeInvalidArgument, "/why")
	e.want(e.do("GET", "/v1/apps/tokyo/segments/"+seg["id"].(string)+"/members/alice?explain=yes", adminKey, nil), 400, CodeInvalidArgument, "/explain")
	e.want(e.do("GET", "/v1/apps/tokyo/segments/"+seg["id"].(string)+"/members/alice?explain=true&expand_references=1", adminKey, nil), 400, CodeInvalidArgument, "/expand_references")
	e.want(e.do("GET", "/v1/apps/tokyo/segments/seg_nope/members/alice?explain=true", adminKey, nil), 404, CodeNotFound, "")
	e.want(e.do("GET", "/v1/apps/tokyo/segments/"+seg["id"].(string)+"/members/alice?expand_references=null", adminKey, nil), 400, CodeInvalidArgument, "/expand_references")

	// tenancy and scopes: another app's key is 404, a key without the
	// segments scope 403
	other := e.want(e.do("POST", "/v1/apps", adminKey, map[string]any{"app_id": "other", "time_zone": "UTC"}), 201, "", "")["api_key"].(string)
	delete(body, "expand_references")
	e.want(e.do("POST", "/v1/apps/tokyo/users/alice/explain", other, body), 404, CodeNotFound, "")
	e.want(e.do("GET", "/v1/apps/tokyo/segments/"+seg["id"].(string)+"/members/alice?explain=true", other, nil), 404, CodeNotFound, "")
	read := e.want(e.do("POST", "/v1/apps/tokyo/keys", adminKey, map[string]any{"scopes": []string{"read"}}), 201, "", "")["api_key"].(string)
	e.want(e.do("POST", "/v1/apps/tokyo/users/alice/explain", read, body), 403, CodeForbidden, "")
	e.want(e.do("GET", "/v1/apps/tokyo/segments/"+seg["id"].(string)+"/members/alice?explain=true", read, nil), 200, "", "")
	segs := e.want(e.do("POST", "/v1/apps/tokyo/keys", adminKey, map[string]any{"scopes": []string{"segments"}}), 201, "", "")["api_key"].(string)
	e.want(e.do("POST", "/v1/apps/tokyo/users/alice/explain", segs, body), 200, "", "")
}
