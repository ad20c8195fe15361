#!/usr/bin/env bash
# Installs Debian's Chromium and ChromeDriver when either is missing: the
# renderer drives Chromium (RENDERER_CHROMIUM, /usr/bin/chromium by default)
# and the web app's browser tests drive it through chromedriver. Needs root or
# sudo.
set -euo pipefail
chromium="${RENDERER_CHROMIUM:-/usr/bin/chromium}"
if [ -x "$chromium" ] && command -v chromedriver >/dev/null 2>&1; then
  exit 0
fi
echo "ensure-chromium: installing Debian's chromium and chromium-driver packages" >&2
if [ "$(id -u)" -eq 0 ]; then
  sudo=()
elif command -v sudo >/dev/null 2>&1; then
  sudo=(sudo)
else
  echo "ensure-chromium: run as root, or install the chromium package yourself" >&2
  exit 1
fi
"${sudo[@]}" apt-get update -qq
DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq --no-install-recommends chromium chromium-driver >/dev/null
[ -x "$chromium" ] || { echo "ensure-chromium: $chromium is still missing" >&2; exit 1; }
command -v chromedriver >/dev/null 2>&1 || { echo "ensure-chromium: chromedriver is still missing" >&2; exit 1; }
