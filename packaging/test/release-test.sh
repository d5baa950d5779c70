#!/usr/bin/env bash
# Checks run `bash -c '...'` with positional arguments: single quotes intended.
# shellcheck disable=SC2016
# make test-release (part of make test-packaging): the release path of issue 11
# on a throwaway key, in a copy of this repository (its own git history and
# tags, so that nothing touches this one's):
#   - make release TAG=okta/v1.2.0 builds only Okta, 1.2.0-1, for amd64 and
#     arm64, signed, with SBOMs and SHA256SUMS(.asc); a rebuild is
#     byte-identical; a tag without a changelog entry, a tag that is not the
#     checked-out commit, and a dirty tree fail;
#   - the package changelogs come from CHANGELOG.md, with the runtime's;
#   - rpm -K verifies each .rpm with the key imported and rejects an altered one;
#   - make repo, then repo-install-test.sh: apt and dnf in a throwaway root
#     install from the repositories, upgrade Okta alone, and refuse altered ones.
# Builds only what it needs: Okta for both architectures once, the rest amd64.
set -euo pipefail
cd "$(dirname "$0")/../.."
repo=$PWD
# shellcheck source=lib.sh
. packaging/test/lib.sh

work=$(mktemp -d /var/tmp/wodle-release-test.XXXXXX)
export GNUPGHOME=$work/gnupg
cleanup() {
	gpgconf --kill all >/dev/null 2>&1 || :
	rm -rf "$work"
}
trap cleanup EXIT
mkdir -m 700 "$GNUPGHOME"

# show LABEL TEXT: quote what a tool printed when it refused (for the log).
show() {
	printf '        %s:\n' "$1"
	printf '%s\n' "$2" | grep -v '^$' | head -n 12 | sed 's/^/        > /'
}

echo "== throwaway signing key (ed25519, passphrase-protected)"
passphrase=release-test-passphrase
check "gpg --quick-gen-key" gpg --batch --pinentry-mode loopback --passphrase "$passphrase" \
	--quick-gen-key "wodlekit release test <release-test@example.invalid>" ed25519 sign never
gpg --batch --pinentry-mode loopback --passphrase "$passphrase" --armor --export-secret-keys >"$work/signing-key.asc"
gpg --batch --export >"$work/pubring.gpg"
export SIGNING_KEY=$work/signing-key.asc SIGNING_KEY_PASSPHRASE=$passphrase

echo "== a copy of the repository with releases in its changelogs"
copy=$work/copy
mkdir -p "$copy"
git ls-files -z | (cd "$repo" && cpio -pdm0 --quiet "$copy")
cd "$copy"
# commit_at DATE MESSAGE: commit everything, dated (SOURCE_DATE_EPOCH follows it).
commit_at() {
	git add -A
	GIT_AUTHOR_DATE="$1T12:00:00Z" GIT_COMMITTER_DATE="$1T12:00:00Z" \
		git -c user.name=release-test -c user.email=release-test@example.invalid commit -q -m "$2"
}
# release_section FILE HEADING: put HEADING after [Unreleased] (which keeps nothing).
release_section() {
	sed -i "s/^## \[Unreleased\]\$/## [Unreleased]\n\n$2/" "$1"
}
git init -q
release_section vendors/okta/CHANGELOG.md '## [1.2.0] - 2026-11-20'
release_section vendors/duo/CHANGELOG.md '## [1.0.0] - 2026-11-20'
# The runtime's [Unreleased] items become the section of that day.
sed -i 's/^## \[Unreleased\]$/## [2026-11-20]/' runtime/CHANGELOG.md
commit_at 2026-11-20 "release okta 1.2.0 and duo 1.0.0"
git tag okta/v1.2.0
git tag duo/v1.0.0

mk() { make --no-print-directory "$@"; }
dist=$copy/dist/okta/1.2.0

echo "== make release TAG=okta/v1.2.0"
step "make release TAG=okta/v1.2.0 (SIGNING_KEY set)" mk release TAG=okta/v1.2.0
check "dist/ holds only okta/1.2.0" bash -c '[ "$(cd dist && find . -mindepth 1 -maxdepth 2 | sort | tr "\n" " ")" = "./okta ./okta/1.2.0 " ]'
expected="SHA256SUMS SHA256SUMS.asc wazuh-wodle-okta-1.2.0-1.aarch64.rpm wazuh-wodle-okta-1.2.0-1.x86_64.rpm wazuh-wodle-okta_1.2.0-1_amd64.deb wazuh-wodle-okta_1.2.0-1_arm64.deb wazuh-wodle-okta_1.2.0_amd64.cdx.json wazuh-wodle-okta_1.2.0_arm64.cdx.json"
check "dist/okta/1.2.0 holds the .deb, .rpm and SBOM per arch, SHA256SUMS and its signature" \
	bash -c '[ "$(ls "$1" | tr "\n" " ")" = "$2 " ]' _ "$dist" "$expected"
for arch in amd64 arm64; do
	check ".deb $arch: package wazuh-wodle-okta, version 1.2.0-1" bash -c \
		'[ "$(dpkg-deb -f "$1" Package Version Architecture | tr "\n" " ")" = "Package: wazuh-wodle-okta Version: 1.2.0-1 Architecture: $2 " ]' \
		_ "$dist/wazuh-wodle-okta_1.2.0-1_$arch.deb" "$arch"
done
for arch in x86_64 aarch64; do
	check ".rpm $arch: version 1.2.0-1" bash -c '[ "$(rpm -qp --qf "%{NAME} %{VERSION}-%{RELEASE} %{ARCH}" "$1" 2>/dev/null)" = "wazuh-wodle-okta 1.2.0-1 $2" ]' \
		_ "$dist/wazuh-wodle-okta-1.2.0-1.$arch.rpm" "$arch"
done
check "the binary reports version 1.2.0" bash -c '"$1" version | grep -q "1\.2\.0"' _ "bin/release/okta/host/okta-wodle"
check "SHA256SUMS matches the files" bash -c 'cd "$1" && sha256sum --strict -c SHA256SUMS' _ "$dist"
check "SHA256SUMS.asc is a valid signature by the release key" gpgv --keyring "$work/pubring.gpg" "$dist/SHA256SUMS.asc" "$dist/SHA256SUMS"
# The SBOM must name every module `go version -m` finds compiled into the binary.
for arch in amd64 arm64; do
	check "SBOM $arch lists every module compiled into the binary" bash -c '
		mods=$(go version -m "$1" | awk "\$1 == \"dep\" {print \$2 \"@\" \$3}")
		[ -n "$mods" ] && grep -q "\"bomFormat\": \"CycloneDX\"" "$2" || exit 1
		for m in $mods; do grep -qF "\"pkg:golang/$m?" "$2" || { echo "missing $m"; exit 1; }; done' \
		_ "bin/release/okta/linux_$arch/okta-wodle" "$dist/wazuh-wodle-okta_1.2.0_$arch.cdx.json"
done
debchangelog() { dpkg-deb --fsys-tarfile "$1" | tar -xO "./usr/share/doc/wazuh-wodle-${2}/changelog.Debian.gz" | gunzip; }
log=$(debchangelog "$dist/wazuh-wodle-okta_1.2.0-1_amd64.deb" okta)
check "changelog.Debian.gz: the 1.2.0-1 entry from vendors/okta/CHANGELOG.md" \
	bash -c 'head -n 1 <<<"$1" | grep -qx "wazuh-wodle-okta (1.2.0-1) stable; urgency=medium" && grep -q "Added: Module .system." <<<"$1"' _ "$log"
check "changelog.Debian.gz: the runtime's changes up to the release" grep -q "runtime: Added: Shared runtime" <<<"$log"
check "rpm %changelog: the 1.2.0-1 entry" bash -c 'rpm -qp --changelog "$1" 2>/dev/null | grep -q "wodlekit maintainers .* - 1.2.0-1"' _ "$dist/wazuh-wodle-okta-1.2.0-1.x86_64.rpm"
check "lintian --fail-on error,warning on the release .deb (as nobody)" bash -c '
	d=$(mktemp -d) && cp "$1" "$d/" && chmod -R a+rX "$d" && cd "$d" &&
	setpriv --reuid=nobody --regid=nogroup --clear-groups env HOME="$d" lintian --fail-on error,warning "$d/$(basename "$1")"; rc=$?; rm -rf "$d"; exit $rc' \
	_ "$dist/wazuh-wodle-okta_1.2.0-1_amd64.deb"

echo "== two runs of one tag give byte-identical packages (signed; amd64 the second time)"
check "make release TAG=okta/v1.2.0 PKG_ARCHES=amd64 DIST=again" mk release TAG=okta/v1.2.0 PKG_ARCHES=amd64 DIST="$work/again"
for f in "$work/again/okta/1.2.0"/*amd64* "$work/again/okta/1.2.0"/*x86_64*; do
	check "identical: $(basename "$f")" cmp "$f" "$dist/$(basename "$f")"
done

echo "== rpm -K with the key imported (throwaway rpm database)"
rpmdb=$work/rpmdb
mkdir -p "$rpmdb"
gpg --batch --armor --export >"$work/pubkey.asc"
out=$(rpmkeys --dbpath "$rpmdb" -K "$dist/wazuh-wodle-okta-1.2.0-1.x86_64.rpm" 2>&1) && rc=0 || rc=$?
check "without the key, rpm -K fails (NOKEY)" bash -c '[ "$1" != 0 ] && grep -q "SIGNATURES NOT OK" <<<"$2"' _ "$rc" "$out"
check "rpmkeys --import wodlekit key" rpmkeys --dbpath "$rpmdb" --import "$work/pubkey.asc"
for f in "$dist"/*.rpm; do
	check "rpm -K $(basename "$f"): digests signatures OK" bash -c \
		'out=$(rpmkeys --dbpath "$1" -K "$2" 2>&1) && grep -q ": digests signatures OK$" <<<"$out" && echo "$out"' _ "$rpmdb" "$f"
done
altered=$work/altered/wazuh-wodle-okta-1.2.0-1.x86_64.rpm
mkdir -p "$work/altered"
cp "$dist/wazuh-wodle-okta-1.2.0-1.x86_64.rpm" "$altered"
# flip BYTE at OFFSET of FILE, keeping its size.
# flip FILE OFFSET: change one byte of FILE, in place. Its complement, not a
# fixed value: writing 0x5a left a package unchanged whenever its byte there
# was 0x5a already (one build in 256), and apt then rightly installed it.
flip() {
	local old new
	old=$(od -An -tu1 -j "$2" -N1 "$1" | tr -d ' ')
	printf '%b' "\\x$(printf %02x $((old ^ 0xff)))" | dd of="$1" bs=1 seek="$2" conv=notrunc status=none
	new=$(od -An -tu1 -j "$2" -N1 "$1" | tr -d ' ')
	[ "$new" != "$old" ] || { echo "flip: byte $2 of $1 is unchanged" >&2; return 1; }
}
flip "$altered" $(($(stat -c %s "$altered") / 2))
out=$(rpmkeys --dbpath "$rpmdb" -Kv "$altered" 2>&1) && rc=0 || rc=$?
check "rpm -K rejects an .rpm altered after signing" bash -c '[ "$1" != 0 ] && grep -q "BAD" <<<"$2"' _ "$rc" "$out"
show "rpm -Kv on the altered .rpm printed (exit $rc)" "$out"

echo "== refused releases"
out=$(mk release TAG=okta/v9.9.9 2>&1) && rc=0 || rc=$?
check "a tag without a changelog entry fails, saying so" bash -c '[ "$1" != 0 ] &&
	grep -qF "no changelog entry for 9.9.9: vendors/okta/CHANGELOG.md has no \"## [9.9.9] - YYYY-MM-DD\" section" <<<"$2"' _ "$rc" "$out"
show "make release TAG=okta/v9.9.9 printed" "$out"
check "and builds nothing" test ! -e dist/okta/9.9.9
out=$(mk release TAG=nosuch/v1.0.0 2>&1) && rc=0 || rc=$?
check "a tag of an unknown vendor fails, naming the vendors" bash -c '[ "$1" != 0 ] && grep -q "no vendor .nosuch.*vendors: .*okta" <<<"$2"' _ "$rc" "$out"
out=$(mk release TAG=okta-1.2.0 2>&1) && rc=0 || rc=$?
check "a malformed tag fails with the expected form" bash -c '[ "$1" != 0 ] && grep -q "TAG=<vendor>/vX.Y.Z required" <<<"$2"' _ "$rc" "$out"
echo "# local edit" >>vendors/okta/README.md
out=$(mk release TAG=okta/v1.2.0 2>&1) && rc=0 || rc=$?
check "a dirty work tree fails" bash -c '[ "$1" != 0 ] && grep -q "uncommitted changes" <<<"$2"' _ "$rc" "$out"
git checkout -q vendors/okta/README.md

echo "== duo 1.0.0 (amd64) and the first repository"
check "make release TAG=duo/v1.0.0 PKG_ARCHES=amd64" mk release TAG=duo/v1.0.0 PKG_ARCHES=amd64
step "make repo REPO_URL=file:///wodlekit-repo" mk repo REPO_URL=file:///wodlekit-repo
r=dist/repo
for f in apt/dists/stable/InRelease apt/dists/stable/Release.gpg apt/dists/stable/main/binary-amd64/Packages.gz \
	apt/dists/stable/main/binary-arm64/Packages.gz yum/repodata/repomd.xml.asc wodlekit.asc README.md; do
	check "repo/$f exists" test -s "$r/$f"
done
check "Release: suite stable, component main, amd64 and arm64" bash -c 'grep -qx "Suite: stable" "$1" && grep -qx "Components: main" "$1" && grep -qx "Architectures: amd64 arm64" "$1"' _ "$r/apt/dists/stable/Release"
check "arm64 index lists okta 1.2.0-1 arm64" grep -qx "Architecture: arm64" "$r/apt/dists/stable/main/binary-arm64/Packages"
check "InRelease verifies with the release key" gpgv --keyring "$work/pubring.gpg" "$r/apt/dists/stable/InRelease"
check "Release.gpg verifies with the release key" gpgv --keyring "$work/pubring.gpg" "$r/apt/dists/stable/Release.gpg" "$r/apt/dists/stable/Release"
check "repomd.xml.asc verifies with the release key" gpgv --keyring "$work/pubring.gpg" "$r/yum/repodata/repomd.xml.asc" "$r/yum/repodata/repomd.xml"
check "README.md: signed-by keyring line for APT" grep -qF "deb [signed-by=/etc/apt/keyrings/wodlekit.asc] file:///wodlekit-repo/apt stable main" "$r/README.md"
check "README.md: gpgcheck=1 and repo_gpgcheck=1 for DNF" bash -c 'grep -qx gpgcheck=1 "$1" && grep -qx repo_gpgcheck=1 "$1"' _ "$r/README.md"
check "README.md: the key's fingerprint" grep -qF "$(gpg --with-colons --fingerprint | awk -F: '$1 == "fpr" {print $10; exit}')" "$r/README.md"
out=$(SIGNING_KEY='' mk repo 2>&1) && rc=0 || rc=$?
check "make repo without SIGNING_KEY fails, saying why" bash -c '[ "$1" != 0 ] && grep -q "SIGNING_KEY=<armored private key file> is required" <<<"$2"' _ "$rc" "$out"
mk repo REPO_URL=file:///wodlekit-repo >/dev/null
cp -a "$r" "$work/repo1"
# The release workflow rebuilds the repository from the previous one's packages plus the new release.
mv dist/okta "$work/okta-dist"
check "make repo REPO_PREVIOUS=<repo1> keeps the packages published before" bash -c '
	make --no-print-directory repo REPO_PREVIOUS="$1" REPO_URL=file:///wodlekit-repo >/dev/null &&
	[ "$(cd "$1" && find apt/pool yum/packages -type f | sort)" = "$(cd dist/repo && find apt/pool yum/packages -type f | sort)" ]' _ "$work/repo1"
cp -a "$work/repo1" "$work/previous"
cp "$work/okta-dist/1.2.0/wazuh-wodle-okta_1.2.0-1_arm64.deb" "$work/previous/apt/pool/main/wazuh-wodle-okta/wazuh-wodle-okta_1.2.0-1_amd64.deb"
mv "$work/okta-dist" dist/okta
out=$(mk repo REPO_PREVIOUS="$work/previous" 2>&1) && rc=0 || rc=$?
check "make repo refuses a rebuilt package that differs from the published one" bash -c '[ "$1" != 0 ] && grep -q "two different files of one name" <<<"$2"' _ "$rc" "$out"
mk repo REPO_URL=file:///wodlekit-repo >/dev/null

echo "== okta 1.3.0 after a runtime change: the second repository"
sed -i 's/^## \[2026-11-20\]$/## [2026-11-25]\n\n### Fixed\n- A runtime fix released with okta 1.3.0 (release test).\n\n## [2026-11-20]/' runtime/CHANGELOG.md
release_section vendors/okta/CHANGELOG.md '## [1.3.0] - 2026-12-01\n\n### Fixed\n- An Okta fix (release test).'
commit_at 2026-12-01 "release okta 1.3.0"
out=$(mk release TAG=okta/v1.2.0 2>&1) && rc=0 || rc=$?
check "a tag that is not the checked-out commit fails" bash -c '[ "$1" != 0 ] && grep -q "is not the checked-out commit" <<<"$2"' _ "$rc" "$out"
git tag okta/v1.3.0
check "make release TAG=okta/v1.3.0 PKG_ARCHES=amd64" mk release TAG=okta/v1.3.0 PKG_ARCHES=amd64
log=$(debchangelog dist/okta/1.3.0/wazuh-wodle-okta_1.3.0-1_amd64.deb okta)
check "changelog.Debian.gz: 1.3.0-1 with its fix and the runtime fix, then 1.2.0-1" bash -c '
	head -n 1 <<<"$1" | grep -qx "wazuh-wodle-okta (1.3.0-1) stable; urgency=medium" &&
	sed -n "/(1.3.0-1)/,/(1.2.0-1)/p" <<<"$1" | grep -q "An Okta fix" &&
	sed -n "/(1.3.0-1)/,/(1.2.0-1)/p" <<<"$1" | grep -q "runtime: Fixed: A runtime fix released with okta 1.3.0" &&
	sed -n "/(1.2.0-1)/,\$p" <<<"$1" | grep -q "runtime: Added: Shared runtime" &&
	! sed -n "/(1.2.0-1)/,\$p" <<<"$1" | grep -q "runtime fix released with okta 1.3.0"' _ "$log"
check "make repo (okta 1.2.0 and 1.3.0, duo 1.0.0)" mk repo REPO_URL=file:///wodlekit-repo
cp -a "$r" "$work/repo2"

echo "== altered repositories"
# Release altered after signing: one with InRelease, one with Release + Release.gpg only.
cp -a "$work/repo1" "$work/bad-inrelease"
sed -i 's/^Label: wodlekit$/Label: wodlekit-altered/' "$work/bad-inrelease/apt/dists/stable/InRelease"
cp -a "$work/repo1" "$work/bad-release"
rm "$work/bad-release/apt/dists/stable/InRelease"
sed -i 's/^Label: wodlekit$/Label: wodlekit-altered/' "$work/bad-release/apt/dists/stable/Release"
# A package altered after signing: the same size, one byte changed.
cp -a "$work/repo2" "$work/bad-package"
f=$work/bad-package/apt/pool/main/wazuh-wodle-okta/wazuh-wodle-okta_1.3.0-1_amd64.deb
flip "$f" $(($(stat -c %s "$f") / 2))
# YUM metadata altered after signing.
cp -a "$work/repo1" "$work/bad-yum"
sed -i 's|<revision>|<revision>9|' "$work/bad-yum/yum/repodata/repomd.xml"
check "the altered InRelease no longer verifies (gpgv)" bash -c '! gpgv --keyring "$1" "$2" 2>/dev/null' _ "$work/pubring.gpg" "$work/bad-inrelease/apt/dists/stable/InRelease"

cd "$repo"
standin=$work/standin
check "stand-in wazuh-manager 4.14.7 (deb, rpm)" bash -c 'for f in deb rpm; do "$1" standin -format $f -version 4.14.7 -out "$2" || exit 1; done' \
	_ "$repo/tools/pkgbuild/bin/pkgbuild" "$standin"
if packaging/test/repo-install-test.sh "$work"; then ok "repository install tests"; else bad "repository install tests"; fi

summary test-release
