# Developer commands of the automation_flow Odoo 18.0 addon.
# The recipes only call scripts/; variables are read from the environment or
# the command line, e.g. `make test TEST_TAGS=/automation_flow:TestEngine KEEP_DB=1`.
SHELL := /bin/bash
.DEFAULT_GOAL := help
PYTHON ?= python3
BENCH_ARGS ?=

.PHONY: help run test lint fmt stop status clean pot bench readme

help: ## show this help
	@echo "automation_flow — make targets:"
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-7s %s\n", $$1, $$2}'
	@echo "Variables: DB HTTP_PORT HTTP_INTERFACE PGPORT TEST_TAGS TEST_DB KEEP_DB SKIP_LINT"
	@echo "           ODOO_ARGS ODOO_SOURCE PG_DIR PG_BINDIR BENCH_ARGS (see readme/INSTALL.md)"

run: ## serve Odoo with the module + demo data on http://localhost:8069 (admin/admin)
	@scripts/run.sh

test: ## fresh database, install with demo data, run the module's tests, then lint
	@scripts/test.sh

lint: ## ruff check, ruff format --check, pylint-odoo (OCA mandatory checks)
	@scripts/lint.sh

fmt: ## apply ruff's fixes and formatting
	@FIX=1 scripts/lint.sh

stop: ## stop the private PostgreSQL cluster
	@scripts/odoo-env.sh stop

status: ## where the private PostgreSQL cluster is and whether it runs
	@scripts/odoo-env.sh status

clean: ## delete the cluster (all its databases), .local/ (but odoo-src) and caches
	@scripts/odoo-env.sh destroy
	@if [ -d .local ]; then find .local -mindepth 1 -maxdepth 1 ! -name odoo-src -exec rm -rf {} +; fi
	@rm -rf .ruff_cache

pot: ## export i18n/automation_flow.pot from a throwaway database
	@scripts/pot.sh

bench: ## run the benchmark on the private cluster: bench/run.py $(BENCH_ARGS)
	@scripts/bench.sh

readme: ## rebuild README.rst from the readme/*.md fragments
	@$(PYTHON) scripts/build-readme.py
