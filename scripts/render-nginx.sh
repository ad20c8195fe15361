#!/usr/bin/env bash
# Render the local/test gateway config from nginx/nginx.dev.conf.template.
set -euo pipefail

usage() {
    cat <<'USAGE'
Usage: scripts/render-nginx.sh LISTEN_PORT API_UPSTREAM PREFIX

Writes PREFIX/nginx.conf: nginx/nginx.dev.conf.template with its placeholders
replaced, plus the shared rule snippets (pricewatch-http.conf,
pricewatch-common.conf) copied beside it, and creates PREFIX/logs and PREFIX/tmp.

  LISTEN_PORT   port the gateway listens on, on 127.0.0.1 (e.g. 8080)
  API_UPSTREAM  the api as host:port (e.g. 127.0.0.1:8000)
  PREFIX        writable directory for the config, pid, temp files and logs

Run it (no root needed):
  nginx -p PREFIX -e PREFIX/logs/error.log -c PREFIX/nginx.conf -g 'daemon off;'
USAGE
}

if [[ $# -ne 3 || $1 == -h || $1 == --help ]]; then
    usage >&2
    exit 2
fi

listen_port=$1
api_upstream=$2
prefix=$3

die() { echo "render-nginx: $*" >&2; exit 2; }

if ! [[ $listen_port =~ ^[0-9]{1,5}$ ]] || ((10#$listen_port < 1 || 10#$listen_port > 65535)); then
    die "LISTEN_PORT must be a port number (1-65535), got '$listen_port'"
fi
if ! [[ $api_upstream =~ ^([A-Za-z0-9._-]+|\[[0-9A-Fa-f:.]+\]):[0-9]{1,5}$ ]]; then
    die "API_UPSTREAM must be host:port (e.g. 127.0.0.1:8000), got '$api_upstream'"
fi

mkdir -p "$prefix"
prefix=$(cd "$prefix" && pwd -P)
# Keeps the value safe inside nginx config and sed without quoting.
if ! [[ $prefix =~ ^/[A-Za-z0-9._/+-]*$ ]]; then
    die "PREFIX may only contain letters, digits and . _ / + - (got '$prefix')"
fi

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)
nginx_dir="$here/../nginx"
template="$nginx_dir/nginx.dev.conf.template"
[[ -f $template ]] || die "template not found: $template"

mkdir -p "$prefix/logs" "$prefix/tmp"
# When nginx starts as root its workers drop to an unprivileged user that
# still needs to reach the temp directories.
chmod 755 "$prefix" "$prefix/tmp"

sed -e "s|\${LISTEN_PORT}|$listen_port|g" \
    -e "s|\${API_UPSTREAM}|$api_upstream|g" \
    -e "s|\${NGINX_PREFIX}|$prefix|g" \
    "$template" >"$prefix/nginx.conf.tmp"

if grep -nE '[$][{][A-Z_]+[}]' "$prefix/nginx.conf.tmp" >&2; then
    rm -f "$prefix/nginx.conf.tmp"
    die "unreplaced placeholder(s) left in the template (above)"
fi
mv "$prefix/nginx.conf.tmp" "$prefix/nginx.conf"
cp "$nginx_dir/pricewatch-http.conf" "$nginx_dir/pricewatch-common.conf" "$prefix/"

echo "$prefix/nginx.conf"
