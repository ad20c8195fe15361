//! Scores `extract` on real product pages saved from 62 shops
//! (`fixtures/real_pages/`), labelled by a reviewer who never read the
//! extractor, by rules fixed before labelling (`LABELLING.md`). The pages are
//! split by site into `dev` (looked at while tuning) and `held_out` (scored
//! once, after the changes; see `docs/benchmarks.md`). Per-page results and
//! scores are printed for `dev` only; set `REAL_PAGES_SHOW_HELD_OUT=1` to print
//! the held-out ones too (the floors hold for both halves either way).

use std::path::PathBuf;
use std::str::FromStr;

use pricewatch_extract::{Availability, ExtractContext, ExtractOutcome, extract};
use rust_decimal::Decimal;
use serde_json::Value;

/// Floors, in pages: (set, amount right, currency right, stock right where stated).
/// See `docs/benchmarks.md` for the figures they come from.
const FLOORS: [(&str, usize, usize, usize); 2] = [("dev", 31, 29, 26), ("held_out", 27, 29, 21)];

fn corpus() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/real_pages")
}

#[derive(Default)]
struct Score {
    pages: usize,
    amount_ok: usize,
    priced: usize,
    currency_ok: usize,
    stock_stated: usize,
    stock_ok: usize,
}

/// The label's words for the extractor's stock states (LABELLING.md L3): a
/// pre-order or back-order that can be placed counts as in stock.
fn stock_word(a: Availability) -> &'static str {
    match a {
        Availability::InStock
        | Availability::LimitedAvailability
        | Availability::PreOrder
        | Availability::BackOrder => "in_stock",
        Availability::OutOfStock | Availability::Discontinued | Availability::InStoreOnly => {
            "out_of_stock"
        }
        Availability::Unknown => "unknown",
    }
}

#[test]
fn real_pages_score_above_their_floors() {
    let labels = std::fs::read_to_string(corpus().join("labels.jsonl")).unwrap();
    let show_held_out = std::env::var_os("REAL_PAGES_SHOW_HELD_OUT").is_some();
    let mut scores: Vec<(String, Score)> = Vec::new();
    for line in labels.lines().filter(|l| !l.trim().is_empty()) {
        let label: Value = serde_json::from_str(line).unwrap();
        let s = |k: &str| label.get(k).and_then(Value::as_str);
        let file = s("file").unwrap();
        let set = s("set").unwrap().to_owned();
        let html = std::fs::read(corpus().join(file)).unwrap();
        let ctx = ExtractContext {
            url: s("url"),
            ..ExtractContext::default()
        };
        let outcome = extract(&html, &ctx);
        let (amount, currency, stock) = match &outcome {
            ExtractOutcome::Found(f) => (
                Some(f.amount),
                f.currency.map(|c| c.as_str().to_owned()),
                stock_word(f.availability),
            ),
            ExtractOutcome::NoPrice { availability, .. } => (None, None, stock_word(*availability)),
            ExtractOutcome::Blocked { .. } => (None, None, "unknown"),
        };
        let want_amount = s("amount").map(|a| Decimal::from_str(a).unwrap());
        let want_stock = s("stock").unwrap_or("unknown");
        let idx = match scores.iter().position(|(name, _)| *name == set) {
            Some(i) => i,
            None => {
                scores.push((set.clone(), Score::default()));
                scores.len() - 1
            }
        };
        let score = &mut scores[idx].1;
        score.pages += 1;
        let amount_ok = amount == want_amount;
        score.amount_ok += usize::from(amount_ok);
        let currency_ok = want_amount.is_none() || currency.as_deref() == s("currency");
        if want_amount.is_some() {
            score.priced += 1;
            score.currency_ok += usize::from(currency_ok && amount.is_some());
        }
        let stock_ok = want_stock == "unknown" || stock == want_stock;
        if want_stock != "unknown" {
            score.stock_stated += 1;
            score.stock_ok += usize::from(stock_ok);
        }
        if set == "dev" || show_held_out {
            let mark = |ok: bool| if ok { "ok  " } else { "MISS" };
            println!(
                "{set:8} {file:45} amount {} {:>10} want {:>10} | currency {} {:?} | stock {} {stock} want {want_stock}",
                mark(amount_ok),
                amount.map_or("-".to_owned(), |a| a.to_string()),
                want_amount.map_or("-".to_owned(), |a| a.to_string()),
                mark(currency_ok),
                currency,
                mark(stock_ok),
            );
        }
    }
    let mut below = Vec::new();
    for (set, score) in &scores {
        if set != "dev" && !show_held_out {
            println!("{set}: not shown (REAL_PAGES_SHOW_HELD_OUT=1 shows it)");
        } else {
            println!(
                "{set}: amount {}/{} pages, currency {}/{} priced pages, stock {}/{} where stated",
                score.amount_ok,
                score.pages,
                score.currency_ok,
                score.priced,
                score.stock_ok,
                score.stock_stated
            );
        }
        if let Some((_, amount, currency, stock)) = FLOORS.iter().find(|(name, ..)| name == set)
            && (score.amount_ok < *amount
                || score.currency_ok < *currency
                || score.stock_ok < *stock)
        {
            below.push(set.clone());
        }
    }
    assert_eq!(scores.iter().map(|(_, s)| s.pages).sum::<usize>(), 65);
    assert!(below.is_empty(), "below the floor: {below:?}");
}
