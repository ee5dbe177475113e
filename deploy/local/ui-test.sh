#!/usr/bin/env bash
# The segment console in a real browser (make test-ui): Debian's chromium
# (apt-get, when missing) driven by playwright-core from npm, pinned by the
# lockfile in internal/console/test (npm ci; never `playwright install`,
# which would download browsers), against a segmentd of its own on a free
# loopback port with a fresh data directory and a demo app.
#
#   deploy/local/ui-test.sh install   # chromium and the npm packages
#   deploy/local/ui-test.sh run       # build, serve, test, stop
#
# The tests write screenshots to docs/console/ and print the figures: the
# console's size gzipped, first paint on loopback, axe-core's findings.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
TESTS="$ROOT/internal/console/test"
CHROMIUM="${CHROMIUM:-/usr/bin/chromium}"

log() { echo "ui-test.sh: $*" >&2; }
die() { log "error: $*"; exit 1; }
# shellcheck source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

apt_install() {
	local sudo=
	[ "$(id -u)" = 0 ] || sudo=sudo
	$sudo apt-get update -qq && $sudo apt-get install -y -qq "$@"
}

install() {
	[ -x "$CHROMIUM" ] || { log "installing Debian's chromium"; apt_install chromium; }
	command -v npm >/dev/null || { log "installing node and npm"; apt_install nodejs npm; }
	# npm ci installs exactly the lockfile; skipped when it is already there
	if ! cmp -s "$TESTS/package-lock.json" "$TESTS/node_modules/.package-lock.json.ci" 2>/dev/null; then
		(cd "$TESTS" && npm ci --no-audit --no-fund --loglevel=error)
		cp "$TESTS/package-lock.json" "$TESTS/node_modules/.package-lock.json.ci"
	fi
}

# bundle_size prints the console's files, raw and gzipped (-9), in bytes.
bundle_size() {
	local raw=0 gz=0 f
	while IFS= read -r f; do
		raw=$((raw + $(wc -c <"$f")))
		gz=$((gz + $(gzip -9c "$f" | wc -c)))
	done < <(find "$ROOT/internal/console/web" -type f)
	echo "$raw $gz"
}

run() {
	install
	local key=ui-admin-key size
	serve_segmentd "$key" "${UI_DEMO_USERS:-20000}" "${UI_DEMO_EVENTS:-400000}"
	grep -q '^console: ' "$dir/out" || die "serve did not print the console's URL"
	size="$(bundle_size)"
	SEGMENTD_URL="$url" SEGMENTD_DEMO_KEY="$(cat "$dir/data/demo.key")" SEGMENTD_ADMIN_KEY="$key" \
		CHROMIUM="$CHROMIUM" BUNDLE_RAW="${size% *}" BUNDLE_GZIP="${size#* }" \
		SCREENSHOTS="$ROOT/docs/console" UI_PROFILE="$dir/profile" \
		node "$TESTS/console.test.mjs"
}

case "${1:-}" in
install) install ;;
run) run ;;
*) die "usage: $0 install|run" ;;
esac
