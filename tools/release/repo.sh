#!/usr/bin/env bash
# make repo: the signed APT and YUM repositories of every release under
# $DIST/<vendor>/<version>/ into $DIST/repo/:
#   apt/  pool/main/<package>/*.deb, dists/stable/{Release,InRelease,Release.gpg},
#         dists/stable/main/binary-{amd64,arm64}/Packages(.gz)  (apt-ftparchive)
#   yum/  packages/*.rpm, repodata/ (createrepo_c), repodata/repomd.xml.asc
#   wodlekit.asc (the public key), README.md (the admin's lines, for REPO_URL)
# REPO_PREVIOUS, when set, is an earlier repo/ (unpacked release asset) whose
# packages stay published; a package file of the same name must be identical.
# Needs SIGNING_KEY (SIGNING_KEY_PASSPHRASE optional).
set -euo pipefail
cd "$(dirname "$0")/../.."
# shellcheck source=lib.sh
. tools/release/lib.sh

die() { echo "repo: $*" >&2; exit 2; }
[ -n "${SIGNING_KEY:-}" ] || die "SIGNING_KEY=<armored private key file> is required: a repository is signed or useless"
for tool in apt-ftparchive createrepo_c gpg; do
	command -v "$tool" >/dev/null || die "$tool is missing (make deps-release installs it)"
done

repo=$DIST/repo
rm -rf "$repo"
mkdir -p "$repo/apt/pool/main" "$repo/yum/packages"

# add FILE: into the pool of its format, refusing two different files of one name.
add() {
	local f=$1 base dest
	base=$(basename "$f")
	case $base in
	*.deb) dest=$repo/apt/pool/main/${base%%_*}/$base ;;
	*.rpm) dest=$repo/yum/packages/$base ;;
	*) return ;;
	esac
	if [ -e "$dest" ]; then
		cmp -s "$f" "$dest" || die "$base: two different files of one name ($f and the one already published); a published version is never rebuilt, release a new one"
		return
	fi
	mkdir -p "$(dirname "$dest")"
	cp "$f" "$dest"
}
if [ -n "${REPO_PREVIOUS:-}" ]; then
	[ -d "$REPO_PREVIOUS" ] || die "REPO_PREVIOUS=$REPO_PREVIOUS is not a directory"
	while IFS= read -r -d '' f; do add "$f"; done < <(find "$REPO_PREVIOUS" -type f \( -name '*.deb' -o -name '*.rpm' \) -print0 | sort -z)
fi
while IFS= read -r -d '' dir; do
	for f in "$dir"/*.deb "$dir"/*.rpm; do [ -e "$f" ] && add "$f"; done
done < <(find "$DIST" -mindepth 2 -maxdepth 2 -type d ! -path "$repo" ! -path "$repo/*" -print0 | sort -z)
[ -n "$(find "$repo/apt/pool" -name '*.deb' -print -quit)" ] ||
	die "no .deb under $DIST/<vendor>/<version>/: make release TAG=<vendor>/vX.Y.Z first"

gpg_start

echo "repo: APT (suite stable, component main, amd64 arm64)"
(
	cd "$repo/apt"
	for arch in amd64 arm64; do
		d=dists/stable/main/binary-$arch
		mkdir -p "$d"
		apt-ftparchive --arch "$arch" packages pool/main >"$d/Packages"
		gzip -9n <"$d/Packages" >"$d/Packages.gz"
	done
	apt-ftparchive \
		-o APT::FTPArchive::Release::Origin=wodlekit \
		-o APT::FTPArchive::Release::Label=wodlekit \
		-o APT::FTPArchive::Release::Suite=stable \
		-o APT::FTPArchive::Release::Codename=stable \
		-o "APT::FTPArchive::Release::Architectures=amd64 arm64" \
		-o APT::FTPArchive::Release::Components=main \
		-o "APT::FTPArchive::Release::Description=wodlekit wodles for Wazuh 4.x" \
		release dists/stable >Release.tmp
	mv Release.tmp dists/stable/Release
)
gpg_run --clearsign --digest-algo SHA256 --output "$repo/apt/dists/stable/InRelease" "$repo/apt/dists/stable/Release"
gpg_run --armor --detach-sign --digest-algo SHA256 --output "$repo/apt/dists/stable/Release.gpg" "$repo/apt/dists/stable/Release"

echo "repo: YUM"
createrepo_c --quiet --general-compress-type=gz "$repo/yum" >/dev/null
gpg_run --armor --detach-sign --digest-algo SHA256 --output "$repo/yum/repodata/repomd.xml.asc" "$repo/yum/repodata/repomd.xml"

gpg_run --armor --export >"$repo/wodlekit.asc"
fingerprint=$(gpg_run --with-colons --fingerprint | awk -F: '$1 == "fpr" {print $10; exit}')
# The README lists what the repository holds: package, version, architectures.
list=$(find "$repo/apt/pool" -name '*.deb' -printf '%f\n' | sed 's/\.deb$//' | sort -V |
	awk -F_ '{arches[$1 " " $2] = arches[$1 " " $2] (arches[$1 " " $2] ? ", " : "") $3; if (!seen[$1 " " $2]++) order[n++] = $1 " " $2}
		END {for (i = 0; i < n; i++) {split(order[i], p, " "); printf "- `%s` %s (%s)\n", p[1], p[2], arches[order[i]]}}')
while IFS= read -r line; do
	case $line in
	@RELEASES@) printf '%s\n' "$list" ;;
	*)
		line=${line//@REPO_URL@/$REPO_URL}
		printf '%s\n' "${line//@FINGERPRINT@/$fingerprint}"
		;;
	esac
done <packaging/repo/README.md >"$repo/README.md"
echo "repo: $repo ($(find "$repo/apt/pool" -name '*.deb' | wc -l) .deb, $(find "$repo/yum/packages" -name '*.rpm' | wc -l) .rpm) for $REPO_URL"
