#!/usr/bin/env bash
# Checks run `bash -c '...'` with positional arguments: single quotes intended.
# shellcheck disable=SC2016
# The admin's side of a release, in a throwaway root (an overlay of this
# machine's / in a private mount namespace, as in install-test.sh):
#   repo-install-test.sh WORK
# WORK (from release-test.sh) holds repo1/ (okta 1.2.0, duo 1.0.0), repo2/
# (plus okta 1.3.0), bad-inrelease/, bad-release/, bad-package/, bad-yum/ and
# standin/ (wazuh-manager 4.14.7). Each is served in turn at
# file:///wodlekit-repo, the REPO_URL the repositories' README was made for.
# apt: the README's lines add the repository with its signed-by key; install
# okta and duo; refuse an altered Release and an altered package; upgrade okta
# alone. dnf (Debian's, through the machine's librpm): the README's .repo file;
# refuse altered metadata; install and upgrade okta.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
if [ -z "${WODLE_REPO_TEST_NS:-}" ]; then
	WODLE_REPO_TEST_NS=1 unshare --mount --propagation private "$0" "$@"
	exit
fi
# shellcheck source=lib.sh
. "$here/lib.sh"

work=$(realpath "$1")
root=$(throwaway_root "$work/ovl")
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin DEBIAN_FRONTEND=noninteractive
in_root() { chroot "$root" "$@"; }
# Nothing of the machine's own package sources or Wazuh comes along.
rm -rf "$root/var/ossec" "$root"/etc/wazuh-wodle-* "$root"/etc/apt/sources.list "$root"/etc/apt/sources.list.d/* \
	"$root"/var/lib/apt/lists/* "$root"/etc/yum.repos.d "$root/var/cache/dnf" "$root/root/.rpmdb" "$root/var/lib/rpm"
mkdir -p "$root/standin"
cp "$work"/standin/* "$root/standin/"

# serve DIR: DIR becomes the repository at file:///wodlekit-repo.
serve() {
	rm -rf "$root/wodlekit-repo"
	cp -a "$work/$1" "$root/wodlekit-repo"
	chmod -R a+rX "$root/wodlekit-repo"
}
# show LABEL TEXT: quote what a tool printed when it refused (for the log).
show() {
	printf '        %s:\n' "$1"
	printf '%s\n' "$2" | grep -Ev '^$|^(Reading|Building|Get:|Ign:|Hit:| Userid| Fingerprint| From)' | head -n 14 | sed 's/^/        > /'
}
apt_get() { in_root apt-get -q -o Dpkg::Use-Pty=0 "$@"; }
deb_version() { in_root dpkg-query -W -f '${Version}' "$1" 2>/dev/null; }

echo "== apt: the README's lines, install, refusals, upgrade"
serve repo1
check "wazuh-manager 4.14.7 stand-in installed" in_root dpkg -i /standin/wazuh-manager_4.14.7-1_amd64.deb
# The README's first sh block under APT, as root (sudo is the identity here).
sed -n '/^## Debian and Ubuntu (APT)/,/^## RHEL/p' "$root/wodlekit-repo/README.md" |
	awk '/^```sh/ {n++; next} /^```/ {if (n == 1) exit; next} n == 1' >"$root/tmp/apt-lines.sh"
check "README's APT lines use a signed-by keyring" grep -q 'signed-by=/etc/apt/keyrings/wodlekit.asc' "$root/tmp/apt-lines.sh"
step "README's APT lines (key, source, apt-get update)" in_root bash -euc 'sudo() { "$@"; }; . /tmp/apt-lines.sh'
step "apt-get install wazuh-wodle-okta wazuh-wodle-duo" apt_get install -y wazuh-wodle-okta wazuh-wodle-duo
check "okta 1.2.0-1 is installed" bash -c '[ "$1" = 1.2.0-1 ]' _ "$(deb_version wazuh-wodle-okta)"
check "duo 1.0.0-1 is installed" bash -c '[ "$1" = 1.0.0-1 ]' _ "$(deb_version wazuh-wodle-duo)"
check "the okta binary runs" in_root /var/ossec/wodles/okta/run.sh version

serve bad-inrelease
# With the verified indexes of an earlier update, apt keeps them and warns.
out=$(apt_get update 2>&1) && rc=0 || rc=$?
check "apt-get update refuses an InRelease altered after signing (keeps the verified indexes)" \
	bash -c 'grep -q "BADSIG" <<<"$1" && grep -q "The repository is not updated and the previous index files will be used" <<<"$1"' _ "$out"
show "apt-get update printed (exit $rc)" "$out"
# On first contact (no earlier indexes), it fails.
rm -rf "$root"/var/lib/apt/lists/*
out=$(apt_get update 2>&1) && rc=0 || rc=$?
check "apt-get update on first contact with the altered InRelease fails" bash -c '[ "$1" != 0 ] && grep -q "BADSIG" <<<"$2"' _ "$rc" "$out"
show "apt-get update printed (exit $rc)" "$out"
check "and apt uses no index of the altered repository" bash -c '[ -n "$1" ] && ! grep -q "file:/wodlekit-repo" <<<"$1"' _ "$(in_root apt-cache policy wazuh-wodle-okta 2>&1)"
serve bad-release
out=$(apt_get update 2>&1) && rc=0 || rc=$?
check "apt-get update refuses a Release altered after signing (Release.gpg)" bash -c '[ "$1" != 0 ] && grep -q "BADSIG" <<<"$2"' _ "$rc" "$out"
show "apt-get update printed (exit $rc)" "$out"

serve bad-package
check "apt-get update (okta 1.3.0's .deb altered, the indexes intact)" apt_get update
out=$(apt_get upgrade -y 2>&1) && rc=0 || rc=$?
check "apt-get upgrade refuses the altered package" bash -c '[ "$1" != 0 ] && grep -Eq "Hash Sum mismatch|unexpected size" <<<"$2"' _ "$rc" "$out"
show "apt-get upgrade printed (exit $rc)" "$out"
check "okta is still 1.2.0-1" bash -c '[ "$1" = 1.2.0-1 ]' _ "$(deb_version wazuh-wodle-okta)"

serve repo2
check "apt-get update" apt_get update
step "apt-get upgrade" apt_get upgrade -y
check "okta 1.3.0-1 arrived with apt-get upgrade" bash -c '[ "$1" = 1.3.0-1 ]' _ "$(deb_version wazuh-wodle-okta)"
check "duo stayed at 1.0.0-1" bash -c '[ "$1" = 1.0.0-1 ]' _ "$(deb_version wazuh-wodle-duo)"
check "the installed changelog.Debian.gz leads with 1.3.0-1" bash -c 'zcat "$1" | head -n 1 | grep -q "(1.3.0-1)"' \
	_ "$root/usr/share/doc/wazuh-wodle-okta/changelog.Debian.gz"

if ! command -v dnf >/dev/null; then
	echo "  TODO  dnf is not installed (make deps-packaging installs Debian's dnf): YUM repository install not tested"
	summary repo-install
	exit
fi

echo "== dnf: the README's .repo file, refusal, install, upgrade"
serve repo1
# Debian's rpm keeps its database in ~/.rpmdb; dnf uses the same librpm.
check "rpm --initdb" in_root rpm --initdb
check "wazuh-manager 4.14.7 stand-in installed (rpm)" in_root rpm -i --force-debian /standin/wazuh-manager-4.14.7-1.x86_64.rpm
mkdir -p "$root/etc/yum.repos.d"
sed -n '/^```ini/,/^```/p' "$root/wodlekit-repo/README.md" | sed '1d;$d' >"$root/etc/yum.repos.d/wodlekit.repo"
check "README's .repo file sets gpgcheck=1 and repo_gpgcheck=1" \
	bash -c 'grep -qx gpgcheck=1 "$1" && grep -qx repo_gpgcheck=1 "$1"' _ "$root/etc/yum.repos.d/wodlekit.repo"
dnf_() { in_root dnf -y --releasever=1 --setopt=install_weak_deps=False "$@"; }

serve bad-yum
out=$(dnf_ --refresh install wazuh-wodle-okta 2>&1) && rc=0 || rc=$?
check "dnf refuses repository metadata altered after signing (repo_gpgcheck)" \
	bash -c '[ "$1" != 0 ] && grep -q "repomd.xml GPG signature verification error: Bad GPG signature" <<<"$2"' _ "$rc" "$out"
check_not "okta is not installed" in_root rpm -q wazuh-wodle-okta
show "dnf install printed (exit $rc)" "$out"
in_root rm -rf /var/cache/dnf

serve repo1
step "dnf install wazuh-wodle-okta" dnf_ --refresh install wazuh-wodle-okta
check "okta 1.2.0-1 is installed (rpm)" bash -c '[ "$1" = 1.2.0-1 ]' _ "$(in_root rpm -q --qf '%{VERSION}-%{RELEASE}' wazuh-wodle-okta)"
serve repo2
step "dnf upgrade" dnf_ --refresh upgrade
check "okta 1.3.0-1 arrived with dnf upgrade" bash -c '[ "$1" = 1.3.0-1 ]' _ "$(in_root rpm -q --qf '%{VERSION}-%{RELEASE}' wazuh-wodle-okta)"

summary repo-install
