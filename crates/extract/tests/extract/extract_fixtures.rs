//! The fixture corpus: realistic pages (every method, traps, bot walls, several
//! languages and encodings) with the result a user expects from each.

use std::path::PathBuf;

use pricewatch_domain::Currency;
use pricewatch_extract::{ExtractContext, ExtractOutcome, extract};
use serde_json::Value;

fn fixtures() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/pages")
}

fn check(case: &Value) -> Result<(), String> {
    let s = |k: &str| case.get(k).and_then(Value::as_str);
    let file = s("file").ok_or("case without file")?;
    let html = std::fs::read(fixtures().join(file)).map_err(|e| format!("{file}: {e}"))?;
    let ctx = ExtractContext {
        url: s("url"),
        content_type_charset: s("charset"),
        selector: s("selector"),
        currency_hint: s("currency_hint").and_then(|c| Currency::parse(c).ok()),
    };
    let outcome = extract(&html, &ctx);
    let json = serde_json::to_value(&outcome).map_err(|e| e.to_string())?;
    // `EXTRACT_FIXTURES_DUMP=1 cargo test … -- --nocapture`: every whole outcome,
    // to diff before and after a change.
    if std::env::var_os("EXTRACT_FIXTURES_DUMP").is_some() {
        println!("DUMP {file} {json}");
    }
    let fail = |what: &str, got: &Value, want: &str| {
        Err(format!("{file}: {what} is {got}, want {want}\n  {json}"))
    };
    let want_outcome = s("outcome").unwrap_or("found");
    if json["outcome"] != want_outcome {
        return fail("outcome", &json["outcome"], want_outcome);
    }
    for (key, field) in [
        ("amount", "amount"),
        ("currency", "currency"),
        ("method", "method"),
        ("availability", "availability"),
        ("title", "title"),
        ("image", "image"),
    ] {
        if let Some(want) = s(key)
            && json[field] != want
        {
            return fail(key, &json[field], want);
        }
    }
    if let (Some(low), Some(high)) = (s("range_low"), s("range_high"))
        && (json["price_range"]["low"] != low || json["price_range"]["high"] != high)
    {
        return fail(
            "price_range",
            &json["price_range"],
            &format!("{low}..{high}"),
        );
    }
    for (key, field) in [("agreeing", "agreeing"), ("conflicts", "conflicts")] {
        let Some(want) = case.get(key).and_then(Value::as_array) else {
            continue;
        };
        let got: Vec<&str> = match json[field].as_array() {
            Some(items) => items
                .iter()
                .filter_map(|i| i.as_str().or_else(|| i["provenance"]["method"].as_str()))
                .collect(),
            None => Vec::new(),
        };
        for w in want.iter().filter_map(Value::as_str) {
            if !got.contains(&w) {
                return fail(key, &json[field], w);
            }
        }
    }
    if let ExtractOutcome::Found(found) = &outcome {
        assert!(
            !found.provenance.raw.is_empty(),
            "{file}: provenance without raw text"
        );
        assert!(
            !found.provenance.path.is_empty(),
            "{file}: provenance without path"
        );
    }
    Ok(())
}

#[test]
fn every_fixture_page_gives_the_expected_result() {
    let manifest = std::fs::read_to_string(fixtures().join("expected.json")).unwrap();
    let cases: Vec<Value> = serde_json::from_str(&manifest).unwrap();
    assert!(cases.len() >= 40, "only {} fixture pages", cases.len());
    let failures: Vec<String> = cases.iter().filter_map(|c| check(c).err()).collect();
    for f in &failures {
        println!("FAIL {f}");
    }
    println!(
        "{} of {} fixture pages pass",
        cases.len() - failures.len(),
        cases.len()
    );
    assert!(failures.is_empty(), "{} fixture pages fail", failures.len());
}

/// The JSON shape the CLI prints and the scraper-worker stores is a contract.
#[test]
fn found_outcome_json_shape() {
    let html = std::fs::read(fixtures().join("jsonld-basic-en.html")).unwrap();
    let ctx = ExtractContext {
        url: Some("https://shop.example.com/p/anvil"),
        ..ExtractContext::default()
    };
    insta::assert_json_snapshot!(extract(&html, &ctx), { ".confidence" => "[confidence]" });
}
