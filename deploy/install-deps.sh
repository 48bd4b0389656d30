#!/usr/bin/env bash
# deploy/install-deps.sh - install the Debian packages the build, `make run` and
# `make test` need, and only those that are missing. Quiet when everything is there.
#   deploy/install-deps.sh           build + run + test packages
#   deploy/install-deps.sh --bench   also the reference servers for `make bench`
# Runs apt-get as root directly, otherwise through sudo; apt-get update at most once.
set -euo pipefail

BUILD_PKGS=(build-essential pkg-config libsofia-sip-ua-dev libzmq3-dev libczmq-dev
            libpq-dev libsrtp2-dev libspeexdsp-dev libjansson-dev libsystemd-dev
            libssl-dev libmicrohttpd-dev)
RUN_PKGS=(postgresql postgresql-client sox espeak-ng)
TEST_PKGS=(sip-tester baresip-core python3 python3-pytest python3-zmq
           python3-psycopg2 procps iproute2 systemd)
BENCH_PKGS=(kamailio kamailio-extra-modules rtpengine)

want=("${BUILD_PKGS[@]}" "${RUN_PKGS[@]}" "${TEST_PKGS[@]}")
for arg in "$@"; do
    case "$arg" in
        --bench) want+=("${BENCH_PKGS[@]}") ;;
        -h|--help) sed -n '2,6p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) echo "install-deps.sh: unknown option '$arg' (try --help)" >&2; exit 2 ;;
    esac
done

if ! command -v dpkg-query >/dev/null 2>&1; then
    echo "install-deps.sh: dpkg-query not found: this script supports Debian/Ubuntu only" >&2
    exit 1
fi

missing=()
for pkg in "${want[@]}"; do
    status=$(dpkg-query -W -f='${db:Status-Abbrev}' "$pkg" 2>/dev/null || true)
    [[ "$status" == ii* ]] || missing+=("$pkg")
done
[[ ${#missing[@]} -eq 0 ]] && exit 0

if [[ $(id -u) -eq 0 ]]; then
    SUDO=()
elif command -v sudo >/dev/null 2>&1; then
    SUDO=(sudo)
else
    echo "install-deps.sh: missing packages (${missing[*]}) and not root, no sudo" >&2
    exit 1
fi

echo "install-deps.sh: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
"${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -qq
"${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
    "${missing[@]}"
