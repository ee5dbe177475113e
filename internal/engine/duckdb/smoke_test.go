package duckdb

import (
	"context"
	"testing"
	"time"

	"github.com/segmentd/segmentd/internal/compile"
	"github.com/segmentd/segmentd/internal/dataset"
	"github.com/segmentd/segmentd/internal/enginetest"
)

func TestSmoke(t *testing.T) {
	ctx := context.Background()
	e, err := Open(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	at := func(s string) time.Time { tt, _ := time.Parse(time.RFC3339, s); return tt }
	d := &dataset.Data{
		Users: []dataset.User{
			{UserID: "u1", Attributes: map[string]any{"country": "JP", "age": 30.0}, FirstSeen: at("2026-01-01T00:00:00Z")},
			{UserID: "u2", Attributes: map[string]any{"country": "KR", "vip": nil}},
			{UserID: "u3", Attributes: map[string]any{}},
		},
		Events: []dataset.Event{
			{EventID: "e1", UserID: "u1", Name: "$buy", Time: at("2026-10-01T00:00:00Z"), Properties: map[string]any{"items": []any{map[string]any{"price": 100.0}, nil, map[string]any{"price": "5"}}}},
			{EventID: "e2", UserID: "u1", Name: "$buy", Time: at("2026-10-02T00:00:00Z"), Properties: map[string]any{"items": []any{map[string]any{"price": 300.0}}}},
			{EventID: "e3", UserID: "u2", Name: "view", Time: at("2026-10-02T00:00:00Z"), Properties: map[string]any{}},
			{EventID: "e4", UserID: "u2", Name: "$buy", Time: at("2026-10-02T00:00:01Z"), Properties: map[string]any{"items": map[string]any{"price": 7.0}}},
		},
	}
	if err := e.Load(ctx, "a", d); err != nil {
		t.Fatal(err)
	}
	cases := []enginetest.Case{
		{"attr", []byte(`{"type":"attribute","field":"country","op":"in","value":["JP","x",1]}`)},
		{"notin", []byte(`{"type":"attribute","field":"country","op":"not_in","value":["JP"]}`)},
		{"sum", []byte(`{"type":"event","event":"$buy","aggregate":{"fn":"sum","property":"items.price"},"op":"gte","value":400}`)},
		{"avg", []byte(`{"type":"event","event":"$buy","aggregate":{"fn":"avg","property":"items.price"},"op":"lt","value":150}`)},
		{"first", []byte(`{"type":"event","event":"$buy","aggregate":{"fn":"first","property":"items.price"},"op":"eq","value":100}`)},
		{"distinct", []byte(`{"type":"event","event":"$buy","aggregate":{"fn":"distinct_count","property":"items.price"},"op":"eq","value":3}`)},
		{"zero", []byte(`{"type":"not","child":{"type":"event","event":"$buy","where":[{"property":"items.price","op":"gt","value":200}]}}`)},
		{"funnel", []byte(`{"type":"funnel","steps":[{"event":"view"},{"event":"$buy"}],"within":"1h"}`)},
		{"seen", []byte(`{"type":"attribute","field":"first_seen","op":"lt","value":{"ago":"30d"}}`)},
		{"week", []byte(`{"type":"event","event":"$buy","window":{"calendar":"week","offset":-1},"op":"eq","value":0}`)},
	}
	s := enginetest.Setup{AppID: "a", Data: d, AsOf: at("2026-10-08T00:00:00Z"), Location: time.UTC}
	enginetest.Agreement(t, e, s, cases, compile.Fused, compile.Naive)
}
