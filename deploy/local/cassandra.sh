#!/usr/bin/env bash
# A local single-node Apache Cassandra 5.0 for segmentd, on loopback only,
# with all of its state under the repository's git-ignored .cache/cassandra.
#
#   deploy/local/cassandra.sh start   # fetch jars (Maven Central) if missing, start, wait for CQL
#   deploy/local/cassandra.sh stop    # stop the node started by `start`
#   deploy/local/cassandra.sh status  # running or not
#   deploy/local/cassandra.sh health  # TCP connect to 9042 plus a CQL handshake (no cqlsh needed)
#   deploy/local/cassandra.sh fetch   # only download the jars
#
# Every command is idempotent. Environment: CASSANDRA_START_TIMEOUT seconds
# (default 180), CASSANDRA_JAVA (default: the system's Java 17).
#
# Cassandra comes from Maven Central (org.apache.cassandra:cassandra-all and
# its runtime dependencies, see cassandra/pom.xml) and runs as
# `java -cp 'lib/*' org.apache.cassandra.service.CassandraDaemon` with the
# config files in deploy/local/cassandra/. It needs Java 17: Cassandra 5.0
# does not start on Java 24+.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
CONF="$ROOT/deploy/local/cassandra"
BASE="$ROOT/.cache/cassandra"
LIB="$BASE/lib"
STORAGE="$BASE/storage"
LOGDIR="$BASE/logs"
PIDFILE="$BASE/cassandra.pid"
OUT="$BASE/cassandra.out"
HOST=127.0.0.1
PORT=9042
START_TIMEOUT="${CASSANDRA_START_TIMEOUT:-180}"

log() { echo "cassandra.sh: $*" >&2; }
die() { log "error: $*"; exit 1; }
# shellcheck source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

find_java17() {
	if [ -n "${CASSANDRA_JAVA:-}" ]; then echo "$CASSANDRA_JAVA"; return 0; fi
	local d
	for d in /usr/lib/jvm/java-17-openjdk-amd64 /usr/lib/jvm/java-17-openjdk-arm64 /usr/lib/jvm/java-17-openjdk* /usr/lib/jvm/temurin-17*; do
		if [ -x "$d/bin/java" ]; then echo "$d/bin/java"; return 0; fi
	done
	if command -v java >/dev/null && java -version 2>&1 | grep -q 'version "17'; then command -v java; return 0; fi
	return 1
}

fetch() {
	if compgen -G "$LIB/cassandra-all-*.jar" >/dev/null && compgen -G "$LIB/jamm-*.jar" >/dev/null; then
		return 0
	fi
	command -v mvn >/dev/null || die "mvn is not installed (apt-get install -y maven)"
	log "fetching cassandra-all and its runtime dependencies from Maven Central into $LIB"
	rm -rf "$LIB.tmp"
	mkdir -p "$BASE"
	local t0=$SECONDS
	if ! mvn -B -q -f "$CONF/pom.xml" dependency:copy-dependencies \
		-DincludeScope=runtime -DoutputDirectory="$LIB.tmp" >"$BASE/fetch.log" 2>&1; then
		tail -n 30 "$BASE/fetch.log" >&2
		rm -rf "$LIB.tmp"
		die "mvn dependency:copy-dependencies failed (log: $BASE/fetch.log)"
	fi
	rm -rf "$LIB"
	mv "$LIB.tmp" "$LIB"
	log "fetched $(ls "$LIB" | wc -l) jars ($(du -sh "$LIB" | cut -f1)) in $((SECONDS - t0))s"
}


port_open() { # plain TCP connect
	(exec 3<>"/dev/tcp/$HOST/$PORT") 2>/dev/null
}

# cql_ok: a real CQL handshake (STARTUP, then SELECT release_version FROM
# system.local) through deploy/local/cqlping, a tiny Go program using the
# gocql driver. Prints the release version.
CQLPING=""
build_cqlping() {
	CQLPING="$ROOT/.cache/bin/cqlping"
	if [ -x "$CQLPING" ] && [ "$CQLPING" -nt "$ROOT/deploy/local/cqlping/main.go" ]; then return 0; fi
	command -v go >/dev/null || { CQLPING=""; return 0; }
	mkdir -p "$ROOT/.cache/bin"
	(cd "$ROOT" && go build -o "$CQLPING" ./deploy/local/cqlping) || die "building deploy/local/cqlping failed"
}

cql_ok() {
	if [ -z "$CQLPING" ]; then port_open; return; fi
	"$CQLPING" -host "$HOST" -port "$PORT" -timeout 3s "$@"
}

tail_logs() {
	tail -n 40 "$LOGDIR/system.log" >&2 2>/dev/null || true
	tail -n 20 "$OUT" >&2 2>/dev/null || true
}

start_node() {
	build_cqlping
	if pid_alive && cql_ok -q; then
		log "already running (pid $(cat "$PIDFILE"), $HOST:$PORT)"
		return 0
	fi
	if pid_alive; then
		log "pid $(cat "$PIDFILE") is running but CQL does not answer yet; waiting"
	else
		if port_open; then die "$HOST:$PORT is already taken by another process"; fi
		local java jamm
		java="$(find_java17)" || die "no Java 17 found (apt-get install -y openjdk-17-jre-headless, or set CASSANDRA_JAVA)"
		jamm="$(compgen -G "$LIB/jamm-*.jar" | head -n 1)"
		mkdir -p "$STORAGE" "$LOGDIR"
		local opts=()
		local line
		while IFS= read -r line || [ -n "$line" ]; do
			line="${line%%#*}"
			line="$(echo "$line" | sed 's/^[[:space:]]*//;s/[[:space:]]*$//')"
			[ -z "$line" ] && continue
			# "--add-opens X" is one option with a value: split on the first space.
			# shellcheck disable=SC2206
			opts+=($line)
		done <"$CONF/jvm17-server.options"
		log "starting Cassandra $(basename "$(compgen -G "$LIB/cassandra-all-*.jar" | head -n 1)" .jar | sed 's/cassandra-all-//') on $HOST:$PORT ($java)"
		rm -f "$PIDFILE"
		: >"$OUT"
		setsid nohup "$java" "${opts[@]}" \
			-javaagent:"$jamm" \
			-XX:HeapDumpPath="$BASE" \
			-Xlog:gc=info:file="$LOGDIR/gc.log":time,uptime:filecount=3,filesize=5M \
			-Dcassandra.config="file://$CONF/cassandra.yaml" \
			-Dcassandra.storagedir="$STORAGE" \
			-Dcassandra.logdir="$LOGDIR" \
			-Dlogback.configurationFile="file://$CONF/logback.xml" \
			-Dcassandra-foreground=yes \
			-Dcassandra.skip_wait_for_gossip_to_settle=0 \
			-Dcassandra.jmx.local.port=7199 \
			-cp "$LIB/*" org.apache.cassandra.service.CassandraDaemon \
			</dev/null >>"$OUT" 2>&1 &
		echo $! >"$PIDFILE"
	fi
	local pid deadline=$((SECONDS + START_TIMEOUT))
	pid="$(cat "$PIDFILE")"
	until cql_ok -q; do
		if ! kill -0 "$pid" 2>/dev/null; then
			log "Cassandra (pid $pid) exited during start; last lines of $LOGDIR/system.log and $OUT:"
			tail_logs
			rm -f "$PIDFILE"
			exit 1
		fi
		if [ "$SECONDS" -ge "$deadline" ]; then
			log "Cassandra did not accept CQL on $HOST:$PORT within ${START_TIMEOUT}s; last lines of $LOGDIR/system.log and $OUT:"
			tail_logs
			exit 1
		fi
		sleep 1
	done
	log "up (pid $pid): $(cql_ok)"
}

stop_node() { stop_pid 60; }

cmd="${1:-}"
case "$cmd" in
start)
	fetch
	start_node
	;;
stop)
	stop_node
	;;
status)
	if pid_alive; then echo "running (pid $(cat "$PIDFILE"), $HOST:$PORT)"; else echo "stopped"; exit 1; fi
	;;
health)
	port_open || { echo "unhealthy: nothing listens on $HOST:$PORT"; exit 1; }
	build_cqlping
	if [ -z "$CQLPING" ]; then echo "port $HOST:$PORT open (no Go toolchain for the CQL handshake)"; exit 0; fi
	cql_ok || exit 1
	;;
fetch)
	fetch
	;;
*)
	echo "usage: $0 start|stop|status|health|fetch" >&2
	exit 2
	;;
esac
