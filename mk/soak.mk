# Long runs of the lifecycle tests, beyond what `make test` can afford: the
# same tests at full size (WODLEKIT_SOAK=1). Each adds its line here.

.PHONY: soak
soak: ## lifecycle tests at full size: the queue sink across 20 analysisd restarts; 50 wazuh-modulesd stops per vendor
	@cd runtime && WODLEKIT_SOAK=1 GOWORK=off go test -count=1 -v -run '^TestQueueSinkSurvivesAnalysisdRestarts$$' ./runner/ \
	  | grep -vE '^=== (RUN|PAUSE|CONT)'
	@$(MAKE) --no-print-directory test-lifecycle LIFECYCLE_RESTARTS=$(SOAK_RESTARTS)
