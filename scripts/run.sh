#!/usr/bin/env bash
# `make run`: serve Odoo with automation_flow, Contacts and the demo data in
# the foreground on http://localhost:$HTTP_PORT (login admin / admin), with a
# local mail catcher (scripts/mail_catcher.py) as the demo's outgoing mail
# server: what Odoo sends lands as .eml files in $MAIL_DIR, listed by
# $MAIL_DIR/index.html; nothing leaves the machine.
# The database (DB, default automation_flow) is created and the modules
# installed the first time only; later runs reuse it as is (no -u): update it
# with `make run ODOO_ARGS="-u automation_flow"`. The private PostgreSQL
# cluster keeps running afterwards: `make stop` stops it; the catcher stops
# with Odoo.
#
# Variables: DB, HTTP_PORT (default 8069, else the next free port),
# HTTP_INTERFACE (default 127.0.0.1), MAIL_PORT (the catcher's SMTP port,
# default 1025, else the next free port), MAIL_DIR (default .local/mails),
# PGPORT, ODOO_ARGS (extra Odoo flags).
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
contacts=$(af_db_exists "$DB" && af_sql "$DB" "SELECT state FROM ir_module_module WHERE name = 'contacts'" 2>/dev/null || true)
if [[ $state != installed || $contacts != installed ]]; then
    if af_db_exists "$DB"; then
        af_log "database '$DB' exists but $AF_MODULE or contacts is not installed (states: '${state:-none}', '${contacts:-none}'): installing them"
    else
        af_log "creating database '$DB' with $AF_MODULE, contacts and the demo data (first run only, a few minutes)"
    fi
    # an empty --without-demo loads the demo data; Contacts is where a
    # contact's journeys are opened from (not a dependency of the module)
    af_odoo -d "$DB" -i "$AF_MODULE,contacts" --without-demo= --stop-after-init --no-http
    state=$(af_module_state "$DB")
    [[ $state == installed ]] \
        || af_die "$AF_MODULE could not be installed in '$DB' (state: '${state:-none}'); see the log above"
fi

# The mail catcher, the demo's outgoing server (ir.mail_server
# automation_flow.demo_mail_server_catcher, pointed at its port)
MAIL_DIR=${MAIL_DIR:-$AF_LOCAL/mails}
if [[ -n ${MAIL_PORT:-} ]]; then
    af_port_is_free "$MAIL_PORT" || af_die "MAIL_PORT=$MAIL_PORT is already in use"
else
    MAIL_PORT=$(af_free_port 1025)
fi
catcher_log=$AF_LOCAL/mail_catcher.log
"$AF_PYTHON" "$AF_ROOT/scripts/mail_catcher.py" --port "$MAIL_PORT" --dir "$MAIL_DIR" >"$catcher_log" 2>&1 &
catcher_pid=$!
trap 'kill "$catcher_pid" 2>/dev/null || true' EXIT
for _ in $(seq 50); do
    grep -q '^listening' "$catcher_log" && break
    kill -0 "$catcher_pid" 2>/dev/null || af_die "the mail catcher did not start: $(cat "$catcher_log")"
    sleep 0.1
done
server=$(af_sql "$DB" "UPDATE ir_mail_server SET smtp_host = '127.0.0.1', smtp_port = $MAIL_PORT
    WHERE id = (SELECT res_id FROM ir_model_data WHERE module = '$AF_MODULE'
                AND name = 'demo_mail_server_catcher' AND model = 'ir.mail_server')
    RETURNING id")

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
if [[ -n $server ]]; then
    echo "  ==> Mails Odoo sends go to the mail catcher on 127.0.0.1:$MAIL_PORT, nowhere else:"
    echo "      one .eml file each in $MAIL_DIR, listed by file://$MAIL_DIR/index.html"
else
    echo "  ==> Mail catcher on 127.0.0.1:$MAIL_PORT ($MAIL_DIR), but this database has no demo"
    echo "      outgoing server: add one for 127.0.0.1:$MAIL_PORT to send to it"
fi
echo
env TZ=UTC "${AF_ODOO_CMD[@]}" -c "$AF_ODOO_CONF" -d "$DB" --db-filter="^$DB\$" \
    --http-port="$HTTP_PORT" "${EXTRA_ARGS[@]}"
