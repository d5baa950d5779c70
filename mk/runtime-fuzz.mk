# Fuzz targets of the runtime module (one go test per target: Go fuzzes one
# target per invocation). FUZZTIME=30s make fuzz-runtime for a longer run.
FUZZTIME ?= 5s

.PHONY: fuzz-runtime
fuzz-runtime: ## run each runtime fuzz target for $(FUZZTIME)
	@cd runtime && go test -run='^$$' -fuzz='^FuzzDecode$$' -fuzztime=$(FUZZTIME) ./jsonrec/
	@cd runtime && go test -run='^$$' -fuzz='^FuzzUnquote$$' -fuzztime=$(FUZZTIME) ./jsonrec/
	@cd runtime && go test -run='^$$' -fuzz='^FuzzAppendRecord$$' -fuzztime=$(FUZZTIME) ./emit/
	@cd runtime && go test -run='^$$' -fuzz='^FuzzLoad$$' -fuzztime=$(FUZZTIME) ./state/
	@cd runtime && go test -run='^$$' -fuzz='^FuzzParseFile$$' -fuzztime=$(FUZZTIME) ./secret/
