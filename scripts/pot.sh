#!/usr/bin/env bash
# `make pot`: export the translation template i18n/automation_flow.pot.
# The module is installed, with its demo data (translated too), in a throwaway
# database of the private cluster, its terms are exported with Odoo's --i18n-export (no
# --language: Odoo then writes a template with empty msgstr), and the database
# is dropped. POT_DB=<existing database with the module installed> skips the
# throwaway database.
set -euo pipefail
# shellcheck source=scripts/odoo-env.sh
source "$(dirname "${BASH_SOURCE[0]}")/odoo-env.sh"

af_ensure_odoo
af_ensure_manifest
OUT=$AF_ROOT/i18n/$AF_MODULE.pot

AF_PG_STARTED=0
DB=${POT_DB:-}
DB_CREATED=0
cleanup() {
    set +e
    if ((DB_CREATED)); then af_db_drop "$DB"; fi
    if ((AF_PG_STARTED)); then af_pg_stop; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

af_pg_start
af_odoo_config
if [[ -z $DB ]]; then
    DB=${AF_MODULE}_pot_$(date +%Y%m%d_%H%M%S)_$RANDOM
    DB_CREATED=1
    af_log "installing $AF_MODULE in the throwaway database '$DB'"
    af_odoo -d "$DB" -i "$AF_MODULE" --without-demo= --stop-after-init --no-http \
        --log-level=warn
fi
[[ $(af_module_state "$DB") == installed ]] || af_die "$AF_MODULE is not installed in '$DB'"
mkdir -p "$(dirname "$OUT")"
af_odoo -d "$DB" --i18n-export="$OUT" --modules="$AF_MODULE" --stop-after-init \
    --log-level=warn
af_log "wrote $OUT ($(grep -c '^msgid ' "$OUT") messages)"
