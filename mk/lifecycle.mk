# The wazuh-modulesd lifecycle test (issue 10, docs/architecture.md "The
# commit protocol"): every vendor's packaged run.sh under a stand-in of
# wazuh-modulesd's command loop (tools/fakeapi/modulesd), stopped at random
# moments by a restart, a crash and a host kill; every event of the fake
# backlog must reach the stand-in analysisd socket, duplicates within one
# run's output per stop. `make test` runs 10 stops per vendor, `make soak`
# (mk/soak.mk) 50 (SOAK_RESTARTS); WODLEKIT_LIFECYCLE_SEED=<n> replays a sequence.

LIFECYCLE_RESTARTS ?= 10
SOAK_RESTARTS ?= 50

.PHONY: test-lifecycle
test-lifecycle: build pkgbuild-tool ## the wazuh-modulesd lifecycle test, LIFECYCLE_RESTARTS (10) stops per vendor
	@cd tools/fakeapi && WODLEKIT_LIFECYCLE_RESTARTS=$(LIFECYCLE_RESTARTS) WODLEKIT_ROOT=$(CURDIR) \
	  GOWORK=off go test -count=1 -timeout 60m -run '^TestLifecycle$$' -v . | grep -v '^=== RUN'
