#!/usr/bin/env bash
# Smoke check of the local engines, run by hand after deploy/local/up.sh (it
# is not a test of the Go suite):
#
#   deploy/local/smoke.sh
#
# 1. Trino -> hive -> MinIO: schema hive.smoke at s3://segmentd/smoke/, an
#    external Parquet table partitioned by day at s3://segmentd/smoke/events/
#    (insert, select, files listed in MinIO, a partition overwritten), and a
#    second table over the same files whose partition is registered with
#    hive.system.sync_partition_metadata.
# 2. Cassandra <-> Trino: keyspace segmentd_smoke and a table created with
#    CQL (deploy/local/cqlping), a row written with CQL read through Trino's
#    cassandra catalog with the partition key pushed down, and a row written
#    through Trino read back with CQL.
#
# A run first removes, and at the end drops, what it creates (schema
# hive.smoke, s3://segmentd/smoke/, keyspace segmentd_smoke). Exits non-zero
# at the first failure, leaving its data for a look.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
BIN="$ROOT/.cache/bin"
TRINO_URL="$("$ROOT/deploy/local/trino.sh" url)"
RUN_ID="$(date +%s)"
T0=$SECONDS

log() { echo "smoke.sh: $*" >&2; }
die() { log "FAILED: $*"; exit 1; }

mkdir -p "$BIN"
for p in trinosql cqlping mkbucket; do
	if [ ! -x "$BIN/$p" ] || [ "$ROOT/deploy/local/$p/main.go" -nt "$BIN/$p" ]; then
		(cd "$ROOT" && go build -o "$BIN/$p" "./deploy/local/$p") || die "building deploy/local/$p"
	fi
done

sql() { "$BIN/trinosql" -server "$TRINO_URL" -q "$@"; }
s3() { "$BIN/mkbucket" -access-key segmentd -secret-key segmentd-secret "$@"; }
cql() { "$BIN/cqlping" -q=false "$@"; }
expect() { # WHAT EXPECTED ACTUAL
	if [ "$2" != "$3" ]; then die "$1: expected [$2], got [$3]"; fi
	log "ok: $1"
	PASSED=$((PASSED + 1))
}
PASSED=0

"$ROOT/deploy/local/trino.sh" status >/dev/null || die "Trino is not running (deploy/local/up.sh)"
"$ROOT/deploy/local/minio.sh" status >/dev/null || die "MinIO is not running"
"$ROOT/deploy/local/cassandra.sh" status >/dev/null || die "Cassandra is not running"

log "run $RUN_ID against $TRINO_URL"

# --- hive on MinIO -----------------------------------------------------------
# The file metastore keeps managed tables inside its own directory (here the
# local .cache/trino/metastore) and refuses any other location, so tables in
# S3 have to be external ones (external_location).
sql "DROP TABLE IF EXISTS hive.smoke.events" "DROP TABLE IF EXISTS hive.smoke.events_mirror" "DROP SCHEMA IF EXISTS hive.smoke"
s3 -delete smoke/ segmentd >/dev/null
sql "CREATE SCHEMA hive.smoke WITH (location = 's3://segmentd/smoke/')"
sql "CREATE TABLE hive.smoke.events (run_id bigint, user_id varchar, day date)
     WITH (format = 'PARQUET', external_location = 's3://segmentd/smoke/events/', partitioned_by = ARRAY['day'])"
sql "INSERT INTO hive.smoke.events VALUES ($RUN_ID, 'u-$RUN_ID', DATE '2025-01-02'), ($RUN_ID, 'v-$RUN_ID', DATE '2025-01-02')"
got="$(sql "SELECT run_id, user_id, CAST(day AS varchar) FROM hive.smoke.events ORDER BY user_id")"
expect "Parquet rows written to and read from s3://segmentd/smoke/events/" \
	"$(printf '%s\tu-%s\t2025-01-02\n%s\tv-%s\t2025-01-02' "$RUN_ID" "$RUN_ID" "$RUN_ID" "$RUN_ID")" "$got"
files="$(s3 -list "smoke/events/day=2025-01-02/" segmentd)"
[ -n "$files" ] || die "no objects under s3://segmentd/smoke/events/day=2025-01-02/"
log "ok: $(echo "$files" | wc -l) data file(s) in MinIO under smoke/events/day=2025-01-02/"
PASSED=$((PASSED + 1))

# Compaction's pattern: overwrite a partition of an external table.
sql -session hive.insert_existing_partitions_behavior=OVERWRITE \
	"INSERT INTO hive.smoke.events VALUES ($RUN_ID, 'w-$RUN_ID', DATE '2025-01-02')"
got="$(sql "SELECT user_id FROM hive.smoke.events")"
expect "partition overwritten (insert_existing_partitions_behavior=OVERWRITE)" "w-$RUN_ID" "$got"

# A second table over the same files sees the partition only once it is
# registered, as for files written from outside Trino.
sql "CREATE TABLE hive.smoke.events_mirror (run_id bigint, user_id varchar, day date)
     WITH (format = 'PARQUET', external_location = 's3://segmentd/smoke/events/', partitioned_by = ARRAY['day'])"
sql "CALL hive.system.sync_partition_metadata('smoke', 'events_mirror', 'ADD')"
got="$(sql "SELECT user_id FROM hive.smoke.events_mirror")"
expect "partition registered with sync_partition_metadata" "w-$RUN_ID" "$got"

# --- Cassandra through Trino -------------------------------------------------
cql -q \
	-e "DROP KEYSPACE IF EXISTS segmentd_smoke" \
	-e "CREATE KEYSPACE segmentd_smoke WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}" \
	-e "CREATE TABLE segmentd_smoke.events (tenant text, day date, user_id text, n int, PRIMARY KEY ((tenant, day), user_id))" \
	-e "INSERT INTO segmentd_smoke.events (tenant, day, user_id, n) VALUES ('t-$RUN_ID', '2025-01-02', 'u1', 7)"
# Trino's Cassandra driver learns of new keyspaces and tables through schema
# events, debounced by about a second: retry briefly.
for i in $(seq 1 30); do
	if got="$(sql "SELECT user_id, n FROM cassandra.segmentd_smoke.events WHERE tenant = 't-$RUN_ID' AND day IN (DATE '2025-01-01', DATE '2025-01-02')" 2>/dev/null)"; then break; fi
	[ "$i" -lt 30 ] || die "cassandra.segmentd_smoke.events not visible through Trino after 30s"
	sleep 1
done
expect "row written with CQL read through Trino's cassandra catalog" "$(printf 'u1\t7')" "$got"
plan="$(sql "EXPLAIN SELECT user_id FROM cassandra.segmentd_smoke.events WHERE tenant = 't-$RUN_ID' AND day = DATE '2025-01-02'")"
if grep -q "t-$RUN_ID" <<<"$plan"; then log "ok: partition key pushed down to Cassandra"; PASSED=$((PASSED + 1)); else die "partition key not pushed down: $plan"; fi

sql "INSERT INTO cassandra.segmentd_smoke.events (tenant, day, user_id, n) VALUES ('t-$RUN_ID', DATE '2025-01-03', 'u2', 9)"
got="$(cql -q=false -e "SELECT user_id, n FROM segmentd_smoke.events WHERE tenant = 't-$RUN_ID' AND day = '2025-01-03'" | tail -n 1)"
expect "row written through Trino read with CQL" "n=9 user_id=u2" "$got"

# --- clean up ----------------------------------------------------------------
sql "DROP TABLE hive.smoke.events_mirror" "DROP TABLE hive.smoke.events" "DROP SCHEMA hive.smoke"
s3 -delete smoke/ segmentd >/dev/null
cql -q -e "DROP KEYSPACE segmentd_smoke"

log "OK ($((SECONDS - T0))s)"
echo "smoke: $PASSED passed, 0 failed"
