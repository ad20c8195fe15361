//! Reading an import body into entries, one per line (text, CSV) or per watch
//! (PriceWatch's JSON export). Pure: no database, so every rule is unit-tested.

use serde_json::Value;

use crate::error::ApiError;

/// Largest import body, the gateway's own request limit.
pub const MAX_IMPORT_BYTES: usize = 1024 * 1024;
/// Most entries (non-empty, non-comment lines, or watches) in one import.
pub const MAX_IMPORT_LINES: usize = 10_000;
/// Longest line read; a longer one is refused on its own.
pub const MAX_LINE_CHARS: usize = 4096;
/// How much of a refused line the report echoes.
const ECHO_CHARS: usize = 200;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// One URL per line, optionally followed by whitespace and a target price.
    Text,
    /// `url,target_price,frequency,tags`, with or without that header.
    Csv,
    /// PriceWatch's own export (`GET /api/v1/export?format=json`).
    Json,
}

impl Format {
    pub fn name(self) -> &'static str {
        match self {
            Format::Text => "text",
            Format::Csv => "csv",
            Format::Json => "json",
        }
    }
}

/// What one entry asks for, before validation.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RawWatch {
    pub url: String,
    pub target_price: Option<Value>,
    pub frequency: Option<String>,
    pub tags: Vec<String>,
    pub css_selector: Option<String>,
    pub active: Option<bool>,
    /// `auto`, `http` or `browser`, as given.
    pub fetch_mode: Option<String>,
}

/// Why an entry was refused before validation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Malformed {
    pub code: &'static str,
    pub reason: String,
}

/// One entry: its line (or item) number, what the report echoes, and what it asks.
#[derive(Debug, Clone, PartialEq)]
pub struct Entry {
    pub line: usize,
    pub input: String,
    pub watch: Result<RawWatch, Malformed>,
}

pub fn echo(text: &str) -> String {
    let mut out: String = text.chars().take(ECHO_CHARS).collect();
    if text.chars().count() > ECHO_CHARS {
        out.push('…');
    }
    out
}

fn malformed(code: &'static str, reason: impl Into<String>) -> Malformed {
    Malformed {
        code,
        reason: reason.into(),
    }
}

/// Splits the body into entries; fails as a whole only when the body is not
/// text, not the format it claims, or holds more than [`MAX_IMPORT_LINES`].
pub fn parse(format: Format, body: &[u8]) -> Result<Vec<Entry>, ApiError> {
    let text = std::str::from_utf8(body)
        .map_err(|_| ApiError::BadRequest("the import must be UTF-8 text".to_owned()))?;
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let entries = match format {
        Format::Text => parse_text(text),
        Format::Csv => parse_csv(text),
        Format::Json => parse_json(body)?,
    };
    if entries.len() > MAX_IMPORT_LINES {
        return Err(ApiError::validation(
            "body",
            format!(
                "an import holds at most {MAX_IMPORT_LINES} entries, this one {}; split it",
                entries.len()
            ),
        ));
    }
    if entries.is_empty() {
        return Err(ApiError::validation("body", "the import holds no entry"));
    }
    Ok(entries)
}

fn skip(line: &str) -> bool {
    let t = line.trim();
    t.is_empty() || t.starts_with('#')
}

fn parse_text(text: &str) -> Vec<Entry> {
    text.lines()
        .enumerate()
        .filter(|(_, l)| !skip(l))
        .map(|(i, l)| Entry {
            line: i + 1,
            input: echo(l.trim()),
            watch: text_line(l),
        })
        .collect()
}

fn text_line(line: &str) -> Result<RawWatch, Malformed> {
    if line.chars().count() > MAX_LINE_CHARS {
        return Err(too_long());
    }
    let mut words = line.split_whitespace();
    let url = words.next().unwrap_or_default().to_owned();
    let target_price = words.next().map(|p| Value::String(p.to_owned()));
    if words.next().is_some() {
        return Err(malformed(
            "bad_line",
            "expected a URL, optionally followed by a target price",
        ));
    }
    Ok(RawWatch {
        url,
        target_price,
        ..RawWatch::default()
    })
}

fn too_long() -> Malformed {
    malformed(
        "line_too_long",
        format!("the line is longer than {MAX_LINE_CHARS} characters"),
    )
}

/// CSV records (RFC 4180: quoted fields may hold commas, quotes as `""` and
/// line breaks), each with the number of the line it starts on.
pub fn csv_records(text: &str) -> Vec<(usize, String, Result<Vec<String>, Malformed>)> {
    let mut records = Vec::new();
    let mut line = 1;
    let mut chars = text.chars().peekable();
    while chars.peek().is_some() {
        let start = line;
        let mut raw = String::new();
        let mut fields = Vec::new();
        let mut field = String::new();
        let mut quoted = false;
        let mut error = None;
        let mut at_field_start = true;
        loop {
            let Some(c) = chars.next() else {
                if quoted {
                    error = Some(malformed("bad_line", "a quoted field is never closed"));
                }
                break;
            };
            if c == '\n' {
                line += 1;
                if !quoted {
                    break;
                }
            }
            raw.push(c);
            if quoted {
                if c == '"' {
                    if chars.peek() == Some(&'"') {
                        chars.next();
                        raw.push('"');
                        field.push('"');
                    } else {
                        quoted = false;
                    }
                } else {
                    field.push(c);
                }
                continue;
            }
            match c {
                '"' if at_field_start => {
                    quoted = true;
                    at_field_start = false;
                }
                ',' => {
                    fields.push(std::mem::take(&mut field));
                    at_field_start = true;
                }
                '\r' if chars.peek() == Some(&'\n') => {}
                c => {
                    field.push(c);
                    at_field_start = false;
                }
            }
        }
        fields.push(field);
        let raw = raw.trim_end_matches('\r').to_owned();
        if raw.trim().is_empty() || raw.trim_start().starts_with('#') {
            continue;
        }
        let result = match error {
            Some(e) => Err(e),
            None if raw.chars().count() > MAX_LINE_CHARS => Err(too_long()),
            None => Ok(fields),
        };
        records.push((start, raw, result));
    }
    records
}

/// Columns of an import CSV. A first record with a field `url` is a header
/// naming them (other columns are ignored, so PriceWatch's own CSV export
/// reads too); without one they are `url,target_price,frequency,tags`.
fn parse_csv(text: &str) -> Vec<Entry> {
    let mut records = csv_records(text).into_iter().peekable();
    let mut columns: Vec<String> = ["url", "target_price", "frequency", "tags"]
        .map(str::to_owned)
        .to_vec();
    if let Some((_, _, Ok(first))) = records.peek()
        && first.iter().any(|f| f.trim().eq_ignore_ascii_case("url"))
    {
        columns = first
            .iter()
            .map(|f| f.trim().to_ascii_lowercase())
            .collect();
        records.next();
    }
    records
        .map(|(line, raw, fields)| Entry {
            line,
            input: echo(raw.trim()),
            watch: fields.and_then(|f| csv_watch(&columns, &f)),
        })
        .collect()
}

fn csv_watch(columns: &[String], fields: &[String]) -> Result<RawWatch, Malformed> {
    if fields.len() > columns.len() {
        return Err(malformed(
            "bad_line",
            format!(
                "expected at most {} fields: {}",
                columns.len(),
                columns.join(",")
            ),
        ));
    }
    let mut watch = RawWatch::default();
    for (name, value) in columns.iter().zip(fields) {
        let value = value.trim();
        if value.is_empty() {
            continue;
        }
        match name.as_str() {
            "url" => watch.url = value.to_owned(),
            "target_price" => watch.target_price = Some(Value::String(value.to_owned())),
            "frequency" => watch.frequency = Some(value.to_owned()),
            "tags" => watch.tags = split_tags(value),
            "css_selector" => watch.css_selector = Some(value.to_owned()),
            "fetch_mode" => watch.fetch_mode = Some(value.to_owned()),
            "active" => {
                watch.active = match value.to_ascii_lowercase().as_str() {
                    "true" | "yes" | "1" => Some(true),
                    "false" | "no" | "0" => Some(false),
                    _ => {
                        return Err(malformed("bad_line", "active must be true or false"));
                    }
                }
            }
            _ => {}
        }
    }
    Ok(watch)
}

/// Tags in one CSV field: separated by spaces, `;`, `|` or commas.
pub fn split_tags(field: &str) -> Vec<String> {
    field
        .split(|c: char| c.is_whitespace() || matches!(c, ';' | '|' | ','))
        .filter(|t| !t.is_empty())
        .map(str::to_owned)
        .collect()
}

/// PriceWatch's export: `{"format": "pricewatch-export", "watches": [...]}`
/// (or a bare array of watches). Price history in it is not imported: it
/// belongs to the product, which PriceWatch observes itself.
fn parse_json(body: &[u8]) -> Result<Vec<Entry>, ApiError> {
    let value: Value = serde_json::from_slice(body)
        .map_err(|e| ApiError::BadRequest(format!("malformed JSON: {e}")))?;
    let items = match value {
        Value::Array(items) => items,
        Value::Object(mut map) => match map.remove("watches") {
            Some(Value::Array(items)) => items,
            _ => {
                return Err(ApiError::validation(
                    "watches",
                    "a JSON import is PriceWatch's export: an object with a \"watches\" array",
                ));
            }
        },
        _ => {
            return Err(ApiError::validation(
                "body",
                "a JSON import is PriceWatch's export: an object with a \"watches\" array",
            ));
        }
    };
    Ok(items
        .into_iter()
        .enumerate()
        .map(|(i, item)| {
            let input = item
                .get("url")
                .and_then(Value::as_str)
                .map_or_else(|| echo(&item.to_string()), echo);
            Entry {
                line: i + 1,
                input,
                watch: json_watch(item),
            }
        })
        .collect())
}

fn json_watch(item: Value) -> Result<RawWatch, Malformed> {
    let Value::Object(map) = item else {
        return Err(malformed("bad_line", "each watch must be a JSON object"));
    };
    let text = |key: &str| -> Result<Option<String>, Malformed> {
        match map.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.clone())),
            Some(_) => Err(malformed("bad_line", format!("{key} must be a string"))),
        }
    };
    let url = text("url")?.ok_or_else(|| malformed("bad_url", "the watch has no url"))?;
    let tags = match map.get("tags") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(items)) => items
            .iter()
            .map(|t| {
                t.as_str()
                    .map(str::to_owned)
                    .ok_or_else(|| malformed("bad_tags", "tags must be strings"))
            })
            .collect::<Result<_, _>>()?,
        Some(_) => return Err(malformed("bad_tags", "tags must be an array of strings")),
    };
    let active = match map.get("active") {
        None | Some(Value::Null) => None,
        Some(Value::Bool(b)) => Some(*b),
        Some(_) => return Err(malformed("bad_line", "active must be true or false")),
    };
    Ok(RawWatch {
        url,
        target_price: map.get("target_price").filter(|v| !v.is_null()).cloned(),
        frequency: text("frequency")?,
        tags,
        css_selector: text("css_selector")?,
        active,
        fetch_mode: text("fetch_mode")?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn text_lines_with_optional_prices_comments_and_junk() {
        let body = "# my list\nhttps://a.example/p/1\n\n  https://a.example/p/2   19.99 \r\nhttps://a.example/p/3 1 2\n";
        let entries = parse(Format::Text, body.as_bytes()).unwrap();
        assert_eq!(entries.len(), 3);
        assert_eq!(entries[0].line, 2);
        assert_eq!(
            entries[0].watch.as_ref().unwrap().url,
            "https://a.example/p/1"
        );
        assert_eq!(entries[0].watch.as_ref().unwrap().target_price, None);
        assert_eq!(entries[1].line, 4);
        assert_eq!(
            entries[1].watch.as_ref().unwrap().target_price,
            Some(json!("19.99"))
        );
        assert_eq!(entries[2].watch.as_ref().unwrap_err().code, "bad_line");
        assert!(parse(Format::Text, b"\n# nothing\n").is_err());
        assert!(parse(Format::Text, &[0xff, 0xfe]).is_err());
    }

    #[test]
    fn csv_with_and_without_header_and_quotes() {
        let body = "url,target_price,frequency,tags\nhttps://a.example/1,10,12h,kitchen;sale\n\"https://a.example/2?a=1,2\",\"5.50\",,\"x y\"\n";
        let entries = parse(Format::Csv, body.as_bytes()).unwrap();
        assert_eq!(entries.len(), 2);
        let first = entries[0].watch.as_ref().unwrap();
        assert_eq!(entries[0].line, 2);
        assert_eq!(first.frequency.as_deref(), Some("12h"));
        assert_eq!(first.tags, ["kitchen", "sale"]);
        let second = entries[1].watch.as_ref().unwrap();
        assert_eq!(second.url, "https://a.example/2?a=1,2");
        assert_eq!(second.target_price, Some(json!("5.50")));
        assert_eq!(second.frequency, None);
        assert_eq!(second.tags, ["x", "y"]);

        let headless = parse(Format::Csv, b"https://a.example/1,10\n").unwrap();
        assert_eq!(
            headless[0].watch.as_ref().unwrap().url,
            "https://a.example/1"
        );
        let reordered = parse(
            Format::Csv,
            b"url,observed_at,frequency,target_price\nhttps://a.example/1,2026-01-01,6h,3\n",
        )
        .unwrap();
        let w = reordered[0].watch.as_ref().unwrap();
        assert_eq!(
            (w.frequency.as_deref(), w.target_price.clone()),
            (Some("6h"), Some(json!("3")))
        );
        let exported = parse(
            Format::Csv,
            b"watch_id,url,title,target_price,frequency,active,tags,observed_at,amount,currency,in_stock\r\n\
              0b0e,https://a.example/1,\"A, b\",9.50,6h,false,x y,2026-01-01T00:00:00Z,10.00,EUR,true\r\n",
        )
        .unwrap();
        let w = exported[0].watch.as_ref().unwrap();
        assert_eq!(w.url, "https://a.example/1");
        assert_eq!(w.target_price, Some(json!("9.50")));
        assert_eq!(
            (w.frequency.as_deref(), w.active),
            (Some("6h"), Some(false))
        );
        assert_eq!(w.tags, ["x", "y"]);
        let bad = parse(Format::Csv, b"\"https://a.example/1,10\n").unwrap();
        assert_eq!(bad[0].watch.as_ref().unwrap_err().code, "bad_line");
        let many = parse(Format::Csv, b"https://a.example/1,10,24h,a,b\n").unwrap();
        assert_eq!(many[0].watch.as_ref().unwrap_err().code, "bad_line");
    }

    #[test]
    fn json_export_items() {
        let body = json!({"format": "pricewatch-export", "version": 1, "watches": [
            {"url": "https://a.example/1", "target_price": "9.99", "frequency": "6h",
             "tags": ["a"], "active": false, "prices": [{"amount": "1.00"}]},
            {"url": 5},
            "junk",
        ]});
        let entries = parse(Format::Json, body.to_string().as_bytes()).unwrap();
        let w = entries[0].watch.as_ref().unwrap();
        assert_eq!(w.tags, ["a"]);
        assert_eq!(w.active, Some(false));
        assert_eq!(w.target_price, Some(json!("9.99")));
        assert!(entries[1].watch.is_err());
        assert!(entries[2].watch.is_err());
        assert!(parse(Format::Json, b"{\"x\": 1}").is_err());
        assert!(parse(Format::Json, b"{").is_err());
    }

    #[test]
    fn too_many_lines_fail_the_whole_import() {
        let body = "https://a.example/\n".repeat(MAX_IMPORT_LINES + 1);
        assert!(parse(Format::Text, body.as_bytes()).is_err());
        let long = format!("https://a.example/{}\n", "x".repeat(MAX_LINE_CHARS));
        let entries = parse(Format::Text, long.as_bytes()).unwrap();
        assert_eq!(entries[0].watch.as_ref().unwrap_err().code, "line_too_long");
        assert!(entries[0].input.chars().count() <= 201);
    }
}
