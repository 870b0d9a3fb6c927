#!/usr/bin/env bash
# `make bench`: run bench/run.py on the private PostgreSQL cluster (started for
# the run, stopped after it if this run started it). BENCH_ARGS go to
# bench/run.py, e.g. BENCH_ARGS="--sizes 1000,10000 --markdown results.md".
set -euo pipefail
# shellcheck source=scripts/odoo-env.sh
source "$(dirname "${BASH_SOURCE[0]}")/odoo-env.sh"

af_ensure_odoo
AF_PG_STARTED=0
cleanup() { if ((AF_PG_STARTED)); then af_pg_stop; fi; }
trap cleanup EXIT
trap 'exit 130' INT TERM
af_pg_start
read -r -a ARGS <<<"${BENCH_ARGS:-}"
"$AF_PYTHON" "$AF_ROOT/bench/run.py" --db-host 127.0.0.1 --db-port "$PGPORT" \
    --db-user odoo "${ARGS[@]}"
