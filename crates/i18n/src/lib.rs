//! The languages PriceWatch speaks, for the web app (services/api) and the
//! emails (the notifier's alerts, the api's password resets): the Fluent
//! catalogues in `crates/i18n/locales/<code>/main.ftl`, compiled into the
//! binaries, and the ways a language writes dates and money.
//!
//! A language is a folder of `locales/`: adding `locales/de/main.ftl` (with
//! every message of `en/main.ftl`, its `language-name` and its `month-N`
//! names) makes German a choice of the settings page, of `Accept-Language`
//! and of the REST API's `language`, and the language of German users'
//! emails. No code names a language but English, the fallback.

use std::borrow::Cow;
use std::collections::HashMap;

use chrono::{DateTime, Datelike, Utc};
use chrono_tz::Tz;
use fluent_templates::fluent_bundle::FluentValue;
use fluent_templates::{LanguageIdentifier, Loader};
use pricewatch_domain::money_format::MoneyStyle;
use rust_decimal::Decimal;

fluent_templates::static_loader! {
    static LOCALES = {
        locales: "./locales",
        fallback_language: "en",
        // Plain text in HTML and emails: no invisible isolation marks
        // around arguments.
        customise: |bundle| bundle.set_use_isolating(false),
    };
}

/// The longest time zone name accepted (IANA names are far shorter).
pub const MAX_ZONE_CHARS: usize = 64;

/// A language of the catalogue, named by its code (`en`, `fr`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Lang {
    code: &'static str,
}

/// An argument of a message: a text or a number (numbers choose plurals).
#[derive(Debug, Clone, Copy)]
pub enum Arg<'a> {
    Text(&'a str),
    Number(i64),
}

impl Lang {
    /// English: the fallback of every other language and of missing messages.
    pub const EN: Lang = Lang { code: "en" };

    /// Every language of the catalogue, by code.
    pub fn all() -> Vec<Lang> {
        let mut all: Vec<Lang> = LOCALES
            .locales()
            .map(|id| Lang {
                code: id.language.as_str(),
            })
            .collect();
        all.sort_by_key(|l| l.code);
        all.dedup();
        all
    }

    /// The language of a tag (`fr`, `fr-CA`, `EN_gb`) if the catalogue has it.
    pub fn parse(tag: &str) -> Option<Lang> {
        let language = tag.trim().split(['-', '_']).next()?.to_ascii_lowercase();
        LOCALES
            .locales()
            .find(|id| id.language.as_str() == language)
            .map(|id| Lang {
                code: id.language.as_str(),
            })
    }

    /// The code stored in `users.language` and shown by the API: `en`, `fr`.
    pub fn code(self) -> &'static str {
        self.code
    }

    /// The language's own name (`Français`), for lists of languages.
    pub fn name(self) -> String {
        self.t("language-name")
    }

    fn id(self) -> LanguageIdentifier {
        self.code
            .parse()
            .unwrap_or_else(|_| LanguageIdentifier::default())
    }

    /// The message `key`.
    pub fn t(self, key: &str) -> String {
        LOCALES.lookup(&self.id(), key)
    }

    /// The message `key`, or `None` when no catalogue has it.
    pub fn try_t(self, key: &str) -> Option<String> {
        LOCALES.try_lookup(&self.id(), key)
    }

    /// The message `key` with its arguments.
    pub fn t_args(self, key: &str, args: &[(&str, Arg<'_>)]) -> String {
        let mut map: HashMap<Cow<'static, str>, FluentValue<'_>> = HashMap::new();
        for (name, value) in args {
            let value = match value {
                Arg::Text(text) => FluentValue::from((*text).to_owned()),
                Arg::Number(n) => FluentValue::from(*n),
            };
            map.insert(Cow::Owned((*name).to_owned()), value);
        }
        LOCALES.lookup_with_args(&self.id(), key, &map)
    }

    /// `amount` in `currency`, written this language's way (`€1,149.00`,
    /// `1 149,00 €`).
    pub fn money(self, amount: Decimal, currency: &str) -> String {
        MoneyStyle::for_locale(self.code).format(amount, currency.trim())
    }

    /// The short name of a month (1–12): `Dec`, `déc.`.
    pub fn month(self, month: u32) -> String {
        self.t(&format!("month-{}", month.clamp(1, 12)))
    }

    /// A date and time in `tz`: `4 Dec 2026, 17:05`, `4 déc. 2026, 17:05`.
    pub fn when(self, at: &DateTime<Utc>, tz: Tz) -> String {
        let local = at.with_timezone(&tz);
        format!(
            "{} {} {}, {}",
            local.day(),
            self.month(local.month()),
            local.year(),
            local.format("%H:%M"),
        )
    }

    /// A date in `tz`: `4 Dec 2026`.
    pub fn day(self, at: &DateTime<Utc>, tz: Tz) -> String {
        let local = at.with_timezone(&tz);
        format!(
            "{} {} {}",
            local.day(),
            self.month(local.month()),
            local.year()
        )
    }
}

/// An IANA time zone name (`Europe/Paris`, `UTC`), or `None`.
pub fn parse_zone(name: &str) -> Option<Tz> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > MAX_ZONE_CHARS {
        return None;
    }
    name.parse::<Tz>().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys(text: &str) -> Vec<String> {
        let mut k: Vec<String> = text
            .lines()
            .filter(|l| !l.starts_with([' ', '#', '.']) && l.contains(" ="))
            .filter_map(|l| l.split(" =").next().map(str::to_owned))
            .collect();
        k.sort();
        k
    }

    #[test]
    fn every_language_holds_every_message() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("locales");
        let english = keys(&std::fs::read_to_string(dir.join("en/main.ftl")).unwrap());
        assert!(english.len() > 100);
        let mut found = 0;
        for entry in std::fs::read_dir(&dir).unwrap() {
            let entry = entry.unwrap();
            let text = std::fs::read_to_string(entry.path().join("main.ftl")).unwrap();
            assert_eq!(keys(&text), english, "{:?}", entry.path());
            assert!(Lang::parse(&entry.file_name().to_string_lossy()).is_some());
            found += 1;
        }
        assert_eq!(found, Lang::all().len());
    }

    #[test]
    fn languages_are_found_by_tag() {
        let codes: Vec<&str> = Lang::all().into_iter().map(Lang::code).collect();
        assert_eq!(codes, ["en", "fr"]);
        assert_eq!(Lang::parse("fr-CA").map(Lang::code), Some("fr"));
        assert_eq!(Lang::parse("EN_gb"), Some(Lang::EN));
        assert_eq!(Lang::parse("xx"), None);
        assert_eq!(Lang::parse(""), None);
        assert_eq!(Lang::parse("fr").unwrap().name(), "Français");
    }

    #[test]
    fn dates_money_and_messages_read_as_each_language_writes_them() {
        let fr = Lang::parse("fr").unwrap();
        let at = DateTime::parse_from_rfc3339("2026-12-04T16:05:00Z")
            .unwrap()
            .with_timezone(&Utc);
        assert_eq!(fr.when(&at, Tz::Europe__Paris), "4 déc. 2026, 17:05");
        assert_eq!(Lang::EN.when(&at, Tz::UTC), "4 Dec 2026, 16:05");
        assert_eq!(Lang::EN.day(&at, Tz::Asia__Tokyo), "5 Dec 2026");
        let amount = Decimal::new(114_900, 2);
        assert_eq!(fr.money(amount, "EUR"), "1\u{202f}149,00\u{a0}€");
        assert_eq!(Lang::EN.money(amount, "EUR"), "€1,149.00");
        assert_eq!(fr.t("nav-watches"), "Mes suivis");
        assert_eq!(fr.t_args("time-days", &[("n", Arg::Number(2))]), "2 jours");
        assert_eq!(fr.try_t("no-such-message"), None);
    }

    #[test]
    fn zones_are_iana_names() {
        assert_eq!(parse_zone(" Europe/Paris "), Some(Tz::Europe__Paris));
        assert_eq!(parse_zone("UTC"), Some(Tz::UTC));
        assert_eq!(parse_zone("Mars/Olympus"), None);
        assert_eq!(parse_zone(""), None);
    }
}
