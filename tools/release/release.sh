#!/usr/bin/env bash
# make release TAG=<vendor>/vX.Y.Z: one vendor's signed release into
# $DIST/<vendor>/<X.Y.Z>/: a .deb and an .rpm per architecture (PKG_ARCHES),
# a CycloneDX SBOM per architecture, SHA256SUMS and, with SIGNING_KEY,
# SHA256SUMS.asc and signed .rpm files. Two runs of one tag on one commit
# give byte-identical packages (SOURCE_DATE_EPOCH is the commit time).
#
# Environment (set by mk/release.mk): DIST, PKG_ARCHES, PKG_RELEASE,
# SOURCE_DATE_EPOCH, VERSION_VAR (the -X symbol of the version), PKGBUILD,
# CYCLONEDX (go run pkg@version); optional SIGNING_KEY, SIGNING_KEY_PASSPHRASE.
set -euo pipefail
cd "$(dirname "$0")/../.."
# shellcheck source=lib.sh
. tools/release/lib.sh

die() { echo "release: $*" >&2; exit 2; }

tag=${1:-}
[[ $tag =~ ^([a-z0-9_]+)/v([0-9]+\.[0-9]+\.[0-9]+(-[0-9A-Za-z.]+)?)$ ]] ||
	die "TAG=<vendor>/vX.Y.Z required, for example TAG=okta/v1.2.0 (got '$tag')"
vendor=${BASH_REMATCH[1]} version=${BASH_REMATCH[2]}
[ -d "cmd/$vendor" ] || die "tag $tag: no vendor '$vendor' (cmd/$vendor does not exist; vendors: $(cd cmd && find . -mindepth 1 -maxdepth 1 -type d ! -name internal -printf '%f ' | sort))"

# What is released is the tagged commit, nothing else.
if [ -n "$(git status --porcelain --untracked-files=no)" ]; then
	die "the work tree has uncommitted changes: a release is built from a commit (git stash, or commit first)"
fi
if git rev-parse -q --verify "refs/tags/$tag" >/dev/null; then
	[ "$(git rev-parse "$tag^{commit}")" = "$(git rev-parse HEAD)" ] ||
		die "tag $tag is not the checked-out commit $(git rev-parse --short HEAD): git checkout $tag first"
fi

# The changelog entry first: a tag without one fails before any build.
"$PKGBUILD" changelog -repo . -vendor "$vendor" -version "$version" -require >/dev/null

out=$DIST/$vendor/$version
bins=bin/release/$vendor
rm -rf "$out" "$bins"
mkdir -p "$out" "$bins"
ldflags="-s -w -X $VERSION_VAR=$version -buildid="
echo "release $tag: $vendor $version-$PKG_RELEASE for ${PKG_ARCHES// /, } into $out"
# The host binary answers `metadata` for pkgbuild; the packages get the cross-built ones.
(cd cmd && go build -trimpath -ldflags "$ldflags" -o "../$bins/host/$vendor-wodle" "./$vendor")
for arch in $PKG_ARCHES; do
	(cd cmd && GOOS=linux GOARCH=$arch go build -trimpath -ldflags "$ldflags" -o "../$bins/linux_$arch/$vendor-wodle" "./$vendor")
done

sign=()
if [ -n "${SIGNING_KEY:-}" ]; then sign=(-sign-key "$SIGNING_KEY"); fi
"$PKGBUILD" packages -repo . -vendors "$vendor" -version "$version" -release "$PKG_RELEASE" -require-changelog \
	-metadata-bin "$bins/host/{vendor}-wodle" -bin "$bins/linux_{arch}/{vendor}-wodle" \
	-arches "${PKG_ARCHES// /,}" -formats deb,rpm -out "$out" "${sign[@]}" >/dev/null

# The SBOM lists the modules compiled into each binary (its embedded build info).
pkg=wazuh-wodle-${vendor//_/-}
for arch in $PKG_ARCHES; do
	# shellcheck disable=SC2086 # CYCLONEDX is "go run module@version"
	GOWORK=off $CYCLONEDX bin -json -noserial -notimestamp -version "$version" \
		-output "$out/${pkg}_${version}_$arch.cdx.json" "$bins/linux_$arch/$vendor-wodle"
done

(cd "$out" && sha256sum -- *.deb *.rpm *.cdx.json >SHA256SUMS)
if [ -n "${SIGNING_KEY:-}" ]; then
	gpg_start
	gpg_run --armor --detach-sign --output "$out/SHA256SUMS.asc" "$out/SHA256SUMS"
fi
find "$out" -maxdepth 1 -type f -printf '  %10s  %f\n' | sort -k2
