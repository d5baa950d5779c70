# Releases (issue 11): one vendor per tag, signed packages, APT and YUM
# repositories. tools/release/ holds the scripts; docs in README "Releasing".
#
#   make release TAG=<vendor>/vX.Y.Z   that vendor's .deb and .rpm (amd64, arm64), SBOMs and
#                                      SHA256SUMS into dist/<vendor>/<X.Y.Z>/; with SIGNING_KEY
#                                      signed .rpm files and SHA256SUMS.asc
#   make repo                          dist/repo/{apt,yum} from every release under dist/ (needs SIGNING_KEY)
#   make lint-workflows                actionlint on .github/workflows/ (part of make test)
#   make test-release                  the release tests (part of make test-packaging)
#
# SIGNING_KEY names an armored OpenPGP private key file (SIGNING_KEY_PASSPHRASE
# optional, read from the environment only). Tools: Debian packages through
# deps-packaging, Go tools at pinned versions through `go run`.

TAG ?=
REPO_URL ?= https://wodlekit.github.io/wodlekit
ACTIONLINT := github.com/rhysd/actionlint/cmd/actionlint@v1.7.12
CYCLONEDX := github.com/CycloneDX/cyclonedx-gomod/cmd/cyclonedx-gomod@v1.10.0

# apt-ftparchive and createrepo_c build the repositories, gpg signs them, curl
# fetches the key in the README's lines, dnf installs from the YUM repository in the tests.
PKG_DEPS += apt-ftparchive:apt-utils createrepo_c:createrepo-c gpg:gnupg gpgv:gpgv curl:curl dnf:dnf

RELEASE_ENV = DIST='$(DIST)' PKG_ARCHES='$(PKG_ARCHES)' PKG_RELEASE='$(PKG_RELEASE)' \
	SOURCE_DATE_EPOCH='$(SOURCE_DATE_EPOCH)' VERSION_VAR='$(VERSION_VAR)' \
	PKGBUILD='$(CURDIR)/$(PKGBUILD)' CYCLONEDX='go run $(CYCLONEDX)' REPO_URL='$(REPO_URL)'

.PHONY: release
release: pkgbuild-tool ## TAG=<vendor>/vX.Y.Z: that vendor's packages, SBOMs, SHA256SUMS (signed with SIGNING_KEY) into dist/<vendor>/<X.Y.Z>/
	@$(RELEASE_ENV) tools/release/release.sh '$(TAG)'

.PHONY: repo
repo: ## SIGNING_KEY=file: signed APT and YUM repositories of every release under dist/ into dist/repo/
	@$(RELEASE_ENV) tools/release/repo.sh

.PHONY: lint-workflows
lint-workflows: deps-packaging ## actionlint (pinned) on .github/workflows/, with shellcheck on their run: steps
	@GOWORK=off go run $(ACTIONLINT) -no-color -oneline && echo "actionlint: ok"

.PHONY: test-release
test-release: deps-packaging pkgbuild-tool ## release tests: tags, changelogs, signatures, APT and YUM repositories in a throwaway root
	@bash packaging/test/release-test.sh

test-packaging: test-release
