//! Bytes to text: the charset from a BOM, the HTTP header, a `<meta>` in the first
//! bytes, else UTF-8 when valid, else windows-1252 (what browsers assume).

use std::borrow::Cow;

use encoding_rs::{Encoding, UTF_8, WINDOWS_1252};

/// How far into the page a `<meta charset>` is looked for.
const PRESCAN_BYTES: usize = 4096;

pub(crate) fn decode<'a>(
    bytes: &'a [u8],
    header_charset: Option<&str>,
) -> (Cow<'a, str>, &'static str) {
    let declared = Encoding::for_bom(bytes)
        .map(|(enc, _)| enc)
        .or_else(|| header_charset.and_then(|l| Encoding::for_label(l.trim().as_bytes())))
        .or_else(|| meta_charset(bytes).filter(|enc| !is_utf8_despite_meta(bytes, enc)));
    let encoding = match declared {
        Some(enc) => enc,
        None => match std::str::from_utf8(bytes) {
            // No BOM (else it would have been declared) and valid: what
            // `UTF_8.decode` would return, without validating the page twice.
            Ok(text) => return (Cow::Borrowed(text), UTF_8.name()),
            Err(_) => WINDOWS_1252,
        },
    };
    let (text, used, _had_errors) = encoding.decode(bytes);
    (text, used.name())
}

/// A `<meta>` naming a single-byte charset over bytes that are valid UTF-8 with
/// multi-byte characters: the page was re-saved as UTF-8 (by a CMS, a proxy, an
/// archive) and kept its old tag. Legacy text is valid UTF-8 only by accident
/// (`Ã©`), so the bytes win over the tag.
fn is_utf8_despite_meta(bytes: &[u8], declared: &&'static Encoding) -> bool {
    declared.is_single_byte() && !bytes.is_ascii() && std::str::from_utf8(bytes).is_ok()
}

/// `find_ci(hay, b"<meta", from)`: `<` has no case, so only places holding one are compared.
fn find_meta(hay: &[u8], from: usize) -> Option<usize> {
    let needle = b"<meta";
    let mut at = from;
    loop {
        let rest = hay.get(at..)?;
        let lt = at + rest.iter().position(|b| *b == b'<')?;
        if hay
            .get(lt..lt + needle.len())
            .is_some_and(|w| w.eq_ignore_ascii_case(needle))
        {
            return Some(lt);
        }
        at = lt + 1;
    }
}

fn find_ci(hay: &[u8], needle: &[u8], from: usize) -> Option<usize> {
    hay.get(from..)?
        .windows(needle.len())
        .position(|w| w.eq_ignore_ascii_case(needle))
        .map(|p| p + from)
}

/// `<meta charset="x">` or `<meta http-equiv="Content-Type" content="…; charset=x">`.
fn meta_charset(bytes: &[u8]) -> Option<&'static Encoding> {
    let head = bytes.get(..bytes.len().min(PRESCAN_BYTES))?;
    let mut from = 0;
    while let Some(meta) = find_meta(head, from) {
        let end = head
            .get(meta..)?
            .iter()
            .position(|b| *b == b'>')
            .map_or(head.len(), |p| p + meta);
        let tag = head.get(meta..end)?;
        if let Some(at) = find_ci(tag, b"charset", 0) {
            let rest = tag.get(at + 7..)?;
            let rest = rest
                .iter()
                .skip_while(|b| b.is_ascii_whitespace() || **b == b'=');
            let label: Vec<u8> = rest
                .skip_while(|b| **b == b'"' || **b == b'\'')
                .take_while(|b| !matches!(b, b'"' | b'\'' | b';' | b' ' | b'/' | b'>'))
                .copied()
                .collect();
            if let Some(enc) = Encoding::for_label(&label) {
                // A page cannot declare UTF-16 in ASCII-compatible bytes.
                return Some(enc.output_encoding());
            }
        }
        from = end;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn meta_tags_are_found_like_a_case_blind_search() {
        let hay = b"x<m<META <Meta<meta<me";
        for from in 0..=hay.len() + 1 {
            assert_eq!(find_meta(hay, from), find_ci(hay, b"<meta", from), "{from}");
        }
    }

    #[test]
    fn charset_comes_from_bom_header_meta_or_content() {
        let latin1 = b"<meta charset=\"iso-8859-1\"><p>Pr\xe9cio 9,99 \x80</p>";
        let (text, name) = decode(latin1, None);
        assert_eq!(name, "windows-1252");
        assert!(text.contains("Précio 9,99 €"));
        let (text, _) = decode("<p>€</p>".as_bytes(), None);
        assert_eq!(text, "<p>€</p>");
        let (_, name) = decode(b"<p>x</p>", Some("koi8-r"));
        assert_eq!(name, "KOI8-R");
        let (_, name) = decode(b"<p>\xff\xfe</p>", None);
        assert_eq!(name, "windows-1252");
    }
}
