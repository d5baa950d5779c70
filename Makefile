# wodlekit: one binary, one package and one ruleset per SaaS vendor, for Wazuh 4.x.
# `make demo` and `make test` are the two commands a new user runs; both set up what they need.

SHELL := /bin/bash
.SHELLFLAGS := -euo pipefail -c
.DEFAULT_GOAL := help

export CGO_ENABLED := 0
export GOFLAGS := -buildvcs=false

VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo 0.0.0-dev)
# Vendors are discovered from the tree: every cmd/<vendor> is a binary.
VENDORS := $(notdir $(wildcard cmd/*))
VENDORS := $(filter-out go.mod go.sum internal,$(VENDORS))
BIN := bin
LDFLAGS := -s -w -X github.com/wodlekit/wodlekit/runtime/version.Version=$(VERSION)
GO_MODULES := runtime cmd $(wildcard vendors/*)
STATICCHECK_VERSION := 2026.1.2

.PHONY: help
help: ## list targets
	@grep -hE '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sort | awk -F':.*## ' '{printf "  %-18s %s\n", $$1, $$2}'

.PHONY: build
build: ## build every vendor binary (static, trimmed, version stamped) into bin/
	@mkdir -p $(BIN)
	@for v in $(VENDORS); do \
	  echo "build $(BIN)/$$v-wodle"; \
	  (cd cmd && go build -trimpath -ldflags '$(LDFLAGS)' -o ../$(BIN)/$$v-wodle ./$$v); \
	done

include $(sort $(wildcard mk/*.mk))
