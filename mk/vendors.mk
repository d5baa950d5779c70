# The vendor contract (tools/vendorlint: its own module, stdlib only, outside
# go.work, so every call runs with GOWORK=off).
VENDORLINT := cd tools/vendorlint && GOWORK=off go run .

.PHONY: check-vendors
check-vendors: ## every vendor's touch points: go.work, cmd, tools/fakeapi, rules, README table and sections, goldens, tests
	@$(VENDORLINT) check -root ../..

.PHONY: new-vendor
new-vendor: ## V=<name> [TITLE="Acme Mail"] [PREFIX=ACME_]: lay out a vendor skeleton at every touch point
	@if [ -z "$(V)" ]; then echo "usage: make new-vendor V=<name> [TITLE=\"Human Name\"] [PREFIX=NAME_]"; exit 2; fi
	@$(VENDORLINT) new -root ../.. -name '$(V)' $(if $(TITLE),-title '$(TITLE)') $(if $(PREFIX),-prefix '$(PREFIX)')
	@for m in vendors/$(V) cmd tools/fakeapi; do (cd $$m && GOWORK=off go mod tidy) || exit 1; done
	@$(MAKE) --no-print-directory check-vendors
