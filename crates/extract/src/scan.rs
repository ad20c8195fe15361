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

use super::selector::{ElementInfo, Selector};
use super::signals::{self, WallSignal};
use crate::price::digits;
use crate::price::words::WordList;

const MAX_DEPTH: usize = 512;
const MAX_CAPTURE_CHARS: usize = 400;
const MAX_OPEN_CAPTURES: usize = 48;
const MAX_CANDIDATES: usize = 400;
const MAX_JSONLD_BYTES: usize = 4 << 20;
const MAX_METAS: usize = 512;
const MAX_MICRO_PROPS: usize = 2048;
const VISIBLE_HEAD_BYTES: usize = 6000;
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
    /// Cents in their own element after the units' element closed (`<span class=whole>68</span><span class=fraction>50</span>`).
    Fraction,
}

#[derive(Debug)]
struct Capture {
    /// Stack length when opened: closes with the frame at `depth - 1`.
    depth: usize,
    kind: CaptureKind,
    buf: String,
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
    order: usize,
    selector: Option<&'s Selector>,
    micro_props: usize,
    lower_buf: String,
    class_cache: ClassCache,
}

const CLASS_CACHE_SLOTS: usize = 128;
const CLASS_CACHE_MAX_LEN: usize = 120;

/// `signals::classify` of `class` attributes, remembered in a small
/// direct-mapped table: a page repeats a few class values thousands of times
/// (every card of a product grid, every review), and `classify` is a pure
/// function of the value, so the answers are the same.
struct ClassCache {
    /// (value, answer); an empty value marks a free slot (never asked: "" is 0).
    slots: Vec<(String, u8)>,
    /// Values asked so far, up to `CLASS_CACHE_AFTER`: small pages, which have
    /// few, never pay for the table.
    asked: usize,
}

/// The table is set up once a page has asked this many values.
const CLASS_CACHE_AFTER: usize = 24;

impl ClassCache {
    fn new() -> Self {
        ClassCache {
            slots: Vec::new(),
            asked: 0,
        }
    }

    fn classify(&mut self, value: &str, buf: &mut String) -> u8 {
        if value.is_empty() {
            return 0;
        }
        if value.len() > CLASS_CACHE_MAX_LEN || self.asked < CLASS_CACHE_AFTER {
            self.asked += 1;
            return signals::classify(value, buf);
        }
        if self.slots.is_empty() {
            self.slots.resize(CLASS_CACHE_SLOTS, (String::new(), 0));
        }
        // FNV-1a.
        let hash = value.bytes().fold(0x811c_9dc5_u32, |h, b| {
            (h ^ u32::from(b)).wrapping_mul(0x0100_0193)
        });
        let index = usize::try_from(hash).unwrap_or(0) % CLASS_CACHE_SLOTS;
        let Some((key, answer)) = self.slots.get_mut(index) else {
            return signals::classify(value, buf);
        };
        if key != value {
            *answer = signals::classify(value, buf);
            key.clear();
            key.push_str(value);
        }
        *answer
    }
}

fn is_void(name: &str) -> bool {
    matches!(
        name,
        "area"
            | "base"
            | "br"
            | "col"
            | "embed"
            | "hr"
            | "img"
            | "input"
            | "link"
            | "meta"
            | "param"
            | "source"
            | "track"
            | "wbr"
    )
}

fn is_block(name: &str) -> bool {
    matches!(
        name,
        "div"
            | "p"
            | "li"
            | "br"
            | "td"
            | "th"
            | "tr"
            | "h1"
            | "h2"
            | "h3"
            | "h4"
            | "h5"
            | "h6"
            | "section"
            | "article"
            | "dd"
            | "dt"
            | "ul"
            | "ol"
            | "table"
            | "form"
            | "button"
    )
}

/// Where the first whitespace char of `text` starts (`text.len()` if none):
/// `text.find(char::is_whitespace)`, with ASCII bytes checked without decoding.
fn whitespace_at(text: &str) -> usize {
    for (i, &b) in text.as_bytes().iter().enumerate() {
        if b.is_ascii() {
            // ASCII whitespace in Unicode's sense: tab, newline, vertical tab, form feed, return, space.
            if matches!(b, b'\t' | b'\n' | 0x0B | 0x0C | b'\r' | b' ') {
                return i;
            }
        } else if b >= 0xC0
            && text
                .get(i..)
                .and_then(|t| t.chars().next())
                .is_some_and(char::is_whitespace)
        {
            return i;
        }
    }
    text.len()
}

/// Appends `text` with its whitespace runs squashed to one space (none at the
/// start), stopping once `buf` holds `limit` bytes (the char that crosses the
/// limit is kept whole). Runs without whitespace are copied in one go.
fn push_bounded(buf: &mut String, text: &str, limit: usize) {
    let mut rest = text;
    while !rest.is_empty() {
        if buf.len() >= limit {
            return;
        }
        let run = whitespace_at(rest);
        if run == 0 {
            if !buf.is_empty() && !buf.ends_with(' ') {
                buf.push(' ');
            }
            let width = rest.chars().next().map_or(1, char::len_utf8);
            rest = rest.get(width..).unwrap_or("");
            continue;
        }
        let room = limit - buf.len();
        let word = rest.get(..run).unwrap_or("");
        if run <= room {
            buf.push_str(word);
        } else {
            // Chars starting before the limit are kept, as one by one would.
            let cut = word
                .char_indices()
                .take_while(|(i, _)| *i < room)
                .last()
                .map_or(0, |(i, c)| i + c.len_utf8());
            buf.push_str(word.get(..cut).unwrap_or(""));
            return;
        }
        rest = rest.get(run..).unwrap_or("");
    }
}

/// `name#id.class1.class2.class3`: where a price candidate was read.
fn element_path(name: &str, id: &str, class: &str) -> String {
    let mut path = String::with_capacity(name.len() + id.len() + class.len() + 4);
    path.push_str(name);
    if !id.is_empty() {
        path.push('#');
        path.push_str(id);
    }
    for c in class.split_ascii_whitespace().take(3) {
        path.push('.');
        path.push_str(c);
    }
    path
}

static CUE_WORDS: WordList = WordList::new(&[
    "EUR", "USD", "GBP", "CHF", "PLN", "CZK", "SEK", "NOK", "DKK", "HUF", "RON", "kr", "zł", "Kč",
    "руб", "грн", "Ft", "lei", "Rs", "Rp", "RM", "TL", "лв",
]);

fn has_price_cue(text: &str) -> bool {
    digits::has_digit(text)
        && (text.chars().any(|c| {
            matches!(
                c,
                '€' | '$'
                    | '£'
                    | '¥'
                    | '₹'
                    | '₽'
                    | '₴'
                    | '₪'
                    | '฿'
                    | '₫'
                    | '₺'
                    | '₩'
                    | '￥'
                    | '₱'
                    | '₦'
                    | '₨'
                    | '৳'
                    | '₸'
                    | '₼'
                    | '₾'
                    | '₮'
                    | '₡'
                    | '₲'
                    | '₵'
                    | '₭'
                    | '﷼'
            )
        }) || CUE_WORDS.any_in(text))
}

/// The attributes `start` reads, found in one pass over the tag's attributes
/// (the first of each name, as a search from the front finds).
#[derive(Default)]
struct Attrs<'t> {
    class: Option<&'t str>,
    id: Option<&'t str>,
    itemprop: Option<&'t str>,
    style: Option<&'t str>,
    lang: Option<&'t str>,
    property: Option<&'t str>,
    name: Option<&'t str>,
    http_equiv: Option<&'t str>,
    content: Option<&'t str>,
    rel: Option<&'t str>,
    href: Option<&'t str>,
    kind: Option<&'t str>,
    src: Option<&'t str>,
    action: Option<&'t str>,
    data_price_type: Option<&'t str>,
    hidden: Option<&'t str>,
    itemscope: Option<&'t str>,
    itemtype: Option<&'t str>,
    value: Option<&'t str>,
    datetime: Option<&'t str>,
}

impl<'t> Attrs<'t> {
    fn read(tag: &'t Tag) -> Self {
        let mut attrs = Attrs::default();
        for a in &tag.attrs {
            let slot = match &*a.name.local {
                "class" => &mut attrs.class,
                "id" => &mut attrs.id,
                "itemprop" => &mut attrs.itemprop,
                "style" => &mut attrs.style,
                "lang" => &mut attrs.lang,
                "property" => &mut attrs.property,
                "name" => &mut attrs.name,
                "http-equiv" => &mut attrs.http_equiv,
                "content" => &mut attrs.content,
                "rel" => &mut attrs.rel,
                "href" => &mut attrs.href,
                "type" => &mut attrs.kind,
                "src" => &mut attrs.src,
                "action" => &mut attrs.action,
                "data-price-type" => &mut attrs.data_price_type,
                "hidden" => &mut attrs.hidden,
                "itemscope" => &mut attrs.itemscope,
                "itemtype" => &mut attrs.itemtype,
                "value" => &mut attrs.value,
                "datetime" => &mut attrs.datetime,
                _ => continue,
            };
            if slot.is_none() {
                *slot = Some(&*a.value);
            }
        }
        attrs
    }
}

impl<'s> Scanner<'s> {
    fn flags(&self) -> u16 {
        self.frames.last().map_or(0, |f| f.flags & INHERITED)
    }

    fn nearest_item(&self) -> Option<usize> {
        // Each frame carries its nearest item: no walk down the stack.
        self.frames.last().and_then(|f| f.item)
    }

    fn loose_item(&mut self) -> usize {
        if let Some(i) = self.page.micro.iter().position(|m| {
            m.kind == MicroKind::Other
                && m.parent.is_none()
                && m.props.iter().all(|p| p.name != "__scope")
        }) {
            return i;
        }
        self.page.micro.push(MicroItem {
            kind: MicroKind::Other,
            parent: None,
            props: Vec::new(),
        });
        self.page.micro.len() - 1
    }

    fn add_prop(&mut self, item: Option<usize>, name: &str, value: &str, decoy: bool) {
        if self.micro_props >= MAX_MICRO_PROPS || value.trim().is_empty() {
            return;
        }
        let item = item.unwrap_or_else(|| self.loose_item());
        if let Some(it) = self.page.micro.get_mut(item) {
            it.props.push(MicroProp {
                name: name.to_owned(),
                value: value.trim().to_owned(),
                decoy,
            });
            self.micro_props += 1;
        }
    }

    fn open(&mut self, kind: CaptureKind) {
        if self.captures.len() < MAX_OPEN_CAPTURES {
            self.captures.push(Capture {
                depth: self.frames.len(),
                kind,
                buf: String::new(),
                pending_fraction: false,
            });
        }
    }

    fn pop_frame(&mut self) {
        self.frames.pop();
        let depth = self.frames.len();
        while self.captures.last().is_some_and(|c| c.depth > depth) {
            if let Some(capture) = self.captures.pop() {
                self.finish(capture);
            }
        }
    }

    fn finish(&mut self, capture: Capture) {
        let text = capture.buf.trim().to_owned();
        match capture.kind {
            CaptureKind::Price(mut candidate) => {
                if digits::has_digit(&text) && self.page.candidates.len() < MAX_CANDIDATES {
                    candidate.text = text;
                    self.page.candidates.push(candidate);
                }
            }
            CaptureKind::ItemProp { item, name, decoy } => {
                self.add_prop(Some(item), &name, &text, decoy)
            }
            CaptureKind::Stock => {
                if !text.is_empty() && self.page.stock_texts.len() < 64 {
                    self.page.stock_texts.push(text);
                }
            }
            CaptureKind::Selector(path) => {
                if self.page.selector_hits.len() < 16 {
                    self.page.selector_hits.push((text, path));
                }
            }
            CaptureKind::Fraction => {
                let digits: String = text.chars().take_while(char::is_ascii_digit).collect();
                if let Some(last) = self.page.candidates.last_mut()
                    && !digits.is_empty()
                    && digits.len() <= 2
                    && last.text.ends_with(|c: char| c.is_ascii_digit())
                    && !last.text.contains(['.', ','])
                {
                    last.text.push('.');
                    last.text.push_str(&digits);
                }
            }
            CaptureKind::H1 => {
                self.seen_h1 = true;
                if self.page.h1.is_none() && !text.is_empty() {
                    self.page.h1 = Some(text);
                }
            }
        }
    }

    fn text(&mut self, text: &str) {
        match self.raw {
            Raw::JsonLd => {
                if self.jsonld_bytes + text.len() <= MAX_JSONLD_BYTES {
                    self.jsonld_bytes += text.len();
                    self.raw_buf.push_str(text);
                }
                return;
            }
            Raw::Title => {
                push_bounded(&mut self.raw_buf, text, 1024);
                return;
            }
            Raw::Ignore => return,
            Raw::No => {}
        }
        if self.page.visible_head.len() < VISIBLE_HEAD_BYTES && !text.trim().is_empty() {
            push_bounded(&mut self.page.visible_head, text, VISIBLE_HEAD_BYTES);
            self.page.visible_head.push(' ');
        }
        let mut in_price = false;
        let here = self.flags();
        // A price capture's text is dropped at its end once the list is full.
        let full = self.page.candidates.len() >= MAX_CANDIDATES;
        for capture in &mut self.captures {
            if let CaptureKind::Price(c) = &capture.kind {
                in_price = true;
                if full {
                    continue;
                }
                // `<div class=price><s>$99</s> $79</div>`: the struck part is not this price.
                if here & (DECOY | STRUCK) != 0 && !c.decoy && !c.struck {
                    continue;
                }
            }
            if capture.pending_fraction {
                capture.pending_fraction = false;
                let trimmed = text.trim_start();
                if capture.buf.ends_with(|c: char| c.is_ascii_digit())
                    && trimmed.starts_with(|c: char| c.is_ascii_digit())
                {
                    capture.buf.push('.');
                    push_bounded(&mut capture.buf, trimmed, MAX_CAPTURE_CHARS);
                    continue;
                }
            }
            push_bounded(&mut capture.buf, text, MAX_CAPTURE_CHARS);
        }
        if !in_price
            && text.len() <= 160
            && self.page.candidates.len() < MAX_CANDIDATES
            && has_price_cue(text)
        {
            let flags = self.flags();
            self.order += 1;
            let label = self
                .frames
                .last()
                .map(|f| f.name.to_string())
                .unwrap_or_default();
            self.page.candidates.push(Candidate {
                text: text.trim().to_owned(),
                path: format!("{label} (text)"),
                order: self.order,
                decoy: flags & DECOY != 0,
                struck: flags & STRUCK != 0,
                hidden: flags & HIDDEN != 0,
                elsewhere: flags & ELSEWHERE != 0,
                current: flags & CURRENT != 0,
                after_h1: self.seen_h1,
                ..Candidate::default()
            });
        }
    }

    fn start(&mut self, tag: &Tag) -> TokenSinkResult<()> {
        let name: &str = &tag.name;
        if self.overflow > 0 || self.frames.len() >= MAX_DEPTH {
            if !is_void(name) && !tag.self_closing {
                self.overflow += 1;
            }
            return TokenSinkResult::Continue;
        }
        if matches!(
            name,
            "p" | "li" | "option" | "tr" | "td" | "th" | "dd" | "dt"
        ) && self.frames.last().is_some_and(|f| f.name == tag.name)
        {
            self.pop_frame();
        }
        let attrs = Attrs::read(tag);
        let class = attrs.class.unwrap_or("");
        let id = attrs.id.unwrap_or("");
        let itemprop = attrs.itemprop;
        let style = attrs.style.unwrap_or("");
        let mut result = TokenSinkResult::Continue;

        match name {
            "html" => self.page.lang = attrs.lang.map(str::to_owned),
            "meta" => {
                let key = attrs.property.or(attrs.name).or(attrs.http_equiv);
                if let (Some(key), Some(content)) = (key, attrs.content)
                    && self.page.metas.len() < MAX_METAS
                {
                    self.page
                        .metas
                        .push((key.trim().to_ascii_lowercase(), content.trim().to_owned()));
                }
            }
            "link"
                if attrs
                    .rel
                    .is_some_and(|r| r.eq_ignore_ascii_case("canonical")) =>
            {
                self.page.canonical = attrs.href.map(str::to_owned);
            }
            "script" => {
                let is_ld = attrs
                    .kind
                    .is_some_and(|t| t.to_ascii_lowercase().contains("ld+json"));
                if let Some(src) = attrs.src {
                    self.page.wall = self.page.wall.max(signals::wall_from_markup(src));
                }
                self.raw = if is_ld { Raw::JsonLd } else { Raw::Ignore };
                self.raw_buf.clear();
                result = TokenSinkResult::RawData(RawKind::ScriptData);
            }
            "style" | "xmp" | "iframe" | "noembed" | "noframes" => {
                if let Some(src) = attrs.src {
                    self.page.wall = self.page.wall.max(signals::wall_from_markup(src));
                }
                self.raw = Raw::Ignore;
                result = TokenSinkResult::RawData(RawKind::Rawtext);
            }
            "title" | "textarea" => {
                let first_title = name == "title" && self.page.title.is_none();
                self.raw = if first_title { Raw::Title } else { Raw::Ignore };
                self.raw_buf.clear();
                result = TokenSinkResult::RawData(RawKind::Rcdata);
            }
            "form" => {
                if let Some(action) = attrs.action {
                    self.page.wall = self.page.wall.max(signals::wall_from_markup(action));
                }
            }
            _ => {}
        }
        let names = self.class_cache.classify(class, &mut self.lower_buf)
            | signals::classify(id, &mut self.lower_buf);
        if names & signals::WALL != 0 {
            let wall = signals::wall_from_markup(id).max(signals::wall_from_markup(class));
            self.page.wall = self.page.wall.max(wall);
        }

        let decoy_attr = attrs
            .data_price_type
            .is_some_and(|t| signals::is_decoy_name(t) || t.to_ascii_lowercase().contains("old"));
        let mut own = 0u16;
        if matches!(name, "s" | "del" | "strike") || signals::is_struck_style(style) {
            own |= STRUCK;
        }
        if attrs.hidden.is_some() || (!style.is_empty() && signals::is_hidden_style(style)) {
            own |= HIDDEN;
        }
        if names & signals::DECOY != 0 || decoy_attr {
            own |= DECOY;
        }
        if matches!(name, "header" | "nav" | "footer" | "aside") || names & signals::ELSEWHERE != 0
        {
            own |= ELSEWHERE;
        }
        if names & signals::CURRENT != 0 {
            own |= CURRENT;
        }
        let flags = self.flags() | own;

        // Microdata.
        let mut item = None;
        let scope_parent = self.nearest_item();
        if attrs.itemscope.is_some() {
            let itemtype = attrs.itemtype.unwrap_or("");
            let kind = if itemtype.contains("Product") {
                MicroKind::Product
            } else if itemtype.contains("Offer") {
                MicroKind::Offer
            } else {
                MicroKind::Other
            };
            if self.page.micro.len() < 256 {
                self.page.micro.push(MicroItem {
                    kind,
                    parent: scope_parent,
                    props: vec![MicroProp {
                        name: "__scope".into(),
                        value: String::new(),
                        decoy: false,
                    }],
                });
                item = Some(self.page.micro.len() - 1);
            }
        } else if let Some(props) = itemprop {
            let value = attrs
                .content
                .or(attrs.href)
                .or(attrs.src)
                .or(attrs.value)
                .or(attrs.datetime);
            let decoy = flags & (DECOY | STRUCK) != 0;
            for prop in props.split_ascii_whitespace().take(4) {
                match value {
                    Some(v) => self.add_prop(scope_parent, prop, v, decoy),
                    None if !is_void(name) && !tag.self_closing => {
                        let target = match scope_parent {
                            Some(i) => i,
                            None => self.loose_item(),
                        };
                        self.frames_push_pending(name, tag, flags, item);
                        self.open(CaptureKind::ItemProp {
                            item: target,
                            name: prop.to_owned(),
                            decoy,
                        });
                        self.after_push(name, tag, class, id, flags, names);
                        return result;
                    }
                    None => {}
                }
            }
        }

        if is_void(name) || tag.self_closing {
            if is_block(name) {
                self.captures
                    .iter_mut()
                    .for_each(|c| push_bounded(&mut c.buf, " ", MAX_CAPTURE_CHARS));
            }
            if name == "input"
                && attrs.kind.is_some_and(|t| t.eq_ignore_ascii_case("submit"))
                && let Some(v) = attrs.value
            {
                self.page.stock_texts.push(v.to_owned());
            }
            return result;
        }
        self.frames_push_pending(name, tag, flags, item);
        self.after_push(name, tag, class, id, flags, names);
        result
    }

    fn frames_push_pending(&mut self, name: &str, tag: &Tag, flags: u16, item: Option<usize>) {
        let info = self.selector.map(|_| ElementInfo {
            name: name.to_ascii_lowercase(),
            attrs: tag
                .attrs
                .iter()
                .map(|a| (a.name.local.to_string(), a.value.to_string()))
                .collect(),
        });
        let item = item.or_else(|| self.nearest_item());
        self.frames.push(Frame {
            name: tag.name.clone(),
            flags,
            item,
            info,
        });
    }

    /// Opens the captures that the element just pushed starts.
    fn after_push(&mut self, name: &str, tag: &Tag, class: &str, id: &str, flags: u16, names: u8) {
        if is_block(name) {
            self.captures
                .iter_mut()
                .for_each(|c| push_bounded(&mut c.buf, " ", MAX_CAPTURE_CHARS));
        }
        let attr = |key: &str| {
            tag.attrs
                .iter()
                .find(|a| &*a.name.local == key)
                .map(|a| &*a.value)
        };
        if let Some(selector) = self.selector {
            let chain: Vec<ElementInfo> =
                self.frames.iter().filter_map(|f| f.info.clone()).collect();
            if selector.matches(&chain) {
                let path = format!(
                    "{name}{}{}",
                    if id.is_empty() {
                        String::new()
                    } else {
                        format!("#{id}")
                    },
                    class
                        .split_ascii_whitespace()
                        .map(|c| format!(".{c}"))
                        .collect::<String>()
                );
                match attr("content")
                    .or_else(|| attr("data-price"))
                    .or_else(|| attr("value"))
                {
                    Some(v) if self.page.selector_hits.len() < 16 => {
                        self.page.selector_hits.push((v.to_owned(), path))
                    }
                    _ => self.open(CaptureKind::Selector(path)),
                }
            }
        }
        if name == "h1" && !self.seen_h1 {
            self.open(CaptureKind::H1);
        }
        if names & signals::STOCK != 0 || name == "button" {
            self.open(CaptureKind::Stock);
        }
        let fraction = names & signals::FRACTION != 0 || name == "sup";
        if fraction {
            let mut open_price = false;
            for capture in &mut self.captures {
                if matches!(capture.kind, CaptureKind::Price(_)) {
                    capture.pending_fraction = true;
                    open_price = true;
                }
            }
            if !open_price && names & signals::FRACTION != 0 {
                self.open(CaptureKind::Fraction);
            }
        }
        let data_price = tag.attrs.iter().find(|a| {
            let n: &str = &a.name.local;
            matches!(
                n,
                "data-price" | "data-price-amount" | "data-product-price" | "data-sale-price"
            )
        });
        let price_named = names & signals::PRICE != 0;
        if !(price_named || data_price.is_some()) || fraction {
            return;
        }
        self.order += 1;
        // Candidates are only ever added: once the list is full, this one can
        // never be kept, so its path is not written (on big pages most are not).
        let room = self.page.candidates.len() < MAX_CANDIDATES;
        let candidate = Candidate {
            path: if room {
                element_path(name, id, class)
            } else {
                String::new()
            },
            order: self.order,
            price_named: true,
            decoy: flags & DECOY != 0,
            struck: flags & STRUCK != 0,
            hidden: flags & HIDDEN != 0,
            elsewhere: flags & ELSEWHERE != 0,
            current: flags & CURRENT != 0,
            after_h1: self.seen_h1,
            ..Candidate::default()
        };
        if let Some(a) = data_price
            && room
        {
            let path = format!("{}[{}]", candidate.path, &*a.name.local);
            self.page.candidates.push(Candidate {
                text: a.value.to_string(),
                path,
                from_attribute: true,
                ..candidate.clone()
            });
        }
        let open_prices = self
            .captures
            .iter()
            .filter(|c| matches!(c.kind, CaptureKind::Price(_)))
            .count();
        if price_named && open_prices < 4 {
            self.open(CaptureKind::Price(candidate));
        }
    }

    fn end(&mut self, tag: &Tag) {
        match std::mem::take(&mut self.raw) {
            Raw::JsonLd => {
                let body = std::mem::take(&mut self.raw_buf);
                self.page.jsonld.push(body);
            }
            Raw::Title => {
                let title = std::mem::take(&mut self.raw_buf);
                self.page.wall = self.page.wall.max(signals::wall_from_title(&title));
                self.page.title = Some(title.trim().to_owned());
            }
            Raw::Ignore | Raw::No => {}
        }
        if self.overflow > 0 {
            self.overflow -= 1;
            return;
        }
        let found = self
            .frames
            .iter()
            .rev()
            .take(CLOSE_SEARCH)
            .position(|f| f.name == tag.name);
        if let Some(from_top) = found {
            for _ in 0..=from_top {
                self.pop_frame();
            }
        }
    }

    fn finish_page(mut self) -> PageScan {
        while !self.frames.is_empty() {
            self.pop_frame();
        }
        while let Some(capture) = self.captures.pop() {
            self.finish(capture);
        }
        if self.raw == Raw::JsonLd {
            self.page.jsonld.push(std::mem::take(&mut self.raw_buf));
        }
        self.page
    }
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
        order: 0,
        selector,
        micro_props: 0,
        lower_buf: String::new(),
        class_cache: ClassCache::new(),
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
