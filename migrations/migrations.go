// Package migrations holds the schemas of segmentd's stores, embedded:
// duckdb/ is the embedded engine's event and profile schema.
package migrations

import "embed"

// FS holds migrations/<store>/*.sql, applied in name order.
//
//go:embed duckdb/*.sql sqlite/*.sql mysql/*.sql
var FS embed.FS
