//! A fixed list of words looked for in short texts, in one pass over the text.
//!
//! Extraction asks the same questions of hundreds of short texts per page ("does
//! any of these 60 "old price" words occur before the number?"). Asking each word
//! in turn with `str::find` / `str::contains` sets up a two-way searcher per word
//! and per text, which cost more than the rest of the page's work. A [`WordList`]
//! knows which bytes start one of its words and only compares words at those
//! places. The answers are exactly those of the word-by-word searches they replace
//! (see the tests at the end).

/// Lists are short; indices into them fit a byte.
const MAX_WORDS: usize = 128;

pub(crate) struct WordList {
    words: &'static [&'static str],
    /// Indices into `words`, grouped by first byte (in list order within a group).
    order: [u8; MAX_WORDS],
    /// The words starting with byte `b` are `order[start[b]..start[b + 1]]`.
    start: [u8; 257],
    /// Some word starting with byte `b` does not start with an ASCII letter or
    /// digit, so it may match in the middle of a word.
    anywhere: [bool; 256],
    has_empty: bool,
}

/// A letter or digit: what glues a word to its neighbour.
pub(crate) fn word_char(c: char) -> bool {
    c.is_alphanumeric()
}

impl WordList {
    // Indices and counts are below `MAX_WORDS` (asserted), so they fit a `u8`.
    #[allow(clippy::cast_possible_truncation)]
    pub(crate) const fn new(words: &'static [&'static str]) -> Self {
        assert!(words.len() <= MAX_WORDS, "word list too long");
        let mut count = [0u8; 256];
        let mut anywhere = [false; 256];
        let mut has_empty = false;
        let mut i = 0;
        while i < words.len() {
            let bytes = words[i].as_bytes();
            if bytes.is_empty() {
                has_empty = true;
            } else {
                let b = bytes[0] as usize;
                count[b] += 1;
                if !bytes[0].is_ascii_alphanumeric() {
                    anywhere[b] = true;
                }
            }
            i += 1;
        }
        let mut start = [0u8; 257];
        let mut b = 0;
        while b < 256 {
            start[b + 1] = start[b] + count[b];
            b += 1;
        }
        let mut fill = [0u8; 256];
        let mut b = 0;
        while b < 256 {
            fill[b] = start[b];
            b += 1;
        }
        let mut order = [0u8; MAX_WORDS];
        let mut i = 0;
        while i < words.len() {
            let bytes = words[i].as_bytes();
            if !bytes.is_empty() {
                let b = bytes[0] as usize;
                order[fill[b] as usize] = i as u8;
                fill[b] += 1;
            }
            i += 1;
        }
        WordList {
            words,
            order,
            start,
            anywhere,
            has_empty,
        }
    }

    #[cfg(test)]
    pub(crate) fn words(&self) -> &'static [&'static str] {
        self.words
    }

    /// Calls `accept(index, word, start)` for every place where a word occurs in `hay`
    /// (overlapping ones included) until it returns true. With `whole` set, places
    /// glued after a letter or digit are skipped for words that start with an
    /// ASCII letter or digit (they could not be accepted as whole words anyway).
    fn any_at(
        &self,
        hay: &str,
        whole: bool,
        mut accept: impl FnMut(usize, &str, usize) -> bool,
    ) -> bool {
        let bytes = hay.as_bytes();
        for (i, &b) in bytes.iter().enumerate() {
            let b = usize::from(b);
            let (lo, hi) = (
                self.start.get(b).copied().unwrap_or(0),
                self.start.get(b + 1).copied().unwrap_or(0),
            );
            if lo == hi {
                continue;
            }
            // `b` starts a word, so it is not a UTF-8 continuation byte: `i` is a
            // char boundary.
            if whole
                && !self.anywhere.get(b).copied().unwrap_or(true)
                && hay
                    .get(..i)
                    .and_then(|h| h.chars().next_back())
                    .is_some_and(word_char)
            {
                continue;
            }
            let rest = bytes.get(i..).unwrap_or(&[]);
            let group = self
                .order
                .get(usize::from(lo)..usize::from(hi))
                .unwrap_or(&[]);
            for &k in group {
                let k = usize::from(k);
                // Byte by byte: words are short and most differ early, cheaper
                // than a call to `memcmp`.
                if let Some(w) = self.words.get(k)
                    && rest
                        .get(..w.len())
                        .is_some_and(|r| r.iter().zip(w.as_bytes()).all(|(a, b)| a == b))
                    && accept(k, w, i)
                {
                    return true;
                }
            }
        }
        false
    }

    /// `self.words().iter().any(|w| hay.contains(w))`.
    pub(crate) fn any_in(&self, hay: &str) -> bool {
        self.has_empty || self.any_at(hay, false, |_, _, _| true)
    }

    /// `self.words().iter().any(|w| contains_word(hay, w))`: a word with no
    /// letter or digit glued on either side (a side that is not a letter or
    /// digit in the word itself needs no gap).
    pub(crate) fn any_word_in(&self, hay: &str) -> bool {
        if self.has_empty {
            return true;
        }
        self.any_at(hay, true, |_, w, start| {
            let before_ok = hay
                .get(..start)
                .and_then(|h| h.chars().next_back())
                .is_none_or(|c| !word_char(c) || !w.starts_with(word_char));
            let after_ok = hay
                .get(start + w.len()..)
                .and_then(|h| h.chars().next())
                .is_none_or(|c| !word_char(c) || !w.ends_with(word_char));
            before_ok && after_ok
        })
    }

    /// Whether some occurrence of a word satisfies `accept(word, start)`.
    pub(crate) fn any_match(&self, hay: &str, mut accept: impl FnMut(&str, usize) -> bool) -> bool {
        self.any_at(hay, false, |_, w, start| accept(w, start))
    }

    /// Bit `i` set when `self.words()[i]` occurs in `hay` (empty words are not reported).
    pub(crate) fn mask(&self, hay: &str) -> u128 {
        let mut mask = 0u128;
        self.any_at(hay, false, |k, _, _| {
            mask |= 1u128 << k;
            false
        });
        mask
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// The word-by-word search this module replaces.
    fn contains_word_reference(haystack: &str, word: &str) -> bool {
        let mut from = 0;
        while let Some(pos) = haystack.get(from..).and_then(|h| h.find(word)) {
            let start = from + pos;
            let end = start + word.len();
            let before_ok = haystack
                .get(..start)
                .and_then(|h| h.chars().next_back())
                .is_none_or(|c| !word_char(c) || !word.starts_with(|w: char| w.is_alphanumeric()));
            let after_ok = haystack
                .get(end..)
                .and_then(|h| h.chars().next())
                .is_none_or(|c| !word_char(c) || !word.ends_with(|w: char| w.is_alphanumeric()));
            if before_ok && after_ok {
                return true;
            }
            from = start + word.chars().next().map_or(1, char::len_utf8);
        }
        false
    }

    const SAMPLE: WordList = WordList::new(&[
        "was",
        "reg.",
        "reg",
        "old price",
        "©",
        "/kg",
        "было",
        "économisez",
        "aa",
        "a-b",
    ]);

    fn check(hay: &str) {
        let words = SAMPLE.words();
        assert_eq!(
            SAMPLE.any_word_in(hay),
            words.iter().any(|w| contains_word_reference(hay, w)),
            "{hay:?}"
        );
        assert_eq!(
            SAMPLE.any_in(hay),
            words.iter().any(|w| hay.contains(w)),
            "{hay:?}"
        );
        for w in words {
            let single = WordList::new(std::slice::from_ref(w));
            assert_eq!(
                single.any_word_in(hay),
                contains_word_reference(hay, w),
                "{hay:?} {w:?}"
            );
        }
    }

    #[test]
    fn answers_like_word_by_word_search() {
        for hay in [
            "",
            "was",
            "kwasi was",
            "kwasi",
            "reg.99",
            "regular",
            "©2020",
            "x©",
            "3/kg",
            "/kgs",
            "было 5",
            "сбыло",
            "économisez",
            "aaa",
            "baa aa",
            "a-ba",
            "xa-b",
            "old pricey old price",
            "Было",
        ] {
            check(hay);
        }
    }

    proptest! {
        #[test]
        fn answers_like_word_by_word_search_on_any_text(
            hay in "([a-z. /©-]|was|reg|old price|kg|было|é|économisez|aa|[0-9]){0,12}"
        ) {
            check(&hay);
        }
    }
}
