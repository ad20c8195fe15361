//! `pricewatch parse-price`: one raw price text per input line, one JSON object
//! per output line: `{"amount": "1299.99"|null, "currency": "EUR"|null, "currency_raw": "€"|null}`.

use std::io::{BufRead, Write};

use anyhow::Context;
use pricewatch_extract::parse_price as parse;
use serde_json::json;

/// Longer lines are cut: a price text is short, and memory must stay bounded.
const MAX_LINE_BYTES: usize = 64 * 1024;

/// Reads one line (without its end), keeping at most `MAX_LINE_BYTES` of it.
/// Returns `None` at the end of the input.
fn read_line(input: &mut impl BufRead, line: &mut Vec<u8>) -> std::io::Result<Option<()>> {
    line.clear();
    let mut any = false;
    loop {
        let chunk = input.fill_buf()?;
        if chunk.is_empty() {
            return Ok(any.then_some(()));
        }
        any = true;
        let (part, used, done) = match chunk.iter().position(|b| *b == b'\n') {
            Some(i) => (&chunk[..i], i + 1, true),
            None => (chunk, chunk.len(), false),
        };
        let room = MAX_LINE_BYTES.saturating_sub(line.len());
        line.extend_from_slice(&part[..part.len().min(room)]);
        input.consume(used);
        if done {
            return Ok(Some(()));
        }
    }
}

pub fn parse_price(
    mut input: impl BufRead,
    mut output: impl Write,
    hint: Option<&str>,
) -> anyhow::Result<()> {
    let mut line = Vec::new();
    while read_line(&mut input, &mut line)
        .context("reading standard input")?
        .is_some()
    {
        let text = String::from_utf8_lossy(&line);
        let parsed = parse(text.trim_end_matches('\r'), hint);
        let object = json!({
            "amount": parsed.amount.map(|a| a.to_string()),
            "currency": parsed.currency.map(|c| c.to_string()),
            "currency_raw": parsed.currency_raw,
        });
        serde_json::to_writer(&mut output, &object).context("writing the result")?;
        output.write_all(b"\n").context("writing the result")?;
    }
    output.flush().context("writing the result")?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_json_object_per_line() {
        let input = "1.299,99 €\r\n$12\nSold out\n\u{ff}\u{fe}".as_bytes();
        let mut out = Vec::new();
        parse_price(input, &mut out, None).unwrap();
        let text = String::from_utf8(out).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 4);
        assert_eq!(
            lines[0],
            r#"{"amount":"1299.99","currency":"EUR","currency_raw":"€"}"#
        );
        assert_eq!(
            lines[1],
            r#"{"amount":"12","currency":"USD","currency_raw":"$"}"#
        );
        assert_eq!(
            lines[2],
            r#"{"amount":null,"currency":null,"currency_raw":null}"#
        );
    }

    #[test]
    fn the_hint_settles_ambiguous_signs() {
        let mut out = Vec::new();
        parse_price("199 kr\n".as_bytes(), &mut out, Some("sv-SE")).unwrap();
        assert!(
            String::from_utf8(out)
                .unwrap()
                .contains(r#""currency":"SEK""#)
        );
    }
}
