//! Reads one number out of a price text and decides, from its digits, which
//! separator is the decimal one.

use std::str::FromStr;

use rust_decimal::Decimal;

/// More integer digits than this is no price but a parsing accident (`1e400`, ids).
const MAX_INTEGER_DIGITS: usize = 15;
/// Decimal holds 28 significant digits; beyond that we refuse rather than round.
const MAX_FRACTION_DIGITS: usize = 20;
/// Decimal's precision.
const MAX_DIGITS: usize = 28;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Sep {
    Dot,
    Comma,
    Space,
    Apostrophe,
    /// `119. 95`: a dot or comma, a space, then exactly two digits: always decimal.
    SpacedDecimal,
    /// `35€ 99`: the currency sign between the units and the cents.
    SignDecimal,
    /// `$.75`: no units at all.
    LeadingDecimal,
}

#[derive(Debug, Clone)]
pub(crate) struct RawNumber {
    /// Char index of the first digit.
    pub start: usize,
    /// Char index just after the last char that belongs to the number.
    pub end: usize,
    pub first: String,
    pub rest: Vec<(Sep, String)>,
}

fn is_digit(c: char) -> bool {
    c.is_ascii_digit()
}

fn digits_at(chars: &[char], at: usize) -> usize {
    chars.iter().skip(at).take_while(|c| is_digit(**c)).count()
}

fn collect(chars: &[char], from: usize, len: usize) -> String {
    chars.iter().skip(from).take(len).collect()
}

/// Scans the number that starts at `start` (a digit not preceded by a digit).
/// `in_word`: the digits follow a letter that is no currency sign (`E5 10 132 р.`,
/// `Cthulhu138 15$`): a model name or a user name, whose digits are no units
/// with cents printed apart.
pub(crate) fn scan(chars: &[char], start: usize, in_word: bool) -> RawNumber {
    let len = digits_at(chars, start);
    let mut number = RawNumber {
        start,
        end: start + len,
        first: collect(chars, start, len),
        rest: Vec::new(),
    };
    let mut j = start + len;
    let mut has_decimal_mark = false;
    while let Some(&c) = chars.get(j) {
        let next = chars.get(j + 1).copied().unwrap_or(' ');
        let spaces_only = number.rest.iter().all(|(s, _)| *s == Sep::Space);
        match c {
            '.' | ',' | '\'' | '\u{2019}' | '`' if is_digit(next) => {
                let sep = match c {
                    '.' => Sep::Dot,
                    ',' => Sep::Comma,
                    _ => Sep::Apostrophe,
                };
                if sep == Sep::Apostrophe && has_decimal_mark {
                    break;
                }
                has_decimal_mark |= sep != Sep::Apostrophe;
                let len = digits_at(chars, j + 1);
                number.rest.push((sep, collect(chars, j + 1, len)));
                j += 1 + len;
            }
            '.' | ','
                if next == ' '
                    && digits_at(chars, j + 2) == 2
                    && !matches!(chars.get(j + 4), Some(',' | '.' | '0'..='9'))
                    && !number.rest.iter().any(|(s, _)| *s == Sep::SpacedDecimal) =>
            {
                number
                    .rest
                    .push((Sep::SpacedDecimal, collect(chars, j + 2, 2)));
                j += 4;
                break;
            }
            // `€5 99`, `€100 500 03`: cents printed apart (a flattened `<sup>`).
            ' ' if !in_word
                && digits_at(chars, j + 1) == 2
                && cents_end(chars, j + 3)
                && number.rest.iter().all(|(_, d)| d.len() == 3)
                && !number.rest.iter().any(|(s, _)| *s == Sep::SpacedDecimal) =>
            {
                number
                    .rest
                    .push((Sep::SpacedDecimal, collect(chars, j + 1, 2)));
                j += 3;
                break;
            }
            ' ' if spaces_only
                && !has_decimal_mark
                && number.first.len() <= 3
                && digits_at(chars, j + 1) == 3 =>
            {
                number.rest.push((Sep::Space, collect(chars, j + 1, 3)));
                j += 4;
            }
            _ => break,
        }
    }
    number.end = j;
    number
}

/// Whether cents that end at `at` end the number: the text ends, a space not
/// followed by more digits (`5 10 132 р.` is a 5, then 10 132), or punctuation
/// that does not go on with digits, a percentage or a range.
fn cents_end(chars: &[char], at: usize) -> bool {
    match chars.get(at) {
        None => true,
        Some(c) if c.is_whitespace() => !chars.get(at + 1).is_some_and(|c| is_digit(*c)),
        Some('.' | ',') => !chars.get(at + 1).is_some_and(|c| is_digit(*c)),
        Some('%' | '-' | '–' | '—' | '\'' | '\u{2019}' | '`') => false,
        Some(c) => !c.is_alphanumeric(),
    }
}

/// Reads `.75` and `$.75` as 0.75: the dot before the digits follows no digit or letter.
pub(crate) fn scan_leading_decimal(chars: &[char], start: usize) -> Option<RawNumber> {
    let dot = start.checked_sub(1)?;
    if !matches!(chars.get(dot), Some('.' | ',')) {
        return None;
    }
    let before = dot.checked_sub(1).and_then(|b| chars.get(b));
    if before.is_some_and(|c| c.is_alphanumeric()) {
        return None;
    }
    let len = digits_at(chars, start);
    if len > 2 || matches!(chars.get(start + len), Some('.' | ',')) {
        return None;
    }
    Some(RawNumber {
        start,
        end: start + len,
        first: String::new(),
        rest: vec![(Sep::LeadingDecimal, collect(chars, start, len))],
    })
}

/// Reads `35€ 99` as 35.99: called when a currency sign of `sign_len` chars is
/// glued to an integer; returns the new end if two cents digits follow.
pub(crate) fn attach_sign_cents(chars: &[char], number: &mut RawNumber, sign_len: usize) -> bool {
    if !number.rest.is_empty() {
        return false;
    }
    let mut at = number.end + sign_len;
    if chars.get(at) == Some(&' ') {
        at += 1;
    }
    if digits_at(chars, at) != 2 {
        return false;
    }
    // `5€ 10€` is two prices, not 5.10.
    let after = chars.get(at + 2).copied();
    if after.is_some_and(|c| !c.is_whitespace() && !matches!(c, ',' | ';' | ')' | '*')) {
        return false;
    }
    number.rest.push((Sep::SignDecimal, collect(chars, at, 2)));
    number.end = at + 2;
    true
}

/// `$40K`, `£300k`, `$90 Million`, `R$ 5 mil`, `₹2 crore`: the factor of a
/// multiplier word right after the number that ends at `at`. A bare `k` or `M`
/// counts only glued to the digits (`40 k` may be a unit, `12.99 M` a size).
pub(crate) fn multiplier_after(chars: &[char], at: usize) -> Option<u64> {
    let glued = chars.get(at).is_some_and(|c| c.is_alphabetic());
    let start = match chars.get(at) {
        _ if glued => at,
        Some(' ') => at + 1,
        _ => return None,
    };
    let word: String = chars
        .iter()
        .skip(start)
        .take_while(|c| c.is_alphabetic())
        .collect();
    match word.as_str() {
        "k" | "K" if glued => return Some(1_000),
        "M" if glued => return Some(1_000_000),
        _ => {}
    }
    let factor = match word.to_lowercase().as_str() {
        "thousand" | "mil" | "tys" | "тыс" => 1_000,
        "lakh" | "lakhs" => 100_000,
        "million" | "millions" | "mio" | "mln" | "mn" | "millionen" | "millones" | "millón"
        | "milhões" | "milioni" | "millioner" | "miljoen" | "miljoner" | "млн" => 1_000_000,
        "crore" | "crores" => 10_000_000,
        "billion" | "billions" | "bn" | "mrd" | "milliard" | "milliards" | "milliarden"
        | "miliardi" | "mld" | "млрд" => 1_000_000_000,
        _ => return None,
    };
    Some(factor)
}

impl RawNumber {
    /// The amount, or `None` when the separators do not form a number
    /// (`15.08.2017`, `1.2.3`) or the number is absurd.
    /// `three_decimals`: the currency has 3 minor digits (KWD, BHD…), so `1.250` is 1.25.
    pub(crate) fn value(&self, three_decimals: bool) -> Option<Decimal> {
        let decimal_at = self.decimal_index(three_decimals);
        let mut integer = self.first.clone();
        let mut fraction = String::new();
        let mut thousands_sep: Option<Sep> = None;
        for (i, (sep, digits)) in self.rest.iter().enumerate() {
            if Some(i) == decimal_at {
                fraction.clone_from(digits);
                continue;
            }
            // A thousands group has three digits; India groups lakhs by two.
            let last_integer_group = decimal_at.map_or(i + 1 == self.rest.len(), |d| i + 1 == d);
            let indian =
                matches!(sep, Sep::Comma | Sep::Dot) && digits.len() == 2 && !last_integer_group;
            if digits.len() != 3 && !indian {
                return None;
            }
            if thousands_sep.is_some_and(|t| t != *sep) {
                return None;
            }
            thousands_sep = Some(*sep);
            integer.push_str(digits);
        }
        if thousands_sep.is_some() && (self.first.is_empty() || self.first.len() > 3) {
            return None;
        }
        let integer = integer.trim_start_matches('0');
        if integer.len() > MAX_INTEGER_DIGITS
            || fraction.len() > MAX_FRACTION_DIGITS
            || integer.len() + fraction.len() > MAX_DIGITS
        {
            return None;
        }
        let text = match (integer.is_empty(), fraction.is_empty()) {
            (true, true) => "0".to_owned(),
            (true, false) => format!("0.{fraction}"),
            (false, true) => integer.to_owned(),
            (false, false) => format!("{integer}.{fraction}"),
        };
        Decimal::from_str(&text).ok()
    }

    fn decimal_index(&self, three_decimals: bool) -> Option<usize> {
        let (last_sep, last_digits) = self.rest.last()?;
        let last = self.rest.len() - 1;
        match last_sep {
            Sep::SpacedDecimal | Sep::SignDecimal | Sep::LeadingDecimal => Some(last),
            Sep::Space | Sep::Apostrophe => None,
            Sep::Dot | Sep::Comma => {
                let same = self.rest.iter().filter(|(s, _)| s == last_sep).count();
                if same > 1 {
                    // `€100.500.03`: thousands groups of three, then one or two
                    // digits after the same mark can only be the decimals.
                    let groups = self.rest.get(..last).unwrap_or(&[]);
                    let decimals_last = (1..=2).contains(&last_digits.len())
                        && !self.first.is_empty()
                        && self.first.len() <= 3
                        && groups.iter().all(|(s, d)| s == last_sep && d.len() == 3);
                    return decimals_last.then_some(last);
                }
                if self.rest.len() > 1 {
                    return Some(last);
                }
                // A lone separator before three digits groups thousands (`1.226 €`,
                // `$1,299`), unless the units are zero or the currency has 3 decimals.
                let grouping = last_digits.len() == 3
                    && self.first.len() <= 3
                    && self.first != "0"
                    && !three_decimals;
                if grouping { None } else { Some(last) }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(text: &str) -> Option<String> {
        let chars: Vec<char> = text.chars().collect();
        scan(&chars, 0, false).value(false).map(|d| d.to_string())
    }

    #[test]
    fn separators_are_decided_by_the_digits() {
        assert_eq!(read("1,299.99").as_deref(), Some("1299.99"));
        assert_eq!(read("1.299,99").as_deref(), Some("1299.99"));
        assert_eq!(read("1 299,99").as_deref(), Some("1299.99"));
        assert_eq!(read("1'299.90").as_deref(), Some("1299.90"));
        assert_eq!(read("1,23,456.00").as_deref(), Some("123456.00"));
        assert_eq!(read("1.226").as_deref(), Some("1226"));
        assert_eq!(read("12,800").as_deref(), Some("12800"));
        assert_eq!(read("3.3900").as_deref(), Some("3.3900"));
        assert_eq!(read("0.500").as_deref(), Some("0.500"));
        assert_eq!(read("119. 95").as_deref(), Some("119.95"));
        assert_eq!(read("1.144.000").as_deref(), Some("1144000"));
        assert_eq!(read("19,1").as_deref(), Some("19.1"));
        assert_eq!(read("5 99").as_deref(), Some("5.99"));
        assert_eq!(read("100 500 03").as_deref(), Some("100500.03"));
        assert_eq!(read("100,500 03").as_deref(), Some("100500.03"));
        assert_eq!(read("5 99, now").as_deref(), Some("5.99"));
        assert_eq!(read("2 50%").as_deref(), Some("2"));
        assert_eq!(read("100.500.03").as_deref(), Some("100500.03"));
        assert_eq!(read("5.00.111").as_deref(), Some("500111"));
        assert_eq!(read("1.00.222,1").as_deref(), Some("100222.1"));
    }

    #[test]
    fn cents_printed_apart_need_the_number_to_end() {
        assert_eq!(read("5 10 132").as_deref(), Some("5"));
        assert_eq!(read("5 10 x").as_deref(), Some("5.10"));
        let chars: Vec<char> = "138 15$".chars().collect();
        assert_eq!(scan(&chars, 0, true).value(false), Some(138.into()));
        assert_eq!(
            scan(&chars, 0, false)
                .value(false)
                .map(|d| d.to_string())
                .as_deref(),
            Some("138.15")
        );
    }

    #[test]
    fn multiplier_words_follow_the_number() {
        let factor = |text: &str| {
            let chars: Vec<char> = text.chars().collect();
            multiplier_after(&chars, 0)
        };
        assert_eq!(factor("K+"), Some(1_000));
        assert_eq!(factor("k Sweeps"), Some(1_000));
        assert_eq!(factor(" Million Mistake"), Some(1_000_000));
        assert_eq!(factor(" billion"), Some(1_000_000_000));
        assert_eq!(factor(" Mio. €"), Some(1_000_000));
        assert_eq!(factor(" млн руб."), Some(1_000_000));
        assert_eq!(factor(" crore"), Some(10_000_000));
        assert_eq!(factor(" k"), None);
        assert_eq!(factor(" M"), None);
        assert_eq!(factor("kg"), None);
        assert_eq!(factor(" millimetre"), None);
        assert_eq!(factor(""), None);
    }

    #[test]
    fn impossible_groupings_are_not_numbers() {
        assert_eq!(read("15.08.2017"), None);
        assert_eq!(read("1.2.3"), None);
        assert_eq!(read("1.00.00"), None);
        assert_eq!(read("15.08.20"), None);
        assert_eq!(read("1234567890123456789"), None);
    }
}
