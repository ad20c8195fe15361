#!/usr/bin/env bash
# Proves that scripts/lint.sh fails when a file it guards is broken: in a
# throw-away clone of HEAD (the working tree is never touched), breaks one file
# at a time, runs the lint and expects the named check to fail; then the
# untouched clone must pass. The settings checks have their own:
# scripts/check-settings.sh --self-test.
#
# Usage: scripts/lint/break-each-file.sh     (about a minute per case)
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd -P)
"$root/scripts/lint.sh" --install
clone=$(mktemp -d "${TMPDIR:-/tmp}/pw-break.XXXXXX")
trap 'rm -rf "$clone"' EXIT
git clone -q "$root" "$clone"
ln -s "$root/.tools" "$clone/.tools"
cd "$clone"

status=0
lint_fails_with() { # NAME EXPECTED-CHECK
    local out
    if out=$(scripts/lint.sh 2>&1); then
        echo "FAIL '$1': lint passed"
        status=1
    elif grep -q "^FAIL $2" <<<"$out"; then
        echo "ok   '$1': $(grep -m1 "^FAIL $2" <<<"$out" | cut -c6-)"
    else
        echo "FAIL '$1': lint failed, but not in '$2':"
        grep '^FAIL' <<<"$out" | sed 's/^/     /'
        status=1
    fi
}

if scripts/lint.sh >/dev/null 2>&1; then
    echo "ok   the clone as committed passes"
else
    echo "FAIL the clone as committed does not pass: scripts/lint.sh"
    status=1
fi

# name|file|sed expression|the check that must fail
while IFS='|' read -r name file expr expected; do
    [[ -z $name ]] && continue
    sed -i -e "$expr" "$file"
    if git diff --quiet -- "$file"; then
        echo "FAIL '$name': the sed expression changed nothing in $file"
        status=1
        continue
    fi
    lint_fails_with "$name" "$expected"
    git checkout -q -- "$file"
done <<'CASES'
workflow: misspelt key|.github/workflows/ci.yml|0,/runs-on:/s//run-on:/|actionlint
workflow: unknown job in needs|.github/workflows/ci.yml|s/needs: \[test, docker\]/needs: [test, dockr]/|actionlint
compose prod: unknown depends_on condition|docker-compose.prod.yml|s/condition: service_completed_successfully/condition: service_completed/|docker
compose prod: broken YAML|docker-compose.prod.yml|s/^services:/services/|yamllint
compose dev: image is not a string|docker-compose.dev.yml|s/image: redis:7-alpine/image: [redis]/|docker
Dockerfile: unknown instruction|Dockerfile|s/^FROM rust/FRM rust/|hadolint
Dockerfile: apt-get without -y|Dockerfile|s/apt-get install -y --no-install-recommends/apt-get install --no-install-recommends/|hadolint
chart: template error|deploy/helm/pricewatch/templates/api.yaml|s/"pricewatch.service"/"pricewatch.servce"/|helm
chart: invalid Kubernetes field|deploy/helm/pricewatch/templates/_helpers.tpl|s/revisionHistoryLimit: 5/revisionHistoryLimit: five/|helm
chart: values of the wrong type|deploy/helm/pricewatch/values.yaml|s/^  replicas: 2$/  replicas: two/|helm
chart: KEDA trigger without its queue|deploy/helm/pricewatch/templates/_helpers.tpl|s/queueName:/queue:/|helm
nginx: missing semicolon|nginx/nginx.conf|s/^worker_processes auto;/worker_processes auto/|nginx
shell script: local outside a function|scripts/smoke-test.sh|s/^set -euo pipefail$/set -euo pipefail\nlocal here=1/|shellcheck
YAML: duplicate key|.github/workflows/ci.yml|$a permissions: {}|yamllint
deny.toml: licence no longer allowed|deny.toml|/^    "MIT",$/d|cargo-deny
CASES

exit "$status"
