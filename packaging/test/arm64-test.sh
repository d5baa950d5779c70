#!/usr/bin/env bash
# Checks run `bash -c '...'` with positional arguments: single quotes intended.
# shellcheck disable=SC2016
# The arm64 packages cannot be installed on this amd64 machine, but their
# binary can run: for each format, check the declared architecture, take the
# binary out of the package, check it is an AArch64 ELF, and run it under
# qemu-aarch64 (user-mode emulation): `version`, `check` against the vendor's
# fake API on loopback, then a collection, which must print only this
# vendor's JSON lines and end caught up (WODLE_COLLECT=0 skips it, for the
# packaging stand-in that collects nothing).
#   FAKEAPI="cmd args" WODLE_ENV_PREFIX=OP_ arm64-test.sh VENDOR PKGDIR
set -euo pipefail
cd "$(dirname "$0")/../.."
# shellcheck source=lib.sh
. packaging/test/lib.sh

vendor=$1
pkgdir=$(realpath "$2")
prefix=${WODLE_ENV_PREFIX:-}
wodle=/var/ossec/wodles/$vendor/$vendor-wodle
work=$(mktemp -d /tmp/wodle-arm64.XXXXXX)
fakepid=
cleanup() {
	stop_fake
	rm -rf "$work"
}
trap cleanup EXIT

# aarch64 is ELF e_machine 183 (0xb7), little-endian at offset 18.
is_aarch64() { [ "$(od -An -tx1 -j18 -N2 "$1" | tr -d ' \n')" = b700 ]; }

deb=$(find "$pkgdir" -name '*_arm64.deb' | head -n 1)
rpm=$(find "$pkgdir" -name '*.aarch64.rpm' | head -n 1)
if [ -z "$deb" ] || [ -z "$rpm" ]; then
	bad "arm64 packages of $vendor in $pkgdir (deb: '$deb', rpm: '$rpm')"
	summary "arm64 $vendor"
fi
check "deb declares Architecture: arm64" bash -c '[ "$(dpkg-deb -f "$1" Architecture)" = arm64 ]' _ "$deb"
check "rpm declares arch aarch64" bash -c '[ "$(rpm -qp --qf "%{ARCH}" "$1" 2>/dev/null)" = aarch64 ]' _ "$rpm"
mkdir -p "$work/deb" "$work/rpm"
check "deb unpacks" dpkg-deb -x "$deb" "$work/deb"
check "rpm unpacks" bash -c 'cd "$1" && rpm2cpio "$2" | cpio -idm --quiet --no-absolute-filenames' _ "$work/rpm" "$rpm"

# One fake API per format: a vendor's fake enforces its request limits (Duo:
# two a minute per endpoint), which two formats' runs in a row would exceed.
start_fake() {
	local fw=$1
	read -r -a fakecmd <<<"$FAKEAPI"
	"${fakecmd[@]}" -token-file "$fw/fake.token" -addr-file "$fw/fake.addr" -secrets-file "$fw/fake.secrets" \
		-settings-file "$fw/fake.settings" >/dev/null 2>"$fw/fake.err" &
	fakepid=$!
	for _ in $(seq 100); do [ -s "$fw/fake.addr" ] || ! kill -0 "$fakepid" 2>/dev/null && break; sleep 0.1; done
}
stop_fake() {
	if [ -n "$fakepid" ]; then
		kill "$fakepid" 2>/dev/null || :
		wait "$fakepid" 2>/dev/null || :
		fakepid=
	fi
}

for f in deb rpm; do
	bin=$work/$f$wodle
	check "$f: $wodle is an AArch64 ELF" is_aarch64 "$bin"
	check "$f: version runs under qemu-aarch64" bash -c 'out=$(qemu-aarch64 "$1" version) && [ -n "$out" ]' _ "$bin"
	if [ -z "${FAKEAPI:-}" ]; then
		echo "  TODO  $f: a collection under qemu-aarch64: no fake API for $vendor"
		continue
	fi
	fw=$work/fake-$f
	mkdir -p "$fw" "$work/state-$f"
	stop_fake
	start_fake "$fw"
	if ! [ -s "$fw/fake.addr" ] || ! [ -s "$fw/fake.secrets" ]; then
		bad "fake API for $vendor did not start ($FAKEAPI)"
		sed 's/^/        | /' "$fw/fake.err"
		continue
	fi
	# A fresh state directory per format: each run collects the whole backlog.
	env=(env -i PATH=/usr/bin:/bin "${prefix}BASE_URL=$(cat "$fw/fake.addr")" "${prefix}SECRETS_FILE=$fw/fake.secrets"
		"${prefix}STATE_DIR=$work/state-$f" "${prefix}LOG_FILE=$work/state-$f/log")
	# Settings the fake needs besides its URL (Google's delegated admin).
	while IFS= read -r kv; do [ -n "$kv" ] && env+=("$kv"); done <"$fw/fake.settings"
	check "$f: check passes against the fake API under qemu-aarch64" timeout 120 "${env[@]}" qemu-aarch64 "$bin" check
	if [ "${WODLE_COLLECT:-1}" = 0 ]; then
		continue
	fi
	step "$f: a collection runs under qemu-aarch64" timeout 120 "${env[@]}" qemu-aarch64 "$bin"
	check "$f: it printed only $vendor JSON lines" bash -c '[ -n "$1" ] && ! grep -qv "^{\"integration\":\"$2\"" <<<"$1"' _ "$out" "$vendor"
	check "$f: it collected events and no error" bash -c 'grep -q "\"event_type\":\"run_summary\"" <<<"$1" &&
		grep -v "\"event_type\":\"run_summary\"" <<<"$1" | grep -q . && ! grep -q "\"event_type\":\"error\"" <<<"$1"' _ "$out"
	check "$f: every module ended caught up" bash -c 'grep -q "\"event_type\":\"run_summary\"" <<<"$1" && ! grep "\"event_type\":\"run_summary\"" <<<"$1" | grep -v -q "\"stopped_by\":\"caught_up\""' _ "$out"
done

summary "arm64 $vendor"
