#!/usr/bin/env bash
# Checks run `bash -c '...'` with positional arguments: single quotes intended.
# shellcheck disable=SC2016
# make test-packaging (after the builder's unit tests): for every vendor of the
# repository (VENDORS, from cmd/) plus acme, a vendor that exists only in
# tools/pkgbuild/testdata/repo and proves that a new vendor needs no packaging
# code, check the generated files (shellcheck, XML), build its packages,
# lint them (lintian, rpmlint as an unprivileged user), check that a rebuild
# is byte-identical, run the install tests for deb and rpm, and run the
# binary of the arm64 packages under qemu-aarch64.
#   test-packaging.sh "VENDOR..."
set -euo pipefail
cd "$(dirname "$0")/../.."
repo=$PWD
# shellcheck source=lib.sh
. packaging/test/lib.sh

read -r -a vendors <<<"${1:-}"
pkgbuild=$repo/tools/pkgbuild/bin/pkgbuild
work=$repo/packaging/build/test
rm -rf "$work"
mkdir -p "$work"
export SOURCE_DATE_EPOCH=${SOURCE_DATE_EPOCH:-$(git log -1 --format=%ct 2>/dev/null || echo 0)}

echo "== shellcheck of the test scripts"
check "shellcheck packaging/test/*.sh" shellcheck -x -P packaging/test packaging/test/*.sh

echo "== stand-in packages"
for f in deb rpm; do
	for ver in 4.14.7 5.0.0; do
		check "stand-in wazuh-manager $ver $f" "$pkgbuild" standin -format "$f" -version "$ver" -out "$work/standin"
	done
done

# The stand-in vendor's binaries, built like the real ones.
for arch in amd64 arm64; do
	mkdir -p "$work/acme-bin/linux_$arch"
	(cd tools/pkgbuild && GOWORK=off CGO_ENABLED=0 GOARCH=$arch go build -trimpath -ldflags '-s -w -buildid=' \
		-o "$work/acme-bin/linux_$arch/acme-wodle" ./testdata/repo/cmd/acme)
done

# The demo's fake vendor APIs (tools/fakeapi), for `run.sh check`.
fakeapi=
if [ -d tools/fakeapi ] && (cd tools/fakeapi && go build -o "$work/fakeapi" .); then
	fakeapi=$work/fakeapi
fi
fake_vendors=
if [ -n "$fakeapi" ]; then
	fake_vendors=$("$fakeapi" -h 2>&1 | sed -n 's/.*vendor whose API to fake: //p') || :
fi

# vendor|repository|host binary (metadata)|cross-built binary per arch|fake API command
targets=("acme|$repo/tools/pkgbuild/testdata/repo|$work/acme-bin/linux_amd64/{vendor}-wodle|$work/acme-bin/linux_{arch}/{vendor}-wodle|$work/acme-bin/linux_amd64/acme-wodle fakeapi")
for v in "${vendors[@]}"; do
	fake=
	if [[ ", $fake_vendors," == *", $v,"* ]]; then fake="$fakeapi -vendor $v -events 20"; fi
	targets+=("$v|$repo|$repo/bin/{vendor}-wodle|$repo/bin/linux_{arch}/{vendor}-wodle|$fake")
done
# lintian and rpmlint run unprivileged. rpmlint unpacks with `rpm2cpio | cpio -id`, and nfpm's payload has absolute
# paths: as root that writes into /. Run it as nobody, with a cpio that keeps
# paths relative so it really sees the files.
lintdir=$(mktemp -d /tmp/wodle-rpmlint.XXXXXX)
trap 'rm -rf "$lintdir"' EXIT
mkdir -p "$lintdir/bin" "$lintdir/home" "$lintdir/rpms"
printf '#!/bin/sh\nexec /usr/bin/cpio --no-absolute-filenames "$@"\n' >"$lintdir/bin/cpio"
cp packaging/rpmlint.toml "$lintdir/rpmlint.toml"
chmod -R a+rX "$lintdir"
chmod 755 "$lintdir/bin/cpio"
chown nobody "$lintdir/home"

# lint PACKAGE: lintian for a .deb, rpmlint for an .rpm, as nobody.
lint() {
	local f=$1 base
	base=$(basename "$f")
	cp "$f" "$lintdir/rpms/" && chmod a+r "$lintdir/rpms/$base"
	case $base in
	*.deb)
		check "lintian --fail-on error,warning (as nobody) $base" setpriv --reuid=nobody --regid=nogroup --clear-groups \
			env HOME="$lintdir/home" lintian --fail-on error,warning "$lintdir/rpms/$base"
		;;
	*.rpm)
		# rpmlint exits 0 on warnings: require "0 errors, 0 warnings" as well.
		check "rpmlint (as nobody) $base: 0 errors, 0 warnings" bash -c 'out=$("$@" 2>&1); rc=$?; echo "$out";
			[ "$rc" = 0 ] && grep -q " 0 errors, 0 warnings" <<<"$out"' _ \
			setpriv --reuid=nobody --regid=nogroup --clear-groups env HOME="$lintdir/home" PATH="$lintdir/bin:/usr/bin:/bin" \
			rpmlint -c "$lintdir/rpmlint.toml" "$lintdir/rpms/$base"
		;;
	esac
}

for t in "${targets[@]}"; do
	IFS='|' read -r v vrepo hostbin archbin fake <<<"$t"
	pkg=wazuh-wodle-${v//_/-}
	echo "== $v ($pkg)"
	common=(-repo "$vrepo" -packaging "$repo/packaging" -metadata-bin "$hostbin")
	meta=$("${hostbin//\{vendor\}/$v}" metadata) || meta='{}'
	prefix=$(grep -o '"env_prefix": *"[A-Z0-9_]*"' <<<"$meta" | sed 's/.*"\([A-Z0-9_]*\)"$/\1/') || prefix=
	for f in deb rpm; do
		r=$work/render/$v/$f
		if check "render $f files" "$pkgbuild" render "${common[@]}" -vendor "$v" -format "$f" -out "$r"; then
			# run.sh is bash (pipefail); the maintainer scripts are POSIX sh.
			check "shellcheck run.sh ($f)" shellcheck "$r/run.sh"
			check "shellcheck $f scripts" shellcheck -s sh "$r/scripts/postinst.sh" "$r/scripts/postrm.sh"
		fi
	done
	r=$work/render/$v/deb
	if [ -d "$r" ]; then
		if packaging/test/runsh-test.sh "$r/run.sh" "$v" "$prefix"; then ok "run.sh behaviour"; else bad "run.sh behaviour"; fi
		check "ossec.conf snippet is well-formed XML" xmllint --noout "$r/templates/ossec.conf.snippet.xml"
		check "snippet tag is the vendor name" grep -q "<tag>$v</tag>" "$r/templates/ossec.conf.snippet.xml"
	fi
	# Wazuh's decoder and rule files have several top-level elements: wrap them.
	for x in decoders rules; do
		src=$vrepo/rules/$v/${v}_$x.xml
		check "$x file is well-formed XML" bash -c '{ echo "<wodlekit-root>"; cat "$1"; echo "</wodlekit-root>"; } | xmllint --noout -' _ "$src"
	done
	for step in v1:1.0.0 v2:1.0.1; do
		check "build $pkg ${step#*:} (deb, rpm; amd64)" "$pkgbuild" packages "${common[@]}" -vendors "$v" -bin "$archbin" \
			-arches amd64 -version "${step#*:}" -out "$work/pkgs/$v/${step%%:*}"
	done
	# Reproducible: the same inputs under another umask and temp dir give the same bytes.
	check "rebuild is byte-identical" bash -c '(umask 077; TMPDIR=$(mktemp -d) "$@" >/dev/null) &&
		for f in "$0"/v1/*; do cmp "$f" "$0/again/$(basename "$f")" || exit 1; done' \
		"$work/pkgs/$v" "$pkgbuild" packages "${common[@]}" -vendors "$v" -bin "$archbin" -arches amd64 -version 1.0.0 -out "$work/pkgs/$v/again"
	# arm64 cannot be installed here: its packages are linted, and their binary runs under qemu-aarch64.
	if check "build $pkg 1.0.0 (deb, rpm; arm64)" "$pkgbuild" packages "${common[@]}" -vendors "$v" -bin "$archbin" \
		-arches arm64 -version 1.0.0 -out "$work/pkgs/$v/arm64"; then
		# The acme stand-in answers check but collects nothing.
		collect=1
		[ "$v" = acme ] && collect=0
		if FAKEAPI=$fake WODLE_ENV_PREFIX=$prefix WODLE_COLLECT=$collect packaging/test/arm64-test.sh "$v" "$work/pkgs/$v/arm64"; then
			ok "arm64 binary test $v"
		else
			bad "arm64 binary test $v"
		fi
	fi
	for arm in "$work/pkgs/$v/arm64/"*.deb "$work/pkgs/$v/arm64/"*.rpm; do
		if [ -e "$arm" ]; then lint "$arm"; fi
	done
	deb=$(find "$work/pkgs/$v/v1" -name '*.deb' | head -n 1)
	rpm=$(find "$work/pkgs/$v/v1" -name '*.rpm' | head -n 1)
	if [ -n "$deb" ] && [ -n "$rpm" ]; then
		lint "$deb"
		lint "$rpm"
		# secrets.env is root's alone in both archives, not only after postinst.
		check "secrets.env is 0600 in the .deb archive" bash -c 'dpkg-deb -c "$1" | grep -E "^-rw------- root/root .* \./etc/$2/secrets\.env$"' _ "$deb" "$pkg"
		check "secrets.env is 0600 in the .rpm archive" bash -c 'rpm -qp --qf "[%{FILEMODES:perms} %{FILEUSERNAME} %{FILENAMES}\n]" "$1" 2>/dev/null |
			grep -qxF -- "-rw------- root /etc/$2/secrets.env"' _ "$rpm" "$pkg"
		mkdir -p "$work/install/$v"
		for f in deb rpm; do
			d=$work/install/$v/$f
			mkdir -p "$d/v1" "$d/v2" "$d/standin"
			cp "$work/pkgs/$v/v1/"*."$f" "$d/v1/"
			cp "$work/pkgs/$v/v2/"*."$f" "$d/v2/"
			cp "$work/standin/"*."$f" "$d/standin/"
			# acme's stand-in binary is not built on the runtime: no file-safety rules.
			safety=1
			[ "$v" = acme ] && safety=0
			if FAKEAPI=$fake WODLE_ENV_PREFIX=$prefix WODLE_FILESAFETY=$safety \
				packaging/test/install-test.sh "$f" "$v" "$d" "$vrepo/rules/$v/${v}_rules.xml"; then
				ok "install test $f $v"
			else
				bad "install test $f $v"
			fi
		done
	else
		bad "no packages for $v: lint and install tests not run"
	fi
done

summary test-packaging
