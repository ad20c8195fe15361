//! The account's settings: email, password (a change ends every session and
//! access token), language and time zone of the pages.

use actix_web::cookie::{Cookie, SameSite};
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use chrono_tz::Tz;
use serde::Deserialize;

use super::{Chrome, FieldErrors, html};
use crate::account::AccountError;
use crate::state::AppState;
use crate::web::csrf;
use crate::web::error::WebError;
use crate::web::i18n::{LANG_COOKIE, Lang, TZ_COOKIE, Ui};
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
    zones: Vec<&'static str>,
    zone: String,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct SettingsQuery {
    pub done: String,
}

fn page(
    ui: &Ui,
    session: &SignedIn,
    errors: FieldErrors,
    notice: Option<String>,
    status: StatusCode,
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
            zones: COMMON_ZONES.to_vec(),
            zone: ui.tz.name().to_owned(),
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

fn preference_cookie(state: &AppState, name: &'static str, value: String) -> Cookie<'static> {
    Cookie::build(name, value)
        .path("/")
        .same_site(SameSite::Lax)
        .secure(state.settings.public_is_https())
        .max_age(actix_web::cookie::time::Duration::days(365))
        .finish()
}

/// Language and time zone, kept in this browser's cookies.
pub async fn preferences(
    req: HttpRequest,
    state: web::Data<AppState>,
    session: SignedIn,
    form: web::Form<PreferencesForm>,
) -> Result<HttpResponse, WebError> {
    csrf::check(&req, &session, &form.csrf_token)?;
    let ui = Ui::from_request(&req);
    let Some(lang) = Lang::parse(&form.lang) else {
        return page(
            &ui,
            &session,
            FieldErrors::of("lang", ui.t("settings-bad-lang")),
            None,
            StatusCode::UNPROCESSABLE_ENTITY,
        );
    };
    let Ok(tz) = form.tz.trim().parse::<Tz>() else {
        return page(
            &ui,
            &session,
            FieldErrors::of("tz", ui.t("settings-bad-tz")),
            None,
            StatusCode::UNPROCESSABLE_ENTITY,
        );
    };
    Ok(HttpResponse::SeeOther()
        .insert_header(("Location", "/settings?done=preferences"))
        .cookie(preference_cookie(
            &state,
            LANG_COOKIE,
            lang.code().to_owned(),
        ))
        .cookie(preference_cookie(&state, TZ_COOKIE, tz.name().to_owned()))
        .finish())
}
