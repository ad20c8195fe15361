//! Scores `parse_price` on an independent, labelled corpus of real price strings.

use std::str::FromStr;

use pricewatch_extract::price::parse_price;
use rust_decimal::Decimal;

const CORPUS: &str = include_str!("../fixtures/price_strings/price_parser_corpus.tsv");

struct Example<'a> {
    group: &'a str,
    hint: Option<String>,
    text: Option<String>,
    currency: Option<String>,
    amount: Option<Decimal>,
}

fn field(raw: &str) -> Option<String> {
    (raw != "\\N").then(|| {
        raw.replace("\\t", "\t")
            .replace("\\n", "\n")
            .replace("\\\\", "\\")
    })
}

fn examples() -> Vec<Example<'static>> {
    CORPUS
        .lines()
        .filter(|l| !l.is_empty())
        .map(|line| {
            let cols: Vec<&str> = line.split('\t').collect();
            assert_eq!(cols.len(), 5, "bad corpus line {line:?}");
            Example {
                group: cols[0],
                hint: field(cols[1]),
                text: field(cols[2]),
                currency: field(cols[3]),
                amount: field(cols[4]).map(|a| Decimal::from_str(&a).unwrap()),
            }
        })
        .collect()
}

/// Entries whose text has no digit but expect an amount: labelling slips.
fn mislabelled(e: &Example<'_>) -> bool {
    let no_digit = !e
        .text
        .as_deref()
        .unwrap_or("")
        .chars()
        .any(|c| c.is_ascii_digit());
    no_digit && e.amount.is_some_and(|a| !a.is_zero())
}

fn same_sign(got: Option<&str>, want: Option<&str>) -> bool {
    let norm = |s: &str| s.trim().trim_end_matches('.').to_lowercase();
    match (got, want) {
        (None, None) => true,
        (Some(g), Some(w)) => norm(g) == norm(w) || norm(g).starts_with(&norm(w)),
        _ => false,
    }
}

#[test]
fn amounts_are_right_on_at_least_99_percent_of_the_independent_corpus() {
    let all = examples();
    assert!(all.len() > 1100, "corpus has {} examples", all.len());
    let scored: Vec<&Example<'_>> = all.iter().filter(|e| !mislabelled(e)).collect();
    let mut amount_ok = 0usize;
    let mut sign_ok = 0usize;
    let mut misses = Vec::new();
    let mut sign_misses = Vec::new();
    for e in &scored {
        let parsed = parse_price(e.text.as_deref().unwrap_or(""), e.hint.as_deref());
        if parsed.amount == e.amount {
            amount_ok += 1;
        } else {
            misses.push(format!(
                "[{}] {:?} hint {:?}: got {:?}, want {:?}",
                e.group, e.text, e.hint, parsed.amount, e.amount
            ));
        }
        if same_sign(parsed.currency_raw.as_deref(), e.currency.as_deref()) {
            sign_ok += 1;
        } else {
            sign_misses.push(format!(
                "[{}] {:?} hint {:?}: got {:?}, want {:?}",
                e.group, e.text, e.hint, parsed.currency_raw, e.currency
            ));
        }
    }
    let total = scored.len();
    let pct = |n: usize| n as f64 * 100.0 / total as f64;
    println!(
        "price corpus: {total} examples ({} mislabelled left out); amount {amount_ok}/{total} = {:.2}%; \
         currency sign {sign_ok}/{total} = {:.2}%",
        all.len() - total,
        pct(amount_ok),
        pct(sign_ok)
    );
    for m in &misses {
        println!("  amount miss {m}");
    }
    for m in &sign_misses {
        println!("  sign miss {m}");
    }
    assert!(amount_ok * 100 >= total * 99, "{} misses", misses.len());
}
