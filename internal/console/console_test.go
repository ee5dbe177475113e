package console

import (
	"bytes"
	"compress/gzip"
	"io/fs"
	"net/http/httptest"
	"path"
	"regexp"
	"strings"
	"testing"
)

func TestPageAndAssets(t *testing.T) {
	rec := httptest.NewRecorder()
	Page().ServeHTTP(rec, httptest.NewRequest("GET", "/", nil))
	if rec.Code != 200 || !strings.Contains(rec.Body.String(), `src="/console/js/main.js"`) {
		t.Fatalf("GET / = %d %q", rec.Code, rec.Body.String())
	}
	if csp := rec.Header().Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'self'") {
		t.Errorf("CSP %q", csp)
	}
	for file, ctype := range map[string]string{"/console/js/main.js": "text/javascript", "/console/app.css": "text/css"} {
		rec := httptest.NewRecorder()
		Assets().ServeHTTP(rec, httptest.NewRequest("GET", file, nil))
		if rec.Code != 200 || !strings.HasPrefix(rec.Header().Get("Content-Type"), ctype) {
			t.Errorf("GET %s = %d %s", file, rec.Code, rec.Header().Get("Content-Type"))
		}
	}
	rec = httptest.NewRecorder()
	Assets().ServeHTTP(rec, httptest.NewRequest("GET", "/console/nope.js", nil))
	if rec.Code != 404 {
		t.Errorf("a missing asset is %d", rec.Code)
	}
}

var importRE = regexp.MustCompile(`(?m)^import [^'"]*['"](\.[^'"]+)['"]`)

// TestImportsResolve: every module a module imports is embedded (a typo
// would otherwise surface only in a browser).
func TestImportsResolve(t *testing.T) {
	web := Web()
	err := fs.WalkDir(web, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || !strings.HasSuffix(p, ".js") {
			return err
		}
		src, _ := fs.ReadFile(web, p)
		for _, m := range importRE.FindAllStringSubmatch(string(src), -1) {
			if _, err := fs.Stat(web, path.Join(path.Dir(p), m[1])); err != nil {
				t.Errorf("%s imports %s, which is not embedded", p, m[1])
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestSize holds the console to the budget: 300 KB gzipped.
func TestSize(t *testing.T) {
	var raw, gz int
	_ = fs.WalkDir(Web(), ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, _ := fs.ReadFile(Web(), p)
		var buf bytes.Buffer
		w, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression)
		_, _ = w.Write(b)
		_ = w.Close()
		raw, gz = raw+len(b), gz+buf.Len()
		return nil
	})
	t.Logf("console: %d bytes, %d gzipped", raw, gz)
	if gz > 300*1024 {
		t.Errorf("the console is %d bytes gzipped, over 300 KB", gz)
	}
}

func TestIsRoute(t *testing.T) {
	for p, want := range map[string]bool{"/": true, "/console/*": true, "/v1/apps": false, "/healthz": false, "/metrics": false} {
		if IsRoute(p) != want {
			t.Errorf("IsRoute(%q) = %v", p, !want)
		}
	}
}
