# Shared by the packaging tests: counted checks. Each script prints its own
# "<name>: N passed, N failed" line and exits non-zero on any failure.
# shellcheck shell=bash

pass=0
fail=0

ok() {
	pass=$((pass + 1))
	printf '  ok    %s\n' "$*"
}

bad() {
	fail=$((fail + 1))
	printf '  FAIL  %s\n' "$*"
}

# check DESCRIPTION COMMAND...: passes when COMMAND exits 0; its output is
# shown only on failure.
check() {
	local desc=$1 out
	shift
	if out=$("$@" 2>&1); then
		ok "$desc"
	else
		bad "$desc"
		printf '%s\n' "$out" | sed 's/^/        | /' | head -n 40
	fi
}

# step DESCRIPTION COMMAND...: like check, and keeps the output in $out for
# further checks.
out=
step() {
	local desc=$1
	shift
	if out=$("$@" 2>&1); then
		ok "$desc"
	else
		bad "$desc"
		printf '%s\n' "$out" | sed 's/^/        | /' | head -n 40
	fi
}

# check_not DESCRIPTION COMMAND...: passes when COMMAND fails.
check_not() {
	local desc=$1
	shift
	if "$@" >/dev/null 2>&1; then bad "$desc"; else ok "$desc"; fi
}

summary() {
	printf '%s: %d passed, %d failed\n' "$1" "$pass" "$fail"
	[ "$fail" -eq 0 ]
}

# throwaway_root WORK: mount at WORK/root an overlay of this machine's / (the
# changes land in WORK/upper), with /dev, /proc and a fresh /tmp and /run, and
# print the root. Run it in a private mount namespace (unshare --mount
# --propagation private): the mounts then vanish with the namespace, and
# dpkg, rpm, apt and dnf chrooted into the root never touch the machine's own
# databases.
throwaway_root() {
	local work=$1 root=$1/root
	mkdir -p "$work/upper" "$work/ovl" "$root"
	mount -t overlay overlay -o "lowerdir=/,upperdir=$work/upper,workdir=$work/ovl" "$root"
	mount --rbind /dev "$root/dev"
	mount -t proc proc "$root/proc"
	mount -t tmpfs tmpfs "$root/tmp"
	mount -t tmpfs tmpfs "$root/run"
	echo "$root"
}
