//! schema.org JSON-LD: lenient reading of what pages really embed (comments,
//! trailing commas, control characters, CDATA, HTML entities), then the
//! products and offers in it (`@graph`, arrays, `@id` references, nested
//! offers, `priceSpecification`, `lowPrice`, `ProductGroup`/`hasVariant`).

use std::collections::HashMap;

use serde_json::{Map, Value};

mod repair;

use repair::{parse, unescape_entities};

const MAX_DEPTH: usize = 48;
const MAX_PRODUCTS: usize = 64;

/// One offer's price as written, where it was found, and what goes with it.
#[derive(Debug, Clone, Default)]
pub(crate) struct LdOffer {
    pub price: String,
    pub high: Option<String>,
    pub path: String,
    pub currency: Option<String>,
    pub availability: Option<String>,
    pub url: Option<String>,
    pub sku: Option<String>,
}

#[derive(Debug, Clone, Default)]
pub(crate) struct LdProduct {
    pub name: Option<String>,
    pub image: Option<String>,
    pub url: Option<String>,
    pub id: Option<String>,
    pub sku: Option<String>,
    pub offers: Vec<LdOffer>,
    pub variants: Vec<LdProduct>,
}

fn get_ci<'v>(obj: &'v Map<String, Value>, key: &str) -> Option<&'v Value> {
    obj.get(key).or_else(|| {
        obj.iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(key))
            .map(|(_, v)| v)
    })
}

fn text_of(value: Option<&Value>) -> Option<String> {
    match value? {
        Value::String(s) if !s.trim().is_empty() => Some(unescape_entities(s.trim())),
        Value::Number(n) => Some(n.to_string()),
        Value::Array(items) => items.iter().find_map(|v| text_of(Some(v))),
        Value::Object(obj) => text_of(get_ci(obj, "@value").or_else(|| get_ci(obj, "name"))),
        _ => None,
    }
}

fn image_of(value: Option<&Value>) -> Option<String> {
    match value? {
        Value::String(s) if !s.trim().is_empty() => Some(s.trim().to_owned()),
        Value::Array(items) => items.iter().find_map(|v| image_of(Some(v))),
        Value::Object(obj) => image_of(get_ci(obj, "url").or_else(|| get_ci(obj, "contentUrl"))),
        _ => None,
    }
}

fn types(obj: &Map<String, Value>) -> Vec<&str> {
    fn names(v: &Value) -> Vec<&str> {
        match v {
            Value::String(s) => vec![s.as_str()],
            Value::Array(items) => items.iter().filter_map(Value::as_str).collect(),
            _ => Vec::new(),
        }
    }
    get_ci(obj, "@type")
        .map(names)
        .unwrap_or_default()
        .into_iter()
        .map(|t| t.rsplit(['/', ':', '#']).next().unwrap_or(""))
        .collect()
}

fn is_product(types: &[&str]) -> bool {
    types.iter().any(|t| {
        matches!(
            *t,
            "Product"
                | "ProductGroup"
                | "IndividualProduct"
                | "ProductModel"
                | "SomeProducts"
                | "Vehicle"
                | "Car"
                | "Book"
        )
    })
}

fn is_offer(types: &[&str]) -> bool {
    types
        .iter()
        .any(|t| matches!(*t, "Offer" | "AggregateOffer"))
}

/// Only objects and arrays are walked into; a path for anything else is never used.
fn walkable(value: &Value) -> bool {
    matches!(value, Value::Object(_) | Value::Array(_))
}

struct Walker<'v> {
    ids: HashMap<&'v str, &'v Value>,
    products: Vec<LdProduct>,
}

impl<'v> Walker<'v> {
    fn index(&mut self, value: &'v Value, depth: usize) {
        if depth > MAX_DEPTH || self.ids.len() > 10_000 {
            return;
        }
        match value {
            Value::Object(obj) => {
                if obj.len() > 1
                    && let Some(id) = obj.get("@id").and_then(Value::as_str)
                {
                    self.ids.entry(id).or_insert(value);
                }
                obj.values().for_each(|v| self.index(v, depth + 1));
            }
            Value::Array(items) => items.iter().for_each(|v| self.index(v, depth + 1)),
            _ => {}
        }
    }

    /// Follows `{"@id": "#offer"}` to the object it names.
    fn resolve(&self, value: &'v Value) -> &'v Value {
        match value {
            Value::Object(obj) if obj.len() == 1 => obj
                .get("@id")
                .and_then(Value::as_str)
                .and_then(|id| self.ids.get(id).copied())
                .unwrap_or(value),
            _ => value,
        }
    }

    fn walk(&mut self, value: &'v Value, path: &str, depth: usize) {
        if depth > MAX_DEPTH || self.products.len() >= MAX_PRODUCTS {
            return;
        }
        match value {
            Value::Object(obj) => {
                let kinds = types(obj);
                if is_product(&kinds) {
                    let product = self.product(obj, path, depth);
                    self.products.push(product);
                    return;
                }
                if is_offer(&kinds)
                    && let Some(item) = get_ci(obj, "itemOffered").map(|v| self.resolve(v))
                    && let Some(item_obj) = item.as_object()
                {
                    let mut product = self.product(item_obj, &format!("{path}.itemOffered"), depth);
                    self.offers(value, path, depth, &mut product.offers);
                    self.products.push(product);
                    return;
                }
                for (key, v) in obj.iter().filter(|(_, v)| walkable(v)) {
                    self.walk(v, &format!("{path}.{key}"), depth + 1);
                }
            }
            Value::Array(items) => {
                for (i, v) in items.iter().enumerate().filter(|(_, v)| walkable(v)) {
                    self.walk(v, &format!("{path}[{i}]"), depth + 1);
                }
            }
            _ => {}
        }
    }

    fn product(&self, obj: &'v Map<String, Value>, path: &str, depth: usize) -> LdProduct {
        let mut product = LdProduct {
            name: text_of(get_ci(obj, "name")),
            image: image_of(get_ci(obj, "image")),
            url: text_of(get_ci(obj, "url")),
            id: text_of(get_ci(obj, "@id")),
            sku: text_of(
                get_ci(obj, "sku")
                    .or_else(|| get_ci(obj, "productID"))
                    .or_else(|| get_ci(obj, "mpn")),
            ),
            ..LdProduct::default()
        };
        if let Some(offers) = get_ci(obj, "offers") {
            self.offers(
                offers,
                &format!("{path}.offers"),
                depth + 1,
                &mut product.offers,
            );
        }
        if depth < MAX_DEPTH
            && let Some(variants) = get_ci(obj, "hasVariant")
        {
            let list: Vec<&Value> = match variants {
                Value::Array(items) => items.iter().collect(),
                other => vec![other],
            };
            for (i, v) in list.into_iter().enumerate().take(MAX_PRODUCTS) {
                if let Some(vobj) = self.resolve(v).as_object() {
                    product.variants.push(self.product(
                        vobj,
                        &format!("{path}.hasVariant[{i}]"),
                        depth + 2,
                    ));
                }
            }
        }
        product
    }

    fn offers(&self, value: &'v Value, path: &str, depth: usize, out: &mut Vec<LdOffer>) {
        if depth > MAX_DEPTH || out.len() >= MAX_PRODUCTS {
            return;
        }
        match self.resolve(value) {
            Value::Array(items) => {
                for (i, v) in items.iter().enumerate() {
                    self.offers(v, &format!("{path}[{i}]"), depth + 1, out);
                }
            }
            Value::Object(obj) => {
                let currency = text_of(get_ci(obj, "priceCurrency"));
                let base = LdOffer {
                    currency: currency.clone(),
                    availability: text_of(get_ci(obj, "availability")),
                    url: text_of(get_ci(obj, "url")),
                    sku: text_of(get_ci(obj, "sku")),
                    ..LdOffer::default()
                };
                if let Some(price) = text_of(get_ci(obj, "price")) {
                    out.push(LdOffer {
                        price,
                        path: format!("{path}.price"),
                        ..base
                    });
                } else if let Some(spec) =
                    get_ci(obj, "priceSpecification").and_then(|s| self.specification(s, path))
                {
                    let (price, spec_path, spec_currency) = spec;
                    out.push(LdOffer {
                        price,
                        path: spec_path,
                        currency: spec_currency.or(currency),
                        ..base
                    });
                } else if let Some(low) = text_of(get_ci(obj, "lowPrice")) {
                    let high = text_of(get_ci(obj, "highPrice"));
                    let mut base = base;
                    // An `AggregateOffer` often states its stock only in its own offers.
                    if base.availability.is_none()
                        && let Some(nested) = get_ci(obj, "offers")
                    {
                        let mut inner = Vec::new();
                        self.offers(nested, path, depth + 1, &mut inner);
                        base.availability = nested_availability(&inner);
                    }
                    out.push(LdOffer {
                        price: low,
                        high,
                        path: format!("{path}.lowPrice"),
                        ..base
                    });
                } else if let Some(nested) = get_ci(obj, "offers") {
                    self.offers(nested, &format!("{path}.offers"), depth + 1, out);
                }
            }
            _ => {}
        }
    }

    /// The selling price among price specifications: not a strikethrough or
    /// list price, not a per-unit price.
    fn specification(
        &self,
        value: &'v Value,
        path: &str,
    ) -> Option<(String, String, Option<String>)> {
        let specs: Vec<(String, &Map<String, Value>)> = match self.resolve(value) {
            Value::Array(items) => items
                .iter()
                .enumerate()
                .filter_map(|(i, v)| {
                    Some((
                        format!("{path}.priceSpecification[{i}]"),
                        self.resolve(v).as_object()?,
                    ))
                })
                .collect(),
            Value::Object(obj) => vec![(format!("{path}.priceSpecification"), obj)],
            _ => return None,
        };
        let selling = |obj: &Map<String, Value>| {
            let kind = text_of(get_ci(obj, "priceType"))
                .unwrap_or_default()
                .to_ascii_lowercase();
            let decoy = [
                "strikethrough",
                "listprice",
                "srp",
                "msrp",
                "invoice",
                "minimumadvertised",
            ]
            .iter()
            .any(|d| kind.contains(d));
            !decoy && get_ci(obj, "referenceQuantity").is_none()
        };
        let pick = specs
            .iter()
            .find(|(_, o)| selling(o) && text_of(get_ci(o, "price")).is_some());
        let (spec_path, obj) = pick.or_else(|| {
            specs
                .iter()
                .find(|(_, o)| text_of(get_ci(o, "price")).is_some())
        })?;
        Some((
            text_of(get_ci(obj, "price"))?,
            format!("{spec_path}.price"),
            text_of(get_ci(obj, "priceCurrency")),
        ))
    }
}

/// The products described by the page's JSON-LD scripts, in page order.
pub(crate) fn products(scripts: &[String]) -> Vec<LdProduct> {
    let docs: Vec<(usize, Vec<Value>)> = scripts
        .iter()
        .enumerate()
        .map(|(i, s)| (i, parse(s)))
        .collect();
    let mut walker = Walker {
        ids: HashMap::new(),
        products: Vec::new(),
    };
    for (_, values) in &docs {
        values.iter().for_each(|v| walker.index(v, 0));
    }
    for (i, values) in &docs {
        for (j, v) in values.iter().enumerate() {
            let path = if values.len() == 1 {
                format!("script[{i}]")
            } else {
                format!("script[{i}]#{j}")
            };
            walker.walk(v, &path, 0);
        }
    }
    walker.products
}

/// The stock of a set of offers: in stock if any is, else the first stated.
fn nested_availability(offers: &[LdOffer]) -> Option<String> {
    let stated = || offers.iter().filter_map(|o| o.availability.as_deref());
    stated()
        .find(|a| {
            crate::signals::Availability::from_schema(a) == crate::signals::Availability::InStock
        })
        .or_else(|| stated().next())
        .map(str::to_owned)
}

#[cfg(test)]
mod tests {
    use super::repair::clean;
    use super::*;

    /// The char-by-char version `clean` replaces.
    fn clean_reference(raw: &str) -> String {
        let mut out = String::with_capacity(raw.len() + 16);
        let chars: Vec<char> = raw.chars().collect();
        let mut i = 0;
        let mut in_string = false;
        let starts = |i: usize, s: &str| {
            s.chars()
                .enumerate()
                .all(|(k, c)| chars.get(i + k) == Some(&c))
        };
        while let Some(&c) = chars.get(i) {
            if in_string {
                match c {
                    '\\' => {
                        out.push('\\');
                        if let Some(&n) = chars.get(i + 1) {
                            out.push(n);
                        }
                        i += 2;
                        continue;
                    }
                    '"' => in_string = false,
                    '\n' => {
                        out.push_str("\\n");
                        i += 1;
                        continue;
                    }
                    '\r' | '\t' => {
                        out.push(' ');
                        i += 1;
                        continue;
                    }
                    c if c.is_control() => {
                        out.push(' ');
                        i += 1;
                        continue;
                    }
                    _ => {}
                }
                out.push(c);
                i += 1;
                continue;
            }
            // Every pattern below starts with one of these; most chars are none of them.
            let special = matches!(c, '/' | '<' | ']' | '-');
            if special && starts(i, "//") {
                while chars.get(i).is_some_and(|c| *c != '\n') {
                    i += 1;
                }
                continue;
            }
            if special && starts(i, "/*") {
                i += 2;
                while i < chars.len() && !starts(i, "*/") {
                    i += 1;
                }
                i += 2;
                continue;
            }
            let wrapper = ["<![CDATA[", "]]>", "<!--", "-->"]
                .into_iter()
                .find(|w| special && starts(i, w));
            if let Some(w) = wrapper {
                i += w.chars().count();
                continue;
            }
            match c {
                '"' => in_string = true,
                '}' | ']' => {
                    let trimmed = out.trim_end().len();
                    out.truncate(trimmed);
                    if out.ends_with(',') {
                        out.pop();
                    }
                }
                '-' | '0'..='9'
                    if matches!(out.trim_end().chars().last(), Some(':' | '[' | ',')) =>
                {
                    out.push('"');
                    while let Some(&d) = chars.get(i) {
                        if !(d.is_ascii_digit() || matches!(d, '.' | 'e' | 'E' | '+' | '-')) {
                            break;
                        }
                        out.push(d);
                        i += 1;
                    }
                    out.push('"');
                    continue;
                }
                _ => {}
            }
            out.push(c);
            i += 1;
        }
        out
    }

    proptest::proptest! {
        #[test]
        fn clean_matches_the_char_by_char_version(
            raw in "(\\{|\\}|\\[|\\]|,|:| |\"|\\\\|\n|\t|\u{85}|\u{9f}|\u{a0}|\u{7f}|\u{1}|é|€|-|1|2\\.5|e|/|\\*|//|/\\*|\\*/|<!\\[CDATA\\[|\\]\\]>|<!--|-->|<|!|a){0,40}"
        ) {
            proptest::prop_assert_eq!(clean(&raw), clean_reference(&raw));
        }
    }

    #[test]
    fn clean_matches_the_char_by_char_version_on_samples() {
        for raw in [
            "",
            "{\"a\": -1.5e+3, \"b\": [1, 2,], }",
            "/* x",
            "\"\\",
            "\"\\é\"",
            "\"a\u{85}b\u{1}\n\"",
            "<!--{\"p\": 3}-->",
            "// c\n{\"p\": 3}",
            "é/",
        ] {
            assert_eq!(clean(raw), clean_reference(raw), "{raw:?}");
        }
    }

    #[test]
    fn broken_json_ld_is_read_leniently() {
        let raw = "<!--//<![CDATA[\n{\"@type\": \"Product\", // comment\n \"name\": \"Caf&eacute;\tbar\",\n\"offers\": {\"price\": 2879.20, \"priceCurrency\": \"EUR\",},}\n//]]>-->";
        let products = products(&[raw.to_owned()]);
        assert_eq!(products.len(), 1);
        assert_eq!(products[0].name.as_deref(), Some("Café bar"));
        assert_eq!(products[0].offers[0].price, "2879.20");
        assert_eq!(products[0].offers[0].path, "script[0].offers.price");
    }

    #[test]
    fn graph_references_and_specifications_are_followed() {
        let raw = r##"{"@graph": [
            {"@type": ["Product", "Thing"], "name": "A", "Offers": {"@id": "#o"}},
            {"@id": "#o", "@type": "Offer", "priceSpecification": [
                {"@type": "UnitPriceSpecification", "priceType": "https://schema.org/StrikethroughPrice", "price": 99},
                {"@type": "UnitPriceSpecification", "price": 79.5, "priceCurrency": "GBP"}]}
        ]}"##;
        let products = products(&[raw.to_owned()]);
        assert_eq!(products[0].offers[0].price, "79.5");
        assert_eq!(products[0].offers[0].currency.as_deref(), Some("GBP"));
    }
}
