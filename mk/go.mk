# Go checks over every module of the workspace. Each module must also build
# and test alone (GOWORK=off, relative replaces), so tests run that way.

STATICCHECK := honnef.co/go/tools/cmd/staticcheck@v0.8.2
# Modules whose tests run here; tools/rulekit and tools/pkgbuild have their own targets.
GO_TEST_MODULES = runtime $(wildcard vendors/*) cmd tools/fakeapi tools/vendorlint

.PHONY: fmt-check
fmt-check: ## gofmt must change nothing
	@out=$$(gofmt -l $$(git ls-files '*.go')); \
	if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi; \
	echo "gofmt: ok"

.PHONY: vet
vet: ## go vet and staticcheck on every module
	@for m in $(GO_TEST_MODULES) tools/rulekit tools/pkgbuild; do \
	  (cd $$m && GOWORK=off go vet ./... && GOWORK=off go run $(STATICCHECK) ./...) || exit 1; \
	  echo "vet+staticcheck $$m: ok"; \
	done

.PHONY: tidy-check
tidy-check: ## go mod tidy must leave every go.mod unchanged
	@for m in $(GO_TEST_MODULES) tools/rulekit tools/pkgbuild; do \
	  (cd $$m && cp go.mod /tmp/wodlekit-go.mod.$$$$ && { cp go.sum /tmp/wodlekit-go.sum.$$$$ 2>/dev/null || true; } && \
	   GOWORK=off go mod tidy && \
	   if ! cmp -s go.mod /tmp/wodlekit-go.mod.$$$$; then echo "go mod tidy changes $$m/go.mod"; exit 1; fi) || exit 1; \
	done; echo "go mod tidy: no change"

# jsonrec's string kernel is SSE2 assembly on amd64: its pure-Go fallback
# (every other GOARCH, and the purego tag) runs jsonrec's tests once more.
.PHONY: test-go
test-go: ## unit, conformance and end-to-end tests of every Go module (race detector on the runtime)
	@cd runtime && CGO_ENABLED=1 GOWORK=off go test -race -count=1 ./...
	@# The race detector changes what allocates: the allocation tests (named *Allocates*) skip under it.
	@cd runtime && GOWORK=off go test -count=1 -run Allocates ./...
	@cd runtime && GOWORK=off go test -tags purego -count=1 ./jsonrec/
	@for m in $(filter-out runtime,$(GO_TEST_MODULES)); do \
	  (cd $$m && GOWORK=off go test -count=1 ./...) || exit 1; \
	done

FUZZTIME ?= 5s

.PHONY: fuzz
fuzz: ## every fuzz target of every module for $(FUZZTIME) each
	@FUZZTIME=$(FUZZTIME) tools/fuzz/fuzz.sh $(GO_TEST_MODULES) tools/rulekit

.PHONY: bench
bench: build ## throughput and memory of the 1Password binary against its fake API on loopback
	@tools/bench/bench.sh

.PHONY: demo
demo: build ## run every vendor through its run.sh against its fake API, twice
	@tools/demo/demo.sh $(VENDORS)

.PHONY: test
test: check-vendors fmt-check tidy-check vet lint-workflows test-go test-rulekit test-rules test-packaging test-lifecycle fuzz demo ## everything CI runs
	@echo "make test: all checks passed"
