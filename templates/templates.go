// Package templates holds the SQL of segmentd: one folder of text/template
// files per dialect, embedded so that the binary carries them.
package templates

import "embed"

// FS holds common/*.sql.tmpl, the query skeleton every dialect shares,
// and <dialect>/*.sql.tmpl, the pieces written in each dialect's own SQL.
//
//go:embed common/*.sql.tmpl duckdb/*.sql.tmpl trino/*.sql.tmpl
var FS embed.FS
