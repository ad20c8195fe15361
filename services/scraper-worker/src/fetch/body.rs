//! Reading a response body within a size limit, and deciding whether it is HTML.

use reqwest::Response;
use reqwest::header::CONTENT_TYPE;

use super::FetchError;

/// What to do when the body passes the limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Overflow {
    Fail,
    /// Keep the first `limit` bytes (robots.txt: RFC 9309 lets a crawler stop parsing there).
    Truncate,
}

/// Streams the (already decompressed) body, counting bytes as they arrive, so that a
/// 50 MB page or a gzip bomb stops at `limit` with at most one chunk beyond it in memory.
pub(crate) async fn read_limited(
    response: &mut Response,
    limit: usize,
    overflow: Overflow,
) -> Result<Vec<u8>, FetchError> {
    if overflow == Overflow::Fail
        && response
            .content_length()
            .is_some_and(|len| usize::try_from(len).map_or(true, |len| len > limit))
    {
        return Err(FetchError::TooLarge { limit });
    }
    let mut body = Vec::new();
    while let Some(chunk) = response
        .chunk()
        .await
        .map_err(|e| FetchError::Transport(innermost(&e)))?
    {
        let room = limit - body.len();
        if chunk.len() > room {
            return match overflow {
                Overflow::Fail => Err(FetchError::TooLarge { limit }),
                Overflow::Truncate => {
                    body.extend_from_slice(&chunk[..room]);
                    Ok(body)
                }
            };
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

/// The media type (`text/html`), lower-cased, and its charset parameter if any.
pub(crate) fn content_type(response: &Response) -> Option<(String, Option<String>)> {
    let raw = response.headers().get(CONTENT_TYPE)?.to_str().ok()?;
    let mut parts = raw.split(';');
    let essence = parts.next()?.trim().to_ascii_lowercase();
    if essence.is_empty() {
        return None;
    }
    let charset = parts.find_map(|param| {
        let (name, value) = param.split_once('=')?;
        name.trim()
            .eq_ignore_ascii_case("charset")
            .then(|| value.trim().trim_matches('"').to_ascii_lowercase())
            .filter(|v| !v.is_empty())
    });
    Some((essence, charset))
}

pub(crate) fn is_html_type(essence: &str) -> bool {
    matches!(essence, "text/html" | "application/xhtml+xml")
}

/// WHATWG MIME sniffing's HTML patterns, for pages served without a Content-Type.
pub(crate) fn looks_like_html(body: &[u8]) -> bool {
    const TAGS: [&[u8]; 17] = [
        b"<!doctype html",
        b"<html",
        b"<head",
        b"<script",
        b"<iframe",
        b"<h1",
        b"<div",
        b"<font",
        b"<table",
        b"<a",
        b"<style",
        b"<title",
        b"<b",
        b"<body",
        b"<br",
        b"<p",
        b"<!--",
    ];
    let head = &body[..body.len().min(512)];
    let head = head.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(head);
    let start = head
        .iter()
        .position(|b| !b" \t\n\r\x0c".contains(b))
        .unwrap_or(head.len());
    let head = &head[start..];
    TAGS.iter().any(|tag| {
        head.len() >= tag.len()
            && head[..tag.len()].eq_ignore_ascii_case(tag)
            && (tag == b"<!--"
                || head
                    .get(tag.len())
                    .is_some_and(|b| matches!(b, b' ' | b'>')))
    })
}

/// The deepest cause of an error chain: "connection reset by peer", not "error sending request".
pub(crate) fn innermost(error: &(dyn std::error::Error + 'static)) -> String {
    let mut current = error;
    while let Some(source) = current.source() {
        current = source;
    }
    current.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sniffs_html_the_way_browsers_do() {
        assert!(looks_like_html(b"<!DOCTYPE html><html><body>x"));
        assert!(looks_like_html(b"\xEF\xBB\xBF  \n<html lang=\"fr\">"));
        assert!(looks_like_html(b"<!-- shop -->"));
        assert!(looks_like_html(b"<p>12,99 EUR</p>"));
        assert!(!looks_like_html(b"%PDF-1.7"));
        assert!(!looks_like_html(b"{\"price\": 12}"));
        assert!(!looks_like_html(b"<pricelist>"));
        assert!(!looks_like_html(b""));
    }
}
