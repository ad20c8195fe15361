//! HTML of the product pages, one way of stating the price per [`Markup`].

use std::fmt::Write;

use rust_decimal::Decimal;

use crate::catalog::{Currency, Markup, PriceStyle, Product};
use crate::shop::Offer;

/// The visible price text, e.g. `£39.99`, `$1,049.00` or `1.299,99 €`.
pub fn format_price(amount: Decimal, currency: Currency, style: PriceStyle) -> String {
    let plain = format!("{:.2}", amount.round_dp(2));
    let (int, frac) = plain.split_once('.').unwrap_or((&plain, "00"));
    let (sign, int) = int.strip_prefix('-').map_or(("", int), |rest| ("-", rest));
    let (group_sep, decimal_sep) = match style {
        PriceStyle::English => (',', '.'),
        PriceStyle::German => ('.', ','),
    };
    let mut grouped = String::with_capacity(int.len() + int.len() / 3);
    for (i, digit) in int.chars().enumerate() {
        if i > 0 && (int.len() - i) % 3 == 0 {
            grouped.push(group_sep);
        }
        grouped.push(digit);
    }
    let number = format!("{sign}{grouped}{decimal_sep}{frac}");
    match (style, currency.symbol()) {
        (PriceStyle::English, Some(symbol)) => format!("{symbol}{number}"),
        (PriceStyle::English, None) => format!("{currency} {number}"),
        (PriceStyle::German, Some(symbol)) => format!("{number} {symbol}"),
        (PriceStyle::German, None) => format!("{number} {currency}"),
    }
}

pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// A whole HTML document around `body`, with `head_extra` inside `<head>`.
pub fn document(title: &str, head_extra: &str, body: &str) -> String {
    let title = escape(title);
    format!(
        "<!doctype html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <title>{title} – PriceWatch Demo Shop</title>\n{head_extra}</head>\n<body>\n\
         <header><a href=\"/\">PriceWatch Demo Shop</a> · <a href=\"/\">All products</a></header>\n\
         <main>\n{body}</main>\n\
         <footer><p>This shop is a test fixture: nothing here is for sale.</p></footer>\n\
         </body>\n</html>\n"
    )
}

const DESCRIPTION: &str = "<section class=\"description\"><h2>Description</h2>\
    <p>A dependable product from the demo catalogue. Built to last, easy to clean, \
    and covered by a two-year warranty. Ships in recyclable packaging.</p>\
    <ul><li>Free returns within 30 days</li><li>Customer rating 4.5 of 5</li></ul></section>\n";

/// The page of a catalog product with its current offer.
pub fn product_page(product: &Product, offer: &Offer) -> String {
    let title = escape(&product.title);
    let slug = escape(&product.slug);
    let amount = offer.amount.round_dp(2);
    let currency = offer.currency;
    let visible = escape(&format_price(amount, currency, product.style));
    let stock_text = if offer.in_stock {
        "In stock"
    } else {
        "Out of stock"
    };
    let schema_availability = if offer.in_stock {
        "https://schema.org/InStock"
    } else {
        "https://schema.org/OutOfStock"
    };
    let mut head = format!("<link rel=\"canonical\" href=\"/products/{slug}\">\n");
    let mut body = format!("<nav class=\"breadcrumbs\"><a href=\"/\">Home</a> › {title}</nav>\n");
    match product.markup {
        Markup::JsonLd => {
            let json = serde_json::json!({
                "@context": "https://schema.org",
                "@type": "Product",
                "name": product.title,
                "sku": product.slug,
                "offers": {
                    "@type": "Offer",
                    "price": format!("{amount:.2}"),
                    "priceCurrency": currency.as_str(),
                    "availability": schema_availability,
                },
            });
            // `</` inside a script element would end it early.
            let json = json.to_string().replace("</", "<\\/");
            let _ = writeln!(head, "<script type=\"application/ld+json\">{json}</script>");
            let _ = write!(
                body,
                "<article class=\"product\">\n<h1>{title}</h1>\n\
                 <p class=\"price\">{visible}</p>\n<p class=\"stock\">{stock_text}</p>\n"
            );
        }
        Markup::Microdata => {
            let _ = write!(
                body,
                "<article class=\"product\" itemscope itemtype=\"https://schema.org/Product\">\n\
                 <h1 itemprop=\"name\">{title}</h1>\n\
                 <div itemprop=\"offers\" itemscope itemtype=\"https://schema.org/Offer\">\n\
                 <meta itemprop=\"priceCurrency\" content=\"{currency}\">\n\
                 <p class=\"price\"><span itemprop=\"price\" content=\"{amount:.2}\">{visible}</span></p>\n\
                 <link itemprop=\"availability\" href=\"{schema_availability}\">\
                 <p class=\"stock\">{stock_text}</p>\n</div>\n"
            );
        }
        Markup::Meta => {
            let og_stock = if offer.in_stock {
                "in stock"
            } else {
                "out of stock"
            };
            let _ = write!(
                head,
                "<meta property=\"og:type\" content=\"product\">\n\
                 <meta property=\"og:title\" content=\"{title}\">\n\
                 <meta property=\"product:price:amount\" content=\"{amount:.2}\">\n\
                 <meta property=\"product:price:currency\" content=\"{currency}\">\n\
                 <meta property=\"og:price:amount\" content=\"{amount:.2}\">\n\
                 <meta property=\"og:price:currency\" content=\"{currency}\">\n\
                 <meta property=\"product:availability\" content=\"{og_stock}\">\n"
            );
            let _ = write!(
                body,
                "<article class=\"product\">\n<h1>{title}</h1>\n\
                 <div class=\"buy-box\"><strong>{visible}</strong> · {stock_text}</div>\n"
            );
        }
        Markup::PlainText => {
            let _ = write!(
                body,
                "<article class=\"product\">\n<h1>{title}</h1>\n\
                 <div class=\"buy-box\"><span class=\"price\">{visible}</span>\n\
                 <span class=\"stock\">{stock_text}</span></div>\n"
            );
        }
    }
    body.push_str(DESCRIPTION);
    body.push_str("</article>\n");
    document(&product.title, &head, &body)
}

/// A JSON-LD product page outside the catalog, for the trouble and private pages.
pub fn fixture_product_page(title: &str, cents: i64) -> String {
    let product = Product {
        slug: "fixture".into(),
        title: title.to_owned().into(),
        markup: Markup::JsonLd,
        style: PriceStyle::English,
        base_cents: cents,
        currency: Currency::EUR,
        in_stock: true,
        drifts: false,
    };
    let offer = Offer {
        amount: product.base_amount(),
        currency: Currency::EUR,
        in_stock: true,
        modified: 0,
    };
    product_page(&product, &offer)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn price(cents: i64, currency: Currency, style: PriceStyle) -> String {
        format_price(Decimal::new(cents, 2), currency, style)
    }

    #[test]
    fn formats_prices_like_shops_do() {
        assert_eq!(
            price(129_999, Currency::EUR, PriceStyle::German),
            "1.299,99 €"
        );
        assert_eq!(price(3999, Currency::GBP, PriceStyle::English), "£39.99");
        assert_eq!(
            price(104_900, Currency::USD, PriceStyle::English),
            "$1,049.00"
        );
        assert_eq!(
            price(12_345_678_900, Currency::EUR, PriceStyle::English),
            "€123,456,789.00"
        );
        let chf = Currency::parse("CHF").unwrap_or(Currency::EUR);
        assert_eq!(price(5, chf, PriceStyle::German), "0,05 CHF");
        assert_eq!(
            format_price(Decimal::new(7, 0), Currency::EUR, PriceStyle::English),
            "€7.00"
        );
    }

    #[test]
    fn escapes_markup() {
        assert_eq!(escape("a<b>&\"'"), "a&lt;b&gt;&amp;&quot;&#39;");
    }
}
