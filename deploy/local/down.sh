#!/usr/bin/env bash
# Stop segmentd's local servers started by deploy/local/up.sh, in reverse
# order, and print how long each took:
#
#   deploy/local/down.sh                    # trino cassandra minio redis mariadb
#   deploy/local/down.sh trino              # only these, in this order
#
# State under .cache/ is kept; a later up.sh starts warm. Stopping a server
# that is not running is not an error.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ALL=(trino cassandra minio redis mariadb)
if [ "$#" -gt 0 ]; then SERVICES=("$@"); else SERVICES=("${ALL[@]}"); fi

rc=0
for s in "${SERVICES[@]}"; do
	[ -x "$HERE/$s.sh" ] || { echo "down.sh: unknown server '$s' (known: ${ALL[*]})" >&2; exit 2; }
	t0=$(date +%s.%N)
	"$HERE/$s.sh" stop || rc=1
	t1=$(date +%s.%N)
	echo "down.sh: $s stopped in $(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", b - a }')s" >&2
done
exit "$rc"
