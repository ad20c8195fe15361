#!/usr/bin/env bash
# Benchmark of price extraction (make bench-extract): pages/s, MB/s and peak memory of
#   1. pricewatch_domain::extract,
#   2. html5ever's tokenizer alone with a sink that does nothing (the floor),
#   3. the Python stack of the original system: BeautifulSoup4 (lxml) + extruct +
#      price-parser, in a venv created under .tools/bench-extract-venv,
# on the same files: the fixture corpus plus three generated 1-2 MB pages.
# Also scores price-parser on both price-string corpora (its own test suite, and the
# held-out one from other libraries' test suites), beside our score.
# Single-threaded, so the figures are per core. BENCH_SECONDS (default 10) per engine.
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
seconds="${BENCH_SECONDS:-10}"
tools="$root/.tools"
venv="$tools/bench-extract-venv"
pages_dir="$tools/bench-extract-pages"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$root/target}"
bench_py="$root/crates/domain/benches/python"

mkdir -p "$tools" "$pages_dir"
python3 "$bench_py/make_large_pages.py" "$pages_dir"
small=("$root"/crates/domain/tests/fixtures/pages/*.html)
large=("$pages_dir"/large-*.html)

if [ ! -x "$venv/bin/python" ]; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check \
    'beautifulsoup4>=4.12' 'lxml>=5' 'extruct>=0.17' 'price-parser>=0.3.4'
fi

echo "building the Rust bench (release)…" >&2
bin="$(cd "$root" && cargo bench -p pricewatch-domain --bench extract --no-run --message-format=json 2>/dev/null \
  | python3 -c 'import json,sys
for line in sys.stdin:
    m = json.loads(line)
    if m.get("reason") == "compiler-artifact" and m.get("target", {}).get("name") == "extract" and m.get("executable"):
        print(m["executable"])' | tail -n 1)"
[ -x "$bin" ] || { echo "could not build the Rust bench" >&2; exit 1; }

run() { # label, command… -> one JSON line with peak_rss_mib added
  local label="$1"; shift
  local out err
  err="$(mktemp)"
  out="$(python3 "$bench_py/peak_rss.py" "$@" 2>"$err")" || { cat "$err" >&2; exit 1; }
  local rss; rss="$(grep -o 'peak_rss_mib=[0-9.]*' "$err" | cut -d= -f2)"
  rm -f "$err"
  echo "$out" | python3 -c "import json,sys; d=json.loads(sys.stdin.read()); d['set']='$label'; d['peak_rss_mib']=float('$rss'); print(json.dumps(d))"
}

results="$(mktemp)"
for set in corpus large; do
  if [ "$set" = corpus ]; then files=("${small[@]}"); else files=("${large[@]}"); fi
  {
    run "$set" "$bin" --engine extract --seconds "$seconds" "${files[@]}"
    run "$set" "$bin" --engine tokenizer --seconds "$seconds" "${files[@]}"
    run "$set" "$venv/bin/python" "$bench_py/extract_bench.py" "$seconds" "${files[@]}"
  } >>"$results"
done

echo
echo "machine: $(nproc) cores, $(lscpu | grep 'Model name' | sed 's/Model name: *//')"
echo "files: corpus = ${#small[@]} fixture pages, large = ${#large[@]} pages of 1-2 MB; ${seconds}s per engine, one thread"
python3 - "$results" <<'PY'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
print(f"{'set':7} {'engine':34} {'pages/s':>10} {'MB/s':>8} {'peak MiB':>9}")
for r in rows:
    print(f"{r['set']:7} {r['engine']:34} {r['pages_per_s']:>10.1f} {r['mb_per_s']:>8.2f} {r['peak_rss_mib']:>9.1f}")
for s in ("corpus", "large"):
    by = {r["engine"]: r for r in rows if r["set"] == s}
    ours, floor, py = by["extract"], by["tokenizer"], by["python-bs4-extruct-price-parser"]
    print(f"{s}: extract = {ours['mb_per_s'] / py['mb_per_s']:.1f}x the Python stack, "
          f"{ours['mb_per_s'] / floor['mb_per_s']:.2f}x the bare tokenizer")
PY
rm -f "$results"

echo
echo "price-parser on the independent price-string corpus:"
"$venv/bin/python" - "$root/crates/domain/tests/fixtures/price_strings/price_parser_corpus.tsv" <<'PY'
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
echo "  ours: cargo test -p pricewatch-domain --test domain price_corpus -- --nocapture"

echo "price-parser on the held-out price-string corpus (other libraries' test suites):"
"$venv/bin/python" - "$root/crates/domain/tests/fixtures/price_strings/held_out/held_out_corpus.tsv" <<'PY'
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
echo "  ours: cargo test -p pricewatch-domain --test domain held_out -- --nocapture"
