# Developer commands of the automation_flow Odoo 18.0 addon.
# The recipes only call scripts/ and pre-commit; variables are read from the
# environment or the command line, e.g.
# `make test TEST_TAGS=/automation_flow:TestEngine KEEP_DB=1`.
SHELL := /bin/bash
.DEFAULT_GOAL := help
PYTHON ?= python3
BENCH_ARGS ?=
PRE_COMMIT = $(PYTHON) -m pre_commit

.PHONY: help run test test-wheel lint fmt stop status clean pot bench readme requirements

help: ## show this help
	@echo "automation_flow — make targets:"
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-12s %s\n", $$1, $$2}'
	@echo "Variables: DB HTTP_PORT HTTP_INTERFACE PGPORT TEST_TAGS TEST_DB KEEP_DB SKIP_LINT"
	@echo "           SKIP_WHEEL ODOO_ARGS ODOO_SOURCE PG_DIR PG_BINDIR BENCH_ARGS (see readme/INSTALL.md)"

run: ## serve Odoo with the module + demo data on http://localhost:8069 (admin/admin)
	@scripts/run.sh

test: requirements ## fresh database, install with demo data, run the module's tests, the wheel test, then lint
	@scripts/test.sh

test-wheel: ## build the wheel, install it in a fresh venv, have Odoo install the module from it
	@scripts/test-wheel.sh

requirements: ## install test-requirements.txt (what make test and make lint need beside Odoo)
	@$(PYTHON) -m pip install -q --root-user-action=ignore -r test-requirements.txt

lint: requirements ## the checks of .pre-commit-config.yaml on every file (OCA's template)
	@$(PRE_COMMIT) run --all-files --show-diff-on-failure --color=never

fmt: requirements ## the same, keeping the fixes of the hooks (formatting, README)
	@$(PRE_COMMIT) run --all-files >/dev/null || $(PRE_COMMIT) run --all-files

stop: ## stop the private PostgreSQL cluster
	@scripts/odoo-env.sh stop

status: ## where the private PostgreSQL cluster is and whether it runs
	@scripts/odoo-env.sh status

clean: ## delete the cluster (all its databases), .local/ and caches
	@scripts/odoo-env.sh destroy
	@rm -rf .local .ruff_cache build *.egg-info

pot: ## export i18n/automation_flow.pot from a throwaway database
	@scripts/pot.sh

bench: ## run the benchmark on the private cluster: bench/run.py $(BENCH_ARGS)
	@scripts/bench.sh

readme: requirements ## rebuild README.rst and static/description/index.html from readme/*.md
	@$(PRE_COMMIT) run oca-gen-addon-readme --all-files >/dev/null \
		|| $(PRE_COMMIT) run oca-gen-addon-readme --all-files
