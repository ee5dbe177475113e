#!/usr/bin/env bash
# A local single-node Trino 476 for segmentd (coordinator that also runs the
# work), on loopback only, with all of its state under the repository's
# git-ignored .cache/trino. Catalogs `hive` (S3 on the local MinIO, file
# metastore) and `cassandra` (the local Cassandra), rendered from the
# templates in deploy/trino/catalog/.
#
#   deploy/local/trino.sh start   # fetch server+plugins (Maven Central) if missing, render etc/, start, wait
#   deploy/local/trino.sh stop    # stop the server started by `start`
#   deploy/local/trino.sh status  # running or not (and whether it has finished starting)
#   deploy/local/trino.sh url     # print the server URL
#   deploy/local/trino.sh fetch   # only download and unpack
#
# Every command is idempotent. Environment: TRINO_PORT (default 8085),
# TRINO_START_TIMEOUT seconds (default 420), TRINO_JAVA_HOME (default: a
# Temurin/OpenJDK 24+ under /usr/lib/jvm; Trino 476 needs Java 24+),
# TRINO_HIVE_METASTORE_DIR (default local:///, i.e. .cache/trino/metastore;
# s3://segmentd/hive-metastore keeps the metastore, and so managed tables, in
# MinIO as deploy/docker-compose.yml does).
#
# The catalogs point at MinIO (deploy/local/minio.sh, 127.0.0.1:9000) and
# Cassandra (deploy/local/cassandra.sh, 127.0.0.1:9042). Trino starts without
# them; queries against a catalog whose server is down fail.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
VERSION=476
BASE="$ROOT/.cache/trino"
DL="$BASE/dl"
SERVER="$BASE/server-$VERSION"
ETC="$BASE/etc"
DATA="$BASE/data"
LOGDIR="$BASE/logs"
METASTORE="$BASE/metastore"
PIDFILE="$BASE/trino.pid"
HOST=127.0.0.1
PORT="${TRINO_PORT:-8085}"
URL="http://$HOST:$PORT"
START_TIMEOUT="${TRINO_START_TIMEOUT:-420}"
PLUGINS=(hive cassandra)
TEMPLATES="$ROOT/deploy/trino/catalog"

# Local values for the ${ENV:NAME} placeholders of the catalog templates
# (the same as deploy/local/minio.sh env and cassandra.sh).
declare -A LOCAL_ENV=(
	[HIVE_METASTORE_DIR]="${TRINO_HIVE_METASTORE_DIR:-local:///}"
	[S3_ENDPOINT]="http://127.0.0.1:9000"
	[S3_REGION]="us-east-1"
	[AWS_ACCESS_KEY_ID]="segmentd"
	[AWS_SECRET_ACCESS_KEY]="segmentd-secret"
	[CASSANDRA_CONTACT_POINTS]="127.0.0.1"
	[CASSANDRA_LOCAL_DC]="datacenter1"
)

log() { echo "trino.sh: $*" >&2; }
die() { log "error: $*"; exit 1; }
# shellcheck source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

find_jdk() { # a JDK whose major version is >= 24
	if [ -n "${TRINO_JAVA_HOME:-}" ]; then echo "$TRINO_JAVA_HOME"; return 0; fi
	local d v
	for d in /usr/lib/jvm/temurin-2[4-9]* /usr/lib/jvm/java-2[4-9]-* /usr/lib/jvm/jdk-2[4-9]*; do
		[ -x "$d/bin/java" ] || continue
		v="$("$d/bin/java" -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java.specification.version = //p')"
		if [ "${v%%.*}" -ge 24 ] 2>/dev/null; then echo "$d"; return 0; fi
	done
	return 1
}

mvn_copy() { # GAV OUTDIR
	mvn -B -q org.apache.maven.plugins:maven-dependency-plugin:3.6.1:copy \
		-Dartifact="$1" -DoutputDirectory="$2" >>"$BASE/fetch.log" 2>&1
}

unzip_to() { # ZIP DIR: unpack with the archive's top folder stripped
	local zip="$1" dir="$2" tmp
	tmp="$(mktemp -d "$BASE/unzip.XXXXXX")"
	if command -v unzip >/dev/null; then
		unzip -q "$zip" -d "$tmp"
	else
		(cd "$tmp" && "$(find_jdk)/bin/jar" xf "$zip")
	fi
	mkdir -p "$dir"
	local top
	top="$(find "$tmp" -mindepth 1 -maxdepth 1 -type d | head -n 1)"
	[ -n "$top" ] || die "unexpected layout in $zip"
	mv "$top"/* "$dir"/
	rm -rf "$tmp"
}

# fetch: trino-server-core (the server without connectors) plus the hive and
# cassandra connector zips, each into plugin/<name>/. trino-cassandra is not
# published to Maven Central after 368, so when a connector zip is missing the
# plugin is taken from the full trino-server tarball instead (~820 MB
# download, unpacked to a scratch folder of which only plugin/<name> is kept;
# the tarball is then deleted from .cache, Maven keeps its copy in ~/.m2).
fetch() {
	if [ -f "$SERVER/.complete" ]; then return 0; fi
	command -v mvn >/dev/null || die "mvn is not installed (apt-get install -y maven)"
	mkdir -p "$DL"
	: >"$BASE/fetch.log"
	local t0=$SECONDS tmp="$SERVER.tmp"
	rm -rf "$tmp"
	mkdir -p "$tmp"
	log "fetching io.trino:trino-server-core:$VERSION:tar.gz from Maven Central"
	if mvn_copy "io.trino:trino-server-core:$VERSION:tar.gz" "$DL"; then
		tar xzf "$DL/trino-server-core-$VERSION.tar.gz" -C "$tmp" --strip-components=1
	else
		log "no trino-server-core:$VERSION; using the full io.trino:trino-server:$VERSION:tar.gz"
		mvn_copy "io.trino:trino-server:$VERSION:tar.gz" "$DL" || { tail -n 20 "$BASE/fetch.log" >&2; die "fetching trino-server failed"; }
		tar xzf "$DL/trino-server-$VERSION.tar.gz" -C "$tmp" --strip-components=1
	fi
	local p full="$DL/trino-server-$VERSION.tar.gz"
	for p in "${PLUGINS[@]}"; do
		if [ -d "$tmp/plugin/$p" ]; then continue; fi
		if mvn_copy "io.trino:trino-$p:$VERSION:zip" "$DL"; then
			log "unpacking io.trino:trino-$p:$VERSION:zip into plugin/$p"
			unzip_to "$DL/trino-$p-$VERSION.zip" "$tmp/plugin/$p"
		else
			log "io.trino:trino-$p:$VERSION:zip is not on Maven Central; taking plugin/$p from io.trino:trino-server:$VERSION:tar.gz"
			if [ ! -f "$full" ]; then
				mvn_copy "io.trino:trino-server:$VERSION:tar.gz" "$DL" || { tail -n 20 "$BASE/fetch.log" >&2; die "fetching trino-server failed"; }
			fi
			# The tarball stores jars shared between plugins as hard links to
			# one copy elsewhere in the archive: unpack all of it, keep plugin/$p.
			local all="$BASE/full.tmp"
			rm -rf "$all"
			mkdir -p "$all"
			tar xzf "$full" -C "$all" --strip-components=1 || die "unpacking $full failed"
			[ -d "$all/plugin/$p" ] || die "plugin/$p not found in $full"
			mv "$all/plugin/$p" "$tmp/plugin/$p"
			rm -rf "$all"
		fi
	done
	rm -rf "$DL"
	touch "$tmp/.complete"
	rm -rf "$SERVER"
	mv "$tmp" "$SERVER"
	log "fetched and unpacked in $((SECONDS - t0))s ($(du -sh "$SERVER" | cut -f1))"
}

render_template() { # SRC DST: replace ${ENV:NAME} by the local values (comments are copied as they are)
	local src="$1" dst="$2" line name
	: >"$dst"
	while IFS= read -r line || [ -n "$line" ]; do
		if [[ "$line" =~ ^[[:space:]]*# ]]; then printf '%s\n' "$line" >>"$dst"; continue; fi
		while [[ "$line" =~ \$\{ENV:([A-Za-z_][A-Za-z0-9_]*)\} ]]; do
			name="${BASH_REMATCH[1]}"
			[ -n "${LOCAL_ENV[$name]+x}" ] || die "$src uses \${ENV:$name}, which has no local value in $0"
			line="${line//"\${ENV:$name}"/${LOCAL_ENV[$name]}}"
		done
		printf '%s\n' "$line" >>"$dst"
	done <"$src"
}

render() {
	mkdir -p "$ETC/catalog" "$DATA" "$LOGDIR" "$METASTORE"
	cat >"$ETC/node.properties" <<-EOF
		# Generated by deploy/local/trino.sh; edits are overwritten on start.
		node.environment=segmentd_local
		node.id=segmentd-local-1
		node.data-dir=$DATA
		node.internal-address=$HOST
		node.bind-ip=$HOST
	EOF
	# Trino's recommended jvm.config with a 3 GB heap, minus
	# -XX:GCLockerRetryAllocationCount (refused by newer JDKs).
	cat >"$ETC/jvm.config" <<-EOF
		-server
		-Xmx3G
		-XX:+UseG1GC
		-XX:G1HeapRegionSize=32M
		-XX:+ExplicitGCInvokesConcurrent
		-XX:+ExitOnOutOfMemoryError
		-XX:+HeapDumpOnOutOfMemoryError
		-XX:HeapDumpPath=$DATA
		-XX:-OmitStackTraceInFastThrow
		-XX:ReservedCodeCacheSize=256M
		-XX:PerMethodRecompilationCutoff=10000
		-XX:PerBytecodeRecompilationCutoff=10000
		-Djdk.attach.allowAttachSelf=true
		-Djdk.nio.maxCachedBufferSize=2000000
		-Dfile.encoding=UTF-8
		-XX:+EnableDynamicAgentLoading
	EOF
	cat >"$ETC/config.properties" <<-EOF
		# Generated by deploy/local/trino.sh; edits are overwritten on start.
		coordinator=true
		node-scheduler.include-coordinator=true
		http-server.http.port=$PORT
		discovery.uri=$URL
		query.max-memory=1GB
		query.max-memory-per-node=1GB
		# Small machine: fewer threads and a single writer.
		task.concurrency=2
		task.max-worker-threads=8
	EOF
	cat >"$ETC/log.properties" <<-EOF
		io.trino=INFO
	EOF
	rm -f "$ETC"/catalog/*.properties
	local t name
	for t in "$TEMPLATES"/*.properties; do
		name="$(basename "$t")"
		render_template "$t" "$ETC/catalog/$name"
	done
	# Local only: the file metastore lives on the local disk (local:/// is
	# .cache/trino/metastore), the tables in MinIO.
	cat >>"$ETC/catalog/hive.properties" <<-EOF

		# Added by deploy/local/trino.sh: the metastore on the local disk.
		fs.native-local.enabled=true
		local.location=$METASTORE
	EOF
}


port_open() { (exec 3<>"/dev/tcp/$HOST/$PORT") 2>/dev/null; }

# info: the body of GET /v1/info (bash /dev/tcp, no curl needed).
info() {
	(
		exec 2>/dev/null
		exec 3<>"/dev/tcp/$HOST/$PORT" || exit 1
		printf 'GET /v1/info HTTP/1.1\r\nHost: %s:%s\r\nConnection: close\r\n\r\n' "$HOST" "$PORT" >&3
		timeout 5 cat <&3
	) | tr -d '\r' | sed '1,/^$/d'
}

ready() { info | grep -q '"starting":false'; }

# announced: the node's discovery announcement lists every catalog of
# etc/catalog (GET /v1/service/trino).
announced() {
	local body c
	body="$(
		exec 2>/dev/null
		exec 3<>"/dev/tcp/$HOST/$PORT" || exit 1
		printf 'GET /v1/service/trino HTTP/1.1\r\nHost: %s:%s\r\nX-Trino-User: trino.sh\r\nConnection: close\r\n\r\n' "$HOST" "$PORT" >&3
		timeout 5 cat <&3
	)" || return 1
	for c in "$ETC"/catalog/*.properties; do
		c="$(basename "$c" .properties)"
		[[ "$body" == *"$c:"* ]] || return 1
	done
}

tail_logs() {
	tail -n 40 "$LOGDIR/server.log" >&2 2>/dev/null || true
	tail -n 10 "$LOGDIR/launcher.log" >&2 2>/dev/null || true
}

start_server() {
	if pid_alive && ready; then
		log "already running (pid $(cat "$PIDFILE"), $URL)"
		return 0
	fi
	if ! pid_alive; then
		if port_open; then die "$HOST:$PORT is already taken by another process (set TRINO_PORT)"; fi
		local jdk
		jdk="$(find_jdk)" || die "no JDK 24+ found under /usr/lib/jvm (Trino $VERSION needs Java 24+); set TRINO_JAVA_HOME"
		render
		log "starting Trino $VERSION on $URL ($jdk)"
		rm -f "$PIDFILE"
		: >"$LOGDIR/server.log"
		JAVA_HOME="$jdk" PATH="$jdk/bin:$PATH" "$SERVER/bin/launcher" start \
			--etc-dir "$ETC" --data-dir "$DATA" --jvm-dir "$jdk" \
			--pid-file "$PIDFILE" \
			--server-log-file "$LOGDIR/server.log" --launcher-log-file "$LOGDIR/launcher.log" \
			>"$BASE/launcher.out" 2>&1 || { cat "$BASE/launcher.out" >&2; tail_logs; die "launcher start failed"; }
	else
		log "pid $(cat "$PIDFILE") is running but not ready yet; waiting"
	fi
	local pid deadline=$((SECONDS + START_TIMEOUT))
	for _ in 1 2 3 4 5 6 7 8 9 10; do [ -s "$PIDFILE" ] && break; sleep 0.2; done
	pid="$(cat "$PIDFILE" 2>/dev/null || true)"
	[ -n "$pid" ] || { tail_logs; die "launcher wrote no pid file"; }
	until ready; do
		if ! kill -0 "$pid" 2>/dev/null; then
			log "Trino (pid $pid) exited during start; last lines of $LOGDIR/server.log and launcher.log:"
			tail_logs
			rm -f "$PIDFILE"
			exit 1
		fi
		if [ "$SECONDS" -ge "$deadline" ]; then
			log "Trino did not finish starting (GET $URL/v1/info \"starting\":false) within ${START_TIMEOUT}s; last lines of $LOGDIR/server.log:"
			tail_logs
			exit 1
		fi
		sleep 1
	done
	# "starting":false comes a few seconds before queries can read from a
	# connector: the coordinator learns which nodes serve which catalog from
	# the announcements, in a refresh every 5 s, and until then scans fail
	# with NO_NODES_AVAILABLE. Wait for the announcement, then for one refresh.
	until announced; do
		if [ "$SECONDS" -ge "$deadline" ]; then
			log "Trino did not announce its catalogs within ${START_TIMEOUT}s; last lines of $LOGDIR/server.log:"
			tail_logs
			exit 1
		fi
		sleep 0.5
	done
	sleep 6
	log "up (pid $pid): $(info)"
}

stop_server() { stop_pid 60; }

cmd="${1:-}"
case "$cmd" in
start)
	fetch
	start_server
	echo "$URL"
	;;
stop)
	stop_server
	;;
status)
	if pid_alive; then
		if ready; then echo "running (pid $(cat "$PIDFILE"), $URL)"; else echo "starting (pid $(cat "$PIDFILE"), $URL)"; fi
	else
		echo "stopped"
		exit 1
	fi
	;;
url)
	echo "$URL"
	;;
fetch)
	fetch
	;;
*)
	echo "usage: $0 start|stop|status|url|fetch" >&2
	exit 2
	;;
esac
