//! The tokenizer sink's pure helpers: what an element or attribute means for
//! price reading (void and block elements, element paths, price cues), the
//! attributes a start tag is read for, and the cache of class-name answers.

use super::*;

pub(super) const CLASS_CACHE_SLOTS: usize = 128;
pub(super) const CLASS_CACHE_MAX_LEN: usize = 120;

/// `signals::classify` of `class` attributes, remembered in a small
/// direct-mapped table: a page repeats a few class values thousands of times
/// (every card of a product grid, every review), and `classify` is a pure
/// function of the value, so the answers are the same.
pub(super) struct ClassCache {
    /// (value, answer); an empty value marks a free slot (never asked: "" is 0).
    pub(super) slots: Vec<(String, u16)>,
    /// Values asked so far, up to `CLASS_CACHE_AFTER`: small pages, which have
    /// few, never pay for the table.
    pub(super) asked: usize,
}

/// The table is set up once a page has asked this many values.
pub(super) const CLASS_CACHE_AFTER: usize = 24;

impl ClassCache {
    pub(super) fn new() -> Self {
        ClassCache {
            slots: Vec::new(),
            asked: 0,
        }
    }

    pub(super) fn classify(&mut self, value: &str, buf: &mut String) -> u16 {
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

pub(super) fn is_void(name: &str) -> bool {
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

pub(super) fn is_block(name: &str) -> bool {
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
pub(super) fn whitespace_at(text: &str) -> usize {
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
pub(super) fn push_bounded(buf: &mut String, text: &str, limit: usize) {
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
pub(super) fn element_path(name: &str, id: &str, class: &str) -> String {
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

pub(super) static CUE_WORDS: WordList = WordList::new(&[
    "EUR", "USD", "GBP", "CHF", "PLN", "CZK", "SEK", "NOK", "DKK", "HUF", "RON", "kr", "zł", "Kč",
    "руб", "грн", "Ft", "lei", "Rs", "Rp", "RM", "TL", "лв",
]);

pub(super) fn has_price_cue(text: &str) -> bool {
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
pub(super) struct Attrs<'t> {
    pub(super) class: Option<&'t str>,
    pub(super) id: Option<&'t str>,
    pub(super) itemprop: Option<&'t str>,
    pub(super) style: Option<&'t str>,
    pub(super) lang: Option<&'t str>,
    pub(super) property: Option<&'t str>,
    pub(super) name: Option<&'t str>,
    pub(super) http_equiv: Option<&'t str>,
    pub(super) content: Option<&'t str>,
    pub(super) rel: Option<&'t str>,
    pub(super) href: Option<&'t str>,
    pub(super) kind: Option<&'t str>,
    pub(super) src: Option<&'t str>,
    pub(super) action: Option<&'t str>,
    pub(super) data_price_type: Option<&'t str>,
    pub(super) hidden: Option<&'t str>,
    pub(super) itemscope: Option<&'t str>,
    pub(super) itemtype: Option<&'t str>,
    pub(super) value: Option<&'t str>,
    pub(super) datetime: Option<&'t str>,
    pub(super) alt: Option<&'t str>,
}

impl<'t> Attrs<'t> {
    pub(super) fn read(tag: &'t Tag) -> Self {
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
                "alt" => &mut attrs.alt,
                _ => continue,
            };
            if slot.is_none() {
                *slot = Some(&*a.value);
            }
        }
        attrs
    }
}
