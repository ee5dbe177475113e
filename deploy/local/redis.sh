#!/usr/bin/env bash
# A local Redis for segmentd's run snapshots, on loopback only, without
# persistence, with its pid file and log (named by port) under the
# repository's git-ignored .cache/redis.
#
#   deploy/local/redis.sh start   # install (Debian package) if missing, start, wait for PING, print the address
#   deploy/local/redis.sh stop    # stop the server started by `start`
#   deploy/local/redis.sh status  # running or not
#   deploy/local/redis.sh addr    # print host:port
#
# Every command is idempotent. Environment: REDIS_PORT (default 6390),
# REDIS_START_TIMEOUT seconds (default 20).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
BASE="$ROOT/.cache/redis"
PORT="${REDIS_PORT:-6390}"
PIDFILE="$BASE/redis-$PORT.pid"
LOG="$BASE/redis-$PORT.log"
START_TIMEOUT="${REDIS_START_TIMEOUT:-20}"
ADDR="127.0.0.1:$PORT"

log() { echo "redis.sh: $*" >&2; }
die() { log "error: $*"; exit 1; }
# shellcheck source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

# install: redis-server (with redis-cli through redis-tools) from Debian's
# packages, only when missing.
install_server() {
	if find_bin redis-server >/dev/null && find_bin redis-cli >/dev/null; then return 0; fi
	apt_install redis-server
	find_bin redis-server >/dev/null || die "redis-server installed but not found"
}

# answers: PONG within 2 s (redis-cli itself would wait for ever on a
# server that accepts and does not answer).
answers() { [ "$(timeout 2 "$(find_bin redis-cli)" -h 127.0.0.1 -p "$PORT" ping 2>/dev/null)" = PONG ]; }

start_server() {
	if pid_alive && answers; then
		log "already running (pid $(cat "$PIDFILE"), port $PORT)"
		return 0
	fi
	if pid_alive; then
		die "a server with pid $(cat "$PIDFILE") is running but does not answer PING on $ADDR; run '$0 stop' first"
	fi
	if (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null; then
		die "something else listens on $ADDR (not started by this script); set REDIS_PORT"
	fi
	rm -f "$PIDFILE"
	log "starting redis-server on $ADDR"
	# --dir keeps any file redis writes (none without persistence) in BASE.
	"$(find_bin redis-server)" --bind 127.0.0.1 --port "$PORT" --protected-mode yes \
		--save '' --appendonly no --dir "$BASE" \
		--daemonize yes --pidfile "$PIDFILE" --logfile "$LOG" ||
		{ tail -n 20 "$LOG" >&2 2>/dev/null || true; die "redis-server failed to start (log: $LOG)"; }
	local deadline=$((SECONDS + START_TIMEOUT))
	until answers; do
		if [ "$SECONDS" -ge "$deadline" ]; then
			log "redis-server did not answer PING within ${START_TIMEOUT}s; last lines of $LOG:"
			tail -n 20 "$LOG" >&2 2>/dev/null || true
			exit 1
		fi
		if [ -s "$PIDFILE" ] && ! pid_alive; then
			log "redis-server exited during start; last lines of $LOG:"
			tail -n 20 "$LOG" >&2 2>/dev/null || true
			exit 1
		fi
		sleep 0.2
	done
	log "up (pid $(cat "$PIDFILE" 2>/dev/null || echo '?'))"
}

cmd="${1:-}"
case "$cmd" in
start)
	mkdir -p "$BASE"
	install_server
	start_server
	echo "$ADDR"
	;;
stop)
	stop_pid 10
	;;
status)
	if pid_alive; then echo "running (pid $(cat "$PIDFILE"), port $PORT)"; else echo "stopped"; exit 1; fi
	;;
addr)
	echo "$ADDR"
	;;
*)
	echo "usage: $0 start|stop|status|addr" >&2
	exit 2
	;;
esac
