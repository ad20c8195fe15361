//! The language of a page (a signed-in user's saved language, else the cookie
//! the settings page sets, else `Accept-Language`), the money style of the
//! visitor's locale, and the visitor's time zone (the user's saved zone, else
//! a cookie set by the settings page or by the page's script from the
//! browser's own zone). Messages come from the shared catalogues of
//! `pricewatch-i18n` (`crates/i18n/locales/`).

use actix_web::{HttpMessage, HttpRequest};
use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use pricewatch_domain::money_format::MoneyStyle;
pub use pricewatch_i18n::Lang;
use pricewatch_i18n::{Arg, parse_zone};
use rust_decimal::Decimal;

pub const LANG_COOKIE: &str = "pw_lang";
pub const TZ_COOKIE: &str = "pw_tz";

/// The language and zone a signed-in user saved (`users.language`,
/// `users.time_zone`; `None`: follow the browser). The session check puts it
/// in the request's extensions, and [`Ui::from_request`] prefers it over the
/// cookies and `Accept-Language`.
#[derive(Debug, Clone, Copy, Default)]
pub struct Saved {
    pub lang: Option<Lang>,
    pub tz: Option<Tz>,
}

impl Saved {
    /// What the request's signed-in user saved; nothing for a visitor.
    pub fn of(req: &HttpRequest) -> Saved {
        req.extensions().get::<Saved>().copied().unwrap_or_default()
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
        let saved = Saved::of(req);
        let chosen = saved
            .lang
            .or_else(|| req.cookie(LANG_COOKIE).and_then(|c| Lang::parse(c.value())));
        let lang = chosen
            .or_else(|| accepted.iter().find_map(|t| Lang::parse(t)))
            .unwrap_or(Lang::EN);
        // Money follows the visitor's first locale (a German reader of the
        // English pages still reads 1.149,00 €), unless they chose a language.
        let money_locale = match (chosen, accepted.first()) {
            (None, Some(first)) => first.clone(),
            _ => lang.code().to_owned(),
        };
        let zone = saved
            .tz
            .or_else(|| req.cookie(TZ_COOKIE).and_then(|c| parse_zone(c.value())));
        Ui {
            lang,
            money_locale,
            tz: zone.unwrap_or(Tz::UTC),
            tz_known: zone.is_some(),
        }
    }

    /// The message `key` of the catalogue.
    pub fn t(&self, key: &str) -> String {
        self.lang.t(key)
    }

    /// The message `key` with one argument.
    pub fn t1(&self, key: &str, name: &str, value: &str) -> String {
        self.lang.t_args(key, &[(name, Arg::Text(value))])
    }

    /// The message `key` with a number (for plurals).
    pub fn tn(&self, key: &str, name: &str, value: i64) -> String {
        self.lang.t_args(key, &[(name, Arg::Number(value))])
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
        self.lang.when(at, self.tz)
    }

    /// A date in the reader's zone: `4 Dec 2026`.
    pub fn day(&self, at: &DateTime<Utc>) -> String {
        self.lang.day(at, self.tz)
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

    /// A product's last check, in words.
    pub fn check_state(&self, status: &str) -> String {
        self.t(&format!("check-{}", status.replace('_', "-")))
    }

    /// Where the price was read on the page, in words.
    pub fn method(&self, method: &Option<String>) -> String {
        match method {
            Some(m) => {
                let key = format!("method-{}", m.replace('_', "-"));
                self.lang.try_t(&key).unwrap_or_else(|| m.clone())
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
    fn a_saved_language_and_zone_win_over_cookies_and_header() {
        let fr = Lang::parse("fr").unwrap();
        let req = actix_web::test::TestRequest::default()
            .insert_header(("Accept-Language", "de-DE"))
            .cookie(actix_web::cookie::Cookie::new(LANG_COOKIE, "en"))
            .cookie(actix_web::cookie::Cookie::new(TZ_COOKIE, "Asia/Tokyo"))
            .to_http_request();
        let ui = Ui::from_request(&req);
        assert_eq!((ui.lang, ui.tz), (Lang::EN, Tz::Asia__Tokyo));
        req.extensions_mut().insert(Saved {
            lang: Some(fr),
            tz: Some(Tz::Europe__Paris),
        });
        let ui = Ui::from_request(&req);
        assert_eq!((ui.lang, ui.tz), (fr, Tz::Europe__Paris));
        assert_eq!(ui.t("nav-watches"), "Mes suivis");
        assert_eq!(ui.money(&Decimal::new(1999, 2), "EUR"), "19,99\u{a0}€");
        // Unset: the browser's choices again.
        req.extensions_mut().insert(Saved::default());
        assert_eq!(Ui::from_request(&req).lang, Lang::EN);
    }
}
