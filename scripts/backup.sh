#!/usr/bin/env bash
# Back up the PriceWatch PostgreSQL database with pg_dump into a timestamped .sql.gz.
set -euo pipefail

usage() {
    cat <<'USAGE'
Usage: scripts/backup.sh [--compose | --native] [-o DIR] [--keep N]
                         [-f COMPOSE_FILE] [--service NAME]

Dumps the database (pg_dump, plain SQL with DROP ... IF EXISTS, no owners or
grants, so scripts/restore.sh can load it into the same or a fresh database)
into DIR/pricewatch-<db>-<UTC timestamp>.sql.gz (mode 600), written to a
.partial file first and renamed once complete and gzip-verified.

Where the database is:
  --compose   `docker compose -f COMPOSE_FILE exec -T <service> pg_dump ...`
              inside the db container (user POSTGRES_USER, default pricewatch;
              database POSTGRES_DB, default pricewatch)
  --native    `pg_dump "$DATABASE_URL"` from this machine (pg_dump's major
              version must be >= the server's)
  default: --native when DATABASE_URL is set, else --compose.

Options:
  -o DIR            output directory (default: $BACKUP_DIR or ./backups)
  --keep N          then delete all but the N newest backups of this database in DIR
  -f COMPOSE_FILE   default: docker-compose.prod.yml at the repository root
  --service NAME    compose service of PostgreSQL (default: db)

Prints the backup's path on stdout. Restore: scripts/restore.sh FILE.
USAGE
}

die() { echo "backup: $*" >&2; exit 2; }

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)
mode=""
out_dir=${BACKUP_DIR:-backups}
keep=""
compose_file="$here/../docker-compose.prod.yml"
service=db

while [[ $# -gt 0 ]]; do
    case $1 in
        -h | --help) usage; exit 0 ;;
        --compose) mode=compose ;;
        --native) mode=native ;;
        -o) [[ $# -ge 2 ]] || die "-o needs a directory"; out_dir=$2; shift ;;
        --keep) [[ $# -ge 2 && $2 =~ ^[1-9][0-9]*$ ]] || die "--keep needs a positive number"; keep=$2; shift ;;
        -f) [[ $# -ge 2 ]] || die "-f needs a compose file"; compose_file=$2; shift ;;
        --service) [[ $# -ge 2 ]] || die "--service needs a name"; service=$2; shift ;;
        *) usage >&2; exit 2 ;;
    esac
    shift
done

if [[ -z $mode ]]; then
    if [[ -n ${DATABASE_URL:-} ]]; then mode=native; else mode=compose; fi
fi

mask_url() { sed -E 's#(://[^:/@]*):[^@]*@#\1:***@#' <<<"$1"; }

case $mode in
    native)
        [[ -n ${DATABASE_URL:-} ]] || die "--native needs DATABASE_URL"
        command -v pg_dump >/dev/null 2>&1 || die "pg_dump not found (apt-get install postgresql-client)"
        db=${DATABASE_URL##*/}
        db=${db%%\?*}
        dump=(pg_dump "$DATABASE_URL")
        where=$(mask_url "$DATABASE_URL")
        ;;
    compose)
        [[ -f $compose_file ]] || die "compose file not found: $compose_file (use -f, or --native with DATABASE_URL)"
        command -v docker >/dev/null 2>&1 || die "docker not found"
        db=${POSTGRES_DB:-pricewatch}
        dump=(docker compose -f "$compose_file" exec -T "$service"
            pg_dump -U "${POSTGRES_USER:-pricewatch}" -d "$db")
        where="compose service '$service' of $compose_file, database $db"
        ;;
esac
[[ $db =~ ^[A-Za-z0-9_.-]+$ ]] || db=database

umask 077
mkdir -p "$out_dir"
file="$out_dir/pricewatch-$db-$(date -u +%Y%m%dT%H%M%SZ).sql.gz"
partial="$file.partial"
trap 'rm -f "$partial"' EXIT

echo "backup: dumping $where" >&2
started=$SECONDS
"${dump[@]}" --format=plain --no-owner --no-privileges --clean --if-exists | gzip -6 >"$partial"
gzip -t "$partial"
# An empty or truncated dump must not pass for a backup.
# (tail reads the whole stream: no early exit, no SIGPIPE under pipefail)
trailer=$(gzip -cd "$partial" | tail -n 5)
if [[ $trailer != *'-- PostgreSQL database dump complete'* ]]; then
    die "the dump is incomplete (no 'dump complete' trailer); kept nothing"
fi
mv "$partial" "$file"
trap - EXIT
echo "backup: wrote $file ($(du -h "$file" | cut -f1), $((SECONDS - started)) s)" >&2

if [[ -n $keep ]]; then
    mapfile -t old < <(find "$out_dir" -maxdepth 1 -type f -name "pricewatch-$db-*.sql.gz" | sort -r | tail -n +"$((keep + 1))")
    for f in "${old[@]}"; do
        rm -f -- "$f"
        echo "backup: removed old backup $f" >&2
    done
fi

echo "$file"
