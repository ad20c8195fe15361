//! Lenient JSON for what pages really embed in `application/ld+json`:
//! comments, trailing commas, control characters, CDATA, HTML entities.

use serde_json::Value;

/// Turns a script body into JSON that `serde_json` accepts, and numbers into
/// strings so that no price ever passes through a float.
///
/// Walks the text by byte offset (every pattern it looks for is ASCII), decoding
/// a char only where one is copied or skipped whole.
pub(crate) fn clean(raw: &str) -> String {
    let bytes = raw.as_bytes();
    let mut out = String::with_capacity(raw.len() + 16);
    let mut i = 0;
    let mut in_string = false;
    let starts = |i: usize, s: &str| bytes.get(i..).is_some_and(|b| b.starts_with(s.as_bytes()));
    let char_at = |i: usize| raw.get(i..).and_then(|r| r.chars().next());
    while let Some(c) = char_at(i) {
        if in_string {
            // Most of a string is plain text, copied as it is.
            let run = plain_run(bytes, i);
            if run > i {
                out.push_str(raw.get(i..run).unwrap_or(""));
                i = run;
                continue;
            }
            match c {
                '\\' => {
                    out.push('\\');
                    let next = char_at(i + 1);
                    if let Some(n) = next {
                        out.push(n);
                    }
                    i += 1 + next.map_or(1, char::len_utf8);
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
                    i += c.len_utf8();
                    continue;
                }
                _ => {}
            }
            out.push(c);
            i += c.len_utf8();
            continue;
        }
        // Every pattern below starts with one of these; most chars are none of them.
        let special = matches!(c, '/' | '<' | ']' | '-');
        if special && starts(i, "//") {
            while bytes.get(i).is_some_and(|b| *b != b'\n') {
                i += 1;
            }
            continue;
        }
        if special && starts(i, "/*") {
            i += 2;
            while i < bytes.len() && !starts(i, "*/") {
                i += 1;
            }
            i += 2;
            continue;
        }
        let wrapper = ["<![CDATA[", "]]>", "<!--", "-->"]
            .into_iter()
            .find(|w| special && starts(i, w));
        if let Some(w) = wrapper {
            i += w.len();
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
            '-' | '0'..='9' if matches!(out.trim_end().chars().last(), Some(':' | '[' | ',')) => {
                out.push('"');
                while let Some(&d) = bytes.get(i) {
                    if !(d.is_ascii_digit() || matches!(d, b'.' | b'e' | b'E' | b'+' | b'-')) {
                        break;
                    }
                    out.push(char::from(d));
                    i += 1;
                }
                out.push('"');
                continue;
            }
            _ => {}
        }
        out.push(c);
        i += c.len_utf8();
    }
    out
}

/// Where the run of plain string chars starting at `from` ends: chars that
/// `clean` copies unchanged inside a string (not `\\`, `"` or a control char:
/// C0, DEL, and C1 which UTF-8 writes as `C2 80`..`C2 9F`). Stops only on a char
/// boundary.
fn plain_run(bytes: &[u8], from: usize) -> usize {
    let mut j = from;
    while let Some(&b) = bytes.get(j) {
        let plain = match b {
            b'\\' | b'"' | 0x00..=0x1F | 0x7F => false,
            0xC2 => !bytes.get(j + 1).is_some_and(|n| (0x80..=0x9F).contains(n)),
            _ => true,
        };
        if !plain {
            break;
        }
        j += 1;
    }
    j
}

/// Decodes the few HTML entities that leak into JSON-LD and titles.
pub(crate) fn unescape_entities(text: &str) -> String {
    if !text.contains('&') {
        return text.to_owned();
    }
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(pos) = rest.find('&') {
        out.push_str(rest.get(..pos).unwrap_or(""));
        let tail = rest.get(pos..).unwrap_or("");
        let end = tail.find(';').filter(|e| *e <= 10);
        let decoded = end.and_then(|e| {
            let name = tail.get(1..e)?;
            let c = match name {
                "amp" => '&',
                "quot" => '"',
                "apos" => '\'',
                "lt" => '<',
                "gt" => '>',
                "nbsp" => '\u{a0}',
                "euro" => '€',
                "pound" => '£',
                "eacute" => 'é',
                _ => {
                    let num = name.strip_prefix('#')?;
                    let code = match num.strip_prefix(['x', 'X']) {
                        Some(hex) => u32::from_str_radix(hex, 16).ok()?,
                        None => num.parse().ok()?,
                    };
                    char::from_u32(code)?
                }
            };
            Some((c, e))
        });
        match decoded {
            Some((c, e)) => {
                out.push(c);
                rest = tail.get(e + 1..).unwrap_or("");
            }
            None => {
                out.push('&');
                rest = tail.get(1..).unwrap_or("");
            }
        }
    }
    out.push_str(rest);
    out
}

/// Every JSON value a script holds (one document, or several glued together).
pub(crate) fn parse(raw: &str) -> Vec<Value> {
    let attempt = |text: &str| -> Vec<Value> {
        let cleaned = clean(text);
        serde_json::Deserializer::from_str(&cleaned)
            .into_iter::<Value>()
            .map_while(Result::ok)
            .collect()
    };
    let values = attempt(raw);
    if values.is_empty() && raw.contains('&') {
        return attempt(&unescape_entities(raw));
    }
    values
}
