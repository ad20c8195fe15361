//! Money as people of a locale write it: `€1,149.00` (en-IE), `1.149,00 €`
//! (de), `1 149,00 €` (fr). A small table of conventions by language, enough
//! for the languages PriceWatch's pages speak and the shops it reads; any other
//! language is written the English way.

use rust_decimal::{Decimal, RoundingStrategy};

/// How a language writes an amount of money.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MoneyStyle {
    group: &'static str,
    decimal: char,
    /// The symbol after the amount, a no-break space between (`1.149,00 €`).
    symbol_after: bool,
}

/// U+202F NARROW NO-BREAK SPACE: French groups thousands with it.
const NARROW_NBSP: &str = "\u{202f}";
/// U+00A0 NO-BREAK SPACE: between an amount and a symbol written after it.
const NBSP: &str = "\u{a0}";

impl MoneyStyle {
    /// The style of a BCP 47 language tag (`de-AT`, `fr`, `en-IE`); English's
    /// for any language not in the table.
    pub fn for_locale(tag: &str) -> Self {
        let language = tag
            .split(['-', '_'])
            .next()
            .unwrap_or("")
            .to_ascii_lowercase();
        match language.as_str() {
            "de" | "es" | "it" | "nl" | "pt" | "da" | "id" | "tr" => MoneyStyle {
                group: ".",
                decimal: ',',
                symbol_after: true,
            },
            "fr" | "nb" | "no" | "sv" | "fi" | "cs" | "pl" | "sk" | "ru" | "uk" => MoneyStyle {
                group: NARROW_NBSP,
                decimal: ',',
                symbol_after: true,
            },
            _ => MoneyStyle {
                group: ",",
                decimal: '.',
                symbol_after: false,
            },
        }
    }

    /// `amount` in `currency` (an ISO 4217 code), rounded to the currency's
    /// minor unit.
    pub fn format(&self, amount: Decimal, currency: &str) -> String {
        let digits = minor_digits(currency);
        let rounded = amount.round_dp_with_strategy(digits, RoundingStrategy::MidpointAwayFromZero);
        let negative = rounded.is_sign_negative() && !rounded.is_zero();
        let precision = usize::try_from(digits).unwrap_or(2);
        let text = format!("{:.*}", precision, rounded.abs());
        let (whole, fraction) = text.split_once('.').unwrap_or((text.as_str(), ""));
        let mut grouped = String::with_capacity(whole.len() + whole.len() / 3 * 3);
        for (i, c) in whole.chars().enumerate() {
            if i > 0 && (whole.len() - i) % 3 == 0 {
                grouped.push_str(self.group);
            }
            grouped.push(c);
        }
        let mut number = grouped;
        if !fraction.is_empty() {
            number.push(self.decimal);
            number.push_str(fraction);
        }
        let sign = if negative { "-" } else { "" };
        let symbol = symbol(currency);
        if self.symbol_after {
            format!("{sign}{number}{NBSP}{symbol}")
        } else if symbol.chars().count() == 1 {
            format!("{sign}{symbol}{number}")
        } else {
            format!("{sign}{symbol}{NBSP}{number}")
        }
    }
}

/// Formats `amount` in `currency` as the locale `tag` writes it.
pub fn format_money(amount: Decimal, currency: &str, tag: &str) -> String {
    MoneyStyle::for_locale(tag).format(amount, currency)
}

fn minor_digits(currency: &str) -> u32 {
    match currency {
        "JPY" | "KRW" | "ISK" | "CLP" | "VND" | "HUF" => 0,
        _ => 2,
    }
}

fn symbol(currency: &str) -> &str {
    match currency {
        "EUR" => "€",
        "USD" => "$",
        "GBP" => "£",
        "JPY" => "¥",
        "INR" => "₹",
        "KRW" => "₩",
        "PLN" => "zł",
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::str::FromStr;

    fn d(s: &str) -> Decimal {
        Decimal::from_str(s).unwrap()
    }

    #[test]
    fn each_locale_writes_money_its_own_way() {
        assert_eq!(format_money(d("1149"), "EUR", "de"), "1.149,00\u{a0}€");
        assert_eq!(format_money(d("1149"), "EUR", "en-IE"), "€1,149.00");
        assert_eq!(
            format_money(d("1149"), "EUR", "fr-FR"),
            "1\u{202f}149,00\u{a0}€"
        );
        assert_eq!(format_money(d("19.5"), "USD", "en-US"), "$19.50");
        assert_eq!(format_money(d("1234567.891"), "GBP", "en"), "£1,234,567.89");
        assert_eq!(format_money(d("1299.90"), "CHF", "en"), "CHF\u{a0}1,299.90");
        assert_eq!(
            format_money(d("1299.90"), "CHF", "de-CH"),
            "1.299,90\u{a0}CHF"
        );
        assert_eq!(format_money(d("15800"), "JPY", "en"), "¥15,800");
        assert_eq!(format_money(d("999"), "EUR", "xx"), "€999.00");
        assert_eq!(format_money(d("0.005"), "EUR", "en"), "€0.01");
    }
}
