//! `pricewatch extract FILE [--url URL] [--selector CSS] [--explain]`: what
//! PriceWatch reads on a saved product page (price, currency, title, stock
//! state, and the method that found them), as JSON; with `--explain`, every
//! candidate price and why one won, as text.

use std::fmt::Write as _;
use std::io::Read;
use std::path::Path;

use anyhow::Context;
use pricewatch_extract::{
    Availability, ExtractContext, ExtractOutcome, MAX_HTML_BYTES, Method, Observation,
    explain as weigh, extract as run,
};

pub fn extract(
    path: &Path,
    url: Option<&str>,
    selector: Option<&str>,
) -> anyhow::Result<serde_json::Value> {
    let html = read_page(path)?;
    let ctx = ExtractContext {
        url,
        selector,
        ..ExtractContext::default()
    };
    let outcome = run(&html, &ctx);
    serde_json::to_value(&outcome).context("encoding the result as JSON")
}

/// The candidates `extract` weighed on the page and its decision, as text.
pub fn explain(path: &Path, url: Option<&str>, selector: Option<&str>) -> anyhow::Result<String> {
    let html = read_page(path)?;
    let ctx = ExtractContext {
        url,
        selector,
        ..ExtractContext::default()
    };
    let explanation = weigh(&html, &ctx);
    let mut out = String::new();
    let reading = |o: &Observation| {
        format!(
            "{} {} ({}, {})",
            o.amount,
            o.currency.as_ref().map_or("?", |c| c.as_str()),
            method_word(o.provenance.method),
            o.provenance.path
        )
    };
    match &explanation.outcome {
        ExtractOutcome::Found(found) => {
            writeln!(
                out,
                "price:      {} {}  (confidence {:.2})",
                found.amount,
                found.currency.as_ref().map_or("?", |c| c.as_str()),
                found.confidence
            )?;
            writeln!(
                out,
                "read from:  {}",
                reading(&Observation {
                    amount: found.amount,
                    currency: found.currency,
                    provenance: found.provenance.clone(),
                })
            )?;
            writeln!(out, "decision:   {}", found.decision)?;
            writeln!(
                out,
                "runner-up:  {}",
                found.runner_up.as_ref().map_or("none".to_owned(), reading)
            )?;
            writeln!(out, "stock:      {}", stock_word(found.availability))?;
            writeln!(out, "title:      {}", found.title.as_deref().unwrap_or("-"))?;
        }
        ExtractOutcome::NoPrice {
            reason,
            availability,
            ..
        } => {
            writeln!(out, "no price:   {reason}")?;
            writeln!(out, "stock:      {}", stock_word(*availability))?;
        }
        ExtractOutcome::Blocked { reason } => writeln!(out, "blocked:    {reason}")?,
    }
    writeln!(
        out,
        "\ncandidates ({}), in page order within each method:",
        explanation.candidates.len()
    )?;
    writeln!(
        out,
        "  {:<10} {:>12} {:<4} {:>5}  {:<45} where: text",
        "method", "amount", "cur", "score", "what"
    )?;
    for c in &explanation.candidates {
        let method = method_word(c.method);
        let raw: String = c.raw.chars().take(60).collect();
        writeln!(
            out,
            "  {:<10} {:>12} {:<4} {:>5}  {:<45} {}: {:?}",
            method,
            c.amount.to_string(),
            c.currency.as_ref().map_or("?", |x| x.as_str()),
            c.score.map_or("-".to_owned(), |s| s.to_string()),
            c.note,
            c.path,
            raw
        )?;
    }
    Ok(out)
}

/// How a method is spelt in the JSON result (`json_ld`).
fn method_word(method: Method) -> String {
    as_word(serde_json::to_value(method))
}

/// How a stock state is spelt in the JSON result (`in_stock`).
fn stock_word(stock: Availability) -> String {
    as_word(serde_json::to_value(stock))
}

fn as_word(json: serde_json::Result<serde_json::Value>) -> String {
    json.ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
}

fn read_page(path: &Path) -> anyhow::Result<Vec<u8>> {
    let file = std::fs::File::open(path).with_context(|| format!("opening {}", path.display()))?;
    let mut html = Vec::new();
    // Read one byte more than extract uses, so that it can note the cut.
    let limit = u64::try_from(MAX_HTML_BYTES)
        .unwrap_or(u64::MAX)
        .saturating_add(1);
    file.take(limit)
        .read_to_end(&mut html)
        .with_context(|| format!("reading {}", path.display()))?;
    Ok(html)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reports_price_and_method() {
        let dir = std::env::temp_dir().join(format!("pw-extract-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let page = dir.join("p.html");
        std::fs::write(&page, r#"<h1>Kettle</h1><span class="price">$24.99</span>"#).unwrap();
        let json = extract(&page, Some("https://shop.example.ca/p/1"), None).unwrap();
        assert_eq!(json["outcome"], "found");
        assert_eq!(json["amount"], "24.99");
        assert_eq!(json["currency"], "CAD");
        assert_eq!(json["method"], "heuristic");
        assert!(extract(&dir.join("missing.html"), None, None).is_err());
        let report = explain(&page, Some("https://shop.example.ca/p/1"), None).unwrap();
        assert!(report.contains("price:      24.99 CAD"), "{report}");
        assert!(
            report.contains("decision:   no structured data"),
            "{report}"
        );
        assert!(report.contains("visible, main product area"), "{report}");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
