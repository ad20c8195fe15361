#!/usr/bin/env bash
# Benchmark of price extraction (make bench-extract): pages/s, MB/s and peak memory of
#   1. pricewatch_domain::extract,
#   2. html5ever's tokenizer alone with a sink that does nothing (the floor),
#   3. the Python stack other trackers use: BeautifulSoup4 (lxml) + extruct +
#      price-parser, in a venv created under .tools/bench-extract-venv,
# on the same files: the fixture corpus plus three generated 1-2 MB pages.
# Also scores price-parser on both price-string corpora (its own test suite, and the
# held-out one from other libraries' test suites), beside our score.
# Single-threaded, so the figures are per core. BENCH_SECONDS (default 10) per engine,
# in BENCH_ROUNDS (default 5) rounds that take turns between the engines, so that a
# slower or faster spell of a shared machine falls on all three; each engine's figure
# is the median of its rounds, and each ratio the median of the ratios taken round by
# round. extract is compared with the Python stack run alone, as that stack is, and
# with the tokenizer pass by pass in one process (`--engine paired`; the peak RSS of
# that line is the paired process's).
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
seconds="${BENCH_SECONDS:-10}"
rounds="${BENCH_ROUNDS:-5}"
round_seconds="$(python3 -c "print(max(1.0, $seconds / $rounds))")"
tools="$root/.tools"
venv="$tools/bench-extract-venv"
pages_dir="$tools/bench-extract-pages"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$root/target}"
bench_py="$root/crates/extract/benches/python"

mkdir -p "$tools" "$pages_dir"
python3 "$bench_py/make_large_pages.py" "$pages_dir"
small=("$root"/crates/extract/tests/fixtures/pages/*.html)
large=("$pages_dir"/large-*.html)

if [ ! -x "$venv/bin/python" ]; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check \
    'beautifulsoup4>=4.12' 'lxml>=5' 'extruct>=0.17' 'price-parser>=0.3.4'
fi

echo "building the Rust bench (release)…" >&2
bin="$(cd "$root" && cargo bench -p pricewatch-extract --bench extract --no-run --message-format=json 2>/dev/null \
  | python3 -c 'import json,sys
for line in sys.stdin:
    m = json.loads(line)
    if m.get("reason") == "compiler-artifact" and m.get("target", {}).get("name") == "extract" and m.get("executable"):
        print(m["executable"])' | tail -n 1)"
[ -x "$bin" ] || { echo "could not build the Rust bench" >&2; exit 1; }

run() { # label, command… -> its JSON lines with the set and peak_rss_mib added
  local label="$1"; shift
  local out err
  err="$(mktemp)"
  out="$(python3 "$bench_py/peak_rss.py" "$@" 2>"$err")" || { cat "$err" >&2; exit 1; }
  local rss; rss="$(grep -o 'peak_rss_mib=[0-9.]*' "$err" | cut -d= -f2)"
  rm -f "$err"
  echo "$out" | python3 -c "
import json, sys
for line in sys.stdin:
    d = json.loads(line); d['set'] = '$label'; d['peak_rss_mib'] = float('$rss'); print(json.dumps(d))"
}

results="$(mktemp)"
for set in corpus large; do
  if [ "$set" = corpus ]; then files=("${small[@]}"); else files=("${large[@]}"); fi
  for round in $(seq "$rounds"); do
    # extract alone and the Python stack alone, back to back (the ratio is taken
    # round by round); then extract and the tokenizer taking turns pass by pass in
    # one process, so that their ratio is measured under the same load.
    run "$set/$round" "$bin" --engine extract --seconds "$round_seconds" "${files[@]}"
    run "$set/$round" "$venv/bin/python" "$bench_py/extract_bench.py" "$round_seconds" "${files[@]}"
    run "$set/$round/paired" "$bin" --engine paired --seconds "$round_seconds" "${files[@]}"
  done >>"$results"
done

echo
echo "machine: $(nproc) cores, $(lscpu | grep 'Model name' | sed 's/Model name: *//')"
echo "files: corpus = ${#small[@]} fixture pages, large = ${#large[@]} pages of 1-2 MB; ${seconds}s per engine in $rounds rounds, one thread"
python3 - "$results" <<'PY'
import json, sys
from statistics import median
runs = [json.loads(l) for l in open(sys.argv[1])]
for r in runs:
    parts = r["set"].split("/")
    r["set"], r["round"], r["paired"] = parts[0], parts[1], len(parts) > 2
print(f"{'set':7} {'engine':42} {'pages/s':>10} {'MB/s':>8} {'(rounds)':>13} {'peak MiB':>9}")
for s in ("corpus", "large"):
    for engine, paired in (("extract", False), ("python-bs4-extruct-price-parser", False),
                           ("extract", True), ("tokenizer", True)):
        mine = [r for r in runs if r["set"] == s and r["engine"] == engine and r["paired"] == paired]
        mbs = [r["mb_per_s"] for r in mine]
        name = engine + (" (paired)" if paired else "")
        print(f"{s:7} {name:42} {median(r['pages_per_s'] for r in mine):>10.1f} {median(mbs):>8.2f} "
              f"{f'{min(mbs):.2f}-{max(mbs):.2f}':>13} {max(r['peak_rss_mib'] for r in mine):>9.1f}")
for s in ("corpus", "large"):
    rounds = sorted({r["round"] for r in runs if r["set"] == s})
    def ratio(a, b):
        out = []
        for n in rounds:
            get = lambda e, p: next(r["mb_per_s"] for r in runs
                                    if (r["set"], r["round"], r["engine"], r["paired"]) == (s, n, e, p))
            out.append(get(*a) / get(*b))
        return median(out), min(out), max(out)
    py = ratio(("extract", False), ("python-bs4-extruct-price-parser", False))
    tok = ratio(("extract", True), ("tokenizer", True))
    print(f"{s}: extract = {py[0]:.1f}x the Python stack ({py[1]:.1f}-{py[2]:.1f} by round), "
          f"{tok[0]:.2f}x the bare tokenizer ({tok[1]:.2f}-{tok[2]:.2f} by round)")
PY
rm -f "$results"

echo
echo "price-parser on the independent price-string corpus:"
"$venv/bin/python" - "$root/crates/extract/tests/fixtures/price_strings/price_parser_corpus.tsv" <<'PY'
import sys
from decimal import Decimal
from price_parser import Price
rows = [l.rstrip("\n").split("\t") for l in open(sys.argv[1], encoding="utf-8") if l.strip()]
f = lambda v: None if v == "\\N" else v
ok = total = 0
for group, hint, text, cur, amount in rows:
    hint, text, amount = f(hint), f(text), f(amount)
    if not any(c.isdigit() for c in (text or "")) and amount not in (None,) and Decimal(amount) != 0:
        continue  # the same mislabelled entries our test leaves out
    total += 1
    got = Price.fromstring(text, currency_hint=hint).amount
    ok += (got == (Decimal(amount) if amount is not None else None))
print(f"  price-parser amount accuracy: {ok}/{total} = {100 * ok / total:.2f}%")
PY
echo "  ours: cargo test -p pricewatch-extract --test extract price_corpus -- --nocapture"

fixtures="$root/crates/extract/tests/fixtures/price_strings"
for corpus in "held-out (other libraries' test suites):$fixtures/held_out/held_out_corpus.tsv" \
  "real-world, first set (texts from 124 sites' pages):$fixtures/real_world/real_world_corpus.tsv" \
  "real-world, second set (583 texts held out from the changes):$fixtures/real_world/real_world_corpus_2.tsv"; do
  echo "price-parser on the ${corpus%%:/*} corpus"
  "$venv/bin/python" - "/${corpus#*:/}" <<'PY'
import sys
from decimal import Decimal
from price_parser import Price
rows = [l.rstrip("\n").split("\t") for l in open(sys.argv[1], encoding="utf-8") if l.strip()]
f = lambda v: None if v == "\\N" else v.replace("\\t", "\t").replace("\\n", "\n").replace("\\\\", "\\")
ok = 0
for group, hint, text, cur, amount in rows:
    got = Price.fromstring(f(text) or "", currency_hint=f(hint)).amount
    want = Decimal(f(amount)) if f(amount) is not None else None
    ok += got == want
print(f"  price-parser amount accuracy: {ok}/{len(rows)} = {100 * ok / len(rows):.2f}%")
PY
done
echo "  ours: cargo test -p pricewatch-extract --test extract held_out_corpus -- --nocapture"
