//! The account actions shared by the REST handlers and the web pages:
//! register, check a login (with the per-address limit and the per-account
//! slow-down), change or reset a password (ending every session and access
//! token issued before), save the language and time zone. Each returns an [`AccountError`]; the REST API turns
//! it into JSON (`crate::error`), the pages into a form error or an error
//! page (`crate::web`).

use actix_web::HttpRequest;
use chrono::Utc;
use diesel_async::AsyncConnection;
use pricewatch_domain::account::{self, Email};
use pricewatch_storage::models::{Preferences, User};
use pricewatch_storage::queries::{is_unique_violation, password_resets, users};
use uuid::Uuid;

use crate::auth::password;
use crate::error::Fault;
use crate::rate_limit::{self, RateLimited};
use crate::state::AppState;

/// Why an account action was refused, or could not be done.
#[derive(Debug, thiserror::Error)]
pub enum AccountError {
    /// A field breaks its rule (`email`, `password`, `current_password`).
    #[error("{message}")]
    Invalid {
        field: &'static str,
        message: String,
    },
    #[error("an account with this email already exists")]
    EmailTaken,
    /// A wrong password and an unknown email read the same.
    #[error("invalid credentials")]
    WrongCredentials,
    #[error(transparent)]
    RateLimited(#[from] RateLimited),
    /// The account was deleted meanwhile.
    #[error("this account no longer exists")]
    Gone,
    #[error(transparent)]
    Fault(#[from] Fault),
}

impl AccountError {
    fn invalid(field: &'static str, message: impl std::fmt::Display) -> Self {
        AccountError::Invalid {
            field,
            message: message.to_string(),
        }
    }
}

impl From<diesel::result::Error> for AccountError {
    fn from(err: diesel::result::Error) -> Self {
        AccountError::Fault(err.into())
    }
}

/// The account email ([`Email::parse`]), refused as a field error on `email`.
pub fn normalize_email(raw: &str) -> Result<String, AccountError> {
    Email::parse(raw)
        .map(Email::into_inner)
        .map_err(|e| AccountError::invalid("email", e))
}

/// The password policy ([`account::check_password`]), refused as a field
/// error on `password`.
pub fn check_new_password(password: &str) -> Result<(), AccountError> {
    account::check_password(password).map_err(|e| AccountError::invalid("password", e))
}

/// Creates an account: the per-address limit, the email and password rules,
/// then the row ([`AccountError::EmailTaken`] when the email is in use).
pub async fn register(
    req: &HttpRequest,
    state: &AppState,
    email: &str,
    new_password: String,
) -> Result<User, AccountError> {
    let limit = state.settings.auth_rate_limit_per_minute;
    rate_limit::check(
        state,
        "register:ip",
        &rate_limit::client_key(req, state),
        limit,
    )
    .await?;
    let email = normalize_email(email)?;
    check_new_password(&new_password)?;
    let password_hash = password::hash(new_password).await?;
    let user = User {
        id: Uuid::new_v4(),
        email,
        password_hash,
        created_at: Utc::now(),
    };
    let mut conn = state.conn().await?;
    match users::insert(&mut conn, &user).await {
        Ok(user) => Ok(user),
        Err(e) if is_unique_violation(&e) => Err(AccountError::EmailTaken),
        Err(e) => Err(e.into()),
    }
}

/// Checks a login: the per-address limit, the slow-down of an account with
/// recent failures, then the password. Returns the user and the token
/// version that their sessions and access tokens carry.
pub async fn login(
    req: &HttpRequest,
    state: &AppState,
    email: &str,
    given_password: String,
) -> Result<(User, i32), AccountError> {
    let limit = state.settings.auth_rate_limit_per_minute;
    rate_limit::check(
        state,
        "login:ip",
        &rate_limit::client_key(req, state),
        limit,
    )
    .await?;
    // An email that cannot exist reads as a wrong password: no enumeration.
    let Ok(email) = normalize_email(email) else {
        return Err(AccountError::WrongCredentials);
    };
    // Failures on an account slow its logins down; they never lock it.
    let delay = rate_limit::login_delay(state, &email, limit).await;
    if !delay.is_zero() {
        tokio::time::sleep(delay).await;
    }
    let mut conn = state.conn().await?;
    let user = users::find_by_email(&mut conn, &email).await?;
    drop(conn);
    let ok = password::verify(
        given_password,
        user.as_ref().map(|u| u.password_hash.clone()),
    )
    .await?;
    match user {
        Some(user) if ok => {
            let mut conn = state.conn().await?;
            let version = users::token_version(&mut conn, user.id)
                .await?
                .ok_or(AccountError::WrongCredentials)?;
            Ok((user, version))
        }
        _ => {
            rate_limit::record_login_failure(state, &email).await;
            Err(AccountError::WrongCredentials)
        }
    }
}

/// The token version of a new account's first session.
pub async fn token_version(state: &AppState, user_id: Uuid) -> Result<i32, AccountError> {
    let mut conn = state.conn().await?;
    users::token_version(&mut conn, user_id)
        .await?
        .ok_or(AccountError::Gone)
}

/// Changes the password after checking the current one (a field error on
/// `current_password` when wrong), then as [`set_password`]; returns the new
/// token version.
pub async fn change_password(
    state: &AppState,
    user_id: Uuid,
    current_password: String,
    new_password: String,
) -> Result<i32, AccountError> {
    check_new_password(&new_password)?;
    let mut conn = state.conn().await?;
    let found = users::find(&mut conn, user_id)
        .await?
        .ok_or(AccountError::Gone)?;
    drop(conn);
    if !password::verify(current_password, Some(found.password_hash)).await? {
        return Err(AccountError::invalid(
            "current_password",
            "current_password is not this account's password",
        ));
    }
    set_password(state, user_id, new_password).await
}

/// Sets a new password (checked against the policy here too), raises the
/// token version and deletes the account's reset links (a link mailed before
/// the change must not work after it) in one transaction, then deletes the
/// account's web sessions. The raised version alone already ends every
/// access token and session issued before; returns it.
pub async fn set_password(
    state: &AppState,
    user_id: Uuid,
    new_password: String,
) -> Result<i32, AccountError> {
    check_new_password(&new_password)?;
    let hash = password::hash(new_password).await?;
    let mut conn = state.conn().await?;
    let version = conn
        .transaction::<_, diesel::result::Error, _>(async move |conn| {
            let version = users::set_password(conn, user_id, &hash).await?;
            password_resets::delete_for_user(conn, user_id).await?;
            Ok(version)
        })
        .await?
        .ok_or(AccountError::Gone)?;
    drop(conn);
    crate::web::session::end_all(state, user_id).await;
    Ok(version)
}

/// The language of `code` (`en`, `fr`: exactly a code of the catalogue), or a
/// field error on `language` naming the choices.
pub fn parse_language(code: &str) -> Result<pricewatch_i18n::Lang, AccountError> {
    pricewatch_i18n::Lang::parse(code)
        .filter(|lang| lang.code() == code)
        .ok_or_else(|| {
            let codes: Vec<&str> = pricewatch_i18n::Lang::all()
                .into_iter()
                .map(pricewatch_i18n::Lang::code)
                .collect();
            AccountError::invalid(
                "language",
                format!(
                    "language must be one of {}, or null to follow the browser",
                    codes.join(", ")
                ),
            )
        })
}

/// The zone of an IANA name (`Europe/Paris`), or a field error on `time_zone`.
pub fn parse_time_zone(name: &str) -> Result<chrono_tz::Tz, AccountError> {
    pricewatch_i18n::parse_zone(name).ok_or_else(|| {
        AccountError::invalid(
            "time_zone",
            "time_zone must be an IANA time zone name such as Europe/Paris, or null to follow the browser",
        )
    })
}

/// Saves the account's language and time zone (`None`: follow the browser),
/// after checking them (field errors on `language` and `time_zone`); returns
/// what is stored.
pub async fn save_preferences(
    state: &AppState,
    user_id: Uuid,
    language: Option<&str>,
    time_zone: Option<&str>,
) -> Result<Preferences, AccountError> {
    let language = language.map(parse_language).transpose()?;
    let time_zone = time_zone.map(parse_time_zone).transpose()?;
    let preferences = Preferences {
        language: language.map(|l| l.code().to_owned()),
        time_zone: time_zone.map(|tz| tz.name().to_owned()),
    };
    let mut conn = state.conn().await?;
    users::set_preferences(&mut conn, user_id, &preferences)
        .await?
        .ok_or(AccountError::Gone)
}
