#!/usr/bin/env bash
# Brings PriceWatch's dependencies up: PostgreSQL, Redis and RabbitMQ.
# With a Docker engine: docker compose -f docker-compose.dev.yml up -d.
# Without one: the machine's own servers, started when down and installed with
# apt-get when missing (needs root). Idempotent; safe to run again.
set -euo pipefail
cd "$(dirname "$0")/.."

log() { printf '[deps] %s\n' "$*"; }

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

wait_port() { # name port seconds
  local i
  for ((i = 0; i < $3 * 4; i++)); do
    if port_open "$2"; then return 0; fi
    sleep 0.25
  done
  log "$1 did not come up on port $2 within $3 s"; return 1
}

apt_updated=0
apt_install() {
  if [ "$(id -u)" != 0 ]; then
    log "missing $*: install it (apt-get install $*) or run as root"; exit 1
  fi
  if [ "$apt_updated" = 0 ]; then
    DEBIAN_FRONTEND=noninteractive apt-get update -qq
    apt_updated=1
  fi
  log "installing $*"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}

if [ "${PRICEWATCH_USE_DOCKER:-auto}" != no ] && command -v docker >/dev/null 2>&1 \
   && docker info >/dev/null 2>&1; then
  log "Docker engine answers: starting docker-compose.dev.yml"
  docker compose -f docker-compose.dev.yml up -d --wait
  exit 0
fi

# PostgreSQL
if ! port_open 5432; then
  if ! ls /etc/postgresql/*/main >/dev/null 2>&1; then apt_install postgresql; fi
  version=$(find /etc/postgresql -mindepth 1 -maxdepth 1 -printf '%f\n' | sort -V | tail -n 1)
  log "starting PostgreSQL $version"
  pg_ctlcluster --skip-systemctl-redirect "$version" main start || true
  wait_port PostgreSQL 5432 30
  # Local development trusts loopback connections, as on the CI machines.
  hba="/etc/postgresql/$version/main/pg_hba.conf"
  if ! grep -q '^host all all 127.0.0.1/32 trust' "$hba" 2>/dev/null; then
    sed -i '1i host all all 127.0.0.1/32 trust\nhost all all ::1/128 trust' "$hba"
    pg_ctlcluster --skip-systemctl-redirect "$version" main reload || true
  fi
fi

# Redis
if ! port_open 6379; then
  command -v redis-server >/dev/null 2>&1 || apt_install redis-server
  log "starting Redis"
  mkdir -p /var/lib/redis /var/log/redis 2>/dev/null || true
  redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" --appendonly no \
    --dir /var/lib/redis --logfile /var/log/redis/pricewatch-dev.log
  wait_port Redis 6379 15
fi

# RabbitMQ. An open port is not enough: a broker whose node is up but whose
# application is stopped, or that hangs (say after the disk filled up), accepts
# no AMQP handshake, and every test would wait for it. Ask for the handshake's
# first frame; when it does not come, start the application of a node that
# answers, or kill and start a broker whose node does not.
amqp_answers() { # the server answers "AMQP 0-9-1" with a method frame (type 1)
  timeout 5 bash -c 'exec 3<>/dev/tcp/127.0.0.1/5672 && printf "AMQP\x00\x00\x09\x01" >&3 &&
    head -c 1 <&3 | od -An -tx1' 2>/dev/null | grep -q 01
}
wait_amqp() { # seconds
  local deadline=$((SECONDS + $1))
  while ((SECONDS < deadline)); do
    if amqp_answers; then return 0; fi
    sleep 1
  done
  return 1
}
if ! amqp_answers; then
  command -v rabbitmq-server >/dev/null 2>&1 || apt_install rabbitmq-server
  if timeout 30 rabbitmqctl -q ping >/dev/null 2>&1; then
    # The node answers: its application is stopped or still starting (a
    # broker recovering many queues takes a while). Never restart it: ask
    # it to start (a no-op when it is starting) and wait.
    log "RabbitMQ's node answers but AMQP does not yet: starting its application and waiting"
    timeout 60 rabbitmqctl -q start_app >/dev/null 2>&1 || true
    wait_amqp 180 || { log "RabbitMQ did not answer AMQP on port 5672 within 180 s"; exit 1; }
  else
    # No node answers: a broker that hangs (say after the disk filled up)
    # is killed; then the broker is started.
    if pgrep -f 'beam.*rabbit' >/dev/null; then
      log "RabbitMQ hangs (its node does not answer): killing it"
      pkill -9 -f 'beam.*rabbit' || true
      sleep 2
    fi
    log "starting RabbitMQ"
    rabbitmq-server -detached || true
    wait_amqp 180 || { log "RabbitMQ did not answer AMQP on port 5672 within 180 s"; exit 1; }
  fi
fi

log "PostgreSQL :5432, Redis :6379, RabbitMQ :5672 are up"
