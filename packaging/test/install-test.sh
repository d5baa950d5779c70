#!/usr/bin/env bash
# Checks run `bash -c '...'` with positional arguments: single quotes intended.
# shellcheck disable=SC2016
# Install test of one vendor's package in one format:
#   install-test.sh deb|rpm VENDOR PKGDIR RULES_FILE
# PKGDIR holds the vendor's v1/ and v2/ packages (amd64) and standin/ (the
# stand-in wazuh-manager 4.14.7 and 5.0.0). RULES_FILE is the rules file the
# package ships, to prove that an upgrade replaces an edited copy.
#
# The package database is a real one, in a throwaway root: an overlay of this
# machine's own / in a private mount namespace, so dpkg and rpm run inside it
# (chroot) with their own database, and nothing reaches the machine's own.
# Everything is removed on exit.
set -euo pipefail

format=$1 vendor=$2 pkgdir=$(realpath "$3") rules_src=$(realpath "$4")
here=$(cd "$(dirname "$0")" && pwd)

if [ -z "${WODLE_INSTALL_TEST_NS:-}" ]; then
	work=$(mktemp -d /var/tmp/wodle-install-test.XXXXXX)
	trap 'rm -rf "$work"' EXIT
	WODLE_INSTALL_TEST_NS=$work unshare --mount --propagation private "$0" "$@"
	exit
fi

# shellcheck source=lib.sh
. "$here/lib.sh"

work=$WODLE_INSTALL_TEST_NS
root=$(throwaway_root "$work")
# Start from a machine without Wazuh whatever this one holds: anything left
# under these paths on the machine is hidden in the overlay (never deleted).
rm -rf "$root/var/ossec" "$root"/etc/wazuh-wodle-* "$root"/usr/share/doc/wazuh-wodle-* "$root/var/lib/wodle-test-rpmdb"
mkdir -p "$root/pkgs"
cp -r "$pkgdir"/. "$root/pkgs/"

pkg=wazuh-wodle-${vendor//_/-}
wodle=/var/ossec/wodles/$vendor
conf=/etc/$pkg
state=/var/ossec/var/wodles/$vendor
rules=/var/ossec/etc/rules/${vendor}_rules.xml
decoders=/var/ossec/etc/decoders/${vendor}_decoders.xml
log=/var/ossec/logs/wodles/$vendor.log
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
in_root() { chroot "$root" "$@"; }
exists() { [ -e "$root$1" ]; }

# A package script that restarts Wazuh would call one of these.
for cmd in systemctl service; do
	printf '#!/bin/sh\necho "%s $*" >>/tmp/restart-calls\n' "$cmd" >"$root/usr/local/sbin/$cmd"
	chmod 755 "$root/usr/local/sbin/$cmd"
done
no_restart() { [ ! -e "$root/tmp/restart-calls" ]; }

one() { local f; f=$(find "$root/pkgs/$1" -maxdepth 1 -name "$2" | head -n 1); [ -n "$f" ] || { echo "no $1/$2" >&2; exit 1; }; echo "/pkgs/$1/$(basename "$f")"; }
if [ "$format" = deb ]; then
	v1=$(one v1 '*.deb') v2=$(one v2 '*.deb')
	mgr=$(one standin 'wazuh-manager_4.*.deb') mgr5=$(one standin 'wazuh-manager_5.*.deb')
	db_install() { in_root dpkg --force-confdef --force-confold -i "$@"; }
	db_upgrade() { db_install "$@"; }
	db_installed() { [ "$(in_root dpkg-query -W -f '${Status}' "$1" 2>/dev/null)" = "install ok installed" ]; }
	db_version() { in_root dpkg-query -W -f '${Version}' "$1"; }
	db_remove() { in_root dpkg -r "$1"; }
	db_clean() { in_root dpkg --purge "$@" >/dev/null 2>&1 || :; }
else
	v1=$(one v1 '*.rpm') v2=$(one v2 '*.rpm')
	mgr=$(one standin 'wazuh-manager-4.*.rpm') mgr5=$(one standin 'wazuh-manager-5.*.rpm')
	# Debian's rpm refuses to install without --force-debian; the database
	# lives inside the throwaway root.
	rpmdb=(--dbpath /var/lib/wodle-test-rpmdb)
	rpmopts=("${rpmdb[@]}")
	if rpm --help 2>&1 | grep -q -- --force-debian; then rpmopts+=(--force-debian); fi
	rm -rf "$root/var/lib/wodle-test-rpmdb"
	in_root rpm "${rpmdb[@]}" --initdb
	db_install() { in_root rpm "${rpmopts[@]}" -i "$@"; }
	db_upgrade() { in_root rpm "${rpmopts[@]}" -U "$@"; }
	db_installed() { in_root rpm "${rpmdb[@]}" -q "$1" >/dev/null 2>&1; }
	db_version() { in_root rpm "${rpmdb[@]}" -q --qf '%{VERSION}-%{RELEASE}' "$1"; }
	db_remove() { in_root rpm "${rpmopts[@]}" -e "$1"; }
	db_clean() { in_root rpm "${rpmopts[@]}" -e --nodeps "$@" >/dev/null 2>&1 || :; }
fi

# mode OWNER:GROUP OCTAL PATH
mode() {
	local got
	got=$(chroot "$root" stat -c '%U:%G %a' "$3" 2>&1) || got=missing
	if [ "$got" = "$1 $2" ]; then ok "$3 is $1 $2"; else bad "$3 is $1 $2 (got $got)"; fi
}

manager_dirs() {
	mode wazuh:wazuh 770 /var/ossec/etc
	mode root:wazuh 770 /var/ossec/etc/decoders
	mode root:wazuh 770 /var/ossec/etc/rules
	mode root:wazuh 750 /var/ossec/wodles
}

echo "== $format $vendor: install refused without wazuh-manager"
check_not "$pkg alone is refused" db_install "$v1"
check_not "$pkg is not installed" db_installed "$pkg"
db_clean "$pkg"
check "no files left behind" test ! -e "$root$wodle"

echo "== $format $vendor: install refused with wazuh-manager 5.x"
check_not "$pkg with wazuh-manager 5.0.0 is refused" db_install "$mgr5" "$v1"
check_not "$pkg is not installed" db_installed "$pkg"
db_clean "$pkg" wazuh-manager

echo "== $format $vendor: joint install"
step "wazuh-manager and $pkg install together" db_install "$mgr" "$v1"
check "$pkg is installed" db_installed "$pkg"
sum_before=$(md5sum <"$root/var/ossec/etc/ossec.conf")
check "install prints where the ossec.conf snippet is" grep -q "/usr/share/doc/$pkg/ossec.conf.snippet.xml" <<<"$out"
check "install says to add it on one node only" grep -q "ONE node" <<<"$out"
check "install says to restart the manager" grep -q "systemctl restart wazuh-manager" <<<"$out"
mode root:wazuh 750 "$wodle"
mode root:wazuh 750 "$wodle/$vendor-wodle"
mode root:wazuh 750 "$wodle/run.sh"
mode root:wazuh 640 "$decoders"
mode root:wazuh 640 "$rules"
mode root:wazuh 750 "$conf"
mode root:wazuh 640 "$conf/$vendor.env"
mode root:root 600 "$conf/secrets.env"
mode root:root 644 "/usr/share/doc/$pkg/ossec.conf.snippet.xml"
mode root:root 644 "/usr/share/doc/$pkg/README.md"
mode root:root 644 "/usr/share/doc/$pkg/copyright"
manager_dirs
check "no restart was attempted" no_restart

echo "== $format $vendor: the installed run.sh runs the installed binary"
check "run.sh version exits 0 with output" bash -c "out=\$(chroot '$root' $wodle/run.sh version) && [ -n \"\$out\" ]"
out=$(cd "$root" && timeout 60 chroot "$root" env -i PATH=/usr/bin:/bin "$wodle/run.sh" 2>&1) || :
check "a collection run prints only JSON lines of this vendor" bash -c '[ -n "$1" ] && ! grep -qv "^{\"integration\":\"$2\"" <<<"$1"' _ "$out" "$vendor"
check "run.sh created the state directory" test -d "$root$state"
mode root:root 700 "$state"
check "run.sh created the log directory" test -d "$root/var/ossec/logs/wodles"
mode root:root 700 /var/ossec/logs/wodles
out=$(chroot "$root" env WODLE_BINARY=/nonexistent "$wodle/run.sh" 2>&1) && rc=0 || rc=$?
check "run.sh setup errors are one JSON error event" bash -c '[ "$1" = 1 ] && [ "$(wc -l <<<"$2")" = 1 ] && grep -q "^{\"integration\":\"$3\",\"$3\":{\"event_type\":\"error\",\"module\":\"run.sh\"" <<<"$2"' _ "$rc" "$out" "$vendor"
# file_safety runs once the fake API serves and the secrets are set, so that a
# run gets to its lock. The acme stand-in's binary is not built on the runtime
# and has none of its file-safety rules: test-packaging.sh sets
# WODLE_FILESAFETY=0 for it.
file_safety() {
	echo "== $format $vendor: links planted by the wazuh user are refused"
	timeout 60 chroot "$root" env -i PATH=/usr/bin:/bin "$wodle/run.sh" >/dev/null 2>&1 || :
	mode root:root 600 "$state/default.state.json.lock"
	mode root:root 600 "$log"
	# The layout of earlier releases (root:wazuh 0770) let the wazuh user plant
	# links there: a symlink at the lock (truncated by every run) and a hard link
	# at the log (appended to), both to ossec.conf (root:wazuh 0660).
	as_wazuh() { chroot --userspec=wazuh:wazuh "$root" "$@"; }
	for d in "$state" /var/ossec/logs/wodles; do in_root chgrp wazuh "$d" && in_root chmod 0770 "$d"; done
	rm -f "$root$state/default.state.json.lock" "$root$log"
	check "the wazuh user plants a symlink at the lock" as_wazuh ln -s /var/ossec/etc/ossec.conf "$state/default.state.json.lock"
	check "the wazuh user plants a hard link at the log" as_wazuh ln /var/ossec/etc/ossec.conf "$log"
	conf_sum=$(md5sum <"$root/var/ossec/etc/ossec.conf")
	runsh() { timeout 60 chroot "$root" env -i PATH=/usr/bin:/bin "$wodle/run.sh" 2>&1; }
	out=$(runsh) && rc=0 || rc=$?
	mode root:root 700 "$state"
	mode root:root 700 /var/ossec/logs/wodles
	check "the run refuses the hard link with one error event" bash -c '[ "$1" != 0 ] && [ "$(grep -c "^{" <<<"$2")" = 1 ] &&
		grep -qF "refusing $3: the file has 2 hard links" <<<"$2"' _ "$rc" "$out" "$log"
	rm -f "$root$log"
	out=$(runsh) && rc=0 || rc=$?
	check "the run refuses the symlink with one error event" bash -c '[ "$1" != 0 ] && [ "$(grep -c "^{" <<<"$2")" = 1 ] &&
		grep -qF "refusing $3: it is a symbolic link (to /var/ossec/etc/ossec.conf)" <<<"$2"' _ "$rc" "$out" "$state/default.state.json.lock"
	check "ossec.conf is unchanged" bash -c '[ "$1" = "$(md5sum <"$2")" ]' _ "$conf_sum" "$root/var/ossec/etc/ossec.conf"
	rm -f "$root$state/default.state.json.lock"
	out=$(runsh) || :
	check "with the links removed the run goes ahead" bash -c '[ -n "$1" ] && ! grep -q refusing <<<"$1"' _ "$out"
	# The wazuh user can write the state directory's parent: it swaps the
	# directory for a symlink to /var/ossec/var, root:wazuh 0770 like the
	# directories run.sh tightens. run.sh must not follow it.
	check "the wazuh user swaps the state directory for a symlink" as_wazuh bash -c 'mv "$1" "$1.away" && ln -s /var/ossec/var "$1"' _ "$state"
	out=$(runsh) && rc=0 || rc=$?
	mode root:wazuh 770 /var/ossec/var
	check "the run refuses the symlinked directory" bash -c '[ "$1" != 0 ] && grep -qF "refusing $2: the directory is a symbolic link" <<<"$3"' _ "$rc" "$state" "$out"
	rm -f "$root$state" && mv "$root$state.away" "$root$state"
}

# The check against a fake API: FAKEAPI is a command with tools/fakeapi's
# interface (-token-file, -addr-file, -secrets-file, -settings-file; serves
# until SIGTERM), run on this machine's loopback, which the throwaway root
# shares. The base URL and the settings the fake needs (Google's delegated
# admin) go into the settings file and the secrets into the secrets file, as
# an admin would put them.
if [ -n "${FAKEAPI:-}" ]; then
	read -r -a fakecmd <<<"$FAKEAPI"
	"${fakecmd[@]}" -token-file "$work/fake.token" -addr-file "$work/fake.addr" -secrets-file "$work/fake.secrets" \
		-settings-file "$work/fake.settings" >/dev/null 2>"$work/fake.err" &
	fakepid=$!
	for _ in $(seq 100); do [ -s "$work/fake.addr" ] || ! kill -0 "$fakepid" 2>/dev/null && break; sleep 0.1; done
	if [ -s "$work/fake.addr" ] && [ -s "$work/fake.secrets" ]; then
		echo "${WODLE_ENV_PREFIX}BASE_URL=$(cat "$work/fake.addr")" >>"$root$conf/$vendor.env"
		cat "$work/fake.settings" >>"$root$conf/$vendor.env"
		cat "$work/fake.secrets" >>"$root$conf/secrets.env"
		check "run.sh check passes against the fake API (settings and secrets from /etc)" \
			timeout 60 chroot "$root" env -i PATH=/usr/bin:/bin "$wodle/run.sh" check
		if [ "${WODLE_FILESAFETY:-1}" = 1 ]; then
			file_safety
		else
			echo "  TODO  planted links: this vendor's binary does not use the runtime"
		fi
	else
		bad "fake API for $vendor did not start ($FAKEAPI)"
		sed 's/^/        | /' "$work/fake.err"
	fi
	kill "$fakepid" 2>/dev/null || :
	wait "$fakepid" 2>/dev/null || :
else
	echo "  TODO  run.sh check against a fake API: no fake API for $vendor in tools/fakeapi"
fi

echo "== $format $vendor: upgrade keeps edited settings, replaces rules"
echo "# edited by the install test" >>"$root$conf/$vendor.env"
echo "<!-- edited by the install test -->" >>"$root$rules"
v2ver=$(basename "$v2")
step "upgrade to $v2ver" db_upgrade "$v2"
check "installed version is the new one" bash -c '[[ $1 == *"$2"* ]]' _ "$v2ver" "$(db_version "$pkg")"
check "edited settings are kept" grep -q "edited by the install test" "$root$conf/$vendor.env"
check "edited rules file is replaced by the packaged one" cmp "$rules_src" "$root$rules"
check "upgrade says to restart the manager to load the rules" grep -q "systemctl restart wazuh-manager" <<<"$out"
mode root:wazuh 640 "$rules"
mode root:wazuh 640 "$conf/$vendor.env"
mode root:root 600 "$conf/secrets.env"
mode root:wazuh 750 "$wodle/run.sh"
check "no restart was attempted" no_restart

echo "== $format $vendor: remove keeps settings, secrets and state"
echo "OPTIONAL_TEST_SECRET=x" >>"$root$conf/secrets.env"
step "remove $pkg" db_remove "$pkg"
check_not "$pkg is no longer installed" db_installed "$pkg"
check "binary and run.sh are gone" test ! -e "$root$wodle"
check "decoder and rules are gone" test ! -e "$root$decoders" -a ! -e "$root$rules"
if [ "$format" = deb ]; then
	check "settings are kept" test -f "$root$conf/$vendor.env"
	check "secrets are kept" test -f "$root$conf/secrets.env"
else
	# rpm keeps edited %config(noreplace) files as .rpmsave.
	check "edited settings are kept (.rpmsave)" test -f "$root$conf/$vendor.env.rpmsave"
	check "edited secrets are kept (.rpmsave)" test -f "$root$conf/secrets.env.rpmsave"
fi
check "state is kept" test -d "$root$state"
check "wazuh-manager is still installed" db_installed wazuh-manager
check "ossec.conf was never changed" bash -c '[ "$1" = "$(md5sum <"$2")" ]' _ "$sum_before" "$root/var/ossec/etc/ossec.conf"
check "no restart was attempted" no_restart
manager_dirs

if [ "$format" = deb ]; then
	echo "== $format $vendor: purge removes settings, secrets and state"
	check "purge $pkg" in_root dpkg --purge "$pkg"
	check "settings and secrets are gone" test ! -e "$root$conf"
	check "state is gone" test ! -e "$root$state"
	check "log is gone" test ! -e "$root$log"
	check "docs are gone" test ! -e "$root/usr/share/doc/$pkg"
fi
check "wazuh-manager's directories are still there" test -d "$root/var/ossec/etc/rules" -a -d "$root/var/ossec/wodles"

summary "install-$format-$vendor"
