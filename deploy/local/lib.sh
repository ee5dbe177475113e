# Shared by the deploy/local scripts, sourced after each defines PIDFILE
# (the server's pid file), log (its prefixed message to stderr) and die.

# find_bin NAME...: the first of the named binaries on PATH or in the
# system's bin directories.
find_bin() {
	local n d
	for n in "$@"; do
		if command -v "$n" >/dev/null 2>&1; then command -v "$n"; return 0; fi
		for d in /usr/sbin /usr/bin /usr/local/sbin /usr/local/bin; do
			if [ -x "$d/$n" ]; then echo "$d/$n"; return 0; fi
		done
	done
	return 1
}

# apt_install PACKAGE...: install Debian packages (as root). The system's
# services are kept from starting during the install (policy-rc.d): the
# scripts run their own instances.
apt_install() {
	[ "$(id -u)" = 0 ] || die "$1 is not installed; run as root (or: sudo apt-get install -y $*)"
	command -v apt-get >/dev/null || die "$1 is not installed and apt-get is not available"
	log "installing $* from Debian's packages"
	local added_policy=""
	if [ ! -e /usr/sbin/policy-rc.d ]; then
		printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d
		chmod +x /usr/sbin/policy-rc.d
		added_policy=1
	fi
	local rc=0
	{ DEBIAN_FRONTEND=noninteractive apt-get update -qq &&
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null; } || rc=$?
	if [ -n "$added_policy" ]; then rm -f /usr/sbin/policy-rc.d; fi
	[ "$rc" = 0 ] || die "apt-get install $* failed (exit $rc)"
}

# pid_alive: the server of PIDFILE runs.
pid_alive() {
	[ -s "$PIDFILE" ] && kill -0 "$(cat "$PIDFILE")" 2>/dev/null
}

# stop_pid SECONDS: TERM the server of PIDFILE, KILL it after SECONDS.
stop_pid() {
	local wait="$1"
	if ! pid_alive; then
		log "not running"
		rm -f "$PIDFILE"
		return 0
	fi
	local pid
	pid="$(cat "$PIDFILE")"
	log "stopping pid $pid"
	kill -TERM "$pid" 2>/dev/null || true
	local deadline=$((SECONDS + wait))
	while kill -0 "$pid" 2>/dev/null; do
		if [ "$SECONDS" -ge "$deadline" ]; then
			log "pid $pid still running after ${wait}s; sending KILL"
			kill -KILL "$pid" 2>/dev/null || true
			break
		fi
		sleep 0.3
	done
	rm -f "$PIDFILE"
	log "stopped"
}

# serve_segmentd ADMIN_KEY DEMO_USERS DEMO_EVENTS: builds segmentd from
# $ROOT into a new temporary folder ($dir, removed on exit with the server)
# and serves it there on the embedded default, on a free loopback port
# (it listens on :0 and prints its URL), with a demo app of that size;
# sets $pid and, once it serves, $url. $dir and $pid are globals: the EXIT
# trap runs after the caller has returned.
serve_segmentd() {
	dir="$(mktemp -d)"
	pid=
	trap 'if [ -n "$pid" ]; then kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null || true; fi; rm -rf "$dir"' EXIT
	(cd "$ROOT" && go build -o "$dir/segmentd" ./cmd/segmentd) || die "go build failed"
	"$dir/segmentd" serve --addr 127.0.0.1:0 --data-dir "$dir/data" --admin-key "$1" \
		--demo-users "$2" --demo-events "$3" --log-level warn >"$dir/out" 2>"$dir/log" &
	pid=$!
	url=
	for _ in $(seq 300); do
		url="$(sed -n 's/^segmentd .* serving \(http:[^ ]*\)$/\1/p' "$dir/out")"
		[ -n "$url" ] && break
		kill -0 "$pid" 2>/dev/null || { cat "$dir/log" >&2; die "segmentd exited"; }
		sleep 0.2
	done
	[ -n "$url" ] || { cat "$dir/log" >&2; die "segmentd did not serve within 60 s"; }
	log "segmentd at $url"
}
