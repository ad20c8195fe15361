//! Property tests: parsing never panics, and any amount formatted the way a
//! locale prints it parses back to the same amount and currency.

use std::str::FromStr;

use pricewatch_extract::price::parse_price;
use pricewatch_extract::{ExtractContext, extract};
use proptest::prelude::*;
use rust_decimal::Decimal;

/// Groups `digits` by `size` from the right, Indian style when `indian`.
fn group(digits: &str, sep: &str, indian: bool) -> String {
    let chars: Vec<char> = digits.chars().collect();
    let mut groups: Vec<String> = Vec::new();
    let mut end = chars.len();
    let mut size = 3;
    while end > 0 {
        let start = end.saturating_sub(size);
        groups.push(chars[start..end].iter().collect());
        end = start;
        if indian {
            size = 2;
        }
    }
    groups.reverse();
    groups.join(sep)
}

/// (format, currency): how shops in a locale print `units`.`cents`.
fn format(locale: usize, units: u64, cents: Option<u8>) -> (String, &'static str) {
    let u = units.to_string();
    let c = |sep: &str| cents.map(|c| format!("{sep}{c:02}")).unwrap_or_default();
    match locale {
        0 => (format!("${}{}", group(&u, ",", false), c(".")), "USD"),
        1 => (format!("{}{} €", group(&u, ".", false), c(",")), "EUR"),
        2 => (
            format!("{}{}\u{a0}€", group(&u, "\u{202f}", false), c(",")),
            "EUR",
        ),
        3 => (format!("CHF {}{}", group(&u, "'", false), c(".")), "CHF"),
        4 => (format!("₹{}{}", group(&u, ",", true), c(".")), "INR"),
        5 => (format!("{}{} zł", group(&u, " ", false), c(",")), "PLN"),
        6 => (format!("R$ {}{}", group(&u, ".", false), c(",")), "BRL"),
        7 => (
            format!("{}{} Kč", group(&u, "\u{a0}", false), c(",")),
            "CZK",
        ),
        8 => (format!("£{}{}", group(&u, ",", false), c(".")), "GBP"),
        9 => (format!("EUR {}{}", u, c(",")), "EUR"),
        10 => (format!("{}{} руб.", group(&u, " ", false), c(",")), "RUB"),
        11 => (format!("¥{}", group(&u, ",", false)), "JPY"),
        12 => (format!("{}{} грн", group(&u, " ", false), c(",")), "UAH"),
        // Locales that print their own script's digits (CLDR's default numbering).
        13 => (
            in_script(format!("{}{} US$", group(&u, "٬", false), c("٫")), 0x0660),
            "USD",
        ),
        14 => (
            in_script(format!("৳{}{}", group(&u, ",", true), c(".")), 0x09E6),
            "BDT",
        ),
        15 => (
            in_script(format!("₹{}{}", group(&u, ",", true), c(".")), 0x0966),
            "INR",
        ),
        16 => (
            in_script(format!("{}{} ﷼", group(&u, "،", false), c("٫")), 0x06F0),
            "IRR",
        ),
        _ => (
            in_script(format!("฿{}{}", group(&u, ",", false), c(".")), 0x0E50),
            "THB",
        ),
    }
}

/// Writes `text`'s ASCII digits in the script whose zero is `zero`.
fn in_script(text: String, zero: u32) -> String {
    text.chars()
        .map(|c| match c.to_digit(10) {
            Some(d) => char::from_u32(zero + d).unwrap(),
            None => c,
        })
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn parse_price_never_panics(text in ".{0,200}", hint in proptest::option::of(".{0,40}")) {
        let _ = parse_price(&text, hint.as_deref());
    }

    #[test]
    fn parse_price_never_panics_on_price_like_noise(text in "[0-9 .,'€$£kr₹%/-]{0,60}") {
        let parsed = parse_price(&text, None);
        if let Some(amount) = parsed.amount {
            prop_assert!(!amount.is_sign_negative());
        }
    }

    #[test]
    fn any_amount_in_any_locale_parses_back(
        locale in 0usize..18,
        units in 0u64..1_000_000_000,
        cents in proptest::option::of(0u8..100),
        prefix in prop_oneof![Just(""), Just("Price: "), Just("Now only "), Just("Preis: ")],
    ) {
        // Yen has no cents; a bare integer of 1-3 digits after a lone separator is ambiguous only with cents absent.
        let cents = if locale == 11 { None } else { cents };
        let (text, currency) = format(locale, units, cents);
        let text = format!("{prefix}{text}");
        let want = match cents {
            Some(c) => Decimal::from_str(&format!("{units}.{c:02}")).unwrap(),
            None => Decimal::from(units),
        };
        let parsed = parse_price(&text, None);
        prop_assert_eq!(parsed.amount, Some(want), "{}", text);
        prop_assert_eq!(parsed.currency.map(|c| c.to_string()), Some(currency.to_owned()), "{}", text);
    }

    #[test]
    fn extract_never_panics_on_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..2000)) {
        let _ = extract(&bytes, &ExtractContext::default());
    }

    #[test]
    fn extract_never_panics_on_tag_soup(parts in proptest::collection::vec(prop_oneof![
        Just("<div class=\"price\">"), Just("</div>"), Just("<span class=old-price>"), Just("</span>"),
        Just("<s>"), Just("<sup>"), Just("99"), Just("1.299,00 €"), Just("$"), Just("<script type=\"application/ld+json\">"),
        Just("{\"@type\":\"Product\",\"offers\":{\"price\":"), Just("}}"), Just("</script>"), Just("<meta property=\"og:price:amount\" content=\"12\">"),
        Just("<div itemscope itemtype=\"https://schema.org/Product\">"), Just("<span itemprop=price>"), Just("<title>"), Just("</title>"),
        Just("<!--"), Just("-->"), Just("<![CDATA["), Just("&euro;"), Just("<h1>"), Just("captcha"),
    ], 0..80), selector in proptest::option::of("[a-z#.>\\[\\]= ]{0,20}")) {
        let html = parts.concat();
        let ctx = ExtractContext { selector: selector.as_deref(), url: Some("https://shop.example.com/p?variant=1"), ..ExtractContext::default() };
        let _ = extract(html.as_bytes(), &ctx);
    }
}

#[test]
fn deep_nesting_and_huge_pages_stay_bounded() {
    let mut html = "<div>".repeat(200_000);
    html.push_str("<span class=\"price\">$12.00</span>");
    let started = std::time::Instant::now();
    let _ = extract(html.as_bytes(), &ExtractContext::default());
    let absurd =
        "<span class=price>1e400 € 1234567890123456789012345678901234567890 € -12,99 €</span>";
    let outcome =
        serde_json::to_value(extract(absurd.as_bytes(), &ExtractContext::default())).unwrap();
    assert_eq!(outcome["outcome"], "no_price", "{outcome}");
    assert!(
        started.elapsed().as_secs() < 20,
        "took {:?}",
        started.elapsed()
    );
}
