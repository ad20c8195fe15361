#!/usr/bin/env bash
# Quick health check: GET /health/detailed and summarise it.
set -euo pipefail

usage() {
    cat <<'USAGE'
Usage: scripts/health.sh [--json] [-q] [URL]

Fetches URL/health/detailed (URL defaults to http://localhost:8080, the nginx
gateway; the api itself is http://localhost:8000) and prints one line per
component. A URL that already ends in /health/detailed is used as is.

  --json   print the raw JSON (pretty) instead of the summary
  -q       print nothing, only set the exit status

Exit status: 0 healthy, 1 degraded or unhealthy, 2 unreachable or not the
expected JSON. Needs curl and jq. The api answers within ~3 s whatever is
down; this script gives up after HEALTH_TIMEOUT seconds (default 10).
USAGE
}

json=0
quiet=0
url=""
while [[ $# -gt 0 ]]; do
    case $1 in
        -h | --help) usage; exit 0 ;;
        --json) json=1 ;;
        -q | --quiet) quiet=1 ;;
        -*) usage >&2; exit 2 ;;
        *)
            [[ -z $url ]] || { usage >&2; exit 2; }
            url=$1
            ;;
    esac
    shift
done

for tool in curl jq; do
    if ! command -v "$tool" >/dev/null 2>&1; then
        echo "health: $tool is required" >&2
        exit 2
    fi
done

url=${url:-http://localhost:8080}
url=${url%/}
[[ $url == */health/detailed ]] || url="$url/health/detailed"

body=$(mktemp)
trap 'rm -f "$body"' EXIT

# /health/detailed answers 200 when healthy and 503 when degraded; both carry the JSON.
if ! code=$(curl -sS -o "$body" -w '%{http_code}' --max-time "${HEALTH_TIMEOUT:-10}" \
    -H 'Accept: application/json' "$url" 2>"$body.err"); then
    [[ $quiet == 1 ]] || echo "health: $url unreachable: $(cat "$body.err")" >&2
    rm -f "$body.err"
    exit 2
fi
rm -f "$body.err"

if ! status=$(jq -er '.status | strings' "$body" 2>/dev/null); then
    [[ $quiet == 1 ]] || echo "health: $url answered HTTP $code without the health JSON: $(head -c 300 "$body")" >&2
    exit 2
fi

if [[ $quiet == 0 ]]; then
    if [[ $json == 1 ]]; then
        jq . "$body"
    else
        jq -r --arg code "$code" \
            '"\(.service // "api") \(.version // "?"): \(.status) (HTTP \($code)) at \(.timestamp // "?")"' "$body"
        # One line per component: name, status, then its error or its scalar
        # fields (lists shown as their length).
        jq -r '
            (.components // {}) | to_entries[] |
            [ "  " + .key,
              (.value.status // "?"),
              ( .value.error // .value.message //
                ( .value | to_entries
                  | map(select(.key != "status"))
                  | map(if (.value | type) == "array" then "\(.key)=\(.value | length)"
                        elif (.value | type) == "object" then "\(.key)=\(.value | length)"
                        else "\(.key)=\(.value)" end)
                  | join(" ") ) )
            ] | @tsv
        ' "$body" | if command -v column >/dev/null 2>&1; then column -t -s $'\t'; else cat; fi
    fi
fi

[[ $status == healthy ]]
