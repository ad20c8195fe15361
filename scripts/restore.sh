#!/usr/bin/env bash
# Restore a backup made by scripts/backup.sh into the PriceWatch database.
set -euo pipefail

usage() {
    cat <<'USAGE'
Usage: scripts/restore.sh [--compose | --native] [--yes] [--stop-services]
                          [-f COMPOSE_FILE] [--service NAME] BACKUP.sql.gz

Loads BACKUP (a .sql.gz from scripts/backup.sh, or plain .sql) into the
database in ONE transaction with ON_ERROR_STOP: either the whole backup is
restored or nothing changes. The dump drops and re-creates the tables it
contains, so rows written since the backup are lost.

Where the database is (same as backup.sh):
  --compose   psql inside the compose db container (POSTGRES_USER, POSTGRES_DB,
              default pricewatch)
  --native    psql "$DATABASE_URL"
  default: --native when DATABASE_URL is set, else --compose.

Options:
  --yes             do not ask for confirmation (needed without a terminal)
  --stop-services   compose only: stop api, scheduler, scraper-worker and
                    notifier during the restore and start them afterwards
                    (recommended: nothing writes while the tables are replaced)
  -f COMPOSE_FILE   default: docker-compose.prod.yml at the repository root
  --service NAME    compose service of PostgreSQL (default: db)
On Kubernetes, scale the deployments to 0 first (see docs/operations.md).
USAGE
}

die() { echo "restore: $*" >&2; exit 2; }

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)
mode=""
yes=0
stop_services=0
compose_file="$here/../docker-compose.prod.yml"
service=db
backup=""
app_services=(api scheduler scraper-worker notifier)

while [[ $# -gt 0 ]]; do
    case $1 in
        -h | --help) usage; exit 0 ;;
        --compose) mode=compose ;;
        --native) mode=native ;;
        --yes) yes=1 ;;
        --stop-services) stop_services=1 ;;
        -f) [[ $# -ge 2 ]] || die "-f needs a compose file"; compose_file=$2; shift ;;
        --service) [[ $# -ge 2 ]] || die "--service needs a name"; service=$2; shift ;;
        -*) usage >&2; exit 2 ;;
        *) [[ -z $backup ]] || die "one backup file only"; backup=$1 ;;
    esac
    shift
done

[[ -n $backup ]] || { usage >&2; exit 2; }
[[ -f $backup ]] || die "no such file: $backup"
if [[ $backup == *.gz ]]; then
    gzip -t "$backup" || die "$backup is not a valid gzip file"
fi
trailer=$(gzip -cdf "$backup" | tail -n 5)
if [[ $trailer != *'-- PostgreSQL database dump complete'* ]]; then
    die "$backup is not a complete pg_dump (no 'dump complete' trailer)"
fi

if [[ -z $mode ]]; then
    if [[ -n ${DATABASE_URL:-} ]]; then mode=native; else mode=compose; fi
fi
mask_url() { sed -E 's#(://[^:/@]*):[^@]*@#\1:***@#' <<<"$1"; }

compose=(docker compose -f "$compose_file")
case $mode in
    native)
        [[ -n ${DATABASE_URL:-} ]] || die "--native needs DATABASE_URL"
        command -v psql >/dev/null 2>&1 || die "psql not found (apt-get install postgresql-client)"
        ((stop_services == 0)) || die "--stop-services is for --compose; stop the writers yourself"
        load=(env PGOPTIONS="-c client_min_messages=warning" psql "$DATABASE_URL")
        where=$(mask_url "$DATABASE_URL")
        ;;
    compose)
        [[ -f $compose_file ]] || die "compose file not found: $compose_file (use -f, or --native with DATABASE_URL)"
        command -v docker >/dev/null 2>&1 || die "docker not found"
        load=("${compose[@]}" exec -T -e PGOPTIONS="-c client_min_messages=warning" "$service"
            psql -U "${POSTGRES_USER:-pricewatch}" -d "${POSTGRES_DB:-pricewatch}")
        where="compose service '$service' of $compose_file, database ${POSTGRES_DB:-pricewatch}"
        ;;
esac

echo "restore: $backup -> $where" >&2
if ((yes == 0)); then
    [[ -t 0 ]] || die "not a terminal: pass --yes to confirm"
    read -r -p "This replaces the tables in that database. Type 'restore' to go on: " answer
    [[ $answer == restore ]] || die "cancelled"
fi

restart_services() {
    echo "restore: starting ${app_services[*]}" >&2
    "${compose[@]}" start "${app_services[@]}" >&2
}
if ((stop_services == 1)); then
    echo "restore: stopping ${app_services[*]}" >&2
    "${compose[@]}" stop "${app_services[@]}" >&2
    trap restart_services EXIT
fi

started=$SECONDS
gzip -cdf "$backup" | "${load[@]}" -q -v ON_ERROR_STOP=1 --single-transaction >/dev/null
echo "restore: done in $((SECONDS - started)) s" >&2
