//! Price strings as shops print them (`$1,299.99`, `1.299,99 €`, `CHF 1'299.90`,
//! `₹1,23,456.00`, `12,-`, `Free`) read into a decimal amount and an ISO 4217 currency.
//!
//! The decimal separator is decided from the digits themselves (a lone separator
//! before three digits groups thousands, a different last separator is the
//! decimal one), never from a guessed locale alone. Amounts are `rust_decimal`.

mod cues;
mod currency_marks;
pub(crate) mod digits;
mod hint;
mod number;
pub(crate) mod words;

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use currency_marks::{Found, Mark};
pub use hint::PriceHint;
use number::RawNumber;
use pricewatch_domain::money::Currency;

/// Longer texts are cut: a price string is short, and work must stay bounded.
const MAX_TEXT_CHARS: usize = 4096;
/// How far before a number an "old price" word still counts.
const DECOY_WINDOW: usize = 24;

/// What a price text says. `amount` is `None` when no price is written
/// (`"Sold out"`); `Free` reads as an amount of zero.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ParsedPrice {
    pub amount: Option<Decimal>,
    pub currency: Option<Currency>,
    /// The sign, code or word as printed (`€`, `руб.`, `US$`).
    pub currency_raw: Option<String>,
    /// The digits as printed (`1.299,99`), for provenance.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub amount_text: Option<String>,
}

/// Parses a price text. `hint` is free text that may settle the currency: a code
/// (`SEK`), a sign (`kr`), nearby words (`Pris NOK`), a language tag (`sv-SE`)
/// or a domain (`shop.example.se`). Never panics.
pub fn parse_price(text: &str, hint: Option<&str>) -> ParsedPrice {
    let hint = hint.map(PriceHint::from_text).unwrap_or_default();
    parse_price_with(text, &hint)
}

/// [`parse_price`] with a structured hint (the page's declared currency, its language…).
pub fn parse_price_with(text: &str, hint: &PriceHint<'_>) -> ParsedPrice {
    let unescaped;
    let text = if text.contains('&') {
        unescaped = space_entities_as_spaces(text);
        unescaped.as_str()
    } else {
        text
    };
    let chars = normalise(text);
    let marks = currency_marks::find_all(&chars);
    let numbers = find_numbers(&chars, &marks);
    let Choice {
        pick: chosen,
        threshold,
    } = choose(&chars, &marks, &numbers, hint);

    let mut parsed = ParsedPrice::default();
    let mark = match &chosen {
        Some(pick) => {
            parsed.amount = Some(pick.amount);
            parsed.amount_text = Some(pick.text.clone());
            pick.mark.clone()
        }
        None => {
            let lower: String = chars.iter().flat_map(|c| c.to_lowercase()).collect();
            if !threshold && cues::says_free(&lower) {
                parsed.amount = Some(Decimal::ZERO);
                parsed.amount_text = Some("0".to_owned());
            }
            None
        }
    };
    // The sign beside the number, else any sign in the text (letters only when no
    // number competes), else the hint.
    let mark = mark.or_else(|| {
        marks
            .iter()
            .find(|m| !m.alphabetic || numbers.is_empty())
            .cloned()
    });
    match mark {
        Some(found) => {
            parsed.currency = hint.resolve(found.mark);
            parsed.currency_raw = Some(found.raw);
        }
        None => {
            let (currency, raw) = hint.fallback();
            parsed.currency = currency;
            parsed.currency_raw = raw;
        }
    }
    parsed
}

/// Whether a short price text reads as an old, saved, per-unit or periodic price
/// (`was $99`, `2,49 € / kg`, `$49/mo`, `Save $200`).
pub fn is_decoy_text(text: &str) -> bool {
    let lower = text.to_lowercase();
    let first_digit = lower.find(digits::is_digit).unwrap_or(lower.len());
    let last_digit = lower
        .char_indices()
        .rfind(|(_, c)| digits::is_digit(*c))
        .map_or(lower.len(), |(i, c)| i + c.len_utf8());
    let before = lower.get(..first_digit).unwrap_or("");
    let after: String = lower
        .get(last_digit..)
        .unwrap_or("")
        .chars()
        .take(24)
        .collect();
    cues::is_decoy_before(before)
        || cues::is_threshold_before(before)
        || cues::mentions_per_unit(&after)
        || cues::is_other_money(&lower)
}

/// `1&nbsp;490,00 руб.`: a text escaped twice still holds its no-break and thin
/// spaces as entities; they group digits like the spaces they stand for.
fn space_entities_as_spaces(text: &str) -> String {
    const SPACES: [&str; 8] = [
        "&nbsp;", "&#160;", "&#xa0;", "&#xA0;", "&thinsp;", "&#8201;", "&#8239;", "&#x202f;",
    ];
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find('&') {
        out.push_str(rest.get(..at).unwrap_or(""));
        let tail = rest.get(at..).unwrap_or("");
        match SPACES.iter().find(|e| tail.starts_with(**e)) {
            Some(entity) => {
                out.push(' ');
                rest = tail.get(entity.len()..).unwrap_or("");
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

fn normalise(text: &str) -> Vec<char> {
    text.chars()
        .filter(|c| {
            !matches!(
                c,
                '\u{200b}' | '\u{200c}' | '\u{200d}' | '\u{feff}' | '\u{ad}'
            )
        })
        .take(MAX_TEXT_CHARS)
        .map(|c| match c {
            c if c.is_whitespace() => ' ',
            '٫' | '．' => '.',
            // The Arabic and Adlam commas group thousands where CLDR uses them
            // (`1،234٫56` in Western Balochi, `1⹁234.56` in Fula written in Adlam).
            '٬' | '，' | '،' | '⹁' => ',',
            '−' => '-',
            c if !c.is_ascii() => digits::to_ascii(c).unwrap_or(c),
            c => c,
        })
        .collect()
}

fn find_numbers(chars: &[char], marks: &[Found]) -> Vec<RawNumber> {
    let mut numbers: Vec<RawNumber> = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let starts = chars.get(i).is_some_and(char::is_ascii_digit)
            && (i == 0 || !chars.get(i - 1).is_some_and(char::is_ascii_digit));
        if !starts {
            i += 1;
            continue;
        }
        let in_word = letter_before(chars, i) && !marks.iter().any(|m| m.end == i);
        let mut number = number::scan_leading_decimal(chars, i)
            .unwrap_or_else(|| number::scan(chars, i, in_word));
        if let Some(sign) = marks
            .iter()
            .find(|m| m.start == number.end && !m.alphabetic)
        {
            number::attach_sign_cents(chars, &mut number, sign.end - sign.start);
        }
        i = number.end.max(i + 1);
        numbers.push(number);
    }
    numbers
}

/// Whether the char just before `at` is a letter (`E5`, `Kr3w`).
fn letter_before(chars: &[char], at: usize) -> bool {
    at.checked_sub(1)
        .and_then(|p| chars.get(p))
        .is_some_and(|c| c.is_alphabetic())
}

struct Pick {
    amount: Decimal,
    text: String,
    mark: Option<Found>,
}

fn gap_is(chars: &[char], from: usize, to: usize, allowed: fn(char) -> bool) -> bool {
    to >= from
        && to - from <= 3
        && chars
            .get(from..to)
            .is_some_and(|g| g.iter().all(|c| allowed(*c)))
}

/// The sign printed right beside a number: a code beats an ambiguous sign
/// (`SGD$4.90`), then the nearest wins.
fn adjacent_mark<'m>(chars: &[char], marks: &'m [Found], number: &RawNumber) -> Option<&'m Found> {
    let before = marks.iter().filter(|m| {
        m.end <= number.start && gap_is(chars, m.end, number.start, |c| c == ' ' || c == ':')
    });
    let before: Vec<&Found> = {
        // A chain such as `NZD $100` or `$ SGD4.90`.
        let mut chain: Vec<&Found> = before.collect();
        if let Some(first) = chain.first().copied()
            && let Some(prev) = marks
                .iter()
                .find(|m| m.end <= first.start && gap_is(chars, m.end, first.start, |c| c == ' '))
        {
            chain.push(prev);
        }
        chain
    };
    let after = marks
        .iter()
        .filter(|m| m.start >= number.end && after_gap(chars, number.end, m.start));
    let mut all: Vec<(&Found, usize)> = before
        .into_iter()
        .map(|m| (m, number.start.saturating_sub(m.end)))
        .chain(after.map(|m| (m, m.start.saturating_sub(number.end))))
        .collect();
    all.sort_by_key(|(m, gap)| {
        let specificity = match m.mark {
            Mark::Iso(_) => 0,
            Mark::Family(_) => 1,
            Mark::NoCode => 2,
        };
        (specificity, *gap)
    });
    all.first().map(|(m, _)| *m)
}

/// Spaces only, or the `,-` of `12,- €`.
fn after_gap(chars: &[char], from: usize, to: usize) -> bool {
    let Some(gap) = chars.get(from..to) else {
        return false;
    };
    let rest = match gap.first() {
        Some(',' | '.') if matches!(gap.get(1), Some('-' | '–')) => gap.get(1..).unwrap_or(&[]),
        _ => gap,
    };
    let rest: Vec<char> = rest
        .iter()
        .copied()
        .skip_while(|c| matches!(c, '-' | '–'))
        .collect();
    (gap.len() <= 4) && (rest.len() < gap.len() || gap.len() <= 3) && rest.iter().all(|c| *c == ' ')
}

fn slice_lower(chars: &[char], from: usize, to: usize) -> String {
    chars
        .get(from.min(to)..to.min(chars.len()))
        .unwrap_or(&[])
        .iter()
        .flat_map(|c| c.to_lowercase())
        .collect()
}

/// Picks the number that is the price: one with a currency beside it beats a bare
/// one, a current price beats an old or per-unit one, then the first wins.
fn choose(chars: &[char], marks: &[Found], numbers: &[RawNumber], hint: &PriceHint<'_>) -> Choice {
    let no_marks = marks.is_empty();
    let mut best: Option<(u8, Pick)> = None;
    let mut threshold = false;
    let adjacent: Vec<Option<&Found>> = numbers
        .iter()
        .map(|n| adjacent_mark(chars, marks, n))
        .collect();
    for (idx, number) in numbers.iter().enumerate() {
        let mut mark = adjacent.get(idx).copied().flatten();
        if mark.is_none() {
            mark = range_partner(chars, numbers, &adjacent, idx);
        }
        let currency = mark.and_then(|m| hint.resolve(m.mark)).or(hint.currency);
        let Some(amount) = number.value(currency_marks::has_three_decimals(currency)) else {
            continue;
        };
        let multiplier = number::multiplier_after(chars, number.end);
        let Some(amount) = multiplier.map_or(Some(amount), |m| amount.checked_mul(m.into())) else {
            continue;
        };
        let mark_start = mark
            .filter(|m| m.end <= number.start)
            .map_or(number.start, |m| m.start);
        let mark_end = mark
            .filter(|m| m.start >= number.end)
            .map_or(number.end, |m| m.end);
        let prev_end = idx
            .checked_sub(1)
            .and_then(|p| numbers.get(p))
            .map_or(0, |p| p.end);
        let before = slice_lower(
            chars,
            prev_end.max(mark_start.saturating_sub(DECOY_WINDOW)),
            mark_start,
        );
        let after = slice_lower(chars, mark_end, mark_end + 16);
        let next = chars.get(number.end).copied();
        let prev = mark_start
            .checked_sub(1)
            .and_then(|p| chars.get(p))
            .copied();

        if after.trim_start().starts_with('%') || matches!(next, Some('x' | 'X' | '×')) {
            continue;
        }
        if matches!(next, Some('e' | 'E'))
            && chars
                .get(number.end + 1)
                .is_some_and(|c| c.is_ascii_digit() || *c == '+' || *c == '-')
        {
            continue;
        }
        let exponent = matches!(prev, Some('e' | 'E'))
            && mark_start >= 2
            && chars.get(mark_start - 2).is_some_and(char::is_ascii_digit);
        if exponent || (prev == Some('-') && is_sign(chars, mark_start)) {
            continue;
        }
        if mark.is_none() {
            let after_raw: String = chars
                .get(mark_end..(mark_end + 16).min(chars.len()))
                .unwrap_or(&[])
                .iter()
                .collect();
            if cues::is_unit_after(&after_raw) {
                continue;
            }
            let plain_year = number.rest.is_empty()
                && (Decimal::from(1900)..=Decimal::from(2100)).contains(&amount);
            if plain_year && cues::is_year_context(&before) {
                continue;
            }
            let joined = |c: Option<char>| matches!(c, Some('-' | '/'));
            let joined_after =
                joined(next) && chars.get(number.end + 1).is_some_and(char::is_ascii_digit);
            let joined_before = joined(prev)
                && mark_start >= 2
                && chars.get(mark_start - 2).is_some_and(char::is_ascii_digit);
            if no_marks && (joined_after || joined_before) {
                continue;
            }
        }
        let glued = prev.is_some_and(char::is_alphabetic) || next.is_some_and(char::is_alphabetic);
        // `Kr3w`, `US2day`: digits inside a word, whatever sign the word starts with.
        let inside_word = multiplier.is_none()
            && next.is_some_and(char::is_alphabetic)
            && !marks.iter().any(|m| m.start == number.end)
            && letter_before(chars, number.start);
        if inside_word {
            continue;
        }
        if cues::is_threshold_before(&before) || cues::is_threshold_after(&after, &before) {
            threshold = true;
            continue;
        }
        let decoy =
            cues::is_decoy_before(&before) || cues::is_per_unit_after(&after) || amount.is_zero();
        let rank = if glued && mark.is_none() {
            4
        } else {
            u8::from(mark.is_none()) * 2 + u8::from(decoy)
        };
        if best.as_ref().is_none_or(|(r, _)| rank < *r) {
            let text = chars
                .get(number.start..number.end)
                .unwrap_or(&[])
                .iter()
                .collect();
            best = Some((
                rank,
                Pick {
                    amount,
                    text,
                    mark: mark.cloned(),
                },
            ));
        }
    }
    Choice {
        pick: best.map(|(_, pick)| pick),
        threshold,
    }
}

/// The price picked, and whether a number was passed over as a spending
/// condition (`Gratis frakt over NOK 600,-` is no free product).
struct Choice {
    pick: Option<Pick>,
    threshold: bool,
}

/// `-12,99 €` is a deduction; the dash in `10-12 €` is a range.
fn is_sign(chars: &[char], start: usize) -> bool {
    let Some(dash) = start.checked_sub(1) else {
        return false;
    };
    let before = chars
        .get(..dash)
        .unwrap_or(&[])
        .iter()
        .rev()
        .find(|c| **c != ' ');
    !before.is_some_and(char::is_ascii_digit)
}

/// In `from 26 to 50 €` the first number shares the currency of the second.
fn range_partner<'m>(
    chars: &[char],
    numbers: &[RawNumber],
    adjacent: &[Option<&'m Found>],
    idx: usize,
) -> Option<&'m Found> {
    let number = numbers.get(idx)?;
    let next = numbers.get(idx + 1)?;
    let between = slice_lower(chars, number.end, next.start);
    let between = between.trim();
    let is_range = matches!(
        between,
        "-" | "–" | "—" | "~" | "to" | "bis" | "à" | "a" | "до" | "al" | "tot" | "-/-"
    );
    if is_range {
        adjacent.get(idx + 1).copied().flatten()
    } else {
        None
    }
}

#[cfg(test)]
mod tests;
