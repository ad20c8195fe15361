use std::str::FromStr;

use super::*;

fn check(text: &str, hint: Option<&str>, amount: Option<&str>, currency: Option<&str>) {
    let parsed = parse_price(text, hint);
    let want = amount.map(|a| Decimal::from_str(a).unwrap());
    assert_eq!(
        parsed.amount, want,
        "amount of {text:?} (hint {hint:?}): {parsed:?}"
    );
    assert_eq!(
        parsed.currency.map(|c| c.to_string()).as_deref(),
        currency,
        "currency of {text:?} (hint {hint:?}): {parsed:?}"
    );
}

#[test]
fn the_formats_shops_print() {
    check("$1,299.99", None, Some("1299.99"), Some("USD"));
    check("1.299,99 €", None, Some("1299.99"), Some("EUR"));
    check("1 299,99 zł", None, Some("1299.99"), Some("PLN"));
    check("CHF 1'299.90", None, Some("1299.90"), Some("CHF"));
    check("¥12,800", None, Some("12800"), Some("JPY"));
    check("₹1,23,456.00", None, Some("123456.00"), Some("INR"));
    check("12,-", None, Some("12"), None);
    check("EUR 8,50", None, Some("8.50"), Some("EUR"));
    check("R$ 260,00", None, Some("260.00"), Some("BRL"));
    check("9 800 Kč", None, Some("9800"), Some("CZK"));
    check("2 285,81 грн.", None, Some("2285.81"), Some("UAH"));
    check("US$:12.99", None, Some("12.99"), Some("USD"));
    check("Free", None, Some("0"), None);
    check("1.226 €", None, Some("1226"), Some("EUR"));
    check("A$190.00", None, Some("190.00"), Some("AUD"));
    check("C$5.95", None, Some("5.95"), Some("CAD"));
    check("1 500 руб.", None, Some("1500"), Some("RUB"));
    check("4 990 ₽", None, Some("4990"), Some("RUB"));
    check("₪ 115", None, Some("115"), Some("ILS"));
    check("฿ 3.3900", None, Some("3.3900"), Some("THB"));
    check("880,000 ₫", None, Some("880000"), Some("VND"));
    check("423.923 KD", None, Some("423.923"), Some("KWD"));
    check("35€ 99", None, Some("35.99"), Some("EUR"));
    check("$119. 95", None, Some("119.95"), Some("USD"));
    check("\u{a0}19,99\u{a0}€", None, Some("19.99"), Some("EUR"));
}

#[test]
fn ambiguous_signs_follow_the_hint() {
    check("$12.99", None, Some("12.99"), Some("USD"));
    check("$12.99", Some("CAD"), Some("12.99"), Some("CAD"));
    check("$12.99", Some("en-AU"), Some("12.99"), Some("AUD"));
    check(
        "$12.99",
        Some("https://shop.example.ca/p/1"),
        Some("12.99"),
        Some("CAD"),
    );
    check("199 kr", None, Some("199"), None);
    check("199 kr", Some("sv-SE"), Some("199"), Some("SEK"));
    check("199 kr", Some("shop.example.no"), Some("199"), Some("NOK"));
    check("199 kr", Some("DKK"), Some("199"), Some("DKK"));
    check("¥128", Some("zh-CN"), Some("128"), Some("CNY"));
    check("12,99", Some("€"), Some("12.99"), Some("EUR"));
    check("3,20 €", Some("$"), Some("3.20"), Some("EUR"));
}

#[test]
fn several_numbers_pick_the_current_price() {
    check("Was $120.00 Now $60.00", None, Some("60.00"), Some("USD"));
    check(
        "3 Ausgaben für nur 14,85 EUR",
        None,
        Some("14.85"),
        Some("EUR"),
    );
    check("Save $200 $999.00", None, Some("999.00"), Some("USD"));
    check("2,49 € / kg 12,45 €", None, Some("12.45"), Some("EUR"));
    check("From 26 to 50 €", None, Some("26"), Some("EUR"));
    check(
        "99,99 EUR (-30%) 69,99 EUR",
        None,
        Some("99.99"),
        Some("EUR"),
    );
    check("SGD$4.90", None, Some("4.90"), Some("SGD"));
    check("NZD $100.70", None, Some("100.70"), Some("NZD"));
}

#[test]
fn things_that_are_not_prices() {
    check("", None, None, None);
    check("Sold out", None, None, None);
    check("15.08.2017", None, None, None);
    check("July, 2004", None, None, None);
    check("16.00 ft", None, None, None);
    check("40% OFF", None, None, None);
    check("1e400", None, None, None);
    check(
        "1234567890123456789012345678901234567890 €",
        None,
        None,
        Some("EUR"),
    );
    check("-12,99 €", None, None, Some("EUR"));
    check("Free shipping on orders over $49", None, None, Some("USD"));
    check("free shipping", None, None, None);
    // Spending conditions in other words and languages (texts from real pages).
    check("FREE SHIPPING $29+", None, None, Some("USD"));
    check("Free Standard Shipping above $35", None, None, Some("USD"));
    check("Gratis frakt over NOK 600,-", None, None, None);
    check("Dés 10 € d'achats,", None, None, Some("EUR"));
    // Digits inside a word are no price, whatever sign the word starts with.
    check("Kr3w", None, None, None);
}

#[test]
fn texts_from_real_pages() {
    // Multiplier words.
    check(
        "How to get out of $40K credit card debt",
        None,
        Some("40000"),
        Some("USD"),
    );
    check("$10k Sweeps: Enter Now!", None, Some("10000"), Some("USD"));
    check(
        "Net sales £500K+. Captive trade",
        None,
        Some("500000"),
        Some("GBP"),
    );
    check(
        "TV Netflix's $90 Million Mistake",
        None,
        Some("90000000"),
        Some("USD"),
    );
    check(
        "Big banks’ fines hit $178 billion",
        None,
        Some("178000000000"),
        Some("USD"),
    );
    check("2,5 Mio. €", None, Some("2500000"), Some("EUR"));
    check("$12.99 M", None, Some("12.99"), Some("USD"));
    // An estate agent's asking price is no spending condition.
    check(
        "Leasehold Offers over £50,000",
        None,
        Some("50000"),
        Some("GBP"),
    );
    // A model number before the price is no units with cents printed apart.
    check(
        "PreSonus Eris E5 10 132 р.",
        None,
        Some("10132"),
        Some("RUB"),
    );
    check("Roland UA-55 15 859 р.", None, Some("15859"), Some("RUB"));
    check(
        "Pygmy Drosera Cthulhu138 15$",
        None,
        Some("15"),
        Some("USD"),
    );
    check("€5 99", None, Some("5.99"), Some("EUR"));
}

#[test]
fn parsed_price_serialises_amount_as_string() {
    let parsed = parse_price("1.299,99 €", None);
    let json = serde_json::to_value(&parsed).unwrap();
    assert_eq!(json["amount"], "1299.99");
    assert_eq!(json["currency"], "EUR");
    assert_eq!(json["currency_raw"], "€");
}
