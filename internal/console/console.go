// Package console is the segment console: a web builder for marketers,
// served by segmentd itself at "/" beside the API. Its files are plain
// JavaScript modules and CSS embedded in the binary, so the console needs
// no build step and fetches nothing from outside at run time (no CDN, no
// web fonts): `make run` on a fresh machine serves it as it is.
package console

import (
	"embed"
	"io/fs"
	"net/http"
	"strings"
)

//go:embed web
var files embed.FS

// Web is the console's files, index.html at its root.
func Web() fs.FS {
	sub, err := fs.Sub(files, "web")
	if err != nil {
		panic(err) // the embedded tree always has web/
	}
	return sub
}

// Prefix is where the console's assets are served; "/" serves its page.
// Neither collides with the API (/v1, /healthz, /readyz, /metrics).
const Prefix = "/console/"

// IsRoute reports whether a router pattern is one of the console's (not
// part of the API, so not in the OpenAPI document).
func IsRoute(pattern string) bool {
	return pattern == "/" || strings.HasPrefix(pattern, Prefix)
}

// csp lets the page load only its own files and talk only to this server:
// a console that holds an API key must not run or reach anything else.
const csp = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " +
	"object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'"

// Page serves index.html at "/".
func Page() http.Handler {
	page, err := fs.ReadFile(Web(), "index.html")
	if err != nil {
		panic(err)
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		headers(w)
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		_, _ = w.Write(page)
	})
}

// Assets serves the files under Prefix.
func Assets() http.Handler {
	fileServer := http.StripPrefix(strings.TrimSuffix(Prefix, "/"), http.FileServerFS(Web()))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		headers(w)
		// Embedded files have no modification time: revalidating is cheap
		// on loopback and a new binary is never served stale files.
		w.Header().Set("Cache-Control", "no-cache")
		fileServer.ServeHTTP(w, r)
	})
}

func headers(w http.ResponseWriter) {
	w.Header().Set("Content-Security-Policy", csp)
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.Header().Set("Referrer-Policy", "no-referrer")
}
