#!/usr/bin/env bash
# Start segmentd's local servers, each on loopback with its state under the
# repository's git-ignored .cache/, and print how long each took:
#
#   deploy/local/up.sh                      # mariadb redis minio cassandra trino
#   deploy/local/up.sh minio trino          # only these, in this order
#
# Each server's own script (deploy/local/<name>.sh start) is idempotent: a
# server that is already up is left as it is. The first run downloads or
# builds what is missing (MinIO ~4 min to build, Cassandra ~70 MB and Trino
# ~450 MB from Maven Central).
# Stops at the first server that fails to start.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ALL=(mariadb redis minio cassandra trino)
if [ "$#" -gt 0 ]; then SERVICES=("$@"); else SERVICES=("${ALL[@]}"); fi

declare -A PORTS=(
	[mariadb]="127.0.0.1:3307"
	[redis]="127.0.0.1:6390"
	[minio]="127.0.0.1:9000 (console 9001)"
	[cassandra]="127.0.0.1:9042 (storage 7000, JMX 7199)"
	[trino]="127.0.0.1:8085"
)

summary=()
total0=$SECONDS
for s in "${SERVICES[@]}"; do
	[ -n "${PORTS[$s]+x}" ] || { echo "up.sh: unknown server '$s' (known: ${ALL[*]})" >&2; exit 2; }
	echo "up.sh: starting $s" >&2
	t0=$(date +%s.%N)
	"$HERE/$s.sh" start >/dev/null
	t1=$(date +%s.%N)
	took="$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", b - a }')"
	echo "up.sh: $s up in ${took}s on ${PORTS[$s]}" >&2
	summary+=("$(printf '  %-10s %7ss  %s' "$s" "$took" "${PORTS[$s]}")")
done
echo "up.sh: all up in $((SECONDS - total0))s:" >&2
printf '%s\n' "${summary[@]}" >&2
