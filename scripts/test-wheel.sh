#!/usr/bin/env bash
# `make test-wheel` (and the end of a full `make test`): build the wheel of
# this clone from a copy in a folder of another name, install it into a fresh
# virtual environment that sees the machine's Odoo (--system-site-packages),
# then install the addon in a throwaway database of the private cluster with
# an addons path of Odoo's own addons only. Fails unless the module ends
# installed, loaded from the wheel, with no ERROR in the log.
set -euo pipefail
# shellcheck source=scripts/odoo-env.sh
source "$(dirname "${BASH_SOURCE[0]}")/odoo-env.sh"

af_ensure_odoo
WORK=$(mktemp -d)
DB=${AF_MODULE}_wheel_$(date +%Y%m%d_%H%M%S)_$RANDOM
AF_PG_STARTED=0
DB_CREATED=0
cleanup() {
    set +e
    ((DB_CREATED)) && TZ=UTC "${ODOO[@]}" db -c "$WORK/odoo.conf" drop "$DB" >/dev/null 2>&1
    ((AF_PG_STARTED)) && af_pg_stop
    rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
start=$(date +%s)

# the files a checkout has (tracked or new, not ignored), in a folder named src
mkdir "$WORK/src"
git -C "$AF_ROOT" ls-files -z -co --exclude-standard \
    | (cd "$AF_ROOT" && tar --null -T - --ignore-failed-read -cf - 2>/dev/null) \
    | tar -C "$WORK/src" -xf -
"$AF_PYTHON" -m pip wheel -q --no-deps -w "$WORK/dist" "$WORK/src"
wheel=$(echo "$WORK"/dist/odoo_addon_automation_flow-*.whl)
[[ -f $wheel ]] || af_die "the build made no odoo_addon_automation_flow wheel"
"$AF_PYTHON" -m venv --system-site-packages "$WORK/venv"
"$WORK/venv/bin/python" -m pip install -q "$wheel"
site=$("$WORK/venv/bin/python" -c 'import sysconfig; print(sysconfig.get_path("purelib"))')
[[ -f $site/odoo/addons/$AF_MODULE/__manifest__.py ]] || af_die "the wheel did not install odoo/addons/$AF_MODULE"
for tooling in scripts bench Makefile setup.py .ci; do
    [[ ! -e $site/odoo/addons/$AF_MODULE/$tooling ]] || af_die "the wheel ships $tooling"
done

af_pg_start
odoo_dir=$("$AF_PYTHON" -c 'import odoo, os; print(os.path.dirname(os.path.realpath(odoo.__file__)))')
addons=$odoo_dir/addons
[[ ! -d $(dirname "$odoo_dir")/addons ]] || addons=$(dirname "$odoo_dir")/addons,$addons
cat >"$WORK/odoo.conf" <<CONF
[options]
db_host = 127.0.0.1
db_port = $PGPORT
db_user = odoo
addons_path = $addons
data_dir = $WORK/data
CONF
if [[ -f $(dirname "$odoo_dir")/odoo-bin ]]; then
    ODOO=("$WORK/venv/bin/python" "$(dirname "$odoo_dir")/odoo-bin")
else
    ODOO=("$WORK/venv/bin/python" -m odoo)
fi
DB_CREATED=1
TZ=UTC "${ODOO[@]}" -c "$WORK/odoo.conf" -d "$DB" -i "$AF_MODULE" --without-demo=all \
    --stop-after-init --no-http >"$WORK/odoo.log" 2>&1 || {
    tail -n 30 "$WORK/odoo.log"
    af_die "Odoo failed to install the addon from the wheel"
}
checklog-odoo -c "$AF_ROOT/checklog-odoo.cfg" "$WORK/odoo.log" || af_die "the install from the wheel logged errors"
# Odoo lists where it looks for addons: the wheel's folder, not this clone
paths=$(grep -m1 ' odoo: addons paths: ' "$WORK/odoo.log")
[[ $paths == *"$site/odoo/addons"* ]] || af_die "Odoo did not look in the wheel's folder: $paths"
[[ $paths != *"$AF_ROOT"* && $paths != *"$(basename "$AF_ROOT")/.local"* ]] || af_die "the clone is on Odoo's addons path: $paths"
state=$(af_module_state "$DB")
[[ $state == installed ]] || af_die "module $AF_MODULE is not installed from the wheel (state: '${state:-none}')"
af_log "wheel test OK: $(basename "$wheel") installed by Odoo from $site in $(($(date +%s) - start))s"
