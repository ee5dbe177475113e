"""segbench's ClickHouse peer: ClickHouse in-process (chdb), driven by
segbench (internal/segbench/clickhouse.go) over stdin and stdout.

    python3 peer.py SESSION_DIR THREADS

Each request is a line of JSON, {"sql": text, "params": {name: value}},
a statement with ClickHouse's {name:Type} parameters; each answer a line,
{"seconds": elapsed, "rows": [[...], ...]} with the result's rows
(JSONCompactEachRow) or {"error": message}. The elapsed time is the
query's alone, measured here, around the call into ClickHouse. The
database lives in SESSION_DIR, so its size on disk can be measured.
"""
import json
import sys
import time

from chdb import session


def main():
    path, threads = sys.argv[1], int(sys.argv[2])
    s = session.Session(path)
    s.query(f"SET max_threads = {threads}")
    for line in sys.stdin:
        req = json.loads(line)
        try:
            start = time.perf_counter()
            res = s.query(req["sql"], "JSONCompactEachRow", params=req.get("params") or {})
            seconds = time.perf_counter() - start
            text = res.bytes().decode()
            out = {"seconds": seconds, "rows": [json.loads(r) for r in text.splitlines() if r]}
        except Exception as e:  # the query's error goes back to segbench
            out = {"error": str(e)}
        sys.stdout.write(json.dumps(out) + "\n")
        sys.stdout.flush()


if __name__ == "__main__":
    main()
