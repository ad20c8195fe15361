//! The account's settings: email, password (a change ends every session and
//! access token), language and time zone of the pages and emails (saved on
//! the account, and in this browser's cookies for the signed-out pages).

use actix_web::cookie::{Cookie, SameSite};
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use super::{Chrome, FieldErrors, html};
use crate::account::AccountError;
use crate::state::AppState;
use crate::web::csrf;
use crate::web::error::WebError;
use crate::web::i18n::{LANG_COOKIE, Lang, Saved, TZ_COOKIE, Ui};
use crate::web::session::{self, SignedIn};

/// Zones offered in the list; any other valid IANA name may be typed.
const COMMON_ZONES: [&str; 12] = [
    "UTC",
    "Europe/London",
    "Europe/Dublin",
    "Europe/Paris",
    "Europe/Berlin",
    "Europe/Madrid",
    "Europe/Zurich",
    "America/New_York",
    "America/Chicago",
    "America/Los_Angeles",
    "Asia/Tokyo",
    "Australia/Sydney",
];

#[derive(Template)]
#[template(path = "settings.html")]
struct SettingsPage<'a> {
    ui: &'a Ui,
    chrome: Chrome,
    email: String,
    errors: FieldErrors,
    notice: Option<String>,
    langs: Vec<(&'static str, String)>,
    /// The saved language's code, `""` when the account follows the browser.
    lang: String,
    zones: Vec<&'static str>,
    /// The saved zone (or what was just typed), `""` to follow the browser.
    zone: String,
    /// The zone the pages use now, shown in the empty field.
    zone_now: String,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct SettingsQuery {
    pub done: String,
}

fn page(
    req: &HttpRequest,
    ui: &Ui,
    session: &SignedIn,
    errors: FieldErrors,
    notice: Option<String>,
    status: StatusCode,
) -> Result<HttpResponse, WebError> {
    let saved = Saved::of(req);
    page_with(
        ui,
        session,
        errors,
        notice,
        status,
        saved.lang.map(|l| l.code().to_owned()).unwrap_or_default(),
        saved.tz.map(|tz| tz.name().to_owned()).unwrap_or_default(),
    )
}

fn page_with(
    ui: &Ui,
    session: &SignedIn,
    errors: FieldErrors,
    notice: Option<String>,
    status: StatusCode,
    lang: String,
    zone: String,
) -> Result<HttpResponse, WebError> {
    html(
        status,
        &SettingsPage {
            ui,
            chrome: Chrome::signed_in(session, "settings"),
            email: session.email.clone(),
            errors,
            notice,
            langs: Lang::all()
                .into_iter()
                .map(|l| (l.code(), l.name()))
                .collect(),
            lang,
            zones: COMMON_ZONES.to_vec(),
            zone,
            zone_now: ui.tz.name().to_owned(),
        },
    )
}

pub async fn show(
    req: HttpRequest,
    session: SignedIn,
    query: web::Query<SettingsQuery>,
) -> Result<HttpResponse, WebError> {
    let ui = Ui::from_request(&req);
    let notice = match query.done.as_str() {
        "preferences" => Some(ui.t("notice-preferences")),
        "password" => Some(ui.t("notice-password")),
        _ => None,
    };
    page(
        &req,
        &ui,
        &session,
        FieldErrors::default(),
        notice,
        StatusCode::OK,
    )
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct PasswordForm {
    pub current_password: String,
    pub new_password: String,
    pub csrf_token: String,
}

/// Changes the password, ends every session of the account (this one too, as
/// every access token) and starts a fresh session for this browser.
pub async fn change_password(
    req: HttpRequest,
    state: web::Data<AppState>,
    session: SignedIn,
    form: web::Form<PasswordForm>,
) -> Result<HttpResponse, WebError> {
    let form = form.into_inner();
    csrf::check(&req, &session, &form.csrf_token)?;
    let ui = Ui::from_request(&req);
    match crate::account::change_password(
        &state,
        session.user_id,
        form.current_password,
        form.new_password,
    )
    .await
    {
        Ok(version) => {
            let cookie = session::start(&state, session.user_id, version).await?;
            Ok(HttpResponse::SeeOther()
                .insert_header(("Location", "/settings?done=password"))
                .cookie(cookie)
                .finish())
        }
        Err(AccountError::Invalid { field, message }) => {
            // The policy names `password`; this form's field is `new_password`.
            let field = if field == "password" {
                "new_password"
            } else {
                field
            };
            page(
                &req,
                &ui,
                &session,
                FieldErrors::of(field, message),
                None,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct PreferencesForm {
    pub lang: String,
    pub tz: String,
    pub csrf_token: String,
}

fn preference_cookie(state: &AppState, name: &'static str, value: Option<&str>) -> Cookie<'static> {
    let mut cookie = Cookie::build(name, value.unwrap_or_default().to_owned())
        .path("/")
        .same_site(SameSite::Lax)
        .secure(state.settings.public_is_https())
        .max_age(actix_web::cookie::time::Duration::days(365))
        .finish();
    if value.is_none() {
        cookie.make_removal();
    }
    cookie
}

/// Language and time zone, saved on the account (the pages of every browser
/// it signs in on, and its emails, follow them) and in this browser's
/// cookies (its pages once signed out). Empty fields follow the browser.
pub async fn preferences(
    req: HttpRequest,
    state: web::Data<AppState>,
    session: SignedIn,
    form: web::Form<PreferencesForm>,
) -> Result<HttpResponse, WebError> {
    csrf::check(&req, &session, &form.csrf_token)?;
    let ui = Ui::from_request(&req);
    let lang = Some(form.lang.trim()).filter(|l| !l.is_empty());
    let tz = Some(form.tz.trim()).filter(|z| !z.is_empty());
    let saved = match crate::account::save_preferences(&state, session.user_id, lang, tz).await {
        Ok(saved) => saved,
        Err(AccountError::Invalid { field, .. }) => {
            let (field, message) = if field == "language" {
                ("lang", ui.t("settings-bad-lang"))
            } else {
                ("tz", ui.t("settings-bad-tz"))
            };
            return page_with(
                &ui,
                &session,
                FieldErrors::of(field, message),
                None,
                StatusCode::UNPROCESSABLE_ENTITY,
                lang.unwrap_or_default().to_owned(),
                tz.unwrap_or_default().to_owned(),
            );
        }
        Err(e) => return Err(e.into()),
    };
    Ok(HttpResponse::SeeOther()
        .insert_header(("Location", "/settings?done=preferences"))
        .cookie(preference_cookie(
            &state,
            LANG_COOKIE,
            saved.language.as_deref(),
        ))
        .cookie(preference_cookie(
            &state,
            TZ_COOKIE,
            saved.time_zone.as_deref(),
        ))
        .finish())
}
