#!/usr/bin/env bash
# Makes .tools/apprise, a Python venv with Apprise (PyPI), the reference
# notification library the notifier's delivery test compares its requests
# with (services/notifier/tests/delivery.rs). Prints the venv's python.
# Quick when it is already there. The test reads the version from the
# APPRISE_VERSION line below.
set -euo pipefail
cd "$(dirname "$0")/.."
APPRISE_VERSION=2.3.0
venv=.tools/apprise
installed=$("$venv/bin/python" -c 'import apprise; print(apprise.__version__)' 2>/dev/null || true)
if [ "$installed" != "$APPRISE_VERSION" ]; then
  [ -x "$venv/bin/python" ] || python3 -m venv "$venv" >&2
  "$venv/bin/pip" install --quiet "apprise==$APPRISE_VERSION" >&2
fi
echo "$PWD/$venv/bin/python"
