// Package templates holds the SQL of segmentd: one folder of text/template
// files per dialect, embedded so that the binary carries them.
package templates

import "embed"

// FS holds common/*.sql.tmpl, the query skeleton every dialect shares,
// <dialect>/*.sql.tmpl, the pieces written in each dialect's own SQL, and
// ops/*.sql.tmpl, the statements of operations such as compaction.
//
//go:embed common/*.sql.tmpl duckdb/*.sql.tmpl trino/*.sql.tmpl ops/*.sql.tmpl
var FS embed.FS
