#!/usr/bin/env bash
# Restart PriceWatch services one at a time, waiting for each to be healthy.
set -euo pipefail

usage() {
    cat <<'USAGE'
Usage: scripts/rolling-restart.sh compose [-f COMPOSE_FILE] [--gateway NAME]
                                          [--timeout SECONDS] [--dry-run] [SERVICE...]
       scripts/rolling-restart.sh k8s [-n NAMESPACE] [--context CONTEXT] [-l SELECTOR]
                                      [--timeout SECONDS] [--dry-run] [DEPLOYMENT...]

compose  Restarts every container of each SERVICE one at a time (`docker
         restart`, SIGTERM then SIGKILL after STOP_TIMEOUT seconds, default 30,
         so workers finish and ack in-flight jobs) and waits until the
         container is healthy again (its Docker healthcheck; or running for 5 s
         when it has none) before the next one. After the api, reloads the
         gateway (`nginx -s reload` in service --gateway, default nginx) so
         it picks up the api's addresses. Default services, in order:
         scraper-worker notifier scheduler api. Compose file default:
         docker-compose.prod.yml at the repository root.
k8s      `kubectl rollout restart` then `kubectl rollout status` for each
         deployment, one after the other. Default: the Helm chart's
         deployments (labels -l SELECTOR, default
         app.kubernetes.io/part-of=pricewatch, and app.kubernetes.io/component)
         in the order scraper-worker, notifier, scheduler, api.

--timeout   seconds to wait for each container/rollout (default 180)
--dry-run   print the commands that change something instead of running them

Stops at the first service that does not come back healthy (exit 1) and
leaves the rest untouched. To deploy a new image instead, see the rollback
and deploy sections of docs/operations.md.
USAGE
}

die() { echo "rolling-restart: $*" >&2; exit 2; }
log() { echo "rolling-restart: $*" >&2; }

[[ $# -ge 1 ]] || { usage >&2; exit 2; }
case $1 in
    -h | --help) usage; exit 0 ;;
    compose | k8s) platform=$1; shift ;;
    *) usage >&2; exit 2 ;;
esac

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)
compose_file="$here/../docker-compose.prod.yml"
gateway=nginx
namespace=""
context=""
selector=app.kubernetes.io/part-of=pricewatch
timeout=180
dry_run=0
targets=()

while [[ $# -gt 0 ]]; do
    case $1 in
        -h | --help) usage; exit 0 ;;
        -f) [[ $# -ge 2 ]] || die "-f needs a compose file"; compose_file=$2; shift ;;
        --gateway) [[ $# -ge 2 ]] || die "--gateway needs a service name"; gateway=$2; shift ;;
        -n | --namespace) [[ $# -ge 2 ]] || die "$1 needs a namespace"; namespace=$2; shift ;;
        --context) [[ $# -ge 2 ]] || die "--context needs a name"; context=$2; shift ;;
        -l | --selector) [[ $# -ge 2 ]] || die "$1 needs a label selector"; selector=$2; shift ;;
        --timeout) [[ $# -ge 2 && $2 =~ ^[1-9][0-9]*$ ]] || die "--timeout needs seconds"; timeout=$2; shift ;;
        --dry-run) dry_run=1 ;;
        -*) usage >&2; exit 2 ;;
        *) targets+=("$1") ;;
    esac
    shift
done

# Commands that change something go through change(); --dry-run prints them.
change() {
    if ((dry_run == 1)); then
        echo "+ $*" >&2
    else
        "$@"
    fi
}

# --- Docker Compose --------------------------------------------------------------------
wait_container() { # container-id name
    local cid=$1 name=$2 deadline=$((SECONDS + timeout)) state health started
    while ((SECONDS < deadline)); do
        read -r state health started < <(docker inspect -f \
            '{{.State.Status}} {{if .State.Health}}{{.State.Health.Status}}{{else}}none{{end}} {{.State.StartedAt}}' "$cid")
        case "$state/$health" in
            running/healthy)
                log "$name is healthy"
                return 0
                ;;
            running/none)
                # No healthcheck: running for 5 s without a restart is the best we know.
                if (($(date +%s) - $(date -d "$started" +%s 2>/dev/null || date +%s) >= 5)); then
                    log "$name is running (it has no healthcheck)"
                    return 0
                fi
                ;;
            running/unhealthy)
                log "$name is unhealthy"
                return 1
                ;;
            running/starting | restarting/* | created/*) ;;
            *)
                log "$name is $state"
                return 1
                ;;
        esac
        sleep 2
    done
    log "$name not healthy after ${timeout} s"
    return 1
}

restart_compose() {
    command -v docker >/dev/null 2>&1 || die "docker not found"
    [[ -f $compose_file ]] || die "compose file not found: $compose_file (use -f)"
    local compose=(docker compose -f "$compose_file")
    ((${#targets[@]} > 0)) || targets=(scraper-worker notifier scheduler api)
    export STOP_TIMEOUT=${STOP_TIMEOUT:-30}

    local service cid name ids
    for service in "${targets[@]}"; do
        mapfile -t ids < <("${compose[@]}" ps -q "$service")
        if ((${#ids[@]} == 0)); then
            log "$service: no running container, skipped"
            continue
        fi
        log "$service: ${#ids[@]} container(s)"
        for cid in "${ids[@]}"; do
            name=$(docker inspect -f '{{.Name}}' "$cid")
            name=${name#/}
            log "restarting $name"
            change docker restart -t "$STOP_TIMEOUT" "$cid" >/dev/null
            if ((dry_run == 0)) && ! wait_container "$cid" "$name"; then
                log "stopped: $name did not come back; services after it were not restarted"
                docker logs --tail 30 "$cid" >&2 || true
                exit 1
            fi
        done
        if [[ $service == api ]] && [[ -n $("${compose[@]}" ps -q "$gateway") ]]; then
            log "reloading the gateway ($gateway) so it resolves the api again"
            change "${compose[@]}" exec -T "$gateway" sh -c 'nginx -t -q && nginx -s reload'
        fi
    done
    log "done"
}

# --- Kubernetes ----------------------------------------------------------------------------
restart_k8s() {
    command -v kubectl >/dev/null 2>&1 || die "kubectl not found"
    local kubectl=(kubectl)
    [[ -z $context ]] || kubectl+=(--context "$context")
    [[ -z $namespace ]] || kubectl+=(--namespace "$namespace")

    if ((${#targets[@]} == 0)); then
        # The Helm chart's labels: part-of=pricewatch, component=<service>.
        local component names found
        for component in scraper-worker notifier scheduler api; do
            names=$("${kubectl[@]}" get deployments \
                -l "$selector,app.kubernetes.io/component=$component" \
                -o jsonpath='{.items[*].metadata.name}')
            read -r -a found <<<"$names"
            targets+=("${found[@]}")
        done
        ((${#targets[@]} > 0)) || die "no deployment matches '$selector' and a PriceWatch component; name them"
    fi
    local d
    for d in "${targets[@]}"; do
        log "restarting deployment/$d"
        change "${kubectl[@]}" rollout restart "deployment/$d"
        if ((dry_run == 0)) && ! "${kubectl[@]}" rollout status "deployment/$d" --timeout="${timeout}s"; then
            log "stopped: deployment/$d did not become ready; the others were not restarted"
            log "inspect: ${kubectl[*]} describe deployment/$d; roll back: ${kubectl[*]} rollout undo deployment/$d"
            exit 1
        fi
    done
    log "done"
}

case $platform in
    compose) restart_compose ;;
    k8s) restart_k8s ;;
esac
