#!/usr/bin/env bash
# deploy/install.sh - install the suite on this host for systemd (what `make install`
# runs after the build). Run as root. Not used by `make run` or the tests.
#
#   binaries     bin/*                  -> $PREFIX/bin (default /usr/local/bin)
#   migrations   deploy/migrations/*.sql -> /usr/share/callcenter/migrations
#   SQL, docs    deploy/sql, README.md, cc.conf.example -> /usr/share/callcenter
#   pages        webd/www               -> /usr/share/callcenter/www
#   units        deploy/systemd/*       -> /etc/systemd/system
#   sysctl       deploy/sysctl.d/*      -> /etc/sysctl.d (applied now)
#   config       /etc/callcenter/cc.conf from the example, only if it does not exist
#   user         system user and group "callcenter"
#
# DESTDIR=/some/root installs into a staging tree (no user, no sysctl, no systemctl).
# Afterwards: create the roles and database (see README.md, "Installing"), put the role
# passwords into /etc/callcenter/cc.conf, `ccctl migrate`, then
# `systemctl enable --now callcenter.target`.
set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
DESTDIR=${DESTDIR:-}
PREFIX=${PREFIX:-/usr/local}
SHARE=/usr/share/callcenter
ETC=/etc/callcenter
UNITDIR=/etc/systemd/system
DAEMONS=(sipproxy mediad acdd ivrd recorderd cdrd webd dialerd)

die() { echo "install.sh: $*" >&2; exit 1; }

[[ -n "$DESTDIR" || $(id -u) -eq 0 ]] || die "run as root (or set DESTDIR for a staging install)"
for prog in "${DAEMONS[@]}" ccctl; do
    [[ -x "$REPO/bin/$prog" ]] || die "bin/$prog is missing: run make first"
done

install -d "$DESTDIR$PREFIX/bin" "$DESTDIR$SHARE/migrations" "$DESTDIR$SHARE/sql" \
    "$DESTDIR$UNITDIR" "$DESTDIR/etc/sysctl.d" "$DESTDIR$ETC"
for prog in "${DAEMONS[@]}" ccctl; do
    install -m 0755 "$REPO/bin/$prog" "$DESTDIR$PREFIX/bin/$prog"
done
install -m 0644 "$REPO"/deploy/migrations/*.sql "$DESTDIR$SHARE/migrations/"
# webd's pages ([webd] www_dir)
install -d "$DESTDIR$SHARE/www/static"
install -m 0644 "$REPO"/webd/www/*.html "$DESTDIR$SHARE/www/"
install -m 0644 "$REPO"/webd/www/static/* "$DESTDIR$SHARE/www/static/"
install -m 0644 "$REPO"/deploy/sql/*.sql "$DESTDIR$SHARE/sql/"
install -m 0644 "$REPO/README.md" "$DESTDIR$SHARE/README.md"
install -m 0644 "$REPO/deploy/cc.conf.example" "$DESTDIR$SHARE/cc.conf.example"
install -m 0644 "$REPO"/deploy/systemd/*.service "$REPO"/deploy/systemd/*.target \
    "$DESTDIR$UNITDIR/"
install -m 0644 "$REPO"/deploy/sysctl.d/*.conf "$DESTDIR/etc/sysctl.d/"

if [[ -z "$DESTDIR" ]] && ! getent passwd callcenter >/dev/null; then
    useradd --system --user-group --home-dir /var/lib/callcenter --no-create-home \
        --shell /usr/sbin/nologin --comment "call-center suite" callcenter
fi

# The config: the example with the paths the units use filled in (the units also set
# CC_VAR_DIR/CC_RUN_DIR, so ccctl and the daemons agree), Postgres over its socket.
conf=$DESTDIR$ETC/cc.conf
if [[ ! -e "$conf" ]]; then
    awk '
        /^\[/ { section = $0 }
        section == "[common]" && /^# var_dir = / { print "var_dir = \"/var/lib/callcenter\""; next }
        section == "[common]" && /^# run_dir = / { print "run_dir = \"/run/callcenter\""; next }
        section == "[common]" && /^# pg_host = / { print "pg_host = \"/var/run/postgresql\""; next }
        { print }
    ' "$REPO/deploy/cc.conf.example" >"$conf"
    chmod 0640 "$conf"
    [[ -z "$DESTDIR" ]] && chgrp callcenter "$conf"
    echo "install.sh: wrote $conf: set each [section] pg_password before starting"
fi

if [[ -z "$DESTDIR" ]]; then
    sysctl -q -p /etc/sysctl.d/60-callcenter.conf || echo "install.sh: sysctl not applied (container?)" >&2
    if [[ -d /run/systemd/system ]]; then
        systemctl daemon-reload
    fi
fi
echo "install.sh: installed into ${DESTDIR:-/} (binaries in $PREFIX/bin)"
