# OS packages (issue 3): one .deb and one .rpm per vendor and architecture,
# built by tools/pkgbuild (its own module, nfpm v2.45.2 as a library, kept out
# of go.work and of the binaries' dependency graph) from the one template in
# packaging/, fed by each vendor's `<vendor>-wodle metadata`.
#
#   make packages                 every vendor x {deb,rpm} x {amd64,arm64} into dist/, each at
#                                 its own version (its latest <vendor>/vX.Y.Z tag, or 0.0.0~git.<sha>)
#   make release TAG=<vendor>/vX.Y.Z   one vendor's signed release (mk/release.mk)
#   make test-packaging           unit tests, shellcheck, XML, lintian, rpmlint, install tests, arm64 under qemu
#   make deps-packaging           apt-get install the tools the above need, when missing
#
# Reproducibility: SOURCE_DATE_EPOCH defaults to the commit time (stamps file
# mtimes and package headers), binaries are built with -trimpath, -buildvcs=false
# (GOFLAGS, from the Makefile) and an empty build ID, and pkgbuild pins the RPM
# build host. Needs /dist/ and /bin/ in the root .gitignore (present).

PKG_ARCHES ?= amd64 arm64
PKG_FORMATS ?= deb rpm
DIST ?= dist
PKG_RELEASE ?= 1
PKGBUILD := tools/pkgbuild/bin/pkgbuild
PKG_WORK := packaging/build
PKG_SOURCE_DATE_EPOCH := $(shell git log -1 --format=%ct 2>/dev/null || echo 0)
SOURCE_DATE_EPOCH ?= $(PKG_SOURCE_DATE_EPOCH)
# An empty build ID makes the linker output depend on the sources only.
PKG_LDFLAGS = $(LDFLAGS) -buildid=
comma := ,
empty :=
space := $(empty) $(empty)

# Apt packages by the command that proves them present.
PKG_DEPS := shellcheck:shellcheck lintian:lintian rpmlint:rpmlint rpm:rpm \
	rpm2cpio:rpm2cpio xmllint:libxml2-utils unshare:util-linux setpriv:util-linux \
	groupadd:passwd cpio:cpio qemu-aarch64:qemu-user

.PHONY: deps-packaging
deps-packaging: ## apt-get install the packaging test tools that are missing
	@missing=""; \
	for pair in $(PKG_DEPS); do \
	  command -v "$${pair%%:*}" >/dev/null 2>&1 || missing="$$missing $${pair#*:}"; \
	done; \
	if [ -n "$$missing" ]; then \
	  echo "deps-packaging: installing$$missing"; \
	  apt-get update -qq; \
	  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing >/dev/null; \
	fi

.PHONY: pkgbuild-tool
pkgbuild-tool:
	@cd tools/pkgbuild && GOWORK=off go build -o bin/pkgbuild .

# Cross-built binaries, one directory per GOARCH (same flags as `make build`).
.PHONY: cross-build
cross-build:
	@for arch in $(PKG_ARCHES); do \
	  for v in $(VENDORS); do \
	    $(VENDOR_VERSION); \
	    echo "build $(BIN)/linux_$$arch/$$v-wodle ($$ver)"; \
	    (cd cmd && GOOS=linux GOARCH=$$arch go build -trimpath -ldflags "$(PKG_LDFLAGS)" -o ../$(BIN)/linux_$$arch/$$v-wodle ./$$v); \
	  done; \
	done

# `build` (the Makefile's host binaries) answers `metadata`; the packages get
# the cross-built ones.
.PHONY: packages
packages: build cross-build pkgbuild-tool ## build every vendor's .deb and .rpm for amd64 and arm64 into dist/
	@mkdir -p $(DIST)
	@rm -f $(DIST)/*.deb $(DIST)/*.rpm $(DIST)/SHA256SUMS
	@for v in $(VENDORS); do \
	  $(VENDOR_VERSION); \
	  SOURCE_DATE_EPOCH=$(SOURCE_DATE_EPOCH) $(PKGBUILD) packages -repo . -out $(DIST) \
	    -vendors "$$v" -version "$$ver" -release $(PKG_RELEASE) \
	    -formats $(subst $(space),$(comma),$(PKG_FORMATS)) -arches $(subst $(space),$(comma),$(PKG_ARCHES)); \
	done
	@cd $(DIST) && ls -l *.deb *.rpm | awk '{printf "  %10d  %s\n", $$5, $$9}'

.PHONY: test-packaging
test-packaging: deps-packaging build pkgbuild-tool ## builder tests, shellcheck, XML, lintian, rpmlint, install tests per vendor and format
	@cd tools/pkgbuild && test -z "$$(gofmt -l .)" || { gofmt -l .; echo "gofmt: files above need formatting" >&2; exit 1; }
	@cd tools/pkgbuild && GOWORK=off go vet ./... && GOWORK=off go test ./...
	@$(MAKE) --no-print-directory cross-build PKG_ARCHES='amd64 arm64'
	@SOURCE_DATE_EPOCH=$(SOURCE_DATE_EPOCH) bash packaging/test/test-packaging.sh '$(VENDORS)'

.PHONY: clean-packaging
clean-packaging: ## remove packaging build outputs
	rm -rf $(DIST) $(PKG_WORK) tools/pkgbuild/bin $(BIN)/linux_*
