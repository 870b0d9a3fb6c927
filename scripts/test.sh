#!/usr/bin/env bash
# `make test`: install automation_flow (with its demo data) in a fresh throwaway
# database of the private cluster, run its Odoo tests, then, on a full run, the
# wheel test (scripts/test-wheel.sh) and the linters (make lint).
# `make test` first installs test-requirements.txt (make requirements).
# Fails on a non-zero Odoo exit, an ERROR/CRITICAL log record (checklog-odoo),
# a module that did not install, zero tests run, a translation template that
# is not current, a failed wheel test or lint. Last line: "N passed, N failed".
#
# Variables: TEST_TAGS (default /automation_flow; when set, the wheel test is
# skipped), TEST_DB (default automation_flow_test_<timestamp>_<random>),
# KEEP_DB=1 (keep the database), HTTP_PORT (default: any free port),
# SKIP_LINT=1, SKIP_WHEEL=1, ODOO_ARGS (extra Odoo flags).
set -euo pipefail
# shellcheck source=scripts/odoo-env.sh
source "$(dirname "${BASH_SOURCE[0]}")/odoo-env.sh"

af_ensure_odoo
af_ensure_manifest

LOG=$AF_LOCAL/test.log
[[ -z ${TEST_TAGS:-} ]] || SKIP_WHEEL=1
TEST_TAGS=${TEST_TAGS:-/$AF_MODULE}
DB=${TEST_DB:-${AF_MODULE}_test_$(date +%Y%m%d_%H%M%S)_$RANDOM}
[[ $DB =~ ^[A-Za-z0-9_-]+$ ]] || af_die "invalid database name '$DB'"
read -r -a EXTRA_ARGS <<<"${ODOO_ARGS:-}"

AF_PG_STARTED=0
DB_CREATED=0
cleanup() {
    set +e
    if ((DB_CREATED)); then
        if [[ ${KEEP_DB:-0} == 1 ]]; then
            af_log "database '$DB' kept (KEEP_DB=1); drop it with: scripts/odoo-env.sh odoo db drop $DB"
        else
            af_db_drop "$DB" && af_log "database '$DB' dropped"
        fi
        DB_CREATED=0
    fi
    if ((AF_PG_STARTED)); then
        af_pg_stop
        AF_PG_STARTED=0
    fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

af_pg_start
af_odoo_config
if [[ -n ${HTTP_PORT:-} ]]; then
    af_port_is_free "$HTTP_PORT" || af_die "HTTP_PORT=$HTTP_PORT is already in use"
else
    HTTP_PORT=$(af_free_port 0)
fi
af_db_exists "$DB" && af_die "database '$DB' already exists: choose another TEST_DB"

af_log "testing in database '$DB' (tags $TEST_TAGS, HTTP port $HTTP_PORT), log: $LOG"
DB_CREATED=1
start=$(date +%s)
set +e
# demo data is installed too (empty --without-demo), so it is validated
af_odoo -d "$DB" -i "$AF_MODULE" --without-demo= --test-enable --test-tags="$TEST_TAGS" \
    --stop-after-init --http-port="$HTTP_PORT" --log-level=test \
    "${EXTRA_ARGS[@]}" 2>&1 | tee "$LOG"
odoo_rc=${PIPESTATUS[0]}
set -e
seconds=$(($(date +%s) - start))

problems=()
((odoo_rc == 0)) || problems+=("Odoo exited with status $odoo_rc")

echo "---- checklog-odoo"
checklog-odoo -c "$AF_ROOT/checklog-odoo.cfg" "$LOG" || problems+=("the log has ERROR/CRITICAL records (see above)")

state=$(af_module_state "$DB")
[[ $state == installed ]] || problems+=("module $AF_MODULE is not installed (state: '${state:-none}')")

report=$(grep -oE '[0-9]+ failed, [0-9]+ error\(s\) of [0-9]+ tests when loading database' "$LOG" | tail -n1 || true)
if [[ -z $report ]]; then
    problems+=("no test report line in the log")
    passed=0
    failed=1
else
    read -r n_fail n_err n_total <<<"$(sed -E 's/^([0-9]+) failed, ([0-9]+) error\(s\) of ([0-9]+) tests.*/\1 \2 \3/' <<<"$report")"
    passed=$((n_total - n_fail - n_err))
    failed=$((n_fail + n_err))
    ((n_total > 0)) || problems+=("no test ran (tags: $TEST_TAGS)")
fi

# The translation template must hold exactly the strings of the code that
# was just installed (the database is still there).
if [[ $state == installed ]]; then
    fresh_pot=$AF_LOCAL/fresh.pot
    af_odoo -d "$DB" --i18n-export="$fresh_pot" --modules="$AF_MODULE" \
        --stop-after-init --no-http --log-level=warn 2>/dev/null
    "$AF_PYTHON" "$AF_ROOT/scripts/check-i18n.py" --fresh "$fresh_pot" ||
        problems+=("translations are not current")
fi

cleanup

if [[ ${SKIP_WHEEL:-0} != 1 ]]; then
    echo "---- wheel test"
    wheel_start=$(date +%s)
    if "$AF_ROOT/scripts/test-wheel.sh"; then
        passed=$((passed + 1))
    else
        failed=$((failed + 1))
        problems+=("the wheel test failed")
    fi
    wheel_seconds=$(($(date +%s) - wheel_start))
fi

if [[ ${SKIP_LINT:-0} != 1 ]]; then
    echo "---- lint"
    lint_start=$(date +%s)
    make -C "$AF_ROOT" --no-print-directory lint || problems+=("lint failed")
    lint_seconds=$(($(date +%s) - lint_start))
fi

echo "---- summary"
for p in "${problems[@]}"; do echo "FAILED: $p"; done
((${#problems[@]} == 0)) && echo "OK: tests passed"
printf 'Odoo install + tests took %dm%02ds (log: %s)\n' $((seconds / 60)) $((seconds % 60)) "$LOG"
[[ -z ${wheel_seconds:-} ]] || printf 'wheel test took %dm%02ds\n' $((wheel_seconds / 60)) $((wheel_seconds % 60))
[[ -z ${lint_seconds:-} ]] || printf 'lint took %dm%02ds\n' $((lint_seconds / 60)) $((lint_seconds % 60))
echo "$passed passed, $failed failed"
((${#problems[@]} == 0))
