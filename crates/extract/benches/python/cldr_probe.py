"""A probe, not a corpus: the currency texts CLDR's formats give (through Babel)
for every locale that has a territory, in its territory's currency, for a few
amounts, and how many of them `parse_price` reads back to the amount.

    python3 cldr_probe.py > probe.tsv                 # needs `pip install babel`
    extract-bench --engine dump-prices probe.tsv > probe.out
    python3 cldr_probe.py --score probe.out

(`extract-bench` is the bench binary of crates/extract/benches/extract.rs; see
scripts/bench-extract.sh for how it is built.) The texts are made by a formatter
from the amount, so they test the number formats of many locales, not what shops
write around them; the result is reported beside the held-out corpus, never mixed
into it.
"""
import json
import sys
from collections import Counter
from decimal import Decimal

AMOUNTS = [Decimal("1234.56"), Decimal("1234567.89"), Decimal("12.5"), Decimal("1000")]
# (format type, numbering system): the locale's own digits, and Latin digits in
# the long ("1,234.56 US dollars") and accounting formats.
STYLES = [("standard", "default"), ("name", "latn"), ("accounting", "latn")]


def generate():
    import babel
    from babel import Locale, numbers
    from babel.core import get_global

    currencies = get_global("territory_currencies")
    seen = set()
    for code in babel.localedata.locale_identifiers():
        locale = Locale.parse(code)
        if not locale.territory or not currencies.get(locale.territory):
            continue
        currency = currencies[locale.territory][0][0]
        for amount in AMOUNTS:
            for format_type, numbering in STYLES:
                try:
                    text = numbers.format_currency(amount, currency, locale=locale, format_type=format_type,
                                                   currency_digits=False, numbering_system=numbering)
                except Exception:  # a locale without that numbering system or format
                    continue
                if (text, amount) in seen:
                    continue
                seen.add((text, amount))
                print(f"{code}/{format_type}/{numbering}\t\\N\t{text}\t\\N\t{amount}")


def score(dump):
    total = ok = 0
    misses = Counter()
    for line in open(dump, encoding="utf-8"):
        label, _, text, _, amount, result = line.rstrip("\n").split("\t")[:6]
        got = json.loads(result).get("amount")
        total += 1
        if got is not None and Decimal(str(got)) == Decimal(amount):
            ok += 1
        else:
            misses[label.split("_")[0] + "/" + label.split("/", 1)[1]] += 1
            print(f"  miss {label} {text!r}: got {got}, want {amount}")
    print(f"CLDR probe: {ok}/{total} = {100 * ok / total:.2f}%; misses by language/style: {misses.most_common()}")


if __name__ == "__main__":
    if sys.argv[1:2] == ["--score"]:
        score(sys.argv[2])
    else:
        generate()
