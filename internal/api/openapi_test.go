package api

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/segmentd/segmentd/internal/console"
)

// openAPIMethods are the keys of a path item that are operations.
var openAPIMethods = []string{"get", "put", "post", "delete", "options", "head", "patch", "trace"}

// openAPIDoc is the embedded document, decoded.
type openAPIDoc struct {
	OpenAPI string                                `json:"openapi"`
	Paths   map[string]map[string]json.RawMessage `json:"paths"`
}

type openAPIOperation struct {
	OperationID string                     `json:"operationId"`
	Parameters  []map[string]any           `json:"parameters"`
	Responses   map[string]json.RawMessage `json:"responses"`
}

func decodeOpenAPI(t *testing.T) openAPIDoc {
	t.Helper()
	var doc openAPIDoc
	if err := json.Unmarshal(openAPISpec, &doc); err != nil {
		t.Fatalf("openapi.json is not valid JSON: %v", err)
	}
	return doc
}

func TestOpenAPIIsOpenAPI31(t *testing.T) {
	doc := decodeOpenAPI(t)
	if doc.OpenAPI != "3.1.0" {
		t.Errorf("openapi = %q, want 3.1.0", doc.OpenAPI)
	}
	if len(doc.Paths) == 0 {
		t.Error("the document has no paths")
	}
}

func TestOpenAPIServed(t *testing.T) {
	s := New(Config{})
	w := httptest.NewRecorder()
	s.ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/v1/openapi.json", nil))
	if w.Code != http.StatusOK {
		t.Fatalf("GET /v1/openapi.json: status %d", w.Code)
	}
	if ct := w.Header().Get("Content-Type"); ct != "application/json" {
		t.Errorf("Content-Type = %q", ct)
	}
	if w.Body.String() != string(openAPISpec) {
		t.Error("GET /v1/openapi.json does not serve the embedded document")
	}
}

// chiParamRE matches a chi path parameter with a pattern, {id:[0-9]+}.
var chiParamRE = regexp.MustCompile(`\{([^{}:]+):[^{}]*\}`)

// normalizeRoute makes a chi route comparable with an OpenAPI path: no
// trailing slash (chi's Route("/x") + Get("/") walks as "/x/") and no
// parameter patterns.
func normalizeRoute(path string) string {
	path = chiParamRE.ReplaceAllString(path, "{$1}")
	if len(path) > 1 {
		path = strings.TrimRight(path, "/")
	}
	return path
}

// TestOpenAPIMatchesRoutes holds the document and the router in step, both
// ways: every route is documented, and everything documented is a route.
func TestOpenAPIMatchesRoutes(t *testing.T) {
	routes := map[string]bool{}
	for _, r := range New(Config{}).Routes() {
		method, path, ok := strings.Cut(r, " ")
		if !ok {
			t.Fatalf("Routes() gave %q, not \"METHOD /path\"", r)
		}
		if console.IsRoute(path) {
			continue // the console's files, not the API the document describes
		}
		routes[method+" "+normalizeRoute(path)] = true
	}
	if len(routes) == 0 {
		t.Fatal("the router has no routes")
	}

	documented := map[string]bool{}
	for path, item := range decodeOpenAPI(t).Paths {
		for key := range item {
			if slices.Contains(openAPIMethods, key) {
				documented[strings.ToUpper(key)+" "+path] = true
			}
		}
	}

	var undocumented, phantom []string
	for r := range routes {
		if !documented[r] {
			undocumented = append(undocumented, r)
		}
	}
	for d := range documented {
		if !routes[d] {
			phantom = append(phantom, d)
		}
	}
	sort.Strings(undocumented)
	sort.Strings(phantom)
	for _, r := range undocumented {
		t.Errorf("route %s is served but not in openapi.json", r)
	}
	for _, d := range phantom {
		t.Errorf("openapi.json documents %s, which the router does not serve", d)
	}
}

var pathParamRE = regexp.MustCompile(`\{([^{}]+)\}`)

// TestOpenAPIOperations checks every operation: it answers something, its
// ID is unique, and each parameter of its path template is declared.
func TestOpenAPIOperations(t *testing.T) {
	doc := decodeOpenAPI(t)
	var root any
	if err := json.Unmarshal(openAPISpec, &root); err != nil {
		t.Fatal(err)
	}
	ids := map[string]string{}
	for path, item := range doc.Paths {
		var shared []map[string]any
		if raw, ok := item["parameters"]; ok {
			if err := json.Unmarshal(raw, &shared); err != nil {
				t.Fatalf("%s: parameters: %v", path, err)
			}
		}
		for key, raw := range item {
			if !slices.Contains(openAPIMethods, key) {
				continue
			}
			name := strings.ToUpper(key) + " " + path
			var op openAPIOperation
			if err := json.Unmarshal(raw, &op); err != nil {
				t.Errorf("%s: %v", name, err)
				continue
			}
			if len(op.Responses) == 0 {
				t.Errorf("%s has no responses", name)
			}
			for status := range op.Responses {
				if n, err := strconv.Atoi(status); (err != nil || n < 100 || n > 599) && status != "default" {
					t.Errorf("%s: response key %q is not a status code", name, status)
				}
			}
			if op.OperationID == "" {
				t.Errorf("%s has no operationId", name)
			} else if other, dup := ids[op.OperationID]; dup {
				t.Errorf("%s and %s share operationId %q", name, other, op.OperationID)
			} else {
				ids[op.OperationID] = name
			}
			declared := map[string]bool{}
			for _, p := range append(slices.Clone(shared), op.Parameters...) {
				p = resolveParameter(t, root, p)
				if p["in"] == "path" {
					declared[p["name"].(string)] = true
				}
			}
			for _, m := range pathParamRE.FindAllStringSubmatch(path, -1) {
				if !declared[m[1]] {
					t.Errorf("%s does not declare path parameter %q", name, m[1])
				}
			}
		}
	}
}

func resolveParameter(t *testing.T, root any, p map[string]any) map[string]any {
	t.Helper()
	ref, ok := p["$ref"].(string)
	if !ok {
		return p
	}
	v, err := resolvePointer(root, ref)
	if err != nil {
		t.Fatalf("parameter %s: %v", ref, err)
	}
	m, _ := v.(map[string]any)
	return m
}

// TestOpenAPIRefsResolve checks that every $ref anywhere in the document
// points at something in it.
func TestOpenAPIRefsResolve(t *testing.T) {
	var root any
	if err := json.Unmarshal(openAPISpec, &root); err != nil {
		t.Fatal(err)
	}
	n := 0
	var walk func(v any, at string)
	walk = func(v any, at string) {
		switch v := v.(type) {
		case map[string]any:
			for k, x := range v {
				if ref, isRef := x.(string); isRef && k == "$ref" {
					n++
					if _, err := resolvePointer(root, ref); err != nil {
						t.Errorf("%s: $ref %s: %v", at, ref, err)
					}
					continue
				}
				walk(x, at+"/"+escapeToken(k))
			}
		case []any:
			for i, x := range v {
				walk(x, at+"/"+strconv.Itoa(i))
			}
		}
	}
	walk(root, "")
	if n == 0 {
		t.Error("the document has no $ref: the walk found nothing to check")
	}
	// A discriminator's mapping holds references too.
	schemas := root.(map[string]any)["components"].(map[string]any)["schemas"].(map[string]any)
	for name, s := range schemas {
		d, ok := s.(map[string]any)["discriminator"].(map[string]any)
		if !ok {
			continue
		}
		mapping, _ := d["mapping"].(map[string]any)
		for value, target := range mapping {
			if _, err := resolvePointer(root, target.(string)); err != nil {
				t.Errorf("schema %s: discriminator value %q: %v", name, value, err)
			}
		}
	}
}

func escapeToken(s string) string {
	return strings.ReplaceAll(strings.ReplaceAll(s, "~", "~0"), "/", "~1")
}

// resolvePointer follows a local reference ("#/components/schemas/Node").
func resolvePointer(root any, ref string) (any, error) {
	ptr, ok := strings.CutPrefix(ref, "#")
	if !ok {
		return nil, errors.New("only local references are allowed")
	}
	if ptr == "" {
		return root, nil
	}
	if !strings.HasPrefix(ptr, "/") {
		return nil, fmt.Errorf("%q is not a JSON Pointer", ptr)
	}
	cur := root
	for _, tok := range strings.Split(ptr[1:], "/") {
		tok = strings.ReplaceAll(strings.ReplaceAll(tok, "~1", "/"), "~0", "~")
		switch c := cur.(type) {
		case map[string]any:
			next, ok := c[tok]
			if !ok {
				return nil, fmt.Errorf("no %q", tok)
			}
			cur = next
		case []any:
			i, err := strconv.Atoi(tok)
			if err != nil || i < 0 || i >= len(c) {
				return nil, fmt.Errorf("no index %q", tok)
			}
			cur = c[i]
		default:
			return nil, fmt.Errorf("nothing under %q", tok)
		}
	}
	return cur, nil
}

func TestNormalizeRoute(t *testing.T) {
	for in, want := range map[string]string{
		"/":                           "/",
		"/v1/apps/{app}/":             "/v1/apps/{app}",
		"/v1/apps/{app}/keys":         "/v1/apps/{app}/keys",
		"/v1/apps/{app}/x/{n:[0-9]+}": "/v1/apps/{app}/x/{n}",
	} {
		if got := normalizeRoute(in); got != want {
			t.Errorf("normalizeRoute(%q) = %q, want %q", in, got, want)
		}
	}
}
