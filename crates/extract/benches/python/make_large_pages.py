"""Writes a few realistic 1-2 MB product pages (deterministic) for the benchmark:
a product with JSON-LD, a long description, reviews and a big related-products grid."""
import json
import sys

out = sys.argv[1]
for n, (items, reviews) in enumerate([(5000, 800), (8000, 1500), (6000, 3000)]):
    parts = ['<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>Big product page</title>',
             '<script type="application/ld+json">' + json.dumps({"@context": "https://schema.org", "@type": "Product",
                "name": f"Large Page Product {n}", "offers": {"@type": "Offer", "price": f"{199 + n}.99", "priceCurrency": "USD",
                "availability": "https://schema.org/InStock"}}) + '</script>',
             '<style>' + '.c{color:red}' * 2000 + '</style>',
             '<script>var state = ' + json.dumps({"k": list(range(5000))}) + ';</script></head><body>',
             '<header class="site-header"><div class="mini-cart">$0.00</div></header><main>',
             f'<h1>Large Page Product {n}</h1><div class="product-price"><span class="price">${199 + n}.99</span></div>']
    parts.append('<div class="description">' + '<p>Lorem ipsum dolor sit amet, consectetur adipiscing elit. ' * 1200 + '</div>')
    for r in range(reviews):
        parts.append(f'<div class="review" id="r{r}"><span class="stars">4.{r % 10} out of 5</span><p>Bought it in 20{10 + r % 14}, '
                     f'works great, {r % 7} stars. Paid about ${r % 300}.</p></div>')
    parts.append('<section class="related-products"><ul>')
    for i in range(items):
        parts.append(f'<li class="product-card"><a href="/p/{i}"><img src="/img/{i}.jpg" alt="Item {i}"></a>'
                     f'<span class="name">Item {i}</span><span class="price">${i % 500}.{i % 100:02d}</span>'
                     f'<s class="old-price">${i % 500 + 10}.00</s></li>')
    parts.append('</ul></section></main><footer class="footer">&copy; 2024</footer></body></html>')
    with open(f"{out}/large-{n}.html", "w") as f:
        f.write("".join(parts))
