//! Sign in, sign out, register, and the forgotten-password links.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::Utc;
use pricewatch_i18n::Arg;
use pricewatch_storage::queries::{password_resets, users};
use rand::RngCore;
use serde::Deserialize;
use sha2::{Digest, Sha256};

use super::{Chrome, FieldErrors, html, see_other};
use crate::account::AccountError;
use crate::rate_limit::RateLimited;
use crate::state::AppState;
use crate::web::error::WebError;
use crate::web::i18n::{Lang, Ui};
use crate::web::session::{self, MaybeSignedIn, SignedIn};
use crate::web::{csrf, mail};

/// A reset link works this long, once.
pub const RESET_TTL_MINUTES: i64 = 60;

/// Reset links mailed to one email in a minute ([`crate::rate_limit::WINDOW`]).
pub const RESETS_PER_EMAIL_PER_MINUTE: u32 = 1;

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct CredentialsForm {
    pub email: String,
    pub password: String,
    pub csrf_token: String,
}

#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage<'a> {
    ui: &'a Ui,
    chrome: Chrome,
    email: String,
    errors: FieldErrors,
    notice: Option<String>,
}

#[derive(Template)]
#[template(path = "register.html")]
struct RegisterPage<'a> {
    ui: &'a Ui,
    chrome: Chrome,
    email: String,
    errors: FieldErrors,
}

#[derive(Debug, Deserialize)]
pub struct LoginQuery {
    pub reset: Option<String>,
}

pub async fn login_form(
    req: HttpRequest,
    state: web::Data<AppState>,
    visitor: MaybeSignedIn,
    query: web::Query<LoginQuery>,
) -> Result<HttpResponse, WebError> {
    if visitor.0.is_some() {
        return Ok(see_other("/"));
    }
    let ui = Ui::from_request(&req);
    let notice = query.reset.as_ref().map(|_| ui.t("reset-done"));
    html(
        StatusCode::OK,
        &LoginPage {
            chrome: Chrome::for_form(csrf::anonymous_token(&state)),
            ui: &ui,
            email: String::new(),
            errors: FieldErrors::default(),
            notice,
        },
    )
}

pub async fn login(
    req: HttpRequest,
    state: web::Data<AppState>,
    form: web::Form<CredentialsForm>,
) -> Result<HttpResponse, WebError> {
    let form = form.into_inner();
    csrf::check_anonymous(&req, &state, &form.csrf_token)?;
    let ui = Ui::from_request(&req);
    let again = |status: StatusCode, errors: FieldErrors| {
        html(
            status,
            &LoginPage {
                chrome: Chrome::for_form(csrf::anonymous_token(&state)),
                ui: &ui,
                email: form.email.clone(),
                errors,
                notice: None,
            },
        )
    };
    match crate::account::login(&req, &state, &form.email, form.password.clone()).await {
        Ok((user, version)) => {
            let cookie = session::start(&state, user.id, version).await?;
            Ok(HttpResponse::SeeOther()
                .insert_header(("Location", "/"))
                .cookie(cookie)
                .finish())
        }
        Err(AccountError::WrongCredentials) => again(
            StatusCode::UNAUTHORIZED,
            FieldErrors::of("password", ui.t("login-wrong")),
        ),
        Err(AccountError::RateLimited(limited)) => again(
            StatusCode::TOO_MANY_REQUESTS,
            FieldErrors::of("form", too_many(&ui, limited)),
        ),
        Err(e) => Err(e.into()),
    }
}

/// The form error of a refused attempt: when to try again.
fn too_many(ui: &Ui, limited: RateLimited) -> String {
    ui.t1(
        "too-many-attempts",
        "seconds",
        &limited.retry_after.to_string(),
    )
}

pub async fn logout(
    req: HttpRequest,
    state: web::Data<AppState>,
    session: SignedIn,
    form: web::Form<super::CsrfOnly>,
) -> Result<HttpResponse, WebError> {
    csrf::check(&req, &session, &form.csrf_token)?;
    session::end(&state, &session).await;
    Ok(HttpResponse::SeeOther()
        .insert_header(("Location", "/login"))
        .cookie(session::cookie(&state, ""))
        .finish())
}

pub async fn register_form(
    req: HttpRequest,
    state: web::Data<AppState>,
    visitor: MaybeSignedIn,
) -> Result<HttpResponse, WebError> {
    if visitor.0.is_some() {
        return Ok(see_other("/"));
    }
    let ui = Ui::from_request(&req);
    html(
        StatusCode::OK,
        &RegisterPage {
            chrome: Chrome::for_form(csrf::anonymous_token(&state)),
            ui: &ui,
            email: String::new(),
            errors: FieldErrors::default(),
        },
    )
}

pub async fn register(
    req: HttpRequest,
    state: web::Data<AppState>,
    form: web::Form<CredentialsForm>,
) -> Result<HttpResponse, WebError> {
    let form = form.into_inner();
    csrf::check_anonymous(&req, &state, &form.csrf_token)?;
    let ui = Ui::from_request(&req);
    let errors = match crate::account::register(&req, &state, &form.email, form.password).await {
        Ok(user) => {
            let version = crate::account::token_version(&state, user.id).await?;
            let cookie = session::start(&state, user.id, version).await?;
            return Ok(HttpResponse::SeeOther()
                .insert_header(("Location", "/"))
                .cookie(cookie)
                .finish());
        }
        Err(AccountError::Invalid { field, message }) => FieldErrors::of(field, message),
        Err(AccountError::EmailTaken) => FieldErrors::of("email", ui.t("register-taken")),
        Err(AccountError::RateLimited(limited)) => FieldErrors::of("form", too_many(&ui, limited)),
        Err(e) => return Err(e.into()),
    };
    html(
        StatusCode::UNPROCESSABLE_ENTITY,
        &RegisterPage {
            chrome: Chrome::for_form(csrf::anonymous_token(&state)),
            ui: &ui,
            email: form.email,
            errors,
        },
    )
}

#[derive(Template)]
#[template(path = "forgot.html")]
struct ForgotPage<'a> {
    ui: &'a Ui,
    chrome: Chrome,
    sent: bool,
    errors: FieldErrors,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct ForgotForm {
    pub email: String,
    pub csrf_token: String,
}

pub async fn forgot_form(
    req: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, WebError> {
    let ui = Ui::from_request(&req);
    html(
        StatusCode::OK,
        &ForgotPage {
            chrome: Chrome::for_form(csrf::anonymous_token(&state)),
            ui: &ui,
            sent: false,
            errors: FieldErrors::default(),
        },
    )
}

/// Records the link and mails it when `email` has an account; nothing
/// otherwise. The email speaks the account's saved language, else `lang`
/// (the language of the page that asked).
async fn send_reset(
    state: &AppState,
    email: &str,
    token: &str,
    link: &str,
    lang: Lang,
) -> anyhow::Result<()> {
    let mut conn = state.conn().await?;
    let Some((user, preferences)) = users::find_by_email_with_preferences(&mut conn, email).await?
    else {
        return Ok(());
    };
    let expires = Utc::now() + chrono::Duration::minutes(RESET_TTL_MINUTES);
    password_resets::insert(&mut conn, user.id, &token_hash(token), expires).await?;
    drop(conn);
    let lang = preferences
        .language
        .as_deref()
        .and_then(Lang::parse)
        .unwrap_or(lang);
    let subject = lang.t("reset-email-subject");
    let body = lang.t_args("reset-email-body", &[("link", Arg::Text(link))]);
    mail::send_reset_link(&state.settings, &user.email, &subject, body).await
}

fn token_hash(token: &str) -> Vec<u8> {
    Sha256::digest(token.as_bytes()).to_vec()
}

/// Sends a reset link when the email has an account; the answer is the same
/// either way (and the email goes out after it), so the page never tells
/// which emails exist.
pub async fn forgot(
    req: HttpRequest,
    state: web::Data<AppState>,
    form: web::Form<ForgotForm>,
) -> Result<HttpResponse, WebError> {
    csrf::check_anonymous(&req, &state, &form.csrf_token)?;
    let ui = Ui::from_request(&req);
    let limit = state.settings.auth_rate_limit_per_minute;
    let page = |sent: bool, errors: FieldErrors, status: StatusCode| {
        html(
            status,
            &ForgotPage {
                chrome: Chrome::for_form(csrf::anonymous_token(&state)),
                ui: &ui,
                sent,
                errors,
            },
        )
    };
    if let Err(limited) = crate::rate_limit::check(
        &state,
        "forgot:ip",
        &crate::rate_limit::client_key(&req, &state),
        limit,
    )
    .await
    {
        return page(
            false,
            FieldErrors::of("email", too_many(&ui, limited)),
            StatusCode::TOO_MANY_REQUESTS,
        );
    }
    let Ok(email) = crate::account::normalize_email(&form.email) else {
        return page(
            false,
            FieldErrors::of("email", ui.t("email-invalid")),
            StatusCode::UNPROCESSABLE_ENTITY,
        );
    };
    // One link per email a minute, whoever asks: the answer stays the same,
    // so the limit tells nothing either.
    let key = crate::rate_limit::key_for(&state, "forgot:email", &email);
    let admitted = match crate::rate_limit::sliding_window(
        &state.redis,
        &key,
        RESETS_PER_EMAIL_PER_MINUTE,
        crate::rate_limit::WINDOW,
        Utc::now().timestamp_millis(),
    )
    .await
    {
        Ok(wait) => wait.is_none(),
        Err(e) => {
            tracing::warn!(error = %e, "reset limit per email skipped: Redis unavailable");
            true
        }
    };
    if admitted {
        let mut bytes = [0u8; 32];
        rand::rng().fill_bytes(&mut bytes);
        let token = URL_SAFE_NO_PAD.encode(bytes);
        let mut link = state.settings.public_base_url.clone();
        link.set_path("/reset-password");
        link.set_query(Some(&format!("token={token}")));
        let link = link.to_string();
        let lang = ui.lang;
        let state = state.clone();
        // The lookup, the row and the email all happen after the answer: its
        // timing must not tell whether the account exists.
        tokio::spawn(async move {
            if let Err(e) = send_reset(&state, &email, &token, &link, lang).await {
                tracing::warn!(error = format!("{e:#}"), "password reset email not sent");
            }
        });
    }
    page(true, FieldErrors::default(), StatusCode::OK)
}

#[derive(Template)]
#[template(path = "reset.html")]
struct ResetPage<'a> {
    ui: &'a Ui,
    chrome: Chrome,
    token: String,
    valid: bool,
    errors: FieldErrors,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct ResetQuery {
    pub token: String,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct ResetForm {
    pub token: String,
    pub password: String,
    pub csrf_token: String,
}

pub async fn reset_form(
    req: HttpRequest,
    state: web::Data<AppState>,
    query: web::Query<ResetQuery>,
) -> Result<HttpResponse, WebError> {
    let ui = Ui::from_request(&req);
    let mut conn = state.conn().await?;
    let valid = !query.token.is_empty()
        && password_resets::find_valid(&mut conn, &token_hash(&query.token))
            .await?
            .is_some();
    html(
        if valid {
            StatusCode::OK
        } else {
            StatusCode::NOT_FOUND
        },
        &ResetPage {
            chrome: Chrome::for_form(csrf::anonymous_token(&state)),
            ui: &ui,
            token: query.token.clone(),
            valid,
            errors: FieldErrors::default(),
        },
    )
}

/// Uses a reset link: the new password must pass the policy first (so that a
/// weak one does not use the link up), then the link is taken, the password
/// set, and every session and access token of the account ended.
pub async fn reset(
    req: HttpRequest,
    state: web::Data<AppState>,
    form: web::Form<ResetForm>,
) -> Result<HttpResponse, WebError> {
    let form = form.into_inner();
    csrf::check_anonymous(&req, &state, &form.csrf_token)?;
    let ui = Ui::from_request(&req);
    let again = |valid: bool, errors: FieldErrors, status: StatusCode| {
        html(
            status,
            &ResetPage {
                chrome: Chrome::for_form(csrf::anonymous_token(&state)),
                ui: &ui,
                token: form.token.clone(),
                valid,
                errors,
            },
        )
    };
    if let Err(AccountError::Invalid { field, message }) =
        crate::account::check_new_password(&form.password)
    {
        return again(
            true,
            FieldErrors::of(field, message),
            StatusCode::UNPROCESSABLE_ENTITY,
        );
    }
    let mut conn = state.conn().await?;
    let Some(user_id) = password_resets::take(&mut conn, &token_hash(&form.token)).await? else {
        return again(false, FieldErrors::default(), StatusCode::NOT_FOUND);
    };
    drop(conn);
    crate::account::set_password(&state, user_id, form.password).await?;
    Ok(see_other("/login?reset=1"))
}
