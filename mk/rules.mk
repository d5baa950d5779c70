# Ruleset toolchain (tools/rulekit, issue 4). rulekit is its own module and stays
# out of go.work, so every call runs with GOWORK=off.
RULEKIT := cd tools/rulekit && GOWORK=off
RULEKIT_FUZZTIME ?= 5s

.PHONY: test-rules
test-rules: ## lint rules/<vendor>/ and run every vendor's .ini tests with Wazuh 4.x semantics
	@if ls -d rules/*/ >/dev/null 2>&1; then \
	  $(RULEKIT) go run . check "$(CURDIR)"; \
	else \
	  echo "test-rules: no vendor under rules/ yet; running rulekit's own tests"; \
	  $(RULEKIT) go test ./...; \
	fi

.PHONY: test-rulekit
test-rulekit: ## rulekit's own tests and vet
	@$(RULEKIT) go vet ./...
	@$(RULEKIT) go test ./...

.PHONY: fuzz-rulekit
fuzz-rulekit: ## run each rulekit fuzz target for $(RULEKIT_FUZZTIME)
	@FUZZTIME=$(RULEKIT_FUZZTIME) tools/fuzz/fuzz.sh tools/rulekit
