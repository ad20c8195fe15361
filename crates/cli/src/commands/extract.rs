//! `pricewatch extract FILE [--url URL] [--selector CSS]`: what PriceWatch reads
//! on a saved product page (price, currency, title, stock state, and the method
//! that found them), as JSON.

use std::io::Read;
use std::path::Path;

use anyhow::Context;
use pricewatch_extract::{ExtractContext, MAX_HTML_BYTES, extract as run};

pub fn extract(
    path: &Path,
    url: Option<&str>,
    selector: Option<&str>,
) -> anyhow::Result<serde_json::Value> {
    let file = std::fs::File::open(path).with_context(|| format!("opening {}", path.display()))?;
    let mut html = Vec::new();
    // Read one byte more than extract uses, so that it can note the cut.
    let limit = u64::try_from(MAX_HTML_BYTES)
        .unwrap_or(u64::MAX)
        .saturating_add(1);
    file.take(limit)
        .read_to_end(&mut html)
        .with_context(|| format!("reading {}", path.display()))?;
    let ctx = ExtractContext {
        url,
        selector,
        ..ExtractContext::default()
    };
    let outcome = run(&html, &ctx);
    serde_json::to_value(&outcome).context("encoding the result as JSON")
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
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
