//! The language of a page (English or French, from a cookie the settings page
//! sets, else `Accept-Language`), the money style of the visitor's locale, and
//! the visitor's time zone (a cookie set by the settings page or by the page's
//! script from the browser's own zone). Messages come from the Fluent
//! catalogues in `services/api/locales/`.

use std::borrow::Cow;
use std::collections::HashMap;

use actix_web::HttpRequest;
use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use fluent_templates::fluent_bundle::FluentValue;
use fluent_templates::{LanguageIdentifier, Loader, langid};
use pricewatch_domain::money_format::MoneyStyle;
use rust_decimal::Decimal;

fluent_templates::static_loader! {
    static LOCALES = {
        locales: "./locales",
        fallback_language: "en",
        // Plain text in HTML: no invisible isolation marks around arguments.
        customise: |bundle| bundle.set_use_isolating(false),
    };
}

pub const LANG_COOKIE: &str = "pw_lang";
pub const TZ_COOKIE: &str = "pw_tz";

const EN: LanguageIdentifier = langid!("en");
const FR: LanguageIdentifier = langid!("fr");

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    En,
    Fr,
}

impl Lang {
    pub const ALL: [Lang; 2] = [Lang::En, Lang::Fr];

    pub fn code(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::Fr => "fr",
        }
    }

    /// The language's own name, for the settings page.
    pub fn name(self) -> &'static str {
        match self {
            Lang::En => "English",
            Lang::Fr => "Français",
        }
    }

    pub fn parse(code: &str) -> Option<Lang> {
        match code.split(['-', '_']).next()?.to_ascii_lowercase().as_str() {
            "en" => Some(Lang::En),
            "fr" => Some(Lang::Fr),
            _ => None,
        }
    }

    fn id(self) -> LanguageIdentifier {
        match self {
            Lang::En => EN,
            Lang::Fr => FR,
        }
    }
}

/// The tags of `Accept-Language`, best first (by `q`, then by order).
pub fn accepted_languages(header: &str) -> Vec<String> {
    let mut tags: Vec<(String, f32, usize)> = header
        .split(',')
        .enumerate()
        .filter_map(|(i, item)| {
            let mut parts = item.split(';');
            let tag = parts.next()?.trim();
            if tag.is_empty() || tag == "*" || tag.len() > 35 {
                return None;
            }
            let q = parts
                .find_map(|p| p.trim().strip_prefix("q="))
                .and_then(|q| q.trim().parse::<f32>().ok())
                .unwrap_or(1.0);
            if q.is_nan() || q <= 0.0 {
                return None;
            }
            Some((tag.to_owned(), q.min(1.0), i))
        })
        .collect();
    tags.sort_by(|a, b| {
        b.1.partial_cmp(&a.1)
            .unwrap_or(std::cmp::Ordering::Equal)
            .then(a.2.cmp(&b.2))
    });
    tags.into_iter().map(|(t, _, _)| t).collect()
}

/// What every page needs to speak to its reader: language, money style, zone.
#[derive(Debug, Clone)]
pub struct Ui {
    pub lang: Lang,
    /// The tag whose conventions money is written in (`de-DE`, `en-IE`…).
    pub money_locale: String,
    pub tz: Tz,
    /// Whether the zone came from the visitor (cookie), not the UTC default.
    pub tz_known: bool,
}

impl Ui {
    pub fn new(lang: Lang, money_locale: &str, tz: Tz) -> Self {
        Ui {
            lang,
            money_locale: money_locale.to_owned(),
            tz,
            tz_known: true,
        }
    }

    pub fn from_request(req: &HttpRequest) -> Self {
        let accepted = req
            .headers()
            .get(actix_web::http::header::ACCEPT_LANGUAGE)
            .and_then(|v| v.to_str().ok())
            .map(accepted_languages)
            .unwrap_or_default();
        let chosen = req.cookie(LANG_COOKIE).and_then(|c| Lang::parse(c.value()));
        let lang = chosen
            .or_else(|| accepted.iter().find_map(|t| Lang::parse(t)))
            .unwrap_or(Lang::En);
        // Money follows the visitor's first locale (a German reader of the
        // English pages still reads 1.149,00 €), unless they chose a language.
        let money_locale = match (chosen, accepted.first()) {
            (None, Some(first)) => first.clone(),
            _ => lang.code().to_owned(),
        };
        let zone = req
            .cookie(TZ_COOKIE)
            .and_then(|c| c.value().parse::<Tz>().ok());
        Ui {
            lang,
            money_locale,
            tz: zone.unwrap_or(Tz::UTC),
            tz_known: zone.is_some(),
        }
    }

    /// The message `key` of the catalogue.
    pub fn t(&self, key: &str) -> String {
        LOCALES.lookup(&self.lang.id(), key)
    }

    /// The message `key` with one argument.
    pub fn t1(&self, key: &str, name: &str, value: &str) -> String {
        let mut args: HashMap<Cow<'static, str>, FluentValue<'_>> = HashMap::new();
        args.insert(
            Cow::Owned(name.to_owned()),
            FluentValue::from(value.to_owned()),
        );
        LOCALES.lookup_with_args(&self.lang.id(), key, &args)
    }

    /// The message `key` with a number (for plurals).
    pub fn tn(&self, key: &str, name: &str, value: i64) -> String {
        let mut args: HashMap<Cow<'static, str>, FluentValue<'_>> = HashMap::new();
        args.insert(Cow::Owned(name.to_owned()), FluentValue::from(value));
        LOCALES.lookup_with_args(&self.lang.id(), key, &args)
    }

    pub fn money(&self, amount: &Decimal, currency: &str) -> String {
        MoneyStyle::for_locale(&self.money_locale).format(*amount, currency)
    }

    /// A price that may be unknown (never read yet).
    pub fn price(&self, amount: &Option<Decimal>, currency: &Option<String>) -> String {
        match (amount, currency) {
            (Some(a), Some(c)) => self.money(a, c),
            (Some(a), None) => a.to_string(),
            _ => "—".to_owned(),
        }
    }

    /// A date and time in the reader's zone: `4 Dec 2026, 17:05` /
    /// `4 déc. 2026, 17:05`.
    pub fn when(&self, at: &DateTime<Utc>) -> String {
        let local = at.with_timezone(&self.tz);
        format!(
            "{} {} {}, {}",
            local.format("%-d"),
            self.month(local.format("%m").to_string().parse::<usize>().unwrap_or(1)),
            local.format("%Y"),
            local.format("%H:%M"),
        )
    }

    /// A date in the reader's zone: `4 Dec 2026`.
    pub fn day(&self, at: &DateTime<Utc>) -> String {
        let local = at.with_timezone(&self.tz);
        format!(
            "{} {} {}",
            local.format("%-d"),
            self.month(local.format("%m").to_string().parse::<usize>().unwrap_or(1)),
            local.format("%Y"),
        )
    }

    pub fn maybe_when(&self, at: &Option<DateTime<Utc>>) -> String {
        at.as_ref().map_or_else(|| "—".to_owned(), |a| self.when(a))
    }

    /// The ISO form for `<time datetime>`.
    pub fn iso(&self, at: &DateTime<Utc>) -> String {
        at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
    }

    /// How long from now, in words: `in 3 h 5 min`, `2 days ago`.
    pub fn relative(&self, at: &DateTime<Utc>) -> String {
        let seconds = at.signed_duration_since(Utc::now()).num_seconds();
        let span = seconds.abs();
        let amount = if span < 60 {
            return self.t("time-now");
        } else if span < 3_600 {
            self.tn("time-minutes", "n", span / 60)
        } else if span < 86_400 {
            self.tn("time-hours", "n", span / 3_600)
        } else {
            self.tn("time-days", "n", span / 86_400)
        };
        if seconds >= 0 {
            self.t1("time-in", "span", &amount)
        } else {
            self.t1("time-ago", "span", &amount)
        }
    }

    fn month(&self, month: usize) -> &'static str {
        const EN_MONTHS: [&str; 12] = [
            "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
        ];
        const FR_MONTHS: [&str; 12] = [
            "janv.", "févr.", "mars", "avr.", "mai", "juin", "juil.", "août", "sept.", "oct.",
            "nov.", "déc.",
        ];
        let i = month.clamp(1, 12) - 1;
        match self.lang {
            Lang::En => EN_MONTHS[i],
            Lang::Fr => FR_MONTHS[i],
        }
    }

    /// A product's last check, in words.
    pub fn check_state(&self, status: &str) -> String {
        self.t(&format!("check-{}", status.replace('_', "-")))
    }

    /// Where the price was read on the page, in words.
    pub fn method(&self, method: &Option<String>) -> String {
        match method {
            Some(m) => {
                let key = format!("method-{}", m.replace('_', "-"));
                match LOCALES.try_lookup(&self.lang.id(), &key) {
                    Some(text) => text,
                    None => m.clone(),
                }
            }
            None => "—".to_owned(),
        }
    }

    /// A watch's check frequency in words.
    pub fn frequency(&self, hours: &i32) -> String {
        self.tn("frequency-every", "hours", i64::from(*hours))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accept_language_is_read_best_first() {
        assert_eq!(
            accepted_languages("de-DE,de;q=0.9,fr;q=0.95, en;q=0.1"),
            ["de-DE", "fr", "de", "en"]
        );
        assert_eq!(accepted_languages("*;q=0.5, xx;q=0"), Vec::<String>::new());
    }

    #[test]
    fn both_catalogues_hold_every_message() {
        let en = include_str!("../../locales/en/main.ftl");
        let fr = include_str!("../../locales/fr/main.ftl");
        let keys = |s: &str| -> Vec<String> {
            let mut k: Vec<String> = s
                .lines()
                .filter(|l| !l.starts_with([' ', '#', '.']) && l.contains(" ="))
                .filter_map(|l| l.split(" =").next().map(str::to_owned))
                .collect();
            k.sort();
            k
        };
        assert_eq!(keys(en), keys(fr));
        let ui = Ui::new(Lang::Fr, "fr", Tz::Europe__Paris);
        assert_eq!(ui.t("nav-watches"), "Mes suivis");
        let at = DateTime::parse_from_rfc3339("2026-12-04T16:05:00Z")
            .unwrap()
            .with_timezone(&Utc);
        assert_eq!(ui.when(&at), "4 déc. 2026, 17:05");
    }
}
