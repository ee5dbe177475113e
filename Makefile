# segmentd: the two commands a user needs are `make run` and `make test`.

GO       ?= go
FUZZTIME ?= 30s

.PHONY: test vet fuzz bench golden

## test: everything that needs no external server (unit, golden, fuzz seeds,
## the corpus on embedded DuckDB against the reference evaluator)
test: vet
	$(GO) test -count=1 ./...

vet:
	@test -z "$$(gofmt -l .)" || { echo "gofmt would change:"; gofmt -l .; exit 1; }
	$(GO) vet ./...

## fuzz: run each fuzz target for FUZZTIME (seeds alone run in `make test`)
fuzz:
	$(GO) test ./internal/compile -run '^$$' -fuzz '^FuzzCompile$$' -fuzztime $(FUZZTIME)
	$(GO) test ./internal/compile -run '^$$' -fuzz '^FuzzLiteral$$' -fuzztime $(FUZZTIME)

## bench: the compiler benchmarks recorded in docs/BENCHMARKS.md
bench:
	$(GO) test ./internal/compile -run '^$$' -bench . -benchtime 3s -count 5

## golden: rewrite the golden SQL after an intended change (read the diff)
golden:
	$(GO) test ./internal/compile -run TestGolden -update
