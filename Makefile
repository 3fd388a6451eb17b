# Gatehouse — the two commands are `make run` and `make test`.
GO       ?= go
PKGS     := ./...
VERSION  ?= $(shell cat VERSION)+$(shell git describe --always --dirty 2>/dev/null || echo dev)
LDFLAGS  := -X main.version=$(VERSION)
BIN      := bin/gatehouse

.PHONY: run build test test-go test-sdk sdk-deps test-node test-python fuzz-short generate vectors check-generated lint vet fmt-check unit e2e bench bench-sdk fuzz clean

## run: build and start the portal on http://127.0.0.1:8080 (SQLite in ./data, development sign-in)
run: build
	@echo "make run: starting Gatehouse at $${GATEHOUSE_BASE_URL:-http://127.0.0.1:8080} (SQLite in ./data and development sign-in unless configured; settings: ./$(BIN) help). Ctrl-C stops it."
	./$(BIN) serve

## build: compile the gatehouse binary into bin/
build:
	@echo "make build: compiling $(BIN) (the first build downloads and compiles the dependencies, listed as they go: a few minutes)"
	$(GO) build -v -ldflags "$(LDFLAGS)" -o $(BIN) ./cmd/gatehouse

## generate: regenerate templ views (the *_templ.go files are committed)
generate:
	$(GO) tool templ generate

## vectors: regenerate the verifier conformance vectors (sdk/conformance/vectors.json is
## committed; verify's TestConformanceVectorsAreCurrent fails when it is out of date)
vectors:
	$(GO) run ./sdk/conformance/gen -o sdk/conformance/vectors.json

## test: formatting, vet, generated files in sync, every test with the race detector,
## browser tests when Chromium is present (GATEHOUSE_E2E=require makes a missing browser fail)
test: lint check-generated sdk-deps test-go test-sdk fuzz-short

test-go:
	@if [ "$$GATEHOUSE_E2E" != "require" ] && ! command -v chromium >/dev/null 2>&1 && ! command -v chromium-browser >/dev/null 2>&1 && ! command -v google-chrome >/dev/null 2>&1; then \
		echo "*** Chromium not found: browser tests will be SKIPPED (apt-get install chromium, or set GATEHOUSE_E2E=require to fail instead)"; fi
	@if [ -z "$$GATEHOUSE_TEST_POSTGRES_URL" ]; then echo "*** GATEHOUSE_TEST_POSTGRES_URL not set: store tests run on SQLite only"; fi
	$(GO) test -race -count=1 -timeout 20m $(PKGS)

## sdk-deps: install the Node.js SDK's dependencies (npm ci) when node and npm are present
## and they are missing or older than package-lock.json; the end-to-end tests use them
PYTHON ?= /usr/bin/python3
sdk-deps:
	@if command -v npm >/dev/null 2>&1; then \
		if [ ! -d sdk/node/node_modules ] || [ sdk/node/package-lock.json -nt sdk/node/node_modules ]; then \
			npm ci --prefix sdk/node --no-audit --no-fund && touch sdk/node/node_modules; fi; \
	elif [ "$$GATEHOUSE_TEST_INTEROP" = "require" ]; then echo "npm not found (GATEHOUSE_TEST_INTEROP=require)"; exit 1; \
	else echo "*** npm not found: the Node.js SDK's tests will be SKIPPED"; fi

## test-sdk: the Node.js and Python verifier SDKs' own tests (unit, middleware, conformance
## vectors); skipped with a notice when the runtime is missing, unless GATEHOUSE_TEST_INTEROP=require
test-sdk: test-node test-python

test-node:
	@if command -v node >/dev/null 2>&1 && [ -d sdk/node/node_modules ]; then \
		cd sdk/node && npm test; \
	elif [ "$$GATEHOUSE_TEST_INTEROP" = "require" ]; then echo "node or sdk/node/node_modules missing (GATEHOUSE_TEST_INTEROP=require)"; exit 1; \
	else echo "*** node not found: the Node.js SDK's tests are SKIPPED"; fi

test-python:
	@if $(PYTHON) -c 'import jwt, cryptography' >/dev/null 2>&1; then \
		PYTHONPATH=sdk/python/src $(PYTHON) -m unittest discover -s sdk/python/tests -t sdk/python; \
	elif [ "$$GATEHOUSE_TEST_INTEROP" = "require" ]; then echo "$(PYTHON) cannot import jwt and cryptography (GATEHOUSE_TEST_INTEROP=require)"; exit 1; \
	else echo "*** $(PYTHON) cannot import jwt and cryptography (apt-get install python3-jwt python3-cryptography): the Python SDK's tests are SKIPPED"; fi

## fuzz-short: a few seconds of each parser and verifier fuzz target (make fuzz runs longer)
FUZZSHORT ?= 4s
FUZZ_TARGETS := ./verify/:FuzzParseCompact ./verify/:FuzzVerify ./verify/:FuzzStatusList ./verify/:FuzzJSONStrict \
	./models/:FuzzGlobMatch ./handlers/leak/:FuzzParseReport
fuzz-short:
	@# A failing input is saved under the package's testdata/fuzz and fails the target; a
	@# run that failed without saving one (the fuzzing process was killed or starved on a
	@# busy machine) is shown and tried once more.
	@for pt in $(FUZZ_TARGETS); do p=$${pt%%:*}; t=$${pt##*:}; \
		out=$$($(GO) test -run '^$$' -fuzz "^$$t$$" -fuzztime $(FUZZSHORT) $$p 2>&1) && continue; \
		echo "fuzz $$t failed:"; echo "$$out" | tail -30; \
		if echo "$$out" | grep -q "Failing input written"; then exit 1; fi; \
		echo "fuzz $$t: no failing input was saved; running it once more"; \
		$(GO) test -run '^$$' -fuzz "^$$t$$" -fuzztime $(FUZZSHORT) $$p || exit 1; \
	done; echo "fuzz-short: $(words $(FUZZ_TARGETS)) fuzz targets ran $(FUZZSHORT) each"

lint: vet fmt-check

vet:
	$(GO) vet $(PKGS)

fmt-check:
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go') | grep -v '_templ.go$$' || true); \
	if [ -n "$$out" ]; then echo "gofmt needed on:"; echo "$$out"; exit 1; fi

## check-generated: fail when a .templ file and its generated Go file disagree
## (regenerates into a scratch copy of the module, so the working tree is not touched)
check-generated:
	@tmp=$$(mktemp -d); trap 'rm -rf $$tmp' EXIT; \
	$(GO) build -o $$tmp/templ github.com/a-h/templ/cmd/templ && \
	mkdir -p $$tmp/src && cp go.mod $$tmp/src/ && cp -r views $$tmp/src/ && \
	(cd $$tmp/src && $$tmp/templ generate >/dev/null 2>&1) && \
	for f in views/*_templ.go; do \
		if ! cmp -s $$f $$tmp/src/$$f; then echo "$$f is out of date: run make generate and commit it"; exit 1; fi; \
	done; \
	for t in views/*.templ; do \
		if [ ! -f "$${t%.templ}_templ.go" ]; then echo "$$t has no generated file: run make generate"; exit 1; fi; \
	done

## e2e: only the browser tests (needs Chromium)
e2e:
	GATEHOUSE_E2E=require $(GO) test -count=1 -run 'TestBrowser' -v ./e2e/

## bench: performance benchmarks, 6 runs each, summarized with benchstat (see README,
## Performance). Set GATEHOUSE_TEST_POSTGRES_URL to include PostgreSQL.
bench:
	@mkdir -p bench
	$(GO) test -run '^$$' -bench . -benchmem -count 6 -cpu 2 ./models/store/ ./handlers/ | tee bench/portal.txt
	$(GO) test -run '^$$' -bench . -benchmem -count 6 -cpu 1,2 ./verify/ | tee bench/verify.txt
	$(GO) tool benchstat bench/portal.txt
	$(GO) tool benchstat bench/verify.txt

## bench-sdk: the Node.js and Python verifiers against their bare signature checks, same run
bench-sdk:
	cd sdk/node && node bench/bench.mjs
	PYTHONPATH=sdk/python/src $(PYTHON) sdk/python/bench/bench.py

## fuzz: run every fuzz target for FUZZTIME each (default 1m)
FUZZTIME ?= 1m
fuzz:
	@for pkg in $$($(GO) list ./...); do \
		for t in $$($(GO) test -list '^Fuzz' $$pkg 2>/dev/null | grep '^Fuzz'); do \
			echo "== $$pkg $$t"; $(GO) test -run '^$$' -fuzz "^$$t$$" -fuzztime $(FUZZTIME) $$pkg || exit 1; \
		done; \
	done

clean:
	rm -rf bin
