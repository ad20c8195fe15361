//! One streaming pass of html5ever's tokenizer over the page, no DOM: keeps a
//! bounded stack of open elements and collects what the methods need (metas,
//! JSON-LD, microdata properties, price-like texts, stock texts, bot-wall cues).

use std::cell::RefCell;

use html5ever::tendril::StrTendril;
use html5ever::tokenizer::states::RawKind;
use html5ever::tokenizer::{
    BufferQueue, Tag, TagKind, Token, TokenSink, TokenSinkResult, Tokenizer, TokenizerOpts,
};
use html5ever::{LocalName, TokenizerResult};

use crate::price::digits;
use crate::price::words::WordList;
use crate::selector::{ElementInfo, Selector};
use crate::signals::{self, WallSignal};

mod markup;
mod microdata;
mod scanner;

use markup::*;

const MAX_DEPTH: usize = 512;
const MAX_CAPTURE_CHARS: usize = 400;
const MAX_OPEN_CAPTURES: usize = 48;
const MAX_CANDIDATES: usize = 400;
const MAX_JSONLD_BYTES: usize = 4 << 20;
const MAX_METAS: usize = 512;
const MAX_MICRO_PROPS: usize = 2048;
const VISIBLE_HEAD_BYTES: usize = 6000;
/// Longer texts between two tags are prose, not a price.
const MAX_TEXT_RUN: usize = 160;
/// How much text after the title is kept for a stock statement.
const AFTER_TITLE_BYTES: usize = 6000;
/// End tags close a matching element at most this far down the stack.
const CLOSE_SEARCH: usize = 48;

const DECOY: u16 = 1;
const STRUCK: u16 = 1 << 1;
const HIDDEN: u16 = 1 << 2;
const ELSEWHERE: u16 = 1 << 3;
const CURRENT: u16 = 1 << 4;
const INHERITED: u16 = DECOY | STRUCK | HIDDEN | ELSEWHERE | CURRENT;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum MicroKind {
    Product,
    Offer,
    Other,
}

#[derive(Debug, Clone)]
pub(crate) struct MicroProp {
    pub name: String,
    pub value: String,
    pub decoy: bool,
}

#[derive(Debug, Clone)]
pub(crate) struct MicroItem {
    pub kind: MicroKind,
    pub parent: Option<usize>,
    pub props: Vec<MicroProp>,
}

/// A text inside price-like markup, with what its ancestors say about it.
#[derive(Debug, Clone, Default)]
pub(crate) struct Candidate {
    pub text: String,
    pub path: String,
    pub order: usize,
    pub price_named: bool,
    pub decoy: bool,
    pub struck: bool,
    pub hidden: bool,
    pub elsewhere: bool,
    pub current: bool,
    pub after_h1: bool,
    /// Read before the page's `<h1>` opened (the header, menus, a side bar).
    pub before_h1: bool,
    pub from_attribute: bool,
}

#[derive(Debug, Default)]
pub(crate) struct PageScan {
    pub title: Option<String>,
    pub h1: Option<String>,
    pub lang: Option<String>,
    pub canonical: Option<String>,
    pub metas: Vec<(String, String)>,
    pub jsonld: Vec<String>,
    pub micro: Vec<MicroItem>,
    pub candidates: Vec<Candidate>,
    pub stock_texts: Vec<String>,
    pub selector_hits: Vec<(String, String)>,
    /// From scripts, forms, ids, classes and the title; the visible text's
    /// wording is read by `extract` only when it needs to know.
    pub wall: WallSignal,
    pub visible_head: String,
    /// An add-to-cart or buy button outside hidden parts and other products' rails.
    pub buy_button: bool,
    /// The visible texts after the title, outside rails and hidden parts, one
    /// per line (bounded): read for a stock statement only when nothing else
    /// states one (`Availability: In Stock`, `Skladem`).
    pub after_title_text: String,
}

impl PageScan {
    pub(crate) fn meta(&self, key: &str) -> Option<&str> {
        self.metas
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }
}

#[derive(Debug)]
enum CaptureKind {
    Price(Candidate),
    ItemProp {
        item: usize,
        name: String,
        decoy: bool,
    },
    Stock,
    Selector(String),
    H1,
    /// A heading below `h1`: a rail's title ("Customers also bought") marks its container.
    Heading,
    /// Cents in their own element after the units' element closed (`<span class=whole>68</span><span class=fraction>50</span>`).
    Fraction,
}

#[derive(Debug)]
struct Capture {
    /// Stack length when opened: closes with the frame at `depth - 1`.
    depth: usize,
    kind: CaptureKind,
    buf: String,
    /// Text of hidden descendants of a visible price (`sr-only` copies): used
    /// only when the visible part holds no digit, never joined with it.
    hidden_buf: String,
    pending_fraction: bool,
}

struct Frame {
    name: LocalName,
    flags: u16,
    /// The microdata item this element starts, else the nearest ancestor's.
    item: Option<usize>,
    info: Option<ElementInfo>,
}

#[derive(Default, PartialEq, Eq)]
enum Raw {
    #[default]
    No,
    JsonLd,
    Title,
    Ignore,
}

struct Scanner<'s> {
    page: PageScan,
    frames: Vec<Frame>,
    overflow: usize,
    captures: Vec<Capture>,
    raw: Raw,
    raw_buf: String,
    jsonld_bytes: usize,
    seen_h1: bool,
    opened_h1: bool,
    order: usize,
    selector: Option<&'s Selector>,
    micro_props: usize,
    lower_buf: String,
    class_cache: ClassCache,
    /// The text between two tags, outside price markup: the tokenizer hands it
    /// over in pieces (`&euro;` and `&nbsp;` apart from the digits).
    text_run: String,
    text_run_long: bool,
}

struct Sink<'s>(RefCell<Scanner<'s>>);

impl TokenSink for Sink<'_> {
    type Handle = ();

    fn process_token(&self, token: Token, _line: u64) -> TokenSinkResult<()> {
        let mut scanner = self.0.borrow_mut();
        match token {
            Token::TagToken(tag) => match tag.kind {
                TagKind::StartTag => scanner.start(&tag),
                TagKind::EndTag => {
                    scanner.end(&tag);
                    TokenSinkResult::Continue
                }
            },
            Token::CharacterTokens(text) => {
                scanner.text(&text);
                TokenSinkResult::Continue
            }
            _ => TokenSinkResult::Continue,
        }
    }
}

/// Runs the tokenizer over `html` once.
pub(crate) fn scan(html: &str, selector: Option<&Selector>) -> PageScan {
    let scanner = Scanner {
        page: PageScan {
            // Grown once, not doubling from nothing on every page.
            visible_head: String::with_capacity(html.len().min(VISIBLE_HEAD_BYTES) + 8),
            ..PageScan::default()
        },
        frames: Vec::with_capacity(32),
        overflow: 0,
        captures: Vec::new(),
        raw: Raw::No,
        raw_buf: String::new(),
        jsonld_bytes: 0,
        seen_h1: false,
        opened_h1: false,
        order: 0,
        selector,
        micro_props: 0,
        lower_buf: String::new(),
        class_cache: ClassCache::new(),
        text_run: String::new(),
        text_run_long: false,
    };
    let tokenizer = Tokenizer::new(Sink(RefCell::new(scanner)), TokenizerOpts::default());
    let input = BufferQueue::default();
    input.push_back(StrTendril::from_slice(html));
    // Our sink never pauses the tokenizer, so one feed consumes everything.
    for _ in 0..4 {
        if matches!(tokenizer.feed(&input), TokenizerResult::Done) || input.is_empty() {
            break;
        }
    }
    tokenizer.end();
    let Sink(cell) = tokenizer.sink;
    cell.into_inner().finish_page()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// The char-by-char version `push_bounded` replaces.
    fn push_bounded_reference(buf: &mut String, text: &str, limit: usize) {
        for c in text.chars() {
            if buf.len() >= limit {
                return;
            }
            if c.is_whitespace() {
                if !buf.is_empty() && !buf.ends_with(' ') {
                    buf.push(' ');
                }
            } else {
                buf.push(c);
            }
        }
    }

    #[test]
    fn whitespace_is_found_like_find() {
        for text in [
            "",
            "ab",
            "a b",
            "a\u{a0}b",
            "\u{3000}",
            "€\u{85}x",
            "x\u{b}y",
            "x\u{1c}y",
            "日本 語",
        ] {
            assert_eq!(
                whitespace_at(text),
                text.find(char::is_whitespace).unwrap_or(text.len()),
                "{text:?}"
            );
        }
        for c in (0u32..0x3100).filter_map(char::from_u32) {
            let text = format!("ab{c}d");
            assert_eq!(
                whitespace_at(&text),
                text.find(char::is_whitespace).unwrap_or(text.len()),
                "{c:?}"
            );
        }
    }

    proptest! {
        #[test]
        fn class_cache_answers_like_classify(
            values in proptest::collection::vec(
                "(price|old-price|a-price-whole|product-card|cart|stock|cf-x|Preis| |-|x){0,4}",
                0..200,
            ),
        ) {
            let mut cache = ClassCache::new();
            let (mut a, mut b) = (String::new(), String::new());
            for v in &values {
                prop_assert_eq!(cache.classify(v, &mut a), signals::classify(v, &mut b), "{:?}", v);
            }
        }

        #[test]
        fn push_bounded_squashes_like_char_by_char(
            start in "[a €\n]{0,6}",
            text in "([a-z]|€|日本| |\n|\t|\u{a0}){0,24}",
            limit in 0usize..20,
        ) {
            let mut fast = start.clone();
            let mut slow = start;
            push_bounded(&mut fast, &text, limit);
            push_bounded_reference(&mut slow, &text, limit);
            prop_assert_eq!(fast, slow);
        }
    }
}
