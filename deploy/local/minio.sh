#!/usr/bin/env bash
# A local MinIO (S3) server for segmentd, on loopback only, with all of its
# state under the repository's git-ignored .cache/.
#
#   deploy/local/minio.sh start   # build minio (go install) if missing, start, wait, create bucket segmentd
#   deploy/local/minio.sh stop    # stop the server started by `start`
#   deploy/local/minio.sh status  # running or not
#   deploy/local/minio.sh env     # print the S3 endpoint and credentials as shell exports
#   deploy/local/minio.sh build   # only build the binary
#
# Every command is idempotent. Environment: MINIO_START_TIMEOUT seconds
# (default 60).
#
# MinIO is AGPL-3.0: we only build and run it as a separate program, nothing
# of segmentd links it. The server is built from source with `go install`
# into .cache/bin (GOBIN) and kept there.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
BIN_DIR="$ROOT/.cache/bin"
MINIO="$BIN_DIR/minio"
BASE="$ROOT/.cache/minio"
DATA="$BASE/data"
PIDFILE="$BASE/minio.pid"
LOG="$BASE/minio.log"
HOST=127.0.0.1
PORT=9000
CONSOLE_PORT=9001
ENDPOINT="http://$HOST:$PORT"
ACCESS_KEY=segmentd
SECRET_KEY=segmentd-secret
REGION=us-east-1
BUCKET=segmentd
START_TIMEOUT="${MINIO_START_TIMEOUT:-60}"
# The module proxy refuses the RELEASE.2025-10-15T17-29-55Z tag and its
# pseudo-version v0.0.0-20251015172955-9e49d5e7a648 ("403 This module version
# is not available"); it serves the final commit of the (now archived)
# repository, which is newer than that release. Override with MINIO_VERSION.
MINIO_VERSION="${MINIO_VERSION:-v0.0.0-20260212201848-7aac2a2c5b7c}"

log() { echo "minio.sh: $*" >&2; }
die() { log "error: $*"; exit 1; }
# shellcheck source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

build() {
	if [ -x "$MINIO" ]; then return 0; fi
	command -v go >/dev/null || die "go is not installed"
	mkdir -p "$BIN_DIR" "$BASE"
	log "building github.com/minio/minio@$MINIO_VERSION into $BIN_DIR (takes ~3-4 min on 2 cores)"
	local t0=$SECONDS
	if ! GOBIN="$BIN_DIR" go install -trimpath "github.com/minio/minio@$MINIO_VERSION" >"$BASE/build.log" 2>&1; then
		tail -n 30 "$BASE/build.log" >&2
		die "go install github.com/minio/minio@$MINIO_VERSION failed (log: $BASE/build.log)"
	fi
	log "built in $((SECONDS - t0))s"
}


port_open() { (exec 3<>"/dev/tcp/$HOST/$1") 2>/dev/null; }

# live: GET /minio/health/live answers 200 (bash /dev/tcp, no curl needed).
live() {
	local status
	status="$(
		exec 2>/dev/null
		exec 3<>"/dev/tcp/$HOST/$PORT" || exit 1
		printf 'GET /minio/health/live HTTP/1.1\r\nHost: %s:%s\r\nConnection: close\r\n\r\n' "$HOST" "$PORT" >&3
		timeout 3 head -n 1 <&3
	)" || return 1
	[[ "$status" == *" 200"* ]]
}

start_server() {
	if pid_alive && live; then
		log "already running (pid $(cat "$PIDFILE"), $ENDPOINT)"
		return 0
	fi
	if ! pid_alive; then
		if port_open "$PORT"; then die "$HOST:$PORT is already taken by another process"; fi
		mkdir -p "$DATA"
		log "starting minio on $ENDPOINT (console http://$HOST:$CONSOLE_PORT), data in $DATA"
		: >"$LOG"
		MINIO_ROOT_USER="$ACCESS_KEY" MINIO_ROOT_PASSWORD="$SECRET_KEY" \
			MINIO_REGION="$REGION" MINIO_BROWSER_REDIRECT=off \
			MINIO_UPDATE=off MINIO_CALLHOME_ENABLE=off \
			setsid nohup "$MINIO" server --quiet --anonymous \
			--address "$HOST:$PORT" --console-address "$HOST:$CONSOLE_PORT" \
			"$DATA" </dev/null >>"$LOG" 2>&1 &
		echo $! >"$PIDFILE"
	fi
	local pid deadline=$((SECONDS + START_TIMEOUT))
	pid="$(cat "$PIDFILE")"
	until live; do
		if ! kill -0 "$pid" 2>/dev/null; then
			log "minio (pid $pid) exited during start; last lines of $LOG:"
			tail -n 40 "$LOG" >&2 || true
			rm -f "$PIDFILE"
			exit 1
		fi
		if [ "$SECONDS" -ge "$deadline" ]; then
			log "minio did not answer /minio/health/live within ${START_TIMEOUT}s; last lines of $LOG:"
			tail -n 40 "$LOG" >&2 || true
			exit 1
		fi
		sleep 0.3
	done
	log "up (pid $pid)"
}

# make_bucket: one signed S3 PUT (deploy/local/mkbucket, standard library only).
make_bucket() {
	local mk="$BIN_DIR/mkbucket"
	if [ ! -x "$mk" ] || [ "$ROOT/deploy/local/mkbucket/main.go" -nt "$mk" ]; then
		(cd "$ROOT" && go build -o "$mk" ./deploy/local/mkbucket) || die "building deploy/local/mkbucket failed"
	fi
	"$mk" -endpoint "$ENDPOINT" -region "$REGION" -access-key "$ACCESS_KEY" -secret-key "$SECRET_KEY" "$BUCKET" >&2 ||
		die "creating bucket $BUCKET failed"
}

stop_server() { stop_pid 30; }

print_env() {
	cat <<-EOF
		export S3_ENDPOINT=$ENDPOINT
		export S3_REGION=$REGION
		export S3_BUCKET=$BUCKET
		export AWS_ACCESS_KEY_ID=$ACCESS_KEY
		export AWS_SECRET_ACCESS_KEY=$SECRET_KEY
		export AWS_REGION=$REGION
		export AWS_ENDPOINT_URL_S3=$ENDPOINT
		export AWS_S3_FORCE_PATH_STYLE=true
	EOF
}

cmd="${1:-}"
case "$cmd" in
start)
	build
	start_server
	make_bucket
	print_env
	;;
stop)
	stop_server
	;;
status)
	if pid_alive; then echo "running (pid $(cat "$PIDFILE"), $ENDPOINT)"; else echo "stopped"; exit 1; fi
	;;
env)
	print_env
	;;
build)
	build
	;;
*)
	echo "usage: $0 start|stop|status|env|build" >&2
	exit 2
	;;
esac
