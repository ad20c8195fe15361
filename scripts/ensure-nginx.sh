#!/usr/bin/env bash
# Make sure an nginx binary is available; install it with apt-get when missing.
set -euo pipefail

usage() {
    cat <<'USAGE'
Usage: scripts/ensure-nginx.sh

Prints the path of the nginx binary on stdout (messages go to stderr).
Looks on PATH, then /usr/sbin and /usr/local/sbin (and /usr/local/nginx/sbin);
when none is found, installs the distribution package with
`apt-get update && apt-get install nginx` (needs root or passwordless sudo).
On Debian/Ubuntu containers /usr/sbin/policy-rc.d usually keeps the package
from starting the system nginx service; the tests never use that service.
USAGE
}

if [[ $# -gt 0 ]]; then
    case $1 in
        -h | --help) usage; exit 0 ;;
        *) usage >&2; exit 2 ;;
    esac
fi

find_nginx() {
    local candidate
    if candidate=$(command -v nginx 2>/dev/null); then
        echo "$candidate"
        return 0
    fi
    for candidate in /usr/sbin/nginx /usr/local/sbin/nginx /usr/local/nginx/sbin/nginx; do
        if [[ -x $candidate ]]; then
            echo "$candidate"
            return 0
        fi
    done
    return 1
}

if path=$(find_nginx); then
    echo "$path"
    exit 0
fi

if ! command -v apt-get >/dev/null 2>&1; then
    echo "ensure-nginx: nginx is not installed and apt-get is not available; install nginx (>= 1.19.5) by hand" >&2
    exit 1
fi

sudo=()
if [[ $(id -u) -ne 0 ]]; then
    if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
        sudo=(sudo -n)
    else
        echo "ensure-nginx: nginx is missing and installing it needs root: sudo apt-get install nginx" >&2
        exit 1
    fi
fi

echo "ensure-nginx: installing nginx with apt-get" >&2
"${sudo[@]}" apt-get update >&2
"${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends nginx >&2

if path=$(find_nginx); then
    echo "$path"
else
    echo "ensure-nginx: apt-get finished but no nginx binary was found" >&2
    exit 1
fi
