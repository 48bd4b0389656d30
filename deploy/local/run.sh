#!/usr/bin/env bash
# deploy/local/run.sh - run the whole suite locally (what `make run` does after the
# dependency check and the build): a private Postgres under CC_VAR_DIR, migrations,
# demo data, every daemon in the background, a banner saying what to point a softphone
# at; Ctrl-C or SIGTERM stops every daemon (by PID) and Postgres, then exits 0.
# While it runs it supervises the daemons as their systemd units would (Restart=on-failure,
# RestartSec=2): one that exits unexpectedly is started again after 2 s, doubling up to
# 30 s while it keeps failing (back to 2 s once it stayed up a minute); exit status 2
# (bad configuration) is not retried, as RestartPreventExitStatus=2 says.
#
# Environment (defaults in brackets); two instances with different values run side by side:
#   CC_VAR_DIR   [<repo>/var]  state: database, sockets, logs, demo credentials
#   CC_BIND      [127.0.0.1]   address SIP, HTTP, RTP and Postgres (TCP) listen on
#   CC_SIP_PORT  [5060]   CC_HTTP_PORT [8080]   CC_RTP_PORTS [20000-29999]
#   CC_SIP_TLS_PORT [5061]  SIP over TLS, with a local CA and certificate made in var/tls
#   CC_PG_PORT   [5432, or the next free port when 5432 is taken]
#   CC_BIN_DIR   [<repo>/bin]  where the daemons and ccctl are
set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
PG=$REPO/deploy/local/pg.sh
BIN=${CC_BIN_DIR:-$REPO/bin}
DAEMONS=(sipproxy mediad acdd ivrd recorderd cdrd webd dialerd)
READY_TIMEOUT=${CC_READY_TIMEOUT:-20}

mkdir -p "${CC_VAR_DIR:-$REPO/var}"
CC_VAR_DIR=$(cd "${CC_VAR_DIR:-$REPO/var}" && pwd)
export CC_VAR_DIR
export CC_BIND=${CC_BIND:-127.0.0.1}
export CC_SIP_PORT=${CC_SIP_PORT:-5060}
export CC_HTTP_PORT=${CC_HTTP_PORT:-8080}
export CC_SIP_TLS_PORT=${CC_SIP_TLS_PORT:-5061}
export CC_RTP_PORTS=${CC_RTP_PORTS:-20000-29999}
# not under a service manager here: daemons must not talk to one we might inherit
unset NOTIFY_SOCKET WATCHDOG_USEC WATCHDOG_PID
RUN=$CC_VAR_DIR/run
LOGDIR=$CC_VAR_DIR/log
CCCTL=$BIN/ccctl

# Messages never stop the script: after Ctrl-C the terminal's reader (e.g. `| tee`) may be
# gone, and a failed write must not keep us from stopping what we started.
say() { echo "run.sh: $*" 2>/dev/null || true; }
die() { echo "run.sh: $*" >&2; exit 1; }

for prog in ccctl "${DAEMONS[@]}"; do
    [[ -x "$BIN/$prog" ]] || die "$BIN/$prog is missing: build first (make)"
done

port_in_use() { # TCP port listened on by anyone (any address)
    [[ -n "$(ss -Hltn "sport = :$1" 2>/dev/null)" ]]
}

if [[ -z "${CC_PG_PORT:-}" ]]; then
    CC_PG_PORT=5432
    while port_in_use "$CC_PG_PORT"; do
        CC_PG_PORT=$((CC_PG_PORT + 1))
    done
    [[ $CC_PG_PORT == 5432 ]] || say "port 5432 is taken: Postgres uses port $CC_PG_PORT"
fi
export CC_PG_PORT

declare -A PIDS=() RESTART_AT=() BACKOFF=() STARTED_AT=()
PG_STARTED=0
STOPPING=0
SLEEP_PID=

pid_alive() { kill -0 "$1" 2>/dev/null; }

stop_all() {
    local d pid alive
    [[ -n "$SLEEP_PID" ]] && { kill "$SLEEP_PID" 2>/dev/null || true; }
    for d in "${!PIDS[@]}"; do
        kill -TERM "${PIDS[$d]}" 2>/dev/null || true
    done
    for _ in $(seq 50); do
        alive=0
        for d in "${!PIDS[@]}"; do
            pid_alive "${PIDS[$d]}" && alive=1
        done
        [[ $alive == 0 ]] && break
        sleep 0.1
    done
    for d in "${!PIDS[@]}"; do
        pid=${PIDS[$d]}
        if pid_alive "$pid"; then
            say "$d (pid $pid) did not stop within 5 s: SIGKILL" >&2
            kill -KILL "$pid" 2>/dev/null || true
        fi
        wait "$pid" 2>/dev/null || true
        rm -f "$RUN/$d.pid"
    done
    PIDS=()
    if [[ $PG_STARTED == 1 ]]; then
        "$PG" stop "$CC_VAR_DIR" || true
        PG_STARTED=0
    fi
}

on_signal() {
    [[ $STOPPING == 1 ]] && return
    STOPPING=1
    trap '' PIPE INT
    set +e
    say ""
    say "stopping every daemon and Postgres"
    stop_all
    say "stopped"
    exit 0
}

on_exit() {
    local rc=$?
    [[ $STOPPING == 1 ]] && return
    STOPPING=1
    trap '' PIPE INT
    set +e
    stop_all
    exit $rc
}

trap on_signal INT TERM
trap on_exit EXIT

# Refuse to start over a running instance in the same directory.
mkdir -p "$RUN" "$LOGDIR"
for d in "${DAEMONS[@]}"; do
    f=$RUN/$d.pid
    if [[ -f "$f" ]]; then
        pid=$(cat "$f" 2>/dev/null || true)
        if [[ "$pid" =~ ^[0-9]+$ ]] && pid_alive "$pid" \
                && [[ "$(cat /proc/"$pid"/comm 2>/dev/null)" == "${d:0:15}" ]]; then
            STOPPING=1
            die "$d is already running (pid $pid) in $CC_VAR_DIR: stop that instance first, or set CC_VAR_DIR"
        fi
        rm -f "$f"
    fi
done

# Postgres: a leftover server from a run that died is restarted on the chosen port.
if "$PG" status "$CC_VAR_DIR" >/dev/null 2>&1; then
    say "stopping a Postgres left over in $CC_VAR_DIR"
    "$PG" stop "$CC_VAR_DIR"
fi
say "Postgres: initialising/starting in $CC_VAR_DIR/pg (port $CC_PG_PORT)"
"$PG" init "$CC_VAR_DIR"
PG_STARTED=1
PG_PID=$("$PG" start "$CC_VAR_DIR")
# A local CA and a certificate for SIP over TLS (made once; point phones at var/tls/ca.pem)
TLS=$CC_VAR_DIR/tls
if [[ ! -s "$TLS/sip.pem" || ! -s "$TLS/sip.key" ]]; then
    (umask 077; mkdir -p "$TLS")
    openssl req -x509 -newkey rsa:2048 -nodes -days 825 -subj "/CN=call center local CA" \
        -keyout "$TLS/ca.key" -out "$TLS/ca.pem" 2>/dev/null
    openssl req -newkey rsa:2048 -nodes -subj "/CN=$CC_BIND" -keyout "$TLS/sip.key" \
        -out "$TLS/sip.csr" 2>/dev/null
    printf 'subjectAltName=IP:%s,DNS:localhost\n' "$CC_BIND" >"$TLS/sip.ext"
    openssl x509 -req -in "$TLS/sip.csr" -CA "$TLS/ca.pem" -CAkey "$TLS/ca.key" \
        -CAcreateserial -days 825 -extfile "$TLS/sip.ext" -out "$TLS/sip.pem" 2>/dev/null
    chmod 0600 "$TLS/ca.key" "$TLS/sip.key"
    say "TLS: local CA $TLS/ca.pem and certificate for $CC_BIND made"
fi
"$PG" conf "$CC_VAR_DIR" "sipproxy.tls_port=$CC_SIP_TLS_PORT" "sipproxy.tls_cert=$TLS/sip.pem" \
    "sipproxy.tls_key=$TLS/sip.key"
say "Postgres running (pid $PG_PID); config written to $CC_VAR_DIR/cc.conf"

"$CCCTL" migrate
"$CCCTL" demo seed
# The spoken prompts and hold music (espeak-ng + sox); files already there are kept.
say "prompts: $CC_VAR_DIR/prompts"
"$REPO/deploy/prompts/generate.sh" "$CC_VAR_DIR/prompts" >/dev/null

# Each daemon in a process group of its own (set -m), so a Ctrl-C on the terminal reaches
# only this script, which then stops them in order; the script is the only one to signal.
start_daemon() {
    local d=$1 log=$LOGDIR/$1.log
    echo "---- $(date -u +%FT%TZ) start" >>"$log"
    set -m
    # a simple command run in the background: $! is the daemon itself (no subshell)
    "$BIN/$d" -c "$CC_VAR_DIR/cc.conf" </dev/null >>"$log" 2>&1 &
    PIDS[$d]=$!
    set +m
    STARTED_AT[$d]=$SECONDS
    echo "${PIDS[$d]}" >"$RUN/$d.pid"
}
for d in "${DAEMONS[@]}"; do
    start_daemon "$d"
done

show_failure() { # daemon why
    echo "run.sh: $1 $2; last lines of $LOGDIR/$1.log:" >&2
    tail -n 25 "$LOGDIR/$1.log" | sed "s/^/  $1| /" >&2
}

deadline=$((SECONDS + READY_TIMEOUT))
while :; do
    for d in "${DAEMONS[@]}"; do
        if ! pid_alive "${PIDS[$d]}"; then
            rc=0
            wait "${PIDS[$d]}" || rc=$?
            unset "PIDS[$d]"
            show_failure "$d" "exited during start-up (status $rc)"
            exit 1
        fi
    done
    if "$CCCTL" status >/dev/null 2>&1; then
        break
    fi
    if ((SECONDS >= deadline)); then
        "$CCCTL" status >&2 || true
        # the daemons ccctl does not see as ready (its table: DAEMON STATE READY ...)
        notready=" $("$CCCTL" status 2>/dev/null | awk '$3 != "yes" { printf "%s ", $1 }' || true)"
        for d in "${DAEMONS[@]}"; do
            if [[ "$notready" == *" $d "* ]]; then
                show_failure "$d" "is not ready after ${READY_TIMEOUT} s"
            fi
        done
        exit 1
    fi
    sleep 0.2
done

DOMAIN=${CC_SIP_DOMAIN:-cc.local}
CREDS=$CC_VAR_DIR/demo-credentials.txt

cat <<EOF

==============================================================================
 Call-center suite is running (instance $CC_VAR_DIR)

 Point a softphone at:
   SIP server  $CC_BIND:$CC_SIP_PORT (UDP or TCP), TLS on $CC_BIND:$CC_SIP_TLS_PORT (CA: $TLS/ca.pem)
   Domain      $DOMAIN   (if it does not resolve, use $CC_BIND:$CC_SIP_PORT as outbound proxy)
   Users       extensions 1000-1009, user name = extension, passwords in
               $CREDS
               (1000 is the operator)
 Numbers to dial:
   1000-1009   the demo extensions      500  main IVR
   600         queue "support"          601  queue "sales"
 Also:
   Logs        $LOGDIR/<daemon>.log
   Status      CC_VAR_DIR=$CC_VAR_DIR $CCCTL status
   Postgres    port $CC_PG_PORT, socket in $RUN
EOF
echo "   Wallboard   http://$CC_BIND:$CC_HTTP_PORT/  (logins supervisor and admin: passwords"
echo "               in $CREDS)"
echo " Daemons: $(for d in "${DAEMONS[@]}"; do printf '%s=%s ' "$d" "${PIDS[$d]}"; done)"
echo " Press Ctrl-C to stop."
echo "=============================================================================="

# Wait for a signal; restart daemons that die meanwhile (the others keep running).
while :; do
    sleep 0.5 &
    SLEEP_PID=$!
    wait "$SLEEP_PID" 2>/dev/null || true
    SLEEP_PID=
    for d in "${!PIDS[@]}"; do
        if ! pid_alive "${PIDS[$d]}"; then
            rc=0
            wait "${PIDS[$d]}" 2>/dev/null || rc=$?
            unset "PIDS[$d]"
            rm -f "$RUN/$d.pid"
            if [[ $rc == 2 ]]; then
                show_failure "$d" "refused its configuration (status 2): not restarting it"
                continue
            fi
            delay=${BACKOFF[$d]:-2}
            ((SECONDS - ${STARTED_AT[$d]:-0} >= 60)) && delay=2 # it had been up a while
            show_failure "$d" "exited unexpectedly (status $rc): restarting it in $delay s"
            RESTART_AT[$d]=$((SECONDS + delay))
            BACKOFF[$d]=$((delay * 2 > 30 ? 30 : delay * 2))
        fi
    done
    for d in "${!RESTART_AT[@]}"; do
        if ((SECONDS >= RESTART_AT[$d])); then
            unset "RESTART_AT[$d]"
            start_daemon "$d"
            say "$d restarted (pid ${PIDS[$d]})"
        fi
    done
done
