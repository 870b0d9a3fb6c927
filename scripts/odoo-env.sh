#!/usr/bin/env bash
# Development environment of the automation_flow addon: Odoo 18.0 runtime
# check/install and a private PostgreSQL cluster.
#
# Source it (functions prefixed af_) or call it with a sub-command:
#   scripts/odoo-env.sh check-odoo   # ensure Odoo 18.0 is importable (installs ODOO_SOURCE)
#   scripts/odoo-env.sh start        # create once + start the private cluster, print its port
#   scripts/odoo-env.sh stop         # stop the private cluster
#   scripts/odoo-env.sh status       # where the cluster lives and whether it runs
#   scripts/odoo-env.sh destroy      # stop the cluster and delete its data
#   scripts/odoo-env.sh dropdb DB    # drop a database (and its filestore)
#   scripts/odoo-env.sh psql [DB]    # psql on the private cluster
#   scripts/odoo-env.sh odoo ARGS... # run Odoo against the private cluster
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

af_odoo_help() {
    cat >&2 <<EOF
[$AF_MODULE] FATAL: Odoo 18.0 is not importable by '$AF_PYTHON'.
  Install it once, for instance from Odoo's nightly source archive
      curl -LO https://nightly.odoo.com/18.0/nightly/src/odoo_18.0.latest.tar.gz
      mkdir odoo18 && tar -xzf odoo_18.0.latest.tar.gz -C odoo18 --strip-components=1
  or from a git clone of branch 18.0
      git clone --depth 1 -b 18.0 https://github.com/odoo/odoo.git odoo18
  then
      $AF_PYTHON -m pip install -r odoo18/requirements.txt
      $AF_PYTHON -m pip install -e odoo18
  Or set ODOO_SOURCE to a local source folder, a git URL or a tarball (URL or
  path) and run the command again: it is installed into '$AF_PYTHON' for you,
  e.g.  make test ODOO_SOURCE=/path/to/odoo18
EOF
    exit 1
}

# Print the lines of requirements FILE whose package is not installed
# (environment markers evaluated; versions not compared).
af_missing_requirements() {
    "$AF_PYTHON" - "$1" <<'EOF'
import sys
from importlib import metadata

try:
    from packaging.requirements import Requirement
except ImportError:  # pip always vendors it
    from pip._vendor.packaging.requirements import Requirement

for line in open(sys.argv[1], encoding="utf-8"):
    line = line.split(" #", 1)[0].strip()
    if not line or line.startswith(("#", "-")):
        continue
    try:
        req = Requirement(line)
    except Exception:  # noqa: BLE001 - unparsable line: let pip decide
        print(line)
        continue
    if req.marker and not req.marker.evaluate():
        continue
    try:
        metadata.distribution(req.name)
    except metadata.PackageNotFoundError:
        print(line)
EOF
}

af_install_odoo_from_dir() {
    local src=$1
    [[ -f $src/odoo/release.py ]] || af_die "ODOO_SOURCE: '$src' is not an Odoo source folder (no odoo/release.py)"
    grep -Eq "^version_info = \(18, 0," "$src/odoo/release.py" \
        || af_die "ODOO_SOURCE: '$src' is not Odoo 18.0 ($(grep -m1 '^version_info' "$src/odoo/release.py"))"
    af_log "installing Odoo from $src into $AF_PYTHON (pip install --no-deps -e)"
    "$AF_PYTHON" -m pip install --no-deps -e "$src"
    if [[ -f $src/requirements.txt ]]; then
        local missing=$AF_LOCAL/odoo-requirements-missing.txt
        af_missing_requirements "$src/requirements.txt" >"$missing"
        if [[ -s $missing ]]; then
            af_log "installing Odoo's missing requirements: $(cut -d' ' -f1 "$missing" | tr '\n' ' ')"
            # some are optional (python-ldap needs system headers): go on, the
            # import check below tells whether Odoo runs
            if ! "$AF_PYTHON" -m pip install -r "$missing"; then
                local req
                while IFS= read -r req; do
                    "$AF_PYTHON" -m pip install "$req" \
                        || af_log "warning: could not install '$req' (see above)"
                done <"$missing"
            fi
        fi
    fi
}

af_install_odoo() {
    local source=$1 dest=$AF_LOCAL/odoo-src
    af_mkdir_local
    if [[ -d $source ]]; then
        af_install_odoo_from_dir "$(cd "$source" && pwd -P)"
        return
    fi
    case $source in
        *.tar.gz | *.tgz | *.tar.xz | *.tar.bz2 | *.tar | *.zip)
            local archive=$source
            if [[ $source == http://* || $source == https://* ]]; then
                archive=$AF_LOCAL/odoo-src.${source##*/}
                archive=${archive%%\?*}
                af_log "downloading $source"
                "$AF_PYTHON" -c 'import sys, urllib.request; urllib.request.urlretrieve(sys.argv[1], sys.argv[2])' \
                    "$source" "$archive.part"
                mv "$archive.part" "$archive"
            fi
            [[ -f $archive ]] || af_die "ODOO_SOURCE: no such file '$archive'"
            rm -rf "$dest" "$dest.tmp"
            mkdir -p "$dest.tmp"
            af_log "extracting $archive into $dest"
            "$AF_PYTHON" -c 'import shutil, sys; shutil.unpack_archive(sys.argv[1], sys.argv[2])' \
                "$archive" "$dest.tmp"
            local top
            top=$(dirname "$(find "$dest.tmp" -maxdepth 3 -path '*/odoo/release.py' | head -n1)")
            [[ $top != . ]] || af_die "ODOO_SOURCE: no odoo/release.py inside $archive"
            mv "$(dirname "$top")" "$dest"
            rm -rf "$dest.tmp"
            ;;
        *://* | git@* | *.git)
            if [[ ! -f $dest/odoo/release.py ]]; then
                rm -rf "$dest"
                af_log "cloning $source (branch 18.0) into $dest"
                git clone --depth 1 -b 18.0 "$source" "$dest"
            fi
            ;;
        *) af_die "ODOO_SOURCE='$source' is neither a folder, a git URL nor a tarball" ;;
    esac
    af_install_odoo_from_dir "$dest"
}

af_ensure_odoo() {
    af_odoo_importable && return 0
    [[ -n ${ODOO_SOURCE:-} ]] || af_odoo_help
    af_install_odoo "$ODOO_SOURCE"
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
    "$AF_PYTHON" - "$1" "${2:-127.0.0.1}" <<'EOF'
import socket, sys

first, host = int(sys.argv[1]), sys.argv[2]
for port in [0] if first == 0 else range(first, 65536):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        s.bind((host, port))
    except OSError:
        continue
    else:
        print(s.getsockname()[1])
        sys.exit(0)
    finally:
        s.close()
sys.exit("no free TCP port from %d" % first)
EOF
}

af_port_is_free() { [[ $(af_free_port "$1" "${2:-127.0.0.1}") == "$1" ]]; }

# --------------------------------------------------------- PostgreSQL cluster

af_is_root() { [[ $(id -u) -eq 0 ]]; }

# run a PostgreSQL server program as the postgres OS user when we are root
af_as_pg() {
    if af_is_root; then
        if command -v runuser >/dev/null; then
            (cd / && runuser -u postgres -- "$@")
        else
            local cmd
            printf -v cmd '%q ' "$@"
            (cd / && su postgres -s /bin/sh -c "$cmd")
        fi
    else
        "$@"
    fi
}

af_pg_can_traverse() { af_as_pg test -x "$1" 2>/dev/null; }

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
    for d in /usr/lib/postgresql/15/bin $(ls -d /usr/lib/postgresql/*/bin /usr/pgsql-*/bin 2>/dev/null | sort -V -r); do
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
    if [[ -n ${PG_DIR:-} ]]; then
        AF_PG_BASE=$PG_DIR
    else
        AF_PG_BASE=$AF_LOCAL/pg
        if af_is_root && ! id postgres >/dev/null 2>&1; then
            af_die "running as root but there is no 'postgres' OS user to run PostgreSQL (PostgreSQL refuses root)"
        fi
        if af_is_root && ! af_pg_can_traverse "$AF_LOCAL"; then
            local hash tmp
            hash=$(printf %s "$AF_ROOT" | "$AF_PYTHON" -c 'import hashlib, sys; print(hashlib.sha1(sys.stdin.buffer.read()).hexdigest()[:10])')
            tmp=${TMPDIR:-/tmp}
            af_pg_can_traverse "$tmp" || tmp=/tmp
            AF_PG_BASE=$tmp/$AF_MODULE-pg-$hash
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
    mkdir -p "$AF_PG_BASE"
    chmod 755 "$AF_PG_BASE"
    mkdir -p "$AF_PG_DATA"
    chmod 700 "$AF_PG_DATA"
    [[ $AF_PG_SOCKDIR == /tmp ]] || mkdir -p "$AF_PG_SOCKDIR"
    touch "$AF_PG_LOG"
    if af_is_root; then
        chown postgres: "$AF_PG_BASE" "$AF_PG_DATA" "$AF_PG_LOG"
        [[ $AF_PG_SOCKDIR == /tmp ]] || chown postgres: "$AF_PG_SOCKDIR"
    fi
    local initdb_log=$AF_PG_BASE/initdb.log
    if ! af_as_pg "$bindir/initdb" -D "$AF_PG_DATA" --auth=trust -U odoo -E UTF8 \
        --locale=C.UTF-8 >"$initdb_log" 2>&1; then
        # systems without the C.UTF-8 locale
        rm -rf "${AF_PG_DATA:?}"/*
        af_as_pg "$bindir/initdb" -D "$AF_PG_DATA" --auth=trust -U odoo -E UTF8 \
            --no-locale >"$initdb_log" 2>&1 \
            || {
                cat "$initdb_log" >&2
                af_die "initdb failed (see above)"
            }
    fi
    # a throwaway development cluster: favour speed over durability
    af_as_pg sh -c "cat >> '$AF_PG_DATA/postgresql.conf'" <<EOF

# --- $AF_MODULE development cluster
listen_addresses = '127.0.0.1'
unix_socket_directories = '$AF_PG_SOCKDIR'
fsync = off
synchronous_commit = off
full_page_writes = off
max_connections = 100
EOF
}

# Ensure the cluster exists and runs. Sets PGPORT (exported) and
# AF_PG_STARTED=1 when this call started it.
af_pg_start() {
    af_pg_locate
    local bindir
    bindir=$(af_pg_bindir)
    AF_PG_STARTED=0
    mkdir -p "$AF_LOCAL"
    exec 8>"$AF_LOCAL/pg.lock"
    if command -v flock >/dev/null; then flock 8; fi
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

# af_sql DB SQL: run one statement on the cluster, print the first column of
# each row. DB "postgres" for maintenance statements (run in autocommit).
af_sql() {
    "$AF_PYTHON" - "$PGPORT" "$1" "$2" <<'EOF'
import sys

import psycopg2

port, db, sql = sys.argv[1:]
conn = psycopg2.connect(host="127.0.0.1", port=port, user="odoo", dbname=db)
conn.autocommit = True
with conn.cursor() as cr:
    cr.execute(sql)
    if cr.description:
        for row in cr.fetchall():
            print(row[0])
conn.close()
EOF
}

af_db_exists() {
    [[ -n $(af_sql postgres "SELECT 1 FROM pg_database WHERE datname = '$1'") ]]
}

# state of the module in DB ("" when the database or the module row is missing)
af_module_state() {
    af_db_exists "$1" || return 0
    af_sql "$1" "SELECT state FROM ir_module_module WHERE name = '$AF_MODULE'" 2>/dev/null || true
}

af_db_drop() {
    af_sql postgres "DROP DATABASE IF EXISTS \"$1\" WITH (FORCE)" >/dev/null
    rm -rf "${AF_LOCAL:?}/data/filestore/$1"
}

# ----------------------------------------------------------------- Odoo itself

# .local/addons/automation_flow: the module under its real name, whatever the
# clone's folder is called. It is a folder of symlinks to the top-level entries
# of the repository (hidden ones, scripts/ and bench/ left out), not one
# symlink to the root: that would put .local/addons/automation_flow inside
# itself, and Odoo's translation export walks modules following symlinks.
af_link_module() {
    af_mkdir_local
    local farm=$AF_LOCAL/addons/$AF_MODULE entry name
    mkdir -p "$AF_LOCAL/addons"
    [[ ! -L $farm ]] || rm -f "$farm" # older layout: a single symlink
    mkdir -p "$farm"
    for entry in "$farm"/*; do
        name=${entry##*/}
        if [[ -L $entry ]] && { [[ ! -e $AF_ROOT/$name ]] || af_link_excluded "$name"; }; then
            rm -f "$entry"
        fi
    done
    for entry in "$AF_ROOT"/*; do
        name=${entry##*/}
        af_link_excluded "$name" && continue
        [[ -L $farm/$name ]] || ln -s "$entry" "$farm/$name"
    done
}
af_link_excluded() { [[ $1 == scripts || $1 == bench || $1 == __pycache__ || $1 == "*" ]]; }

# Writes .local/odoo.conf (+ the module link); sets AF_ODOO_CONF, AF_ODOO_CMD
af_odoo_config() {
    af_link_module
    local odoo_dir addons=$AF_LOCAL/addons
    odoo_dir=$("$AF_PYTHON" -c 'import odoo, os; print(os.path.dirname(os.path.realpath(odoo.__file__)))')
    local d
    for d in "$(dirname "$odoo_dir")/addons" "$odoo_dir/addons"; do
        [[ -d $d ]] && addons=$addons,$d
    done
    AF_ODOO_CONF=$AF_LOCAL/odoo.conf
    cat >"$AF_ODOO_CONF" <<EOF
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
EOF
    # how to start Odoo: odoo-bin of a source tree, else the package itself
    if [[ -f $(dirname "$odoo_dir")/odoo-bin ]]; then
        AF_ODOO_CMD=("$AF_PYTHON" "$(dirname "$odoo_dir")/odoo-bin")
    else
        AF_ODOO_CMD=("$AF_PYTHON" -m odoo)
    fi
}

# af_odoo ARGS...: run Odoo with the generated configuration
af_odoo() {
    [[ -n ${AF_ODOO_CONF:-} ]] || af_odoo_config
    TZ=UTC "${AF_ODOO_CMD[@]}" -c "$AF_ODOO_CONF" "$@"
}

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
        dropdb)
            [[ -n ${2:-} ]] || af_die "usage: $0 dropdb DB"
            af_pg_start
            af_db_drop "$2"
            af_log "database '$2' dropped"
            ;;
        psql)
            shift
            af_pg_start
            PGDATABASE=${PGDATABASE:-postgres} exec psql -h 127.0.0.1 -p "$PGPORT" -U odoo "$@"
            ;;
        odoo)
            shift
            af_ensure_odoo
            af_pg_start
            af_odoo "$@"
            ;;
        *)
            sed -n '2,15p' "$0" | sed 's/^# \{0,1\}//'
            exit 2
            ;;
    esac
fi
