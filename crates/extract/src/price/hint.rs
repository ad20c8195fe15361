//! What else tells the currency when the text alone does not: the page's declared
//! currency, nearby words, the page's language or domain.

use pricewatch_domain::money::Currency;

use super::currency_marks::{self, Family, Found, Mark};

/// Context for ambiguous or missing currency signs. All fields are optional.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PriceHint<'a> {
    /// A currency declared elsewhere (schema.org `priceCurrency`, the watch's currency).
    pub currency: Option<Currency>,
    /// Nearby text that may carry a sign or a code (`Pris NOK`, `Price in £`).
    pub text: Option<&'a str>,
    /// A language tag (`sv-SE`, `de`) or a host or URL (`shop.example.se`).
    pub locale: Option<&'a str>,
}

impl<'a> PriceHint<'a> {
    /// Reads a free-text hint: a code or sign, nearby words, a language tag or a domain.
    pub fn from_text(text: &'a str) -> Self {
        let trimmed = text.trim();
        let looks_like_locale = !trimmed.is_empty()
            && !trimmed.contains(' ')
            && (trimmed.contains('.') || trimmed.contains('-') || trimmed.contains('_'))
            && trimmed.chars().any(|c| c.is_ascii_alphabetic());
        PriceHint {
            currency: None,
            text: Some(text),
            locale: looks_like_locale.then_some(trimmed),
        }
    }

    fn text_marks(&self) -> Vec<Found> {
        let chars: Vec<char> = self.text.unwrap_or("").chars().take(512).collect();
        currency_marks::find_all(&chars)
    }

    /// The country named by the locale: the region of a language tag, the TLD of a host.
    fn country(&self) -> Option<String> {
        let locale = self.locale?.trim();
        let host_like = locale.contains("://") || locale.contains('.');
        if host_like {
            let without_scheme = locale.split("://").last().unwrap_or(locale);
            let host = without_scheme
                .split(['/', ':', '?', '#'])
                .next()
                .unwrap_or("");
            let tld = host.rsplit('.').next().unwrap_or("");
            return (tld.len() == 2 && tld.chars().all(|c| c.is_ascii_alphabetic()))
                .then(|| tld.to_ascii_uppercase());
        }
        let mut parts = locale.split(['-', '_']);
        let language = parts.next().unwrap_or("");
        let region = parts.find(|p| p.len() == 2 && p.chars().all(|c| c.is_ascii_alphabetic()));
        match region {
            Some(r) => Some(r.to_ascii_uppercase()),
            None => currency_marks::language_country(language).map(str::to_owned),
        }
    }

    /// The currency a sign stands for, given this context.
    pub(crate) fn resolve(&self, mark: Mark) -> Option<Currency> {
        match mark {
            Mark::Iso(_) | Mark::NoCode => mark.currency(),
            Mark::Family(family) => self.resolve_family(family),
        }
    }

    fn resolve_family(&self, family: Family) -> Option<Currency> {
        let member = |c: &Currency| family.members().contains(&c.as_str());
        if let Some(c) = self.currency.filter(member) {
            return Some(c);
        }
        let from_text = self
            .text_marks()
            .into_iter()
            .filter_map(|m| m.mark.currency())
            .find(member);
        if from_text.is_some() {
            return from_text;
        }
        let from_locale = self
            .country()
            .and_then(|c| currency_marks::country_currency(&c))
            .and_then(|code| Currency::parse(code).ok())
            .filter(member);
        from_locale.or_else(|| family.default_code().and_then(|c| Currency::parse(c).ok()))
    }

    /// The currency when the text has no sign at all: the declared one, else a
    /// sign in the hint text.
    pub(crate) fn fallback(&self) -> (Option<Currency>, Option<String>) {
        if let Some(c) = self.currency {
            return (Some(c), None);
        }
        match self.text_marks().into_iter().next() {
            Some(found) => (self.resolve(found.mark), Some(found.raw)),
            None => (None, None),
        }
    }
}
