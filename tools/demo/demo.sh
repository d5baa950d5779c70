#!/usr/bin/env bash
# make demo: every vendor against its fake API on loopback, through the same
# run.sh the package installs, twice. The second run must emit no new event.
# Usage: tools/demo/demo.sh VENDOR...
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
work="$root/.demo"
rm -rf "$work"
mkdir -p "$work"

echo "== building the fake APIs, the package renderer and the rule tester"
go build -o "$work/fakeapi" ./tools/fakeapi
(cd tools/pkgbuild && GOWORK=off go build -o "$work/pkgbuild" .)
(cd tools/rulekit && GOWORK=off go build -o "$work/rulekit" .)

pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; }
trap cleanup EXIT

# event_types prints how many lines of each event_type a run produced.
event_types() {
	grep -o '"event_type":"[^"]*"' "$1" | sed 's/"event_type":"\(.*\)"/\1/' | sort | uniq -c | sed 's/^/    /' || true
}

failed=0
for v in "$@"; do
	d="$work/$v"
	# run.sh creates the state and log directories (0700: the binary refuses
	# a directory others can write).
	mkdir -p "$d"
	bin="$root/bin/$v-wodle"
	prefix=$("$bin" metadata | sed -n 's/^  "env_prefix": "\(.*\)",$/\1/p')
	echo
	echo "== $v: fake API on loopback, ${prefix}* settings, run.sh from the package template"
	"$work/fakeapi" -vendor "$v" -listen 127.0.0.1:0 -events 1500 \
		-token-file "$d/token" -addr-file "$d/addr" -secrets-file "$d/secrets.env" \
		-settings-file "$d/fake-settings.env" 2>"$d/fakeapi.log" &
	pids+=($!)
	for _ in $(seq 100); do [ -s "$d/addr" ] && break; sleep 0.1; done
	[ -s "$d/addr" ] || { echo "fake API for $v did not start:"; cat "$d/fakeapi.log"; exit 1; }
	url=$(cat "$d/addr")
	"$work/pkgbuild" render -repo "$root" -vendor "$v" -out "$d/pkg" >/dev/null
	runsh=$(find "$d/pkg" -name run.sh | head -n 1)
	chmod 0750 "$runsh" "$d/secrets.env"
	cat >"$d/settings.env" <<-SETTINGS
		# What an admin would put in /etc/wazuh-wodle-$v/$v.env, pointed at the fake API.
		${prefix}BASE_URL=$url
		${prefix}STATE_DIR=$d/state
		${prefix}LOG_FILE=$d/log/$v.log
		${prefix}SECRETS_FILE=$d/secrets.env
		${prefix}LOOKBACK_HOURS=24
		${prefix}MAX_RUNTIME=60s
	SETTINGS
	# Settings the fake needs besides its URL (Google's delegated admin).
	cat "$d/fake-settings.env" >>"$d/settings.env"
	for n in 1 2; do
		start=$(date +%s.%N)
		WODLE_CONFIG_FILE="$d/settings.env" WODLE_BINARY="$bin" "$runsh" >"$d/run$n.jsonl"
		secs=$(echo "$(date +%s.%N) - $start" | bc 2>/dev/null || echo "?")
		echo "-- run $n: $(wc -l <"$d/run$n.jsonl") lines in ${secs}s, by event_type:"
		event_types "$d/run$n.jsonl"
	done
	echo "-- run summaries of run 2:"
	{ grep '"run_summary"' "$d/run2.jsonl" || true; } | sed 's/^/    /' | cut -c1-220
	# The invariant is "nothing twice": a line of run 2 identical to one of
	# run 1 is a replay. New events may legitimately arrive between runs.
	again=$(grep -v '"event_type":"\(run_summary\|error\)"' "$d/run2.jsonl" | grep -cxFf "$d/run1.jsonl" || true)
	fresh=$(grep -vc '"event_type":"\(run_summary\|error\)"' "$d/run2.jsonl" || true)
	if [ "$again" != "0" ]; then
		echo "!! run 2 emitted $again events of run 1 again: de-duplication or cursors are broken"
		failed=1
	elif [ "$fresh" != "0" ]; then
		echo "-- run 2 emitted $fresh new events (they became visible after run 1), none twice"
	fi
	if grep -q '"event_type":"error"' "$d/run1.jsonl" "$d/run2.jsonl"; then
		echo "!! error events:"; grep -h '"event_type":"error"' "$d/run1.jsonl" "$d/run2.jsonl"
		failed=1
	fi
	echo "-- one event as Wazuh receives it:"
	{ grep -v '"event_type":"\(run_summary\|error\)"' "$d/run1.jsonl" || true; } | sed -n 1p | cut -c1-400 | sed 's/^/    /'
	if [ -d "rules/$v" ]; then
		echo "-- rules these events trigger (Wazuh 4.x semantics, tools/rulekit):"
		"$work/rulekit" match "$root" "command_$v" <"$d/run1.jsonl" | sed 's/^/    /'
	fi
	echo "-- state: $(ls "$d/state" | tr "\n" " ")  log: $d/log/$v.log ($(wc -l <"$d/log/$v.log") lines)"
done
echo
if [ "$failed" != 0 ]; then
	echo "demo: FAILED"
	exit 1
fi
echo "demo: every vendor collected its backlog once; no second run repeated an event. Files: $work"
