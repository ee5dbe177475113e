// Package migrations holds the schemas of segmentd's stores, embedded:
// duckdb/ is the embedded engine's events and profiles, sqlite/ and mysql/
// the segment store, cassandra/ the fresh store of the distributed path and
// trino/ its history.
package migrations

import "embed"

// FS holds migrations/<store>/*.sql (and *.cql), applied in name order.
//
//go:embed duckdb/*.sql sqlite/*.sql mysql/*.sql cassandra/*.cql trino/*.sql
var FS embed.FS
