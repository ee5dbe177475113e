#!/usr/bin/env bash
# The API against its own OpenAPI document: schemathesis (from PyPI, in a
# venv under the git-ignored .cache/schemathesis) sends requests generated
# from GET /v1/openapi.json to a segmentd on the embedded default with a
# small demo app, and fails on any 5xx, any answer the document does not
# describe (status, content type, body schema), any request the document
# allows that the server refuses and any it forbids that the server takes.
#
#   deploy/local/schemathesis.sh install   # the venv, once (pinned version)
#   deploy/local/schemathesis.sh run       # build, serve, test, stop (make test-api)
#
# Environment: ST_MAX_EXAMPLES (per operation and phase, default 25),
# ST_SEED (default 1: the same requests every run), ST_WORKERS (default 1: with more, which IDs one operation sees from another depends on timing).
# The per-operation exceptions, each with its reason, are in
# schemathesis.toml beside this script.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
VERSION=4.32.5
VENV="$ROOT/.cache/schemathesis"
ST="$VENV/bin/st"

log() { echo "schemathesis.sh: $*" >&2; }
die() { log "error: $*"; exit 1; }

install() {
	if "$ST" --version 2>/dev/null | grep -qF "$VERSION"; then return 0; fi
	log "installing schemathesis $VERSION into $VENV"
	python3 -m venv "$VENV"
	"$VENV/bin/pip" install --quiet --disable-pip-version-check "schemathesis==$VERSION"
}

run() {
	install
	local url key=st-admin-key
	# Globals: the EXIT trap runs after run has returned.
	dir="$(mktemp -d)"
	pid=
	trap 'if [ -n "$pid" ]; then kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null || true; fi; rm -rf "$dir"' EXIT
	(cd "$ROOT" && go build -o "$dir/segmentd" ./cmd/segmentd) || die "go build failed"
	# A free loopback port: segmentd listens on :0 and prints its URL.
	"$dir/segmentd" serve --addr 127.0.0.1:0 --data-dir "$dir/data" --admin-key "$key" \
		--demo-users 2000 --demo-events 40000 --log-level warn >"$dir/out" 2>"$dir/log" &
	pid=$!
	for _ in $(seq 300); do
		url="$(sed -n 's/^segmentd .* serving \(http:[^ ]*\)$/\1/p' "$dir/out")"
		[ -n "$url" ] && break
		kill -0 "$pid" 2>/dev/null || { cat "$dir/log" >&2; die "segmentd exited"; }
		sleep 0.2
	done
	[ -n "$url" ] || { cat "$dir/log" >&2; die "segmentd did not serve within 60 s"; }
	log "segmentd at $url"
	# Run from the data directory: schemathesis keeps its example database
	# in the working directory, and the config names the demo app.
	(cd "$dir" && "$ST" --config-file "$ROOT/deploy/local/schemathesis.toml" run "$url/v1/openapi.json" \
		-H "Authorization: Bearer $key" --checks all \
		--phases examples,coverage,fuzzing --max-examples "${ST_MAX_EXAMPLES:-25}" --seed "${ST_SEED:-1}" \
		--workers "${ST_WORKERS:-1}" --generation-database none --no-color)
}

case "${1:-}" in
install) install ;;
run) run ;;
*) die "usage: $0 install|run" ;;
esac
