# wodlekit: one binary, one package and one ruleset per SaaS vendor, for Wazuh 4.x.
# `make demo` and `make test` are the two commands a new user runs; both set up what they need.

SHELL := /bin/bash
.SHELLFLAGS := -euo pipefail -c
.DEFAULT_GOAL := help

export CGO_ENABLED := 0
export GOFLAGS := -buildvcs=false

# Each vendor has its own version: VERSION when given, else its latest tag
# <vendor>/vX.Y.Z as git describe prints it (v1.2.0, or v1.2.0-3-gabcdef0
# after it), else the commit (packaged as 0.0.0~git.<sha>). VENDOR_VERSION
# sets $$ver for the vendor $$v of a recipe's shell loop.
VERSION ?=
VENDOR_VERSION = ver='$(VERSION)'; [ -n "$$ver" ] || ver=$$(git describe --tags --match "$$v/v*" --always --dirty 2>/dev/null | sed "s|^$$v/||"); ver=$${ver:-0.0.0-dev}
# Vendors are discovered from the tree: every cmd/<vendor> is a binary.
VENDORS := $(notdir $(wildcard cmd/*))
VENDORS := $(filter-out go.mod go.sum internal,$(VENDORS))
BIN := bin
VERSION_VAR := github.com/wodlekit/wodlekit/runtime/version.Version
# In a recipe after $(VENDOR_VERSION), inside double quotes.
LDFLAGS = -s -w -X $(VERSION_VAR)=$$ver
GO_MODULES := runtime cmd $(wildcard vendors/*)
STATICCHECK_VERSION := 2026.1.2

.PHONY: help
help: ## list targets
	@grep -hE '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sort | awk -F':.*## ' '{printf "  %-18s %s\n", $$1, $$2}'

.PHONY: build
build: ## build every vendor binary (static, trimmed, version stamped) into bin/
	@mkdir -p $(BIN)
	@for v in $(VENDORS); do \
	  $(VENDOR_VERSION); \
	  echo "build $(BIN)/$$v-wodle ($$ver)"; \
	  (cd cmd && go build -trimpath -ldflags "$(LDFLAGS)" -o ../$(BIN)/$$v-wodle ./$$v); \
	done

include $(sort $(wildcard mk/*.mk))
