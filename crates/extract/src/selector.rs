//! The CSS selectors a user may give for a watch, matched during the streaming
//! pass: type, `#id`, `.class`, `[attr]`, `[attr=v]` (also `~= ^= $= *= |=`),
//! `*`, descendant and `>` child combinators, and `,` lists.

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unsupported or malformed CSS selector at {at}: {reason}")]
pub struct SelectorError {
    pub at: usize,
    pub reason: &'static str,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Op {
    Exists,
    Equals,
    Includes,
    Prefix,
    Suffix,
    Contains,
    DashMatch,
}

#[derive(Debug, Clone)]
struct AttrTest {
    name: String,
    op: Op,
    value: String,
}

#[derive(Debug, Clone, Default)]
struct Compound {
    tag: Option<String>,
    id: Option<String>,
    classes: Vec<String>,
    attrs: Vec<AttrTest>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Combinator {
    Descendant,
    Child,
}

/// One selector of a list: compounds left to right, each with the combinator
/// that links it to the previous one.
#[derive(Debug, Clone)]
struct Complex(Vec<(Combinator, Compound)>);

#[derive(Debug, Clone)]
pub struct Selector {
    list: Vec<Complex>,
}

/// An element as the matcher sees it: lower-case tag name and its attributes.
#[derive(Debug, Clone, Default)]
pub(crate) struct ElementInfo {
    pub name: String,
    pub attrs: Vec<(String, String)>,
}

impl ElementInfo {
    fn attr(&self, name: &str) -> Option<&str> {
        self.attrs
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

const MAX_SELECTOR_LEN: usize = 512;

fn ident_char(c: char) -> bool {
    c.is_alphanumeric() || matches!(c, '-' | '_') || !c.is_ascii()
}

impl Selector {
    pub fn parse(text: &str) -> Result<Selector, SelectorError> {
        if text.len() > MAX_SELECTOR_LEN {
            return Err(SelectorError {
                at: MAX_SELECTOR_LEN,
                reason: "too long",
            });
        }
        let chars: Vec<char> = text.chars().collect();
        let mut i = 0;
        let mut list = Vec::new();
        let mut current: Vec<(Combinator, Compound)> = Vec::new();
        let mut pending = Combinator::Descendant;
        let err = |at, reason| Err(SelectorError { at, reason });
        loop {
            let mut saw_space = false;
            while chars.get(i).is_some_and(|c| c.is_whitespace()) {
                i += 1;
                saw_space = true;
            }
            let Some(&c) = chars.get(i) else { break };
            match c {
                ',' => {
                    if current.is_empty() {
                        return err(i, "empty selector in list");
                    }
                    list.push(Complex(std::mem::take(&mut current)));
                    pending = Combinator::Descendant;
                    i += 1;
                }
                '>' => {
                    if current.is_empty() {
                        return err(i, "combinator without a left side");
                    }
                    pending = Combinator::Child;
                    i += 1;
                }
                '+' | '~' => return err(i, "sibling combinators are not supported"),
                ':' => return err(i, "pseudo-classes are not supported"),
                _ => {
                    let _ = saw_space;
                    let (compound, next) = parse_compound(&chars, i)?;
                    current.push((pending, compound));
                    pending = Combinator::Descendant;
                    i = next;
                }
            }
        }
        if current.is_empty() {
            return err(i, "empty selector");
        }
        list.push(Complex(current));
        Ok(Selector { list })
    }

    /// Whether the last element of `chain` (its ancestors before it) matches.
    pub(crate) fn matches(&self, chain: &[ElementInfo]) -> bool {
        self.list.iter().any(|complex| {
            let Some(last) = chain.len().checked_sub(1) else {
                return false;
            };
            match_at(&complex.0, complex.0.len(), chain, last)
        })
    }
}

/// Does `parts[..k]` match with `parts[k-1]` on `chain[at]`?
fn match_at(parts: &[(Combinator, Compound)], k: usize, chain: &[ElementInfo], at: usize) -> bool {
    let Some(idx) = k.checked_sub(1) else {
        return true;
    };
    let Some((combinator, compound)) = parts.get(idx) else {
        return false;
    };
    let Some(element) = chain.get(at) else {
        return false;
    };
    if !compound.matches(element) {
        return false;
    }
    if idx == 0 {
        return true;
    }
    match combinator {
        Combinator::Child => at
            .checked_sub(1)
            .is_some_and(|p| match_at(parts, idx, chain, p)),
        Combinator::Descendant => (0..at).rev().any(|p| match_at(parts, idx, chain, p)),
    }
}

impl Compound {
    fn matches(&self, e: &ElementInfo) -> bool {
        if self.tag.as_ref().is_some_and(|t| *t != e.name) {
            return false;
        }
        if self
            .id
            .as_ref()
            .is_some_and(|id| e.attr("id") != Some(id.as_str()))
        {
            return false;
        }
        let classes = e.attr("class").unwrap_or("");
        if !self
            .classes
            .iter()
            .all(|c| classes.split_ascii_whitespace().any(|x| x == c))
        {
            return false;
        }
        self.attrs.iter().all(|t| {
            let Some(v) = e.attr(&t.name) else {
                return false;
            };
            match t.op {
                Op::Exists => true,
                Op::Equals => v == t.value,
                Op::Includes => v.split_ascii_whitespace().any(|x| x == t.value),
                Op::Prefix => !t.value.is_empty() && v.starts_with(&t.value),
                Op::Suffix => !t.value.is_empty() && v.ends_with(&t.value),
                Op::Contains => !t.value.is_empty() && v.contains(&t.value),
                Op::DashMatch => v == t.value || v.starts_with(&format!("{}-", t.value)),
            }
        })
    }
}

fn read_ident(chars: &[char], mut i: usize) -> (String, usize) {
    let mut out = String::new();
    while let Some(&c) = chars.get(i) {
        if c == '\\'
            && let Some(&n) = chars.get(i + 1)
        {
            out.push(n);
            i += 2;
            continue;
        }
        if !ident_char(c) {
            break;
        }
        out.push(c);
        i += 1;
    }
    (out, i)
}

fn parse_compound(chars: &[char], mut i: usize) -> Result<(Compound, usize), SelectorError> {
    let mut compound = Compound::default();
    let err = |at, reason| Err(SelectorError { at, reason });
    let start = i;
    if chars.get(i) == Some(&'*') {
        i += 1;
    } else if chars.get(i).is_some_and(|c| ident_char(*c)) {
        let (name, next) = read_ident(chars, i);
        compound.tag = Some(name.to_ascii_lowercase());
        i = next;
    }
    while let Some(&c) = chars.get(i) {
        match c {
            '#' | '.' => {
                let (name, next) = read_ident(chars, i + 1);
                if name.is_empty() {
                    return err(i, "empty id or class");
                }
                if c == '#' {
                    compound.id = Some(name);
                } else {
                    compound.classes.push(name);
                }
                i = next;
            }
            '[' => {
                let (test, next) = parse_attr(chars, i + 1)?;
                compound.attrs.push(test);
                i = next;
            }
            ':' => return err(i, "pseudo-classes are not supported"),
            _ => break,
        }
    }
    if i == start {
        return err(i, "unexpected character");
    }
    Ok((compound, i))
}

fn parse_attr(chars: &[char], mut i: usize) -> Result<(AttrTest, usize), SelectorError> {
    let err = |at, reason| Err(SelectorError { at, reason });
    let skip_ws = |mut i: usize| {
        while chars.get(i).is_some_and(|c| c.is_whitespace()) {
            i += 1;
        }
        i
    };
    i = skip_ws(i);
    let (name, next) = read_ident(chars, i);
    if name.is_empty() {
        return err(i, "attribute name expected");
    }
    i = skip_ws(next);
    let op = match (chars.get(i), chars.get(i + 1)) {
        (Some(']'), _) => {
            return Ok((
                AttrTest {
                    name: name.to_ascii_lowercase(),
                    op: Op::Exists,
                    value: String::new(),
                },
                i + 1,
            ));
        }
        (Some('='), _) => Op::Equals,
        (Some('~'), Some('=')) => Op::Includes,
        (Some('^'), Some('=')) => Op::Prefix,
        (Some('$'), Some('=')) => Op::Suffix,
        (Some('*'), Some('=')) => Op::Contains,
        (Some('|'), Some('=')) => Op::DashMatch,
        _ => return err(i, "attribute operator expected"),
    };
    i += if op == Op::Equals { 1 } else { 2 };
    i = skip_ws(i);
    let value = match chars.get(i) {
        Some(&q @ ('"' | '\'')) => {
            let end = chars.iter().skip(i + 1).position(|c| *c == q);
            let Some(len) = end else {
                return err(i, "unterminated string");
            };
            let value: String = chars.iter().skip(i + 1).take(len).collect();
            i += len + 2;
            value
        }
        _ => {
            let (v, next) = read_ident(chars, i);
            i = next;
            v
        }
    };
    i = skip_ws(i);
    if chars.get(i) != Some(&']') {
        return err(i, "] expected");
    }
    Ok((
        AttrTest {
            name: name.to_ascii_lowercase(),
            op,
            value,
        },
        i + 1,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn el(name: &str, attrs: &[(&str, &str)]) -> ElementInfo {
        ElementInfo {
            name: name.to_owned(),
            attrs: attrs
                .iter()
                .map(|(a, b)| ((*a).to_owned(), (*b).to_owned()))
                .collect(),
        }
    }

    #[test]
    fn compound_and_combinators_match() {
        let chain = vec![
            el("div", &[("id", "main")]),
            el("section", &[("class", "pdp box")]),
            el("span", &[("class", "price now"), ("data-x", "a-b")]),
        ];
        for ok in [
            "span",
            "#main span",
            "div > section > span.price",
            ".pdp .now",
            "span[data-x|=a]",
            "x, span.price",
        ] {
            assert!(Selector::parse(ok).unwrap().matches(&chain), "{ok}");
        }
        for no in ["div > span", "span.old", "#other span", "span[data-x=b]"] {
            assert!(!Selector::parse(no).unwrap().matches(&chain), "{no}");
        }
        assert!(Selector::parse("a:hover").is_err());
        assert!(Selector::parse("").is_err());
        assert!(Selector::parse("[x").is_err());
    }
}
