#!/usr/bin/env bash
# deploy/install-deps.sh - install the Debian packages the build, `make run` and
# `make test` need, and only those that are missing; then the browser tests' node packages
# (npm ci from tests/browser/package-lock.json) if they are not there. Quiet when
# everything is there.
#   deploy/install-deps.sh           build + run + test packages
#   deploy/install-deps.sh --bench   also the reference servers and load tools for `make bench`
# Runs apt-get as root directly, otherwise through sudo; apt-get update at most once.
set -euo pipefail

BUILD_PKGS=(build-essential pkg-config libsofia-sip-ua-dev libzmq3-dev libczmq-dev
            libpq-dev libsrtp2-dev libspeexdsp-dev libjansson-dev libsystemd-dev
            libssl-dev libmicrohttpd-dev libsodium-dev libcurl4-openssl-dev
            libjemalloc-dev)
RUN_PKGS=(postgresql postgresql-client sox espeak-ng)
TEST_PKGS=(sip-tester baresip-core python3 python3-pytest python3-pytest-xdist python3-zmq
           python3-psycopg2 procps iproute2 systemd chromium openssl
           clang-format git clang libclang-rt-14-dev python3-aiosmtpd)
BENCH_PKGS=(kamailio kamailio-extra-modules rtpengine wrk)

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
# node and npm for the browser tests: any install will do (Debian's npm brings nodejs; a
# nodejs from elsewhere that already provides npm conflicts with Debian's npm package)
if ! command -v npm >/dev/null 2>&1; then
    missing+=(npm)
fi

# The browser tests drive Debian's chromium with playwright-core (never a downloaded
# browser), installed from the committed lock file.
npm_ci() {
    local dir
    dir=$(cd "$(dirname "${BASH_SOURCE[0]}")/../tests/browser" && pwd)
    if [[ ! -d "$dir/node_modules/playwright-core" ]] \
            || [[ "$dir/package-lock.json" -nt "$dir/node_modules/.package-lock.json" ]]; then
        echo "install-deps.sh: npm ci in $dir"
        (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error)
    fi
}

if [[ ${#missing[@]} -eq 0 ]]; then
    npm_ci
    exit 0
fi

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
npm_ci
