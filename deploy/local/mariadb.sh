#!/usr/bin/env bash
# A local MariaDB for segmentd's MySQL store, on loopback only, with all of
# its state under the repository's git-ignored .cache/mariadb.
#
#   deploy/local/mariadb.sh start   # install (Debian packages) if missing, init, start, create db+user, print DSN
#   deploy/local/mariadb.sh stop    # stop the server started by `start`
#   deploy/local/mariadb.sh status  # running or not
#   deploy/local/mariadb.sh dsn     # print the DSN
#
# Every command is idempotent. Environment: MARIADB_PORT (default 3307),
# MARIADB_START_TIMEOUT seconds (default 60).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
BASE="$ROOT/.cache/mariadb"
DATA="$BASE/data"
RUN="$BASE/run"
SOCK="$RUN/mysqld.sock"
PIDFILE="$RUN/mysqld.pid"
LOG="$BASE/mariadbd.log"
PORT="${MARIADB_PORT:-3307}"
START_TIMEOUT="${MARIADB_START_TIMEOUT:-60}"
DB=segmentd
DB_USER=segmentd
DB_PASS=segmentd
DSN="mysql://$DB_USER:$DB_PASS@tcp(127.0.0.1:$PORT)/$DB"

log() { echo "mariadb.sh: $*" >&2; }
die() { log "error: $*"; exit 1; }
# shellcheck source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

# install: mariadb-server from Debian's packages, only when no server binary is
# there.
install_server() {
	if find_bin mariadbd mysqld >/dev/null; then return 0; fi
	apt_install mariadb-server mariadb-client
	find_bin mariadbd mysqld >/dev/null || die "mariadb-server installed but no mariadbd/mysqld found"
}

MYSQLD="" CLIENT="" ADMIN="" INSTALL_DB=""
resolve_bins() {
	MYSQLD="$(find_bin mariadbd mysqld)" || die "no mariadbd/mysqld"
	CLIENT="$(find_bin mariadb mysql)" || die "no mariadb/mysql client"
	ADMIN="$(find_bin mariadb-admin mysqladmin)" || die "no mariadb-admin/mysqladmin"
	INSTALL_DB="$(find_bin mariadb-install-db mysql_install_db)" || die "no mariadb-install-db"
}

# The server refuses to run as root unless told to; as root it runs as root
# (the data directory is root's), otherwise as the calling user.
user_opt() { if [ "$(id -u)" = 0 ]; then echo "--user=root"; fi; }
# install-db gives root@localhost (and the calling OS user) unix_socket
# authentication: connect through the socket as that OS user.
client_user() { id -un; }

sql() { "$CLIENT" --no-defaults --protocol=socket --socket="$SOCK" -u"$(client_user)" "$@"; }


answers() {
	"$ADMIN" --no-defaults --protocol=socket --socket="$SOCK" -u"$(client_user)" --connect-timeout=2 ping >/dev/null 2>&1
}

init_datadir() {
	if [ -d "$DATA/mysql" ]; then return 0; fi
	log "initialising $DATA"
	rm -rf "$DATA"
	mkdir -p "$DATA" "$RUN"
	# shellcheck disable=SC2046
	if ! "$INSTALL_DB" --no-defaults $(user_opt) --datadir="$DATA" --skip-test-db \
		--auth-root-authentication-method=socket >"$BASE/install-db.log" 2>&1; then
		tail -n 30 "$BASE/install-db.log" >&2
		rm -rf "$DATA"
		die "mariadb-install-db failed (log: $BASE/install-db.log)"
	fi
}

start_server() {
	if pid_alive && answers; then
		log "already running (pid $(cat "$PIDFILE"), port $PORT)"
		return 0
	fi
	if pid_alive; then
		die "a server with pid $(cat "$PIDFILE") is running but does not answer on $SOCK; run '$0 stop' first"
	fi
	rm -f "$PIDFILE" "$SOCK"
	mkdir -p "$RUN"
	log "starting mariadbd on 127.0.0.1:$PORT"
	# shellcheck disable=SC2046
	setsid nohup "$MYSQLD" --no-defaults $(user_opt) \
		--datadir="$DATA" --socket="$SOCK" --pid-file="$PIDFILE" \
		--port="$PORT" --bind-address=127.0.0.1 --skip-name-resolve \
		--log-error="$LOG" \
		--character-set-server=utf8mb4 --collation-server=utf8mb4_unicode_ci \
		--innodb-buffer-pool-size=128M --max-connections=200 \
		</dev/null >>"$BASE/mariadbd.stdout" 2>&1 &
	local deadline=$((SECONDS + START_TIMEOUT))
	until answers; do
		if [ "$SECONDS" -ge "$deadline" ]; then
			log "mariadbd did not answer within ${START_TIMEOUT}s; last lines of $LOG:"
			tail -n 40 "$LOG" >&2 2>/dev/null || true
			tail -n 10 "$BASE/mariadbd.stdout" >&2 2>/dev/null || true
			exit 1
		fi
		if ! kill -0 $! 2>/dev/null && ! pid_alive; then
			log "mariadbd exited during start; last lines of $LOG:"
			tail -n 40 "$LOG" >&2 2>/dev/null || true
			tail -n 10 "$BASE/mariadbd.stdout" >&2 2>/dev/null || true
			exit 1
		fi
		sleep 0.5
	done
	log "up (pid $(cat "$PIDFILE" 2>/dev/null || echo '?'))"
}

create_db() {
	# Test databases are named segmentd_test_*: the user may create and drop them.
	sql <<-SQL || die "creating database and user failed"
		CREATE DATABASE IF NOT EXISTS \`$DB\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;
		CREATE USER IF NOT EXISTS '$DB_USER'@'127.0.0.1' IDENTIFIED BY '$DB_PASS';
		CREATE USER IF NOT EXISTS '$DB_USER'@'localhost' IDENTIFIED BY '$DB_PASS';
		ALTER USER '$DB_USER'@'127.0.0.1' IDENTIFIED BY '$DB_PASS';
		ALTER USER '$DB_USER'@'localhost' IDENTIFIED BY '$DB_PASS';
		GRANT ALL PRIVILEGES ON \`$DB\`.* TO '$DB_USER'@'127.0.0.1';
		GRANT ALL PRIVILEGES ON \`$DB\`.* TO '$DB_USER'@'localhost';
		GRANT ALL PRIVILEGES ON \`${DB}\\_test\\_%\`.* TO '$DB_USER'@'127.0.0.1';
		GRANT ALL PRIVILEGES ON \`${DB}\\_test\\_%\`.* TO '$DB_USER'@'localhost';
		FLUSH PRIVILEGES;
	SQL
}

stop_server() { stop_pid 60; }

cmd="${1:-}"
case "$cmd" in
start)
	mkdir -p "$BASE"
	install_server
	resolve_bins
	init_datadir
	start_server
	create_db
	echo "$DSN"
	;;
stop)
	stop_server
	;;
status)
	if pid_alive; then echo "running (pid $(cat "$PIDFILE"), port $PORT)"; else echo "stopped"; exit 1; fi
	;;
dsn)
	echo "$DSN"
	;;
*)
	echo "usage: $0 start|stop|status|dsn" >&2
	exit 2
	;;
esac
