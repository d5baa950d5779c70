#!/usr/bin/env bash
# Behaviour of a rendered run.sh outside any package:
#   runsh-test.sh RUN_SH VENDOR ENV_PREFIX
# The binary is replaced (WODLE_BINARY) by a script that prints its arguments
# and environment, so every setting run.sh passes on can be checked.
# Checks run `bash -c '...'` with positional arguments: single quotes intended.
# shellcheck disable=SC2016
set -euo pipefail
runsh=$(realpath "$1") vendor=$2 prefix=$3
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=lib.sh
. "$here/lib.sh"

t=$(mktemp -d)
trap 'rm -rf "$t"' EXIT
printf '#!/bin/sh\necho "args: $*"\nenv | sort\n' >"$t/bin"
chmod 755 "$t/bin"
cat >"$t/settings.env" <<CONF
# comment

   ${prefix}PLAIN=plain value
export ${prefix}EXPORTED=yes
${prefix}DQ="double quoted"
${prefix}SQ='single quoted'
${prefix}EQ=a=b=c
${prefix}FROM_ENV=file
${prefix}STATE_DIR=$t/state
${prefix}LOG_FILE=$t/logs/$vendor.log
CONF
run() { env -i WODLE_CONFIG_FILE="$t/settings.env" WODLE_BINARY="$t/bin" "$@" "$runsh" one "two words"; }

res=$(run "${prefix}FROM_ENV=env")
has() { grep -qxF "$1" <<<"$res"; }
check "arguments are passed unchanged" has "args: one two words"
check "plain value" has "${prefix}PLAIN=plain value"
check "export prefix tolerated" has "${prefix}EXPORTED=yes"
check "double quotes removed" has "${prefix}DQ=double quoted"
check "single quotes removed" has "${prefix}SQ=single quoted"
check "only the first = splits" has "${prefix}EQ=a=b=c"
check "the environment wins over the file" has "${prefix}FROM_ENV=env"
check "secrets file defaults to the packaged one" has "${prefix}SECRETS_FILE=/etc/wazuh-wodle-${vendor//_/-}/secrets.env"
check "state dir from the file" has "${prefix}STATE_DIR=$t/state"
check "state dir created, root's alone (0700)" bash -c '[ "$(stat -c %a "$1")" = 700 ]' _ "$t/state"
check "log directory created, root's alone (0700)" bash -c '[ "$(stat -c %a "$1")" = 700 ]' _ "$t/logs"
# Only the packaged directories are tightened (install-test.sh checks those):
# a directory the admin chose is the admin's, and the binary refuses it if
# others can write it.
mkdir -p "$t/admin/state" && chmod 0770 "$t/admin/state"
env -i WODLE_CONFIG_FILE="$t/settings.env" WODLE_BINARY="$t/bin" "${prefix}STATE_DIR=$t/admin/state" "$runsh" >/dev/null
check "an admin's own state directory is left as it is" bash -c '[ "$(stat -c %a "$1")" = 770 ]' _ "$t/admin/state"
check "PATH set when Wazuh gives none" bash -c 'grep -q "^PATH=/" <<<"$1"' _ "$res"

out=$(env -i WODLE_CONFIG_FILE="$t/settings.env" WODLE_BINARY="$t/bin" "${prefix}STATE_DIR=$t/s2" "${prefix}LOG_FILE=$t/l2/x.log" \
	"${prefix}SECRETS_FILE=$t/sec" "$runsh")
check "packaged defaults yield to the environment" bash -c 'grep -qxF "$2SECRETS_FILE=$1/sec" <<<"$3"' _ "$t" "$prefix" "$out"

printf 'not a setting\n' >"$t/bad.env"
out=$(env -i WODLE_CONFIG_FILE="$t/bad.env" WODLE_BINARY="$t/bin" "$runsh" 2>&1) && rc=0 || rc=$?
check "a malformed line is fatal" test "$rc" = 1
check "and reported as one JSON error event" bash -c '[ "$(wc -l <<<"$1")" = 1 ] &&
	grep -qF "{\"integration\":\"$2\",\"$2\":{\"event_type\":\"error\",\"module\":\"run.sh\",\"error_message\":\"" <<<"$1" &&
	grep -qF "line 1: expected KEY=VALUE" <<<"$1"' _ "$out" "$vendor"
printf '%s\n' "1BAD=x" >"$t/bad.env"
out=$(env -i WODLE_CONFIG_FILE="$t/bad.env" WODLE_BINARY="$t/bin" "$runsh" 2>&1) || :
check "an invalid variable name is reported" grep -qF "invalid variable name '1BAD'" <<<"$out"
out=$(env -i WODLE_CONFIG_FILE="$t/settings.env" WODLE_BINARY="$t/no \"such\" binary" "$runsh" 2>&1) || :
check "error messages escape quotes for JSON" grep -qF 'no \"such\" binary' <<<"$out"
out=$(env -i WODLE_CONFIG_FILE="$t/missing.env" WODLE_BINARY="$t/bin" "${prefix}STATE_DIR=$t/s3" "${prefix}LOG_FILE=$t/l3/x.log" "$runsh" 2>&1) && rc=0 || rc=$?
check "a missing settings file means defaults" test "$rc" = 0

summary "run.sh-$vendor"
