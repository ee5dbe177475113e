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
# shellcheck source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

install() {
	if "$ST" --version 2>/dev/null | grep -qF "$VERSION"; then return 0; fi
	log "installing schemathesis $VERSION into $VENV"
	python3 -m venv "$VENV"
	"$VENV/bin/pip" install --quiet --disable-pip-version-check "schemathesis==$VERSION"
}

run() {
	install
	local key=st-admin-key
	serve_segmentd "$key" 2000 40000
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
