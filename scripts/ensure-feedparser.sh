#!/usr/bin/env bash
# Makes .tools/feedparser, a Python venv with feedparser (PyPI), the reference
# feed parser the api's feed test validates the Atom feed with. Prints the
# venv's python. Quick when it is already there.
set -euo pipefail
cd "$(dirname "$0")/.."
venv=.tools/feedparser
if [ ! -x "$venv/bin/python" ] || ! "$venv/bin/python" -c 'import feedparser' 2>/dev/null; then
  python3 -m venv "$venv" >&2
  "$venv/bin/pip" install -q 'feedparser>=6,<7' >&2
fi
echo "$PWD/$venv/bin/python"
