#!/usr/bin/env bash
# Chaos test of the check pipeline: the real binaries (demo shop,
# api, scheduler, scraper-worker, notifier) on their own database and
# queue/key prefixes, the SMTP sink and a webhook receiver
# (scripts/webhook_sink.py). 2,000 due products (demo-shop items), each
# watched by one of 100 users with a target above the shop's price, so every
# first check triggers one notification. The first 10 users register through
# the api and add two channels, a signed `json://` webhook to the receiver
# and a `mailto://` to their own address: their alerts (200) go out as channel
# deliveries, the others' as the notifier's emails. While the products are
# checked, the scraper-worker is killed with SIGKILL three times and the
# notifier four times, each notifier kill while a delivery is in flight (the
# receiver answers after CHAOS_HOOK_DELAY_MS, so a killed notifier leaves
# requests delivered but unanswered); each is restarted at once, as an
# orchestrator would. RabbitMQ is restarted once (rabbitmqctl
# stop_app/start_app). Then: every product has exactly one price point, every
# notification is 'sent', every delivery is 'sent'; the receiver got every
# webhook delivery, each signature valid, and as many distinct `webhook-id`s
# as alerts, each the id of its delivery (a request sent again after a kill
# carries the id of its first sending); the sink holds one email per
# notification (a channel's email sent again after a kill is the same
# Message-ID; an email of the notifier's own is never sent twice); and every
# service answers /health/ready without having been restarted after the
# broker came back. Loopback only; every wait is bounded.
#
# RabbitMQ is the machine's shared broker: its restart also hits anything else
# using it at that moment (do not run this beside `make test`). A run takes
# about 2 minutes, most of it the notifier's 90 s STALE_CLAIM: rows a killed
# notifier left 'sending' are taken over only then (36 s for deliveries).
#
# Settings: CHAOS_PRODUCTS (2000), CHAOS_USERS (100), CHAOS_CHANNEL_USERS (10),
# CHAOS_HOOK_DELAY_MS (500), CHAOS_SETTLE_SECS (300), CHAOS_RESTART_RABBITMQ
# (1; 0 leaves the broker alone, for a quick run beside other work on this
# machine, never in CI), RABBITMQCTL (the command that reaches the broker,
# default `rabbitmqctl`; CI sets
# `docker compose -f docker-compose.dev.yml exec -T rabbitmq rabbitmqctl`).
set -euo pipefail
cd "$(dirname "$0")/.."
admin_url="${TEST_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/postgres}"
n_products="${CHAOS_PRODUCTS:-2000}"
n_users="${CHAOS_USERS:-100}"
n_channel_users="${CHAOS_CHANNEL_USERS:-10}"
hook_delay_ms="${CHAOS_HOOK_DELAY_MS:-500}"
settle_secs="${CHAOS_SETTLE_SECS:-300}"
restart_rabbitmq="${CHAOS_RESTART_RABBITMQ:-1}"
((n_channel_users <= n_users)) || { echo "CHAOS_CHANNEL_USERS ($n_channel_users) is more than CHAOS_USERS ($n_users)" >&2; exit 2; }
run=$$
# Not pw_test_*: scripts/test.sh drops every pw_test_* database when it starts,
# which would pull this one away from under a chaos run beside a `make test`.
db="pw_chaos_$run"
prefix="pwchaos$run"
domain="chaos-$run-$RANDOM.test"
read -ra rabbitmqctl <<<"${RABBITMQCTL:-rabbitmqctl}"
work=$(mktemp -d)
declare -A pid=() port=()
shop_pid=""
hook_pid=""
notifier_kills=()
rabbit_stopped=0

cleanup() {
  local p q
  for p in "${pid[@]}" $shop_pid $hook_pid; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  if ((rabbit_stopped)); then
    echo "cleanup: starting RabbitMQ again" >&2
    timeout 120 "${rabbitmqctl[@]}" start_app >/dev/null 2>&1 || echo "cleanup: rabbitmqctl start_app FAILED" >&2
  fi
  # The run's queues (quorum queues hold memory and disk until deleted).
  timeout 30 "${rabbitmqctl[@]}" list_queues -q --no-table-headers name 2>/dev/null | grep "^$prefix\." |
    while read -r q; do timeout 10 "${rabbitmqctl[@]}" delete_queue "$q" </dev/null >/dev/null 2>&1 || true; done || true
  psql "$admin_url" -qc "DROP DATABASE IF EXISTS $db WITH (FORCE)" >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
fail() {
  echo "FAIL $*" >&2
  for f in "$work"/*.log; do echo "--- $f"; tail -20 "$f"; done >&2
  exit 1
}
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
sql() { psql "$DATABASE_URL" -XAtq -v ON_ERROR_STOP=1 -c "$1"; }
t0=$SECONDS
elapsed() { echo "$((SECONDS - t0))s $(date -u +%T.%3N)"; }

cargo build -q --bins
scripts/ensure-smtp-sink.sh >/dev/null 2>&1 || fail "no SMTP sink"
if ((restart_rabbitmq)); then
  timeout 30 "${rabbitmqctl[@]}" status >/dev/null 2>&1 || fail "rabbitmqctl cannot reach RabbitMQ (the test restarts it)"
fi
psql "$admin_url" -qc "CREATE DATABASE $db" >/dev/null
export DATABASE_URL="${admin_url%/*}/$db" REDIS_URL=redis://127.0.0.1:6379/0 \
  AMQP_URL='amqp://guest:guest@127.0.0.1:5672/%2f' REDIS_KEY_PREFIX="$prefix" QUEUE_PREFIX="$prefix" \
  SECRET_KEY=chaos-test-secret-key-0123456789abcdefghij ALLOW_LOOPBACK_TARGETS=true \
  SCHEDULER_TICK_SECONDS=1 SCHEDULER_JITTER_SECONDS=0 DOMAIN_MIN_INTERVAL_MS=0 \
  SCRAPER_CONCURRENCY=32 DOMAIN_MAX_CONCURRENCY=64 RESPECT_ROBOTS_TXT=false \
  EMAILS_PER_USER_PER_HOUR=100000 SMTP_HOST=127.0.0.1 SMTP_PORT=1025 RUST_LOG=warn,pricewatch=info \
  CHANNEL_SECRET_KEY=Y2hhb3MtdGVzdC1jaGFubmVsLWtleS0wMTIzNDU2Nzg= AUTH_RATE_LIMIT_PER_MINUTE=100000 \
  DELIVERY_POLL_MS=100 DELIVERY_TIMEOUT_SECONDS=5 DELIVERY_STALE_CLAIM_SECONDS=36 \
  DELIVERIES_PER_CHANNEL_PER_MINUTE=1000
target/debug/pricewatch migrate >/dev/null

# --- services -----------------------------------------------------------------
for s in api scheduler worker notifier; do port[$s]=$(free_port); done
shop_port=$(free_port)
shop="http://127.0.0.1:$shop_port"
start() { # (re)starts one service on its fixed port, logs appended
  case $1 in
    api) API_BIND="127.0.0.1:${port[api]}" target/debug/pricewatch-api >>"$work/api.log" 2>&1 & ;;
    scheduler) SCHEDULER_HEALTH_BIND="127.0.0.1:${port[scheduler]}" target/debug/pricewatch-scheduler >>"$work/scheduler.log" 2>&1 & ;;
    worker) SCRAPER_WORKER_HEALTH_BIND="127.0.0.1:${port[worker]}" target/debug/pricewatch-scraper-worker >>"$work/worker.log" 2>&1 & ;;
    notifier) NOTIFIER_HEALTH_BIND="127.0.0.1:${port[notifier]}" target/debug/pricewatch-notifier >>"$work/notifier.log" 2>&1 & ;;
  esac
  pid[$1]=$!
}
probe() { curl -fsS -m 3 -o /dev/null "http://127.0.0.1:${port[$1]}/health/$2" 2>/dev/null; }
wait_probe() { # service, live|ready, seconds
  local deadline=$((SECONDS + $3))
  while ((SECONDS < deadline)); do
    probe "$1" "$2" && return 0
    kill -0 "${pid[$1]}" 2>/dev/null || fail "$1 exited"
    sleep 0.2
  done
  return 1
}
DEMO_SHOP_BIND="127.0.0.1:$shop_port" DEMO_SHOP_PRODUCTS="$n_products" \
  target/debug/pricewatch-demo-shop >"$work/shop.log" 2>&1 & shop_pid=$!
for s in api worker notifier; do start "$s"; done
for s in api worker notifier; do wait_probe "$s" ready 60 || fail "$s not ready at start"; done
for _ in $(seq 1 100); do curl -fsS -m 3 -o /dev/null "$shop/" 2>/dev/null && break; sleep 0.1; done
hook_port=$(free_port)
echo '{}' >"$work/hook-secrets.json"
: >"$work/hooks.jsonl"
python3 scripts/webhook_sink.py --port "$hook_port" --log "$work/hooks.jsonl" \
  --secrets "$work/hook-secrets.json" --delay-ms "$hook_delay_ms" >"$work/hooks.log" 2>&1 & hook_pid=$!
for _ in $(seq 1 100); do curl -fsS -m 3 -o /dev/null "http://127.0.0.1:$hook_port/" 2>/dev/null && break; sleep 0.1; done
curl -fsS -m 3 -o /dev/null "http://127.0.0.1:$hook_port/" 2>/dev/null || fail "the webhook receiver does not answer"

# --- users with channels, through the api: a webhook and their own address -------
api_call() { # method, path, token ("" for none), JSON body, expected status; prints the body
  local out status
  out=$(curl -sS -m 30 -o - -w '\n%{http_code}' -X "$1" "http://127.0.0.1:${port[api]}$2" \
    -H 'content-type: application/json' ${3:+-H "authorization: Bearer $3"} -d "$4") || fail "$1 $2: no answer"
  status=${out##*$'\n'}
  [[ $status == "$5" ]] || fail "$1 $2: HTTP $status, expected $5: ${out%$'\n'*}"
  printf '%s\n' "${out%$'\n'*}"
}
for ((i = 0; i < n_channel_users; i++)); do
  email="$(printf 'u%04d' "$i")@$domain"
  login=$(jq -nc --arg e "$email" '{email: $e, password: "chaos horse 9"}')
  api_call POST /api/v1/auth/register "" "$login" 201 >/dev/null
  token=$(api_call POST /api/v1/auth/login "" "$login" 200 | jq -r .access_token)
  hook=$(jq -nc --arg u "json://127.0.0.1:$hook_port/${email%@*}" '{url: $u, name: "webhook"}')
  api_call POST /api/v1/channels "$token" "$hook" 201 | jq -r --arg p "/${email%@*}" '[$p, .signing_secret] | @tsv'
  api_call POST /api/v1/channels "$token" "$(jq -nc --arg u "mailto://$email" '{url: $u, name: "email"}')" 201 >/dev/null
done >"$work/hook-secrets.tsv"
jq -Rn '[inputs | split("\t") | {key: .[0], value: .[1]}] | from_entries' <"$work/hook-secrets.tsv" >"$work/hook-secrets.json"
[[ $(jq length "$work/hook-secrets.json") == "$n_channel_users" ]] || fail "expected $n_channel_users webhook secrets"

# --- data: users, due products, watches with a target above the shop price ------
curl -fsS -m 30 "$shop/?format=json&offset=0&limit=1000000" |
  jq -r '.[] | select(.slug | startswith("item-")) | [.slug, .price] | @tsv' >"$work/items.tsv"
[[ $(wc -l <"$work/items.tsv") == "$n_products" ]] || fail "the shop lists $(wc -l <"$work/items.tsv") items, not $n_products"
psql "$DATABASE_URL" -XAtq -1 -v ON_ERROR_STOP=1 >/dev/null <<SQL || fail "inserting the data"
CREATE TEMP TABLE items (slug TEXT PRIMARY KEY, price NUMERIC(14, 4) NOT NULL);
\copy items FROM '$work/items.tsv'
INSERT INTO users (id, email, password_hash)
  SELECT gen_random_uuid(), 'u' || lpad(g::text, 4, '0') || '@$domain', 'not-a-hash'
  FROM generate_series($n_channel_users, $n_users - 1) g;
INSERT INTO products (id, url, host, check_interval_hours, next_check_at)
  SELECT gen_random_uuid(), '$shop/products/' || slug, '127.0.0.1', 6, now() FROM items;
INSERT INTO watches (id, user_id, product_id, target_price, frequency_hours)
  SELECT gen_random_uuid(), u.id, p.id, i.price + 1, 6
  FROM items i
  JOIN products p ON p.url = '$shop/products/' || i.slug
  JOIN users u ON u.email = 'u' || lpad((substr(i.slug, 6)::int % $n_users)::text, 4, '0') || '@$domain';
SQL
[[ $(sql "SELECT count(*) FROM watches") == "$n_products" ]] || fail "expected $n_products watches"
# Alerts that go out as channel deliveries: one webhook request and one email each.
channel_alerts=$(sql "SELECT count(*) FROM watches w WHERE EXISTS (SELECT 1 FROM channels c WHERE c.user_id = w.user_id)")
[[ $(sql "SELECT count(*) FROM channels") == $((2 * n_channel_users)) ]] || fail "expected $((2 * n_channel_users)) channels"
echo "$n_products due products, $n_products watches over $n_users users @$domain, $channel_alerts of them on $n_channel_users users' webhook and email channels (setup $(elapsed))"

# --- chaos while checking -----------------------------------------------------
counts() { sql "SELECT (SELECT count(*) FROM price_history), (SELECT count(*) FROM notifications WHERE status = 'sent')" | tr '|' ' '; }
recorded=0 sent=0 hooks=0
refresh() {
  read -r recorded sent < <(counts)
  hooks=$(wc -l <"$work/hooks.jsonl")
}
# Waits until `recorded`, `sent` or `hooks` (webhook requests received) reaches $2, bounded.
until_count() {
  local deadline=$((SECONDS + 240))
  while ((SECONDS < deadline)); do
    refresh
    ((${!1} >= $2)) && return 0
    sleep 0.2
  done
  fail "$1 stuck below $2 (recorded $recorded, sent $sent, webhook requests $hooks)"
}
kill9() {
  local old=${pid[$1]}
  kill -0 "$old" 2>/dev/null || fail "$1 had exited before its kill"
  kill -9 "$old"
  [[ $1 == notifier ]] && notifier_kills+=("$(date -u +%T.%3N)")
  wait "$old" 2>/dev/null || true
  start "$1"
  refresh
  echo "$(elapsed)  kill -9 $1 (pid $old) and restart: recorded $recorded, sent $sent, webhook requests $hooks"
  wait_probe "$1" live 30 || fail "$1 not live after its restart"
}
# Kills the notifier while it sends a delivery (a claim younger than the
# receiver's delay, so not one a killed notifier left), waiting 30 s at most.
kill9_notifier_mid_delivery() {
  local deadline=$((SECONDS + 30)) in_flight=0
  while ((SECONDS < deadline)); do
    in_flight=$(sql "SELECT count(*) FROM deliveries WHERE status = 'sending'
      AND claimed_at > now() - make_interval(secs => $hook_delay_ms / 1000.0)")
    ((in_flight > 0)) && break
    sleep 0.05
  done
  kill9 notifier
  echo "      $in_flight delivery(ies) in flight at the kill"
  ((in_flight > 0)) && mid_delivery_kills=$((mid_delivery_kills + 1))
  return 0
}
mid_delivery_kills=0
t0=$SECONDS
start scheduler
wait_probe scheduler live 30 || fail "scheduler not live"
step=$((n_products / 20))
until_count recorded $((step * 1)); kill9 worker
until_count sent $((step * 1)); kill9_notifier_mid_delivery
until_count hooks $((channel_alerts / 5)); kill9_notifier_mid_delivery
until_count recorded $((step * 3)); kill9 worker
until_count sent $((step * 3)); kill9_notifier_mid_delivery
until_count recorded $((step * 5))
if ((restart_rabbitmq)); then
  rabbit_stopped=1
  refresh; echo "$(elapsed)  rabbitmqctl stop_app: recorded $recorded, sent $sent"
  timeout 120 "${rabbitmqctl[@]}" stop_app >/dev/null || fail "rabbitmqctl stop_app"
  sleep 3
  timeout 120 "${rabbitmqctl[@]}" start_app >/dev/null || fail "rabbitmqctl start_app"
  rabbit_stopped=0
  refresh; echo "$(elapsed)  rabbitmqctl start_app done: recorded $recorded, sent $sent"
else
  echo "$(elapsed)  RabbitMQ left running (CHAOS_RESTART_RABBITMQ=0)"
fi
rabbit_back=$SECONDS
# The worker and notifier that lived through the restart resume by themselves
# before they are killed again.
r0=$recorded s0=$sent
until_count recorded $((r0 + step * 2 < n_products ? r0 + step * 2 : n_products))
until_count sent $((s0 + step < n_products ? s0 + step : n_products))
echo "$(elapsed)  consuming again after the broker restart: recorded $recorded, sent $sent"
kill9 worker
kill9_notifier_mid_delivery
chaos_end=$SECONDS
echo "$(elapsed)  chaos over"

# --- settle: every product checked once, every notification sent ---------------
deadline=$((SECONDS + settle_secs))
while ((SECONDS < deadline)); do
  refresh
  pending=$(sql "SELECT count(*) FROM notifications WHERE status <> 'sent'")
  unchecked=$(sql "SELECT count(*) FROM products p WHERE NOT EXISTS (SELECT 1 FROM price_history h WHERE h.product_id = p.id)")
  undelivered=$(sql "SELECT count(*) FROM deliveries WHERE status <> 'sent'")
  ((unchecked == 0 && pending == 0 && undelivered == 0 && sent >= n_products)) && break
  sleep 1
done
refresh
echo "$(elapsed)  settled (+$((SECONDS - chaos_end))s after the chaos): recorded $recorded, sent $sent, webhook requests $hooks"

# --- services ready again, none restarted since the broker came back ------------
for s in api scheduler worker notifier; do
  kill -0 "${pid[$s]}" 2>/dev/null || fail "$s exited"
  wait_probe "$s" ready 60 || fail "$s /health/ready not 200 within 60 s (RabbitMQ restarted $((SECONDS - rabbit_back))s ago)"
done
echo "ok   api, scheduler, scraper-worker, notifier /health/ready 200 (api and scheduler never restarted)"

# --- assertions -----------------------------------------------------------------
history=$(sql "SELECT count(*) FROM price_history")
doubled=$(sql "SELECT count(*) FROM (SELECT product_id FROM price_history GROUP BY product_id HAVING count(*) > 1) d")
unchecked=$(sql "SELECT count(*) FROM products p WHERE NOT EXISTS (SELECT 1 FROM price_history h WHERE h.product_id = p.id)")
wrong=$(sql "SELECT count(*) FROM price_history h JOIN products p ON p.id = h.product_id
  JOIN watches w ON w.product_id = p.id WHERE h.amount <> w.target_price - 1")
[[ $history == "$n_products" && $doubled == 0 && $unchecked == 0 ]] ||
  fail "price_history: $history rows (expected $n_products), $doubled products with 2+ rows, $unchecked unchecked"
[[ $wrong == 0 ]] || fail "$wrong recorded prices differ from the shop's"
echo "ok   price_history: $history rows, one per product, each the shop's price"
read -r n_notes n_sent n_retried max_attempts < <(sql "SELECT count(*), count(*) FILTER (WHERE status = 'sent'),
  count(*) FILTER (WHERE attempts > 1), coalesce(max(attempts), 0) FROM notifications" | tr '|' ' ')
per_watch=$(sql "SELECT count(*) FROM (SELECT watch_id FROM notifications GROUP BY watch_id HAVING count(*) > 1) d")
[[ $n_notes == "$n_products" && $per_watch == 0 ]] || fail "notifications: $n_notes rows (expected $n_products), $per_watch watches with 2+"
[[ $n_sent == "$n_products" ]] ||
  fail "notifications: $n_sent sent of $n_notes; $(sql "SELECT string_agg(status || ' ' || n, ', ') FROM (SELECT status, count(*) n FROM notifications GROUP BY status) s")
$(sql "SELECT 'not sent: notification ' || n.id || ' ' || n.status || ', attempts ' || n.attempts || coalesce(', ' || n.last_error, '')
  || coalesce((SELECT string_agg(E'\n  delivery ' || d.id || ' (' || c.kind || ') ' || d.status || ', attempts ' || d.attempts
       || ', claimed ' || coalesce(d.claimed_at::text, '-') || ', sent ' || coalesce(d.sent_at::text, '-')
       || ', next ' || d.next_attempt_at || coalesce(', ' || d.last_error, ''), '' ORDER BY d.created_at)
     FROM deliveries d JOIN channels c ON c.id = d.channel_id WHERE d.notification_id = n.id), '')
  FROM notifications n WHERE n.status <> 'sent' LIMIT 10")"
echo "ok   notifications: $n_notes, one per watch, all sent ($n_retried needed more than one attempt, max $max_attempts)"
handed=$(sql "SELECT count(*) FROM notifications WHERE last_error LIKE 'the notifier stopped after the SMTP server had received%'")
echo "info $handed notification(s) were at the SMTP server when their notifier was killed: recorded sent from handed_over_at, not sent again"

# Channel deliveries: one per alert and channel, every one sent.
read -r n_deliveries n_delivered n_redelivered < <(sql "SELECT count(*), count(*) FILTER (WHERE status = 'sent'),
  count(*) FILTER (WHERE attempts > 1) FROM deliveries" | tr '|' ' ')
channel_notes=$(sql "SELECT count(*) FROM notifications n WHERE EXISTS (SELECT 1 FROM channels c WHERE c.user_id = n.user_id)")
[[ $channel_notes == "$channel_alerts" && $n_deliveries == $((2 * channel_alerts)) ]] ||
  fail "deliveries: $n_deliveries rows for $channel_notes channel alerts (expected $((2 * channel_alerts)) for $channel_alerts)"
[[ $n_delivered == "$n_deliveries" ]] ||
  fail "deliveries: $n_delivered sent of $n_deliveries; $(sql "SELECT string_agg(status || ' ' || n, ', ') FROM (SELECT status, count(*) n FROM deliveries GROUP BY status) s")"
echo "ok   deliveries: $n_deliveries ($channel_alerts alerts x webhook and email), all sent ($n_redelivered claimed more than once)"

# Webhook requests: every delivery arrived, signed, and a request sent again
# carries its delivery's id. Pairs (webhook-id, notification id) as received
# and as the deliveries table has them must be the same set.
jq -r '[.webhook_id, (.notification_id // "?")] | @tsv' "$work/hooks.jsonl" | sort -u >"$work/hook-pairs.got"
sql "SELECT d.id, d.notification_id FROM deliveries d JOIN channels c ON c.id = d.channel_id
  WHERE c.kind = 'webhook'" | tr '|' '\t' | sort >"$work/hook-pairs.want"
n_hook_requests=$(wc -l <"$work/hooks.jsonl")
distinct_ids=$(cut -f1 "$work/hook-pairs.got" | sort -u | wc -l)
unverified=$(jq -s 'map(select(.verified | not)) | length' "$work/hooks.jsonl")
lost=$(comm -13 "$work/hook-pairs.got" "$work/hook-pairs.want" | wc -l)
strays=$(comm -23 "$work/hook-pairs.got" "$work/hook-pairs.want" | wc -l)
echo "info $n_hook_requests webhook requests: $distinct_ids distinct webhook-ids, $((n_hook_requests - distinct_ids)) sent again after a kill (the first 5 below), $unverified with a bad signature"
if ((n_hook_requests > distinct_ids)); then
  jq -r '.webhook_id' "$work/hooks.jsonl" | sort | uniq -d | head -5 | while read -r id; do
    echo "     again: webhook-id $id at $(jq -r --arg id "$id" 'select(.webhook_id == $id) | .at | todate' "$work/hooks.jsonl" | paste -sd' ')"
  done
fi
((unverified == 0)) || fail "$unverified webhook request(s) whose signature does not verify"
((lost == 0 && strays == 0)) || fail "webhooks: $lost deliveries never received, $strays requests under an id or notification the deliveries table does not have"
((distinct_ids == channel_alerts)) || fail "$distinct_ids distinct webhook-ids for $channel_alerts alerts"
echo "ok   webhooks: $distinct_ids distinct webhook-ids for $channel_alerts alerts, each its delivery's, every signature valid"

# Emails to the run's domain: one GET per user. The Message-ID carries the
# notification id, so a duplicate is the same notification sent twice.
emails_by_user() {
  local i
  for ((i = 0; i < n_users; i++)); do
    curl -fsS -m 30 "http://127.0.0.1:8025/api/email?to.address=$(printf 'u%04d' "$i")@$domain" |
      jq -r '.[] | [.to[0].address, (.headers["message-id"] // .messageId // "?" | ltrimstr("<notification-")
        | rtrimstr("@pricewatch>")), .time, .subject] | @tsv'
  done
}
for _ in $(seq 1 30); do
  emails_by_user >"$work/emails.tsv"
  (($(wc -l <"$work/emails.tsv") >= n_products)) && break
  sleep 1
done
sleep 2
emails_by_user >"$work/emails.tsv"
n_emails=$(wc -l <"$work/emails.tsv")
sql "SELECT id FROM notifications" | sort >"$work/notes.ids"
cut -f2 "$work/emails.tsv" | sort -u >"$work/got.ids"
cut -f2 "$work/emails.tsv" | sort | uniq -d >"$work/repeated.ids"
# A channel's email is a delivery: sent again (the same Message-ID) when its
# notifier was killed after the SMTP server took it but before it was
# recorded. The notifier's own emails are never sent twice.
sql "SELECT id FROM notifications n WHERE EXISTS (SELECT 1 FROM channels c WHERE c.user_id = n.user_id)" | sort >"$work/channel-notes.ids"
comm -23 "$work/repeated.ids" "$work/channel-notes.ids" >"$work/dups.ids"
missing=$(comm -23 "$work/notes.ids" "$work/got.ids" | wc -l)
strays=$(comm -13 "$work/notes.ids" "$work/got.ids" | wc -l)
n_dups=$(wc -l <"$work/dups.ids")
# Copies beyond the first of each notification, less those of the notifier's own.
own_copies=$(cut -f2 "$work/emails.tsv" | grep -cxFf "$work/dups.ids" || true)
channel_repeats=$((n_emails - $(wc -l <"$work/got.ids") - (own_copies - n_dups)))
echo "info $n_emails emails to @$domain: $(wc -l <"$work/got.ids") distinct notifications, $n_dups sent more than once by the notifier's own path, $channel_repeats channel email(s) sent again, $missing never emailed, $strays unknown"
if ((n_dups > 0)); then
  echo "DUPLICATE emails (notifier kills at ${notifier_kills[*]}):" >&2
  while read -r id; do
    echo "  notification $id to $(grep -F "	$id	" "$work/emails.tsv" | head -1 | cut -f1,4 | tr '\t' ' ')" >&2
    echo "    received at $(grep -F "	$id	" "$work/emails.tsv" | cut -f3 | paste -sd' '); row: $(sql "SELECT status || ', attempts ' || attempts || ', sent_at ' || sent_at FROM notifications WHERE id = '$id'")" >&2
  done <"$work/dups.ids"
fi
((missing == 0 && strays == 0)) || fail "$missing notifications never emailed, $strays emails for unknown notifications"
((n_dups == 0)) || fail "$n_dups notification(s) emailed twice: the sink had each one (the final '.' of DATA had reached it) when the notifier was killed, but the row had no handed_over_at, so it was sent again once the claim went stale. The notifier writes that mark right after the '.', in the same poll (services/notifier/src/job.rs); a kill between the two is the one way to a duplicate"
[[ $n_emails == $((n_products + channel_repeats)) ]] || fail "$n_emails emails to @$domain, expected $n_products (+ $channel_repeats channel emails sent again)"
echo "ok   $n_emails emails to @$domain, one per notification$( ((channel_repeats)) && echo " and $channel_repeats channel email(s) sent again under the same Message-ID")"
restarts=$( ((restart_rabbitmq)) && echo "1 RabbitMQ restart" || echo "no RabbitMQ restart")
echo "== chaos passed in $(elapsed): $n_products checks, 3 scraper-worker and ${#notifier_kills[@]} notifier kills ($mid_delivery_kills with a delivery in flight), $restarts"
