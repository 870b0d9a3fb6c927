#!/usr/bin/env bash
# `make run`: serve Odoo with automation_flow and its demo data in the
# foreground on http://localhost:$HTTP_PORT (login admin / admin).
# The database (DB, default automation_flow) is created and the module
# installed the first time only; later runs reuse it as is (no -u): update it
# with `make run ODOO_ARGS="-u automation_flow"`. The private PostgreSQL
# cluster keeps running afterwards: `make stop` stops it.
#
# Variables: DB, HTTP_PORT (default 8069, else the next free port),
# HTTP_INTERFACE (default 127.0.0.1), PGPORT, ODOO_ARGS (extra Odoo flags).
set -euo pipefail
# shellcheck source=scripts/odoo-env.sh
source "$(dirname "${BASH_SOURCE[0]}")/odoo-env.sh"

af_ensure_odoo
af_ensure_manifest
DB=${DB:-$AF_MODULE}
[[ $DB =~ ^[A-Za-z0-9_-]+$ ]] || af_die "invalid database name '$DB'"
read -r -a EXTRA_ARGS <<<"${ODOO_ARGS:-}"

af_pg_start
af_odoo_config

state=$(af_module_state "$DB")
if [[ $state != installed ]]; then
    if af_db_exists "$DB"; then
        af_log "database '$DB' exists but $AF_MODULE is not installed (state: '${state:-none}'): installing it"
    else
        af_log "creating database '$DB' with $AF_MODULE and its demo data (first run only, a few minutes)"
    fi
    # an empty --without-demo loads the demo data
    af_odoo -d "$DB" -i "$AF_MODULE" --without-demo= --stop-after-init --no-http
    state=$(af_module_state "$DB")
    [[ $state == installed ]] \
        || af_die "$AF_MODULE could not be installed in '$DB' (state: '${state:-none}'); see the log above"
fi

if [[ -n ${HTTP_PORT:-} ]]; then
    af_port_is_free "$HTTP_PORT" "${HTTP_INTERFACE:-127.0.0.1}" \
        || af_die "HTTP_PORT=$HTTP_PORT is already in use"
else
    HTTP_PORT=$(af_free_port 8069 "${HTTP_INTERFACE:-127.0.0.1}")
fi

action=$(af_sql "$DB" "SELECT 1 FROM ir_model_data WHERE module = '$AF_MODULE' AND name = 'action_automation_flow'")
echo
if [[ -n $action ]]; then
    echo "  ==> Open http://localhost:$HTTP_PORT/odoo/action-$AF_MODULE.action_automation_flow — login admin / admin"
else
    echo "  ==> Open http://localhost:$HTTP_PORT/odoo — login admin / admin — then the Automation menu"
fi
echo "      database '$DB' on PostgreSQL 127.0.0.1:$PGPORT; Ctrl-C stops Odoo, 'make stop' stops PostgreSQL"
echo
exec env TZ=UTC "${AF_ODOO_CMD[@]}" -c "$AF_ODOO_CONF" -d "$DB" --db-filter="^$DB\$" \
    --http-port="$HTTP_PORT" "${EXTRA_ARGS[@]}"
