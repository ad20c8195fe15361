"""The Python stack the original PriceWatch would use, on the same pages:
BeautifulSoup4 (lxml) + extruct (JSON-LD, microdata, Open Graph) + price-parser.

usage: extract_bench.py SECONDS FILE...   -> one JSON line like the Rust bench
(`seconds` is CPU time, `time.process_time()`, as the Rust bench counts its
thread's CPU time; `wall_seconds` the elapsed time)
"""
import json
import sys
import time

import extruct
from bs4 import BeautifulSoup
from price_parser import Price


def first_price(data):
    for item in data.get("json-ld", []) + data.get("microdata", []):
        offers = item.get("offers") if isinstance(item, dict) else None
        if isinstance(offers, list) and offers:
            offers = offers[0]
        if isinstance(offers, dict):
            price = offers.get("price") or offers.get("lowPrice")
            if price:
                return Price.fromstring(str(price), offers.get("priceCurrency"))
    for item in data.get("opengraph", []):
        props = dict(item.get("properties", [])) if isinstance(item, dict) else {}
        amount = props.get("product:price:amount") or props.get("og:price:amount")
        if amount:
            return Price.fromstring(amount)
    return None


def extract(html: bytes):
    soup = BeautifulSoup(html, "lxml")
    try:
        data = extruct.extract(html, base_url="https://shop.example.com/p/1",
                               syntaxes=["json-ld", "microdata", "opengraph"], uniform=True, errors="ignore")
    except Exception:
        data = {}
    price = first_price(data)
    if price is None or price.amount is None:
        for el in soup.select('[class*="price"], [id*="price"]'):
            candidate = Price.fromstring(el.get_text(" ", strip=True))
            if candidate.amount is not None:
                price = candidate
                break
    title = soup.title.string if soup.title else None
    return price, title


def main():
    seconds = float(sys.argv[1])
    pages = [open(f, "rb").read() for f in sys.argv[2:]]
    count = size = 0
    start = time.perf_counter()
    cpu_start = time.process_time()
    while time.perf_counter() - start < seconds:
        for page in pages:
            extract(page)
            count += 1
            size += len(page)
    wall = time.perf_counter() - start
    elapsed = time.process_time() - cpu_start
    print(json.dumps({"engine": "python-bs4-extruct-price-parser", "pages": count, "bytes": size,
                      "seconds": round(elapsed, 3), "wall_seconds": round(wall, 3),
                      "pages_per_s": round(count / elapsed, 1),
                      "mb_per_s": round(size / 1e6 / elapsed, 2)}))


if __name__ == "__main__":
    main()
