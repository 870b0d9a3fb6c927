#!/usr/bin/env bash
# `make lint`: ruff (lint + format check, .ruff.toml) and pylint with the
# pylint-odoo plugin and OCA's mandatory checks (.pylintrc-mandatory).
# Runs every linter and fails if any of them fails. FIX=1 applies ruff's fixes
# and formatting instead of only checking.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)
MODULE=automation_flow
PYTHON=${PYTHON:-python3}
cd "$ROOT"

rc=0
run() {
    echo "+ ${*/#pylint_odoo/pylint --rcfile=.pylintrc-mandatory $MODULE}"
    "$@" || rc=1
}

command -v ruff >/dev/null || {
    echo "ruff is not installed: $PYTHON -m pip install ruff" >&2
    exit 1
}
if [[ ${FIX:-0} == 1 ]]; then
    run ruff check --fix .
    run ruff format .
else
    run ruff check --no-fix .
    run ruff format --check .
fi

# pylint must see the module as a package named automation_flow, whatever the
# folder of this clone is called: lint it through .local/addons/automation_flow
# (see af_link_module in scripts/odoo-env.sh).
# shellcheck source=scripts/odoo-env.sh
source scripts/odoo-env.sh
af_link_module

run "$PYTHON" scripts/build-readme.py --check
run "$PYTHON" scripts/check-i18n.py

fmt=()
[[ -t 1 ]] || fmt=(--output-format=text)
# shellcheck disable=SC2329 # called through run
pylint_odoo() {
    # its sub-packages are symlinks, which pylint does not enter: name them
    local targets=("$MODULE") d
    for d in .local/addons/"$MODULE"/*/; do
        [[ -f $d/__init__.py ]] && targets+=("$MODULE/$(basename "$d")")
    done
    (cd .local/addons && "$PYTHON" -m pylint --rcfile="$ROOT/.pylintrc-mandatory" \
        "${fmt[@]}" "${targets[@]}")
}
run pylint_odoo

if ((rc)); then
    echo "lint: FAILED"
else
    echo "lint: OK"
fi
exit $rc
