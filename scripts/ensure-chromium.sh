#!/usr/bin/env bash
# Installs Debian's Chromium when it is missing: the renderer drives it
# (RENDERER_CHROMIUM, /usr/bin/chromium by default). Needs root or sudo.
set -euo pipefail
chromium="${RENDERER_CHROMIUM:-/usr/bin/chromium}"
if [ -x "$chromium" ]; then
  exit 0
fi
echo "ensure-chromium: $chromium is missing; installing Debian's chromium package" >&2
if [ "$(id -u)" -eq 0 ]; then
  sudo=()
elif command -v sudo >/dev/null 2>&1; then
  sudo=(sudo)
else
  echo "ensure-chromium: run as root, or install the chromium package yourself" >&2
  exit 1
fi
"${sudo[@]}" apt-get update -qq
DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq --no-install-recommends chromium >/dev/null
[ -x "$chromium" ] || { echo "ensure-chromium: $chromium is still missing" >&2; exit 1; }
