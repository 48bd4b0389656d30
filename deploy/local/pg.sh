#!/usr/bin/env bash
# deploy/local/pg.sh - a private Postgres cluster for one local instance of the suite
# (used by `make run` and by the test harness, so both take the same path).
#
#   pg.sh init   VAR_DIR   create the cluster, role passwords, roles and the database
#                          (does nothing on an existing cluster)
#   pg.sh start  VAR_DIR   start it (pg_ctl -w); prints the postmaster PID
#   pg.sh stop   VAR_DIR   stop it (fast shutdown; SIGKILL by PID if it will not stop)
#   pg.sh status VAR_DIR   "running PID" (exit 0) or "stopped" (exit 3)
#   pg.sh conf   VAR_DIR [-o FILE] [section.key=value ...]
#                          write VAR_DIR/cc.conf (or FILE; mode 0600) for this instance;
#                          extra section.key=value pairs override or add keys
#   pg.sh createdb VAR_DIR NAME   create database NAME owned by cc_admin (if missing)
#   pg.sh dropdb   VAR_DIR NAME   drop it
#   pg.sh psql   VAR_DIR [psql args]  psql as the cluster superuser
#
# Layout: VAR_DIR/pg (data directory), VAR_DIR/run (Postgres and bus sockets),
# VAR_DIR/log/postgres.log, VAR_DIR/secrets/<role>.pw (0600; "postgres" is the superuser).
# Environment: CC_PG_PORT (5432), CC_BIND (127.0.0.1): Postgres listens on the unix
# socket in VAR_DIR/run and on CC_BIND:CC_PG_PORT, scram-sha-256 everywhere.
# For conf also CC_SIP_PORT (5060), CC_HTTP_PORT (8080), CC_RTP_PORTS (20000-29999),
# CC_PG_DB (callcenter). CC_PG_FAST=1 trades durability for speed (tests).
# Postgres refuses to run as root: as root the server runs as the postgres user.
set -euo pipefail

ROLES=(cc_admin cc_sipproxy cc_acdd cc_ivrd cc_recorderd cc_cdrd cc_webd cc_dialerd cc_bi)
# config sections with their own Postgres role ([section] pg_password)
SECTIONS=(sipproxy acdd ivrd recorderd cdrd webd dialerd ccctl)
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)

die() { echo "pg.sh: $*" >&2; exit 1; }

pg_bindir() {
    local d
    d=$(printf '%s\n' /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
    [[ -n "$d" && -x "$d/pg_ctl" ]] || die "no Postgres server found under /usr/lib/postgresql (run deploy/install-deps.sh)"
    echo "$d"
}

IS_ROOT=0
[[ $(id -u) -eq 0 ]] && IS_ROOT=1

# give files to the server's user (only when root: otherwise we are that user)
own_by_server() {
    if [[ $IS_ROOT == 1 ]]; then chown postgres: "$@"; fi
}

# run a server-side command as the cluster's owner
# (from /: the postgres user may not be allowed into the caller's current directory)
as_owner() {
    if [[ $IS_ROOT == 1 ]]; then
        (cd / && runuser -u postgres -- "$@")
    else
        "$@"
    fi
}

setup_paths() {
    [[ -n "${1:-}" ]] || die "usage: pg.sh $CMD VAR_DIR"
    case "$CMD" in
        init|start) mkdir -p "$1" ;;
        *) [[ -d "$1" ]] || { [[ $CMD == status ]] && { echo stopped; exit 3; }
                             [[ $CMD == stop ]] && exit 0
                             die "no instance directory $1"; } ;;
    esac
    VAR=$(cd "$1" && pwd)
    DATA=$VAR/pg
    RUN=$VAR/run
    LOGDIR=$VAR/log
    SECRETS=$VAR/secrets
    LOG=$LOGDIR/postgres.log
    PORT=${CC_PG_PORT:-5432}
    BIND=${CC_BIND:-127.0.0.1}
    BIN=$(pg_bindir)
}

# Directories the server writes must belong to it; the run dir is shared with the
# daemons (bus sockets), which as root can write anywhere.
make_dirs() {
    mkdir -p "$RUN" "$LOGDIR"
    (umask 077; mkdir -p "$SECRETS")
    chmod 0700 "$SECRETS"
    if [[ $IS_ROOT == 1 ]]; then
        getent passwd postgres >/dev/null || die "no 'postgres' user (install the postgresql package)"
        chown postgres: "$RUN"
        chmod 0775 "$RUN"
        touch "$LOG"
        chown postgres: "$LOG"
        if ! runuser -u postgres -- test -w "$RUN"; then
            die "the postgres user cannot reach $RUN (a parent directory is not world-searchable); set CC_VAR_DIR to a directory it can reach, e.g. under /var/tmp"
        fi
    fi
}

password_of() {
    cat "$SECRETS/$1.pw"
}

make_passwords() {
    local role f
    for role in postgres "${ROLES[@]}"; do
        f=$SECRETS/$role.pw
        if [[ ! -s "$f" ]]; then
            (umask 077; head -c 18 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$f")
        fi
        chmod 0600 "$f"
    done
}

superuser_env() {
    export PGHOST=$RUN PGPORT=$PORT PGUSER=postgres PGDATABASE=postgres
    PGPASSWORD=$(password_of postgres)
    export PGPASSWORD
    export PGCONNECT_TIMEOUT=5
    unset PGSERVICE PGSSLMODE || true
}

postmaster_pid() {
    # first line of postmaster.pid, if that process is alive
    local pid
    [[ -f "$DATA/postmaster.pid" ]] || return 1
    pid=$(head -n 1 "$DATA/postmaster.pid" 2>/dev/null || true)
    [[ "$pid" =~ ^[0-9]+$ ]] && kill -0 "$pid" 2>/dev/null || return 1
    echo "$pid"
}

write_instance_conf() {
    local f=$DATA/cc_instance.conf
    {
        echo "# written by deploy/local/pg.sh at every start"
        echo "port = $PORT"
        echo "listen_addresses = '$BIND'"
        echo "unix_socket_directories = '$RUN'"
        echo "unix_socket_permissions = 0777"
        echo "max_connections = 200"
        echo "password_encryption = 'scram-sha-256'"
        if [[ "${CC_PG_FAST:-0}" == 1 ]]; then
            echo "fsync = off"
            echo "synchronous_commit = off"
            echo "full_page_writes = off"
        fi
    } >"$f"
    own_by_server "$f"
    chmod 0600 "$f"
}

cmd_init_cluster() {
    if [[ -f "$DATA/PG_VERSION" ]]; then
        return 0
    fi
    mkdir -p "$DATA"
    [[ -z "$(ls -A "$DATA")" ]] || die "$DATA exists, is not empty and holds no cluster"
    chmod 0700 "$DATA"
    own_by_server "$DATA"
    # initdb reads the superuser password from a file the server user can read
    local pwfile=$DATA.pwfile
    (umask 077; cp "$SECRETS/postgres.pw" "$pwfile")
    own_by_server "$pwfile"
    local nosync=()
    [[ "${CC_PG_FAST:-0}" == 1 ]] && nosync=(--no-sync)
    if ! as_owner "$BIN/initdb" -D "$DATA" -U postgres --pwfile="$pwfile" \
            --auth-local=scram-sha-256 --auth-host=scram-sha-256 \
            -E UTF8 --no-locale "${nosync[@]}" >"$LOGDIR/initdb.log" 2>&1; then
        rm -f "$pwfile"
        cat "$LOGDIR/initdb.log" >&2
        die "initdb failed (log above, also in $LOGDIR/initdb.log)"
    fi
    rm -f "$pwfile"
    cat >"$DATA/pg_hba.conf" <<EOF
# written by deploy/local/pg.sh: passwords (scram) on the socket and on loopback/CC_BIND
local   all   all                  scram-sha-256
host    all   all   127.0.0.1/32   scram-sha-256
host    all   all   ::1/128        scram-sha-256
host    all   all   samenet        scram-sha-256
EOF
    echo "include_if_exists = 'cc_instance.conf'" >>"$DATA/postgresql.conf"
    own_by_server "$DATA/pg_hba.conf" "$DATA/postgresql.conf"
    return 0
}

cmd_start_server() {
    local pid
    if pid=$(postmaster_pid); then
        echo "$pid"
        return 0
    fi
    write_instance_conf
    if ! as_owner "$BIN/pg_ctl" -D "$DATA" -l "$LOG" -w -t 30 start >/dev/null; then
        tail -n 20 "$LOG" >&2 || true
        die "Postgres did not start (port $PORT; log: $LOG)"
    fi
    pid=$(postmaster_pid) || die "Postgres started but postmaster.pid is missing"
    echo "$pid"
}

cmd_stop_server() {
    local pid
    pid=$(postmaster_pid) || return 0
    as_owner "$BIN/pg_ctl" -D "$DATA" -w -t 10 -m fast stop >/dev/null 2>&1 || true
    for _ in $(seq 50); do
        kill -0 "$pid" 2>/dev/null || return 0
        sleep 0.1
    done
    echo "pg.sh: postmaster $pid did not stop, killing it" >&2
    kill -KILL "$pid" 2>/dev/null || true
}

# roles, passwords and the database: done once per cluster and again when the list of
# roles grows (the marker in the data dir holds the list it was done for; roles.sql and
# the database creation are idempotent, so an older cluster just gains the new roles)
setup_cluster() {
    local marker=$DATA/cc_setup_done
    [[ -f "$marker" && "$(cat "$marker")" == "${ROLES[*]}" ]] && return 0
    make_passwords
    superuser_env
    local vars=() role
    for role in "${ROLES[@]}"; do
        vars+=(-v "${role#cc_}_password=$(password_of "$role")")
    done
    local roles_sql=${CC_ROLES_SQL:-$REPO/deploy/sql/roles.sql}
    [[ -f "$roles_sql" ]] || die "$roles_sql is missing"
    "$BIN/psql" -X -q -v ON_ERROR_STOP=1 "${vars[@]}" -f "$roles_sql" >/dev/null \
        || die "$roles_sql failed"
    create_database "${CC_PG_DB:-callcenter}"
    echo "${ROLES[*]}" >"$marker"
    own_by_server "$marker"
    return 0
}

create_database() {
    local db=$1 exists
    [[ "$db" =~ ^[A-Za-z_][A-Za-z0-9_]*$ ]] || die "bad database name '$db'"
    superuser_env
    exists=$("$BIN/psql" -X -tA -v ON_ERROR_STOP=1 -c "SELECT 1 FROM pg_database WHERE datname = '$db'")
    if [[ "$exists" != 1 ]]; then
        "$BIN/psql" -X -q -v ON_ERROR_STOP=1 -c "CREATE DATABASE \"$db\" OWNER cc_admin" >/dev/null
    fi
}

cmd_init() {
    make_dirs
    make_passwords
    cmd_init_cluster
    [[ -f "$DATA/cc_setup_done" && "$(cat "$DATA/cc_setup_done")" == "${ROLES[*]}" ]] && return 0
    local was_running=0
    postmaster_pid >/dev/null && was_running=1
    cmd_start_server >/dev/null
    # a failed setup must not leave a server behind that init started
    [[ $was_running == 1 ]] || trap cmd_stop_server EXIT
    setup_cluster
    if [[ $was_running == 0 ]]; then
        trap - EXIT
        cmd_stop_server
    fi
}

cmd_start() {
    [[ -f "$DATA/PG_VERSION" ]] || die "no cluster in $DATA: run 'pg.sh init $VAR' first"
    make_dirs
    cmd_start_server
    setup_cluster
}

cmd_status() {
    local pid
    if pid=$(postmaster_pid); then
        echo "running $pid"
        return 0
    fi
    echo "stopped"
    return 3
}

# Write VAR_DIR/cc.conf. Extra args section.key=value override/add keys.
cmd_conf() {
    [[ -d "$SECRETS" ]] || die "no secrets in $SECRETS: run 'pg.sh init $VAR' first"
    declare -A val=()
    local order=() sec key kv
    add() { # section key value
        [[ -n "${val[$1.$2]+x}" ]] || order+=("$1.$2")
        val[$1.$2]=$3
    }
    add common var_dir "$VAR"
    add common bind "${CC_BIND:-127.0.0.1}"
    add common sip_port "${CC_SIP_PORT:-5060}"
    add common http_port "${CC_HTTP_PORT:-8080}"
    add common rtp_ports "${CC_RTP_PORTS:-20000-29999}"
    add common pg_host "$RUN"
    add common pg_port "$PORT"
    add common pg_db "${CC_PG_DB:-callcenter}"
    add webd www_dir "$REPO/webd/www"
    for sec in "${SECTIONS[@]}"; do
        local role=cc_$sec
        [[ $sec == ccctl ]] && role=cc_admin
        add "$sec" pg_password "$(password_of "$role")"
    done
    for kv in "$@"; do
        [[ "$kv" =~ ^([a-z0-9_]+)\.([a-z0-9_]+)=(.*)$ ]] || die "bad override '$kv' (want section.key=value)"
        add "${BASH_REMATCH[1]}" "${BASH_REMATCH[2]}" "${BASH_REMATCH[3]}"
    done
    local sections=() s seen
    for kv in "${order[@]}"; do
        s=${kv%%.*}
        seen=0
        for sec in "${sections[@]}"; do [[ $sec == "$s" ]] && seen=1; done
        [[ $seen == 1 ]] || sections+=("$s")
    done
    local tmp=$OUT.tmp.$$
    (
        umask 077
        {
            echo "# cc.conf for the local instance in $VAR, written by deploy/local/pg.sh."
            echo "# Every key and its default: deploy/cc.conf.example."
            for sec in "${sections[@]}"; do
                echo
                echo "[$sec]"
                for kv in "${order[@]}"; do
                    [[ ${kv%%.*} == "$sec" ]] || continue
                    key=${kv#*.}
                    printf '%s = "%s"\n' "$key" "${val[$kv]}"
                done
            done
        } >"$tmp"
    )
    chmod 0600 "$tmp"
    mv -f "$tmp" "$OUT"
}

CMD=${1:-}
[[ $# -gt 0 ]] && shift
case "$CMD" in
    init)     setup_paths "${1:-}"; cmd_init ;;
    start)    setup_paths "${1:-}"; cmd_start ;;
    stop)     setup_paths "${1:-}"; cmd_stop_server ;;
    status)   setup_paths "${1:-}"; cmd_status ;;
    conf)     setup_paths "${1:-}"; shift
              OUT=$VAR/cc.conf
              if [[ "${1:-}" == -o ]]; then
                  [[ -n "${2:-}" ]] || die "conf: -o needs a file"
                  OUT=$2; shift 2
              fi
              cmd_conf "$@" ;;
    createdb) setup_paths "${1:-}"; [[ -n "${2:-}" ]] || die "usage: pg.sh createdb VAR_DIR NAME"
              create_database "$2" ;;
    dropdb)   setup_paths "${1:-}"; [[ -n "${2:-}" ]] || die "usage: pg.sh dropdb VAR_DIR NAME"
              [[ "$2" =~ ^[A-Za-z_][A-Za-z0-9_]*$ ]] || die "bad database name '$2'"
              superuser_env
              "$BIN/psql" -X -q -v ON_ERROR_STOP=1 -c "DROP DATABASE IF EXISTS \"$2\" WITH (FORCE)" >/dev/null ;;
    psql)     setup_paths "${1:-}"; shift; superuser_env; exec "$BIN/psql" -X "$@" ;;
    *)        sed -n '2,22p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2 ;;
esac
