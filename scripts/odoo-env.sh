#!/usr/bin/env bash
# Development environment of the automation_flow addon: Odoo 18.0, a private
# PostgreSQL cluster and the addon under its real name.
#
# Source it (functions prefixed af_) or call it with a sub-command:
#   scripts/odoo-env.sh check-odoo   # ensure Odoo 18.0 is importable (installs ODOO_SOURCE)
#   scripts/odoo-env.sh start        # create once + start the private cluster, print its port
#   scripts/odoo-env.sh stop         # stop the private cluster
#   scripts/odoo-env.sh status       # where the cluster lives and whether it runs
#   scripts/odoo-env.sh destroy      # stop the cluster and delete its data
#   scripts/odoo-env.sh psql [DB]    # psql on the private cluster
#   scripts/odoo-env.sh addons-dir   # link .local/addons/automation_flow, print .local/addons
#   scripts/odoo-env.sh odoo ARGS... # run Odoo on the private cluster, e.g.
#                                    #   odoo shell -d DB, odoo db drop DB, odoo -d DB -u automation_flow
#
# Variables: ODOO_SOURCE, PGPORT, PG_DIR, PG_BINDIR, PYTHON (see readme/INSTALL.md).
set -euo pipefail

AF_MODULE=automation_flow
AF_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)
AF_LOCAL=$AF_ROOT/.local
AF_PYTHON=${PYTHON:-python3}
AF_PG_FIRST_PORT=54329

af_log() { printf '[%s] %s\n' "$AF_MODULE" "$*" >&2; }
af_die() {
    printf '[%s] FATAL: %s\n' "$AF_MODULE" "$*" >&2
    exit 1
}

af_mkdir_local() {
    # .local must be traversable by the postgres OS user when we run as root
    [[ -d $AF_LOCAL ]] || mkdir -m 755 "$AF_LOCAL"
}

# ---------------------------------------------------------------- Odoo runtime

af_odoo_importable() {
    "$AF_PYTHON" -c 'import odoo; assert tuple(odoo.release.version_info[:2]) == (18, 0)' \
        >/dev/null 2>&1
}

# ODOO_SOURCE: an Odoo 18.0 source folder (installed editable with its
# requirements.txt), or anything pip installs: a tarball path or URL, a git URL.
af_ensure_odoo() {
    af_odoo_importable && return 0
    # the wheel's odoo/addons folder hides an Odoo installed with `pip install
    # -e` (setuptools' import finder comes after the folders of sys.path)
    if "$AF_PYTHON" -m pip show -q odoo-addon-automation_flow >/dev/null 2>&1; then
        af_die "odoo-addon-automation_flow is installed in $AF_PYTHON and hides Odoo there: $AF_PYTHON -m pip uninstall odoo-addon-automation_flow"
    fi
    [[ -n ${ODOO_SOURCE:-} ]] || af_die "Odoo 18.0 is not importable by '$AF_PYTHON'.
  Install it once from Odoo's source of branch 18.0 (nightly archive or git clone):
      $AF_PYTHON -m pip install -r odoo18/requirements.txt && $AF_PYTHON -m pip install -e odoo18
  or set ODOO_SOURCE to a source folder, a tarball or a git URL and run the
  command again (e.g. make test ODOO_SOURCE=/path/to/odoo18): it is installed for you."
    if [[ -d $ODOO_SOURCE ]]; then
        af_log "installing Odoo's requirements and Odoo from $ODOO_SOURCE into $AF_PYTHON"
        # python-ldap & co need system headers: an optional requirement that
        # fails is skipped, the import check below says whether Odoo runs
        "$AF_PYTHON" -m pip install -r "$ODOO_SOURCE/requirements.txt" \
            || xargs -a <(grep -Ev '^\s*(#|$)' "$ODOO_SOURCE/requirements.txt") -d '\n' -n1 \
                "$AF_PYTHON" -m pip install || true
        "$AF_PYTHON" -m pip install --no-deps -e "$ODOO_SOURCE"
    else
        af_log "installing Odoo from $ODOO_SOURCE into $AF_PYTHON"
        "$AF_PYTHON" -m pip install "$ODOO_SOURCE"
    fi
    af_odoo_importable || af_die "Odoo 18.0 still not importable after installing ODOO_SOURCE=$ODOO_SOURCE"
}

af_ensure_manifest() {
    [[ -f $AF_ROOT/__manifest__.py ]] \
        || af_die "$AF_ROOT/__manifest__.py does not exist: nothing to install yet"
}

# ----------------------------------------------------------------- free ports

# af_free_port FIRST [HOST]: first TCP port >= FIRST that can be bound on HOST;
# FIRST=0 asks the kernel for any free port.
af_free_port() {
    "$AF_PYTHON" - "$1" "${2:-127.0.0.1}" <<'PY'
import socket, sys

first, host = int(sys.argv[1]), sys.argv[2]
for port in [0] if first == 0 else range(first, 65536):
    with socket.socket() as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind((host, port))
        except OSError:
            continue
        sys.exit(print(s.getsockname()[1]))
sys.exit("no free TCP port from %d" % first)
PY
}

af_port_is_free() { [[ $(af_free_port "$1" "${2:-127.0.0.1}") == "$1" ]]; }

# --------------------------------------------------------- PostgreSQL cluster

af_is_root() { [[ $(id -u) -eq 0 ]]; }

# run a PostgreSQL server program as the postgres OS user when we are root
# (PostgreSQL refuses to run as root)
af_as_pg() {
    if af_is_root; then
        (cd / && runuser -u postgres -- "$@")
    else
        "$@"
    fi
}

af_pg_bindir() {
    if [[ -n ${PG_BINDIR:-} ]]; then
        echo "$PG_BINDIR"
        return
    fi
    if command -v pg_ctl >/dev/null && command -v initdb >/dev/null; then
        dirname "$(command -v pg_ctl)"
        return
    fi
    local d
    # shellcheck disable=SC2012 # plain paths, version-sorted
    for d in $(ls -d /usr/lib/postgresql/*/bin /usr/pgsql-*/bin 2>/dev/null | sort -V -r); do
        if [[ -x $d/pg_ctl && -x $d/initdb ]]; then
            echo "$d"
            return
        fi
    done
    af_die "PostgreSQL server programs (initdb, pg_ctl) not found: install PostgreSQL 15 (Debian: apt-get install postgresql) or set PG_BINDIR"
}

# Sets AF_PG_BASE (cluster folder), AF_PG_DATA, AF_PG_SOCKDIR, AF_PG_LOG
af_pg_locate() {
    [[ -z ${AF_PG_BASE:-} ]] || return 0
    af_mkdir_local
    AF_PG_BASE=${PG_DIR:-$AF_LOCAL/pg}
    if [[ -z ${PG_DIR:-} ]] && af_is_root; then
        id postgres >/dev/null 2>&1 \
            || af_die "running as root but there is no 'postgres' OS user to run PostgreSQL (PostgreSQL refuses root)"
        # a clone in a folder the postgres user cannot enter (a root-owned
        # mktemp -d) keeps its cluster in /tmp
        if ! af_as_pg test -x "$AF_LOCAL" 2>/dev/null; then
            AF_PG_BASE=/tmp/$AF_MODULE-pg-$(printf %s "$AF_ROOT" | sha1sum | cut -c1-10)
            [[ -n ${AF_PG_QUIET:-} ]] \
                || af_log "the postgres user cannot reach $AF_ROOT: cluster placed in $AF_PG_BASE"
        fi
    fi
    AF_PG_DATA=$AF_PG_BASE/data
    AF_PG_LOG=$AF_PG_BASE/postgresql.log
    AF_PG_SOCKDIR=$AF_PG_BASE/socket
    # unix socket paths are limited to 107 bytes ("/.s.PGSQL.65535" is 15)
    if ((${#AF_PG_SOCKDIR} + 15 > 100)); then
        AF_PG_SOCKDIR=/tmp
    fi
}

af_pg_running() {
    af_pg_locate
    [[ -f $AF_PG_DATA/PG_VERSION ]] || return 1
    af_as_pg "$(af_pg_bindir)/pg_ctl" -D "$AF_PG_DATA" status >/dev/null 2>&1
}

af_pg_running_port() { sed -n 4p "$AF_PG_DATA/postmaster.pid"; }

af_pg_init() {
    local bindir=$1
    af_log "creating the private PostgreSQL cluster in $AF_PG_DATA"
    mkdir -p "$AF_PG_DATA"
    chmod 755 "$AF_PG_BASE"
    chmod 700 "$AF_PG_DATA"
    [[ $AF_PG_SOCKDIR == /tmp ]] || mkdir -p "$AF_PG_SOCKDIR"
    touch "$AF_PG_LOG"
    if af_is_root; then
        chown postgres: "$AF_PG_BASE" "$AF_PG_DATA" "$AF_PG_LOG"
        [[ $AF_PG_SOCKDIR == /tmp ]] || chown postgres: "$AF_PG_SOCKDIR"
    fi
    local locale
    for locale in --locale=C.UTF-8 --no-locale; do # no C.UTF-8 on some systems
        rm -rf "${AF_PG_DATA:?}"/*
        if af_as_pg "$bindir/initdb" -D "$AF_PG_DATA" --auth=trust -U odoo -E UTF8 \
            "$locale" >"$AF_PG_BASE/initdb.log" 2>&1; then
            break
        fi
        [[ $locale == --no-locale ]] || continue
        cat "$AF_PG_BASE/initdb.log" >&2
        af_die "initdb failed (see above)"
    done
    # a throwaway development cluster: favour speed over durability
    af_as_pg sh -c "cat >> '$AF_PG_DATA/postgresql.conf'" <<CONF

# --- $AF_MODULE development cluster
listen_addresses = '127.0.0.1'
unix_socket_directories = '$AF_PG_SOCKDIR'
fsync = off
synchronous_commit = off
full_page_writes = off
max_connections = 100
CONF
}

# Ensure the cluster exists and runs. Sets PGPORT (exported) and
# AF_PG_STARTED=1 when this call started it.
af_pg_start() {
    af_pg_locate
    local bindir
    bindir=$(af_pg_bindir)
    AF_PG_STARTED=0
    exec 8>"$AF_LOCAL/pg.lock"
    flock 8
    if af_pg_running; then
        local port
        port=$(af_pg_running_port)
        if [[ -n ${PGPORT:-} && $PGPORT != "$port" ]]; then
            af_log "the cluster already runs on port $port (PGPORT=$PGPORT ignored; 'make stop' first to change it)"
        fi
        export PGPORT=$port
        exec 8>&-
        return 0
    fi
    [[ -f $AF_PG_DATA/PG_VERSION ]] || af_pg_init "$bindir"
    if [[ -n ${PGPORT:-} ]]; then
        af_port_is_free "$PGPORT" || af_die "PGPORT=$PGPORT is already in use on 127.0.0.1"
    else
        PGPORT=$(af_free_port "$AF_PG_FIRST_PORT")
    fi
    export PGPORT
    if ! af_as_pg "$bindir/pg_ctl" -D "$AF_PG_DATA" -l "$AF_PG_LOG" -w -t 60 \
        -o "-p $PGPORT" start >/dev/null 8>&-; then
        tail -n 20 "$AF_PG_LOG" >&2 || true
        af_die "PostgreSQL did not start (log: $AF_PG_LOG)"
    fi
    # shellcheck disable=SC2034 # read by the scripts that source this one
    AF_PG_STARTED=1
    af_log "PostgreSQL $("$bindir/pg_ctl" --version | awk '{print $3}') started on 127.0.0.1:$PGPORT ($AF_PG_DATA)"
    exec 8>&-
}

af_pg_stop() {
    AF_PG_QUIET=1 af_pg_locate
    if af_pg_running; then
        af_as_pg "$(af_pg_bindir)/pg_ctl" -D "$AF_PG_DATA" -m fast -w stop >/dev/null
        af_log "PostgreSQL stopped ($AF_PG_DATA)"
    else
        af_log "PostgreSQL is not running ($AF_PG_DATA)"
    fi
}

af_pg_destroy() {
    af_pg_stop
    if [[ -d $AF_PG_BASE ]]; then
        rm -rf "${AF_PG_BASE:?}"
        af_log "deleted $AF_PG_BASE"
    fi
}

af_pg_status() {
    AF_PG_QUIET=1 af_pg_locate
    if af_pg_running; then
        echo "running on 127.0.0.1:$(af_pg_running_port), data $AF_PG_DATA, log $AF_PG_LOG"
    elif [[ -f $AF_PG_DATA/PG_VERSION ]]; then
        echo "stopped, data $AF_PG_DATA"
    else
        echo "not created yet (would be $AF_PG_DATA)"
    fi
}

af_psql() {
    local psql
    psql=$(command -v psql || echo "$(af_pg_bindir)/psql")
    "$psql" -X -h 127.0.0.1 -p "$PGPORT" -U odoo "$@"
}

# af_sql DB SQL: run one statement, print the first column of each row
af_sql() { af_psql -d "$1" -qAt -v ON_ERROR_STOP=1 -c "$2"; }

af_db_exists() {
    [[ -n $(af_sql postgres "SELECT 1 FROM pg_database WHERE datname = '$1'") ]]
}

# state of the module in DB ("" when the database or the module row is missing)
af_module_state() {
    af_db_exists "$1" || return 0
    af_sql "$1" "SELECT state FROM ir_module_module WHERE name = '$AF_MODULE'" 2>/dev/null || true
}

# ----------------------------------------------------------------- Odoo itself

# The addon's entries, without the repository's tooling: what setup.py puts
# in the wheel.
af_addon_entry() {
    case $1 in
        scripts | bench | build | dist | Makefile | setup.py | pyproject.toml | \
            test-requirements.txt | checklog-odoo.cfg | __pycache__ | *.egg-info | "*") return 1 ;;
    esac
}

# .local/addons/automation_flow: the module under its real name, whatever the
# clone's folder is called, for Odoo and for the linters that read the name
# from the folder. It is a folder of symlinks to the addon's top-level entries,
# not one symlink to the root: that would put .local/addons/automation_flow
# inside itself, and Odoo's translation export walks modules following symlinks.
af_link_module() {
    af_mkdir_local
    local farm=$AF_LOCAL/addons/$AF_MODULE entry name
    mkdir -p "$farm"
    for entry in "$farm"/*; do
        name=${entry##*/}
        if [[ -L $entry ]] && { [[ ! -e $AF_ROOT/$name ]] || ! af_addon_entry "$name"; }; then
            rm -f "$entry"
        fi
    done
    for entry in "$AF_ROOT"/*; do
        name=${entry##*/}
        af_addon_entry "$name" || continue
        [[ -L $farm/$name ]] || ln -s "$entry" "$farm/$name"
    done
}

# Writes .local/odoo.conf (+ the module link); sets AF_ODOO_CONF, AF_ODOO_CMD
af_odoo_config() {
    af_link_module
    local odoo_dir addons=$AF_LOCAL/addons installed
    read -r odoo_dir installed < <("$AF_PYTHON" -c '
import importlib.util, os, odoo
spec = importlib.util.find_spec("odoo.addons.automation_flow")
print(os.path.dirname(os.path.realpath(odoo.__file__)), spec.origin if spec else "")')
    # Odoo looks in its own addons namespace first: an installed wheel would be
    # loaded instead of this clone
    [[ -z $installed || $(realpath "$installed") == "$AF_ROOT"/* ]] || af_die "automation_flow is installed in $AF_PYTHON ($installed), Odoo would load it instead of this clone: $AF_PYTHON -m pip uninstall odoo-addon-automation_flow"
    local d
    for d in "$(dirname "$odoo_dir")/addons" "$odoo_dir/addons"; do
        [[ -d $d ]] && addons=$addons,$d
    done
    AF_ODOO_CONF=$AF_LOCAL/odoo.conf
    cat >"$AF_ODOO_CONF" <<CONF
; generated by scripts/odoo-env.sh on each run: do not edit
[options]
db_host = 127.0.0.1
db_port = $PGPORT
db_user = odoo
db_password = False
addons_path = $addons
data_dir = $AF_LOCAL/data
without_demo = False
http_interface = ${HTTP_INTERFACE:-127.0.0.1}
CONF
    # how to start Odoo: odoo-bin of a source tree, else the package itself
    if [[ -f $(dirname "$odoo_dir")/odoo-bin ]]; then
        AF_ODOO_CMD=("$AF_PYTHON" "$(dirname "$odoo_dir")/odoo-bin")
    else
        AF_ODOO_CMD=("$AF_PYTHON" -m odoo)
    fi
}

# af_odoo [SUBCOMMAND] ARGS...: run Odoo with the generated configuration;
# a sub-command (shell, db, ...) must come before the options
af_odoo() {
    [[ -n ${AF_ODOO_CONF:-} ]] || af_odoo_config
    local command=()
    if [[ $# -gt 0 && $1 != -* ]]; then
        command=("$1")
        shift
    fi
    TZ=UTC "${AF_ODOO_CMD[@]}" "${command[@]}" -c "$AF_ODOO_CONF" "$@"
}

# drop a database and its filestore (Odoo's own `db drop`)
af_db_drop() { af_odoo db drop "$1" >/dev/null 2>&1; }

# ------------------------------------------------------------------------ CLI

if [[ ${BASH_SOURCE[0]} == "$0" ]]; then
    case ${1:-} in
        check-odoo) af_ensure_odoo ;;
        start)
            af_pg_start
            echo "$PGPORT"
            ;;
        stop) af_pg_stop ;;
        status) af_pg_status ;;
        destroy) af_pg_destroy ;;
        psql)
            shift
            af_pg_start
            af_psql -d "${1:-postgres}" "${@:2}"
            ;;
        addons-dir)
            af_link_module
            echo "$AF_LOCAL/addons"
            ;;
        odoo)
            shift
            af_ensure_odoo
            af_pg_start
            af_odoo "$@"
            ;;
        *)
            sed -n '2,16p' "$0" | sed 's/^# \{0,1\}//'
            exit 2
            ;;
    esac
fi
