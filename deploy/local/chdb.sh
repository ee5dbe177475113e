#!/usr/bin/env bash
# ClickHouse in-process for segbench's peer (`segbench --peer clickhouse`):
# chdb from PyPI, pinned, in a venv under the git-ignored .cache/chdb. The
# peer (internal/segbench/clickhouse/peer.py) runs on this venv's python.
# A machine without python3 or its venv module gets them from Debian's
# packages.
#
#   deploy/local/chdb.sh install   # the venv, once (make segbench and make test-integration run it)
#   deploy/local/chdb.sh python    # install, then print the venv's python
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
# chdb is the Python API; chdb-core is ClickHouse itself (26.9).
CHDB=4.4.0
CORE=26.9.0
VENV="$ROOT/.cache/chdb"
PY="$VENV/bin/python3"

log() { echo "chdb.sh: $*" >&2; }
die() { log "error: $*"; exit 1; }
# shellcheck source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

installed() {
	"$PY" -c "import importlib.metadata as m, sys; sys.exit(not (m.version('chdb') == '$CHDB' and m.version('chdb-core') == '$CORE'))" 2>/dev/null
}

install() {
	if installed; then return 0; fi
	local python
	python="$(find_bin python3)" || { apt_install python3 python3-venv; python="$(find_bin python3)"; }
	# Debian's python3 lacks the venv module (and ensurepip) without python3-venv.
	"$python" -c 'import venv, ensurepip' 2>/dev/null || apt_install python3-venv
	log "installing chdb $CHDB (ClickHouse $CORE) into $VENV"
	rm -rf "$VENV"
	"$python" -m venv "$VENV"
	"$VENV/bin/pip" install --quiet --disable-pip-version-check "chdb==$CHDB" "chdb-core==$CORE"
	installed || die "chdb $CHDB is not importable from $VENV"
}

case "${1:-}" in
install) install ;;
python)
	install
	echo "$PY"
	;;
*) die "usage: $0 install|python" ;;
esac
