#!/usr/bin/env bash
# `nginx -t` on the production gateway config (plain, and with the HTTPS block
# uncommented) and on the rendered dev config.
set -euo pipefail

usage() {
    cat <<'USAGE'
Usage: scripts/check-nginx.sh

Runs `nginx -t` on:
  1. nginx/nginx.conf as shipped;
  2. nginx/nginx.conf with the HTTPS block enabled exactly as the comments say
     (one leading "#" removed between the BEGIN/END HTTPS markers), with a
     throw-away self-signed certificate in ssl/ (skipped without openssl);
  3. nginx/nginx.dev.conf.template rendered by scripts/render-nginx.sh.
nginx resolves upstream host names when it loads a config and `api` only exists
inside compose/Kubernetes, so 1 and 2 test a temporary copy in which only the
upstream line `server api:8000` reads `server 127.0.0.1:8000`, the listen
ports 80/443 read 127.0.0.1:<free port> (nginx -t binds them) and the pid file
is moved into the temp dir with -g; so it also runs without root.
Installs nginx first when missing (scripts/ensure-nginx.sh). Exit 0 when all pass.
USAGE
}

if [[ $# -gt 0 ]]; then
    case $1 in
        -h | --help) usage; exit 0 ;;
        *) usage >&2; exit 2 ;;
    esac
fi

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)
nginx_dir=$(cd "$here/../nginx" && pwd -P)
nginx_bin=$("$here/ensure-nginx.sh")

work=$(mktemp -d "${TMPDIR:-/tmp}/pw-nginx-check.XXXXXX")
trap 'rm -rf "$work"' EXIT

failed=0
check() { # name conf-file prefix [extra nginx args]
    local name=$1 conf=$2 prefix=$3 out
    shift 3
    if out=$("$nginx_bin" -t -q -p "$prefix" -e "$prefix/error.log" -c "$conf" "$@" 2>&1); then
        echo "ok   nginx -t: $name"
    else
        echo "FAIL nginx -t: $name" >&2
        echo "$out" >&2
        failed=1
    fi
}

copy_production() { # dest-dir
    local dest=$1
    mkdir -p "$dest"
    cp "$nginx_dir/pricewatch-http.conf" "$nginx_dir/pricewatch-common.conf" "$dest/"
    if ! grep -q '^ *server api:8000 ' "$nginx_dir/nginx.conf"; then
        echo "check-nginx: nginx.conf has no 'server api:8000' upstream line" >&2
        exit 1
    fi
    # nginx -t binds the listen sockets: keep them on loopback, unprivileged ports.
    sed -e 's/^\( *server \)api:8000 /\1127.0.0.1:8000 /' \
        -e "s/^\\( *#\\{0,1\\} *listen \\)80\\([ ;]\\)/\\1127.0.0.1:$http_port\\2/" \
        -e "s/^\\( *#\\{0,1\\} *listen \\)443\\([ ;]\\)/\\1127.0.0.1:$https_port\\2/" \
        "$nginx_dir/nginx.conf" >"$dest/nginx.conf"
    if grep -nE '^ *#? *listen +(80|443)[ ;]' "$dest/nginx.conf" >&2; then
        echo "check-nginx: a listen line above was not moved to loopback" >&2
        exit 1
    fi
}

free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()' 2>/dev/null ||
        echo $((20000 + RANDOM % 20000))
}
http_port=$(free_port)
https_port=$(free_port)

# 1. production as shipped
copy_production "$work/prod"
# The production config leaves pid to the build default (/run/nginx.pid),
# which `nginx -t` opens; point it into the temp dir so non-root can check.
check "nginx/nginx.conf (api -> 127.0.0.1)" "$work/prod/nginx.conf" "$work/prod" -g "pid $work/prod/nginx.pid;"

# 2. production with HTTPS enabled
if command -v openssl >/dev/null 2>&1; then
    copy_production "$work/https"
    awk '
        /# <<< END HTTPS/ { inside = 0 }
        inside { sub(/#/, "") }
        /# >>> BEGIN HTTPS/ { inside = 1 }
        { print }
    ' "$work/prod/nginx.conf" >"$work/https/nginx.conf"
    if ! grep -q '^ *ssl_certificate ' "$work/https/nginx.conf"; then
        echo "FAIL HTTPS block: nothing was uncommented" >&2
        failed=1
    fi
    mkdir -p "$work/https/ssl"
    openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=pricewatch.example.com \
        -keyout "$work/https/ssl/privkey.pem" -out "$work/https/ssl/fullchain.pem" >/dev/null 2>&1
    check "nginx/nginx.conf with the HTTPS block enabled" "$work/https/nginx.conf" "$work/https" -g "pid $work/https/nginx.pid;"
else
    echo "skip nginx -t with HTTPS enabled: openssl not found"
fi

# 3. dev template, rendered
"$here/render-nginx.sh" 8080 127.0.0.1:8000 "$work/dev" >/dev/null
check "nginx/nginx.dev.conf.template (rendered)" "$work/dev/nginx.conf" "$work/dev"

exit "$failed"
