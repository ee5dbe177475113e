# segmentd: the two commands a user needs are `make run` and `make test`.

GO       ?= go
FUZZTIME ?= 30s

.PHONY: lint run build test test-api test-ui test-integration test-distributed vet fuzz bench golden segbench

## run: the server on the embedded default (DuckDB and SQLite in ./data),
## with the demo app generated on first start and its key printed
run:
	$(GO) run ./cmd/segmentd serve

build:
	$(GO) build -o bin/segmentd ./cmd/segmentd

## test: everything that needs no external server (unit, golden, fuzz seeds,
## the corpus on embedded DuckDB against the reference evaluator)
test: vet
	$(GO) test -count=1 -timeout 30m ./...

## test-api: the API against its OpenAPI document (schemathesis, installed
## into .cache/ on first use) on a server of its own: embedded default, demo
## data, a free loopback port; about two minutes
test-api:
	bash deploy/local/schemathesis.sh run

## test-ui: the segment console in Debian's chromium (installed when
## missing) with playwright-core and axe-core from npm (lockfile in
## internal/console/test), on a server of its own; screenshots to docs/console/
test-ui:
	bash deploy/local/ui-test.sh run

## test-integration: starts the real servers on loopback (installing them
## when missing) and runs the whole suite with them, tests tagged
## integration and distributed included: a server that cannot be reached
## fails the run; then segbench at scale 0.01 with the ClickHouse peer
## (chdb installed into .cache/chdb), whose members must equal segmentd's
test-integration:
	bash deploy/local/up.sh mariadb redis minio cassandra trino
	bash deploy/local/chdb.sh install
	SEGMENTD_TEST_MYSQL_DSN="$$(bash deploy/local/mariadb.sh dsn)" \
	SEGMENTD_TEST_REDIS="$$(bash deploy/local/redis.sh addr)" \
	SEGMENTD_TEST_CASSANDRA=127.0.0.1:9042 \
	SEGMENTD_TEST_TRINO="$$(bash deploy/local/trino.sh url | sed 's#://#://segmentd@#')" \
	$(GO) test -count=1 -timeout 60m -tags integration,distributed ./...
	eval "$$(bash deploy/local/minio.sh env)" && $(GO) run ./cmd/segbench --scale 0.01 --dir .cache/segbench-0.01 --ingest-events 20000 --markdown - --peer clickhouse \
		--trino "$$(bash deploy/local/trino.sh url | sed 's#://#://segmentd@#')" --cassandra 127.0.0.1:9042 --s3-endpoint "$$S3_ENDPOINT"

## segbench: the whole-system benchmarks at the default scale (1M users,
## 30M events), beside ClickHouse (chdb, installed into .cache/chdb),
## appended to docs/BENCHMARKS.md
segbench:
	bash deploy/local/chdb.sh install
	$(GO) run ./cmd/segbench --json .cache/segbench.json --peer clickhouse

## test-distributed: only the Trino, Cassandra and S3 tests
test-distributed:
	bash deploy/local/up.sh minio cassandra trino
	SEGMENTD_TEST_CASSANDRA=127.0.0.1:9042 \
	SEGMENTD_TEST_TRINO="$$(bash deploy/local/trino.sh url | sed 's#://#://segmentd@#')" \
	$(GO) test -count=1 -timeout 60m -tags distributed -v ./internal/cassandra ./internal/engine/trino

vet:
	@test -z "$$(gofmt -l .)" || { echo "gofmt would change:"; gofmt -l .; exit 1; }
	$(GO) vet ./...

## lint: staticcheck over every package and build tag (built from the Go
## module proxy on first use)
STATICCHECK ?= honnef.co/go/tools/cmd/staticcheck@v0.8.2
lint:
	$(GO) run $(STATICCHECK) -tags integration,distributed ./...

## fuzz: run each fuzz target for FUZZTIME (seeds alone run in `make test`)
fuzz:
	$(GO) test ./segment -run '^$$' -fuzz '^FuzzDecode$$' -fuzztime $(FUZZTIME)
	$(GO) test ./internal/compile -run '^$$' -fuzz '^FuzzCompile$$' -fuzztime $(FUZZTIME)
	$(GO) test ./internal/compile -run '^$$' -fuzz '^FuzzLiteral$$' -fuzztime $(FUZZTIME)

## bench: the compiler benchmarks recorded in docs/BENCHMARKS.md
bench:
	$(GO) test ./internal/compile -run '^$$' -bench . -benchtime 3s -count 5

## golden: rewrite the golden SQL after an intended change (read the diff)
golden:
	$(GO) test ./internal/compile -run TestGolden -update
