# Shared by the deploy/local scripts, sourced after each defines PIDFILE
# (the server's pid file) and log (its prefixed message to stderr).

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
