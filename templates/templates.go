// Package templates holds the SQL of segmentd: one folder of text/template
// files per dialect, embedded so that the binary carries them.
package templates

import "embed"

// FS holds templates/<dialect>/*.sql.tmpl.
//
//go:embed duckdb/*.sql.tmpl trino/*.sql.tmpl
var FS embed.FS
