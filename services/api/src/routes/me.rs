use actix_web::{HttpResponse, web};
use pricewatch_storage::queries::users;
use serde::Deserialize;
use utoipa::ToSchema;

use crate::auth::AuthUser;
use crate::dto::{TokenResponse, UserResponse};
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::ValidJson;
use crate::state::AppState;

#[utoipa::path(
    get, path = "/api/v1/me", tag = "auth",
    responses((status = 200, body = UserResponse), (status = 401, body = ErrorBody)),
    security(("bearer" = []))
)]
pub async fn me(user: AuthUser, state: web::Data<AppState>) -> ApiResult<HttpResponse> {
    let mut conn = state.conn().await?;
    let (found, preferences) = users::find_with_preferences(&mut conn, user.id)
        .await?
        .ok_or_else(gone)?;
    Ok(HttpResponse::Ok().json(UserResponse::new(found, preferences)))
}

fn gone() -> ApiError {
    ApiError::Unauthorized("this account no longer exists".to_owned())
}

/// A field that may be absent (unchanged), `null` (cleared) or a value.
fn present<'de, D, T>(deserializer: D) -> Result<Option<Option<T>>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Deserialize<'de>,
{
    Option::<T>::deserialize(deserializer).map(Some)
}

/// The account's settings; a field left out stays as it is.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AccountSettings {
    /// The language of the account's pages and emails: a code of the
    /// catalogue (`en`, `fr`), or `null` to follow the browser (emails in
    /// English).
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>, example = "fr")]
    pub language: Option<Option<String>>,
    /// The time zone of the account's pages and emails: an IANA name, or
    /// `null` to follow the browser (emails in UTC).
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>, example = "Europe/Paris")]
    pub time_zone: Option<Option<String>>,
}

/// Lists in the OpenAPI document the values `AccountSettings` accepts: the
/// catalogue's languages and the IANA zones (with `null`), so the document
/// is exact and a new language file shows up in it by itself.
pub struct AccountSettingsValues;

impl utoipa::Modify for AccountSettingsValues {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::{RefOr, schema::Schema};
        let Some(RefOr::T(Schema::Object(settings))) = openapi
            .components
            .as_mut()
            .and_then(|c| c.schemas.get_mut("AccountSettings"))
        else {
            return;
        };
        let with_null = |values: Vec<&str>| {
            let mut values: Vec<serde_json::Value> =
                values.into_iter().map(serde_json::Value::from).collect();
            values.push(serde_json::Value::Null);
            Some(values)
        };
        if let Some(RefOr::T(Schema::Object(language))) = settings.properties.get_mut("language") {
            language.enum_values = with_null(
                pricewatch_i18n::Lang::all()
                    .into_iter()
                    .map(pricewatch_i18n::Lang::code)
                    .collect(),
            );
        }
        if let Some(RefOr::T(Schema::Object(zone))) = settings.properties.get_mut("time_zone") {
            zone.enum_values =
                with_null(chrono_tz::TZ_VARIANTS.iter().map(|tz| tz.name()).collect());
        }
    }
}

/// Changes the account's language and time zone.
#[utoipa::path(
    patch, path = "/api/v1/me", tag = "auth",
    request_body = AccountSettings,
    responses(
        (status = 200, body = UserResponse),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody, description = "a read-only API token"),
        (status = 422, body = ErrorBody, description = "a field is invalid: `language` (not a language of the catalogue) or `time_zone` (not an IANA time zone name)"),
    ),
    security(("bearer" = []))
)]
pub async fn update_settings(
    user: AuthUser,
    state: web::Data<AppState>,
    ValidJson(body): ValidJson<AccountSettings>,
) -> ApiResult<HttpResponse> {
    let mut conn = state.conn().await?;
    let (_, saved) = users::find_with_preferences(&mut conn, user.id)
        .await?
        .ok_or_else(gone)?;
    drop(conn);
    let language = body.language.unwrap_or(saved.language);
    let time_zone = body.time_zone.unwrap_or(saved.time_zone);
    crate::account::save_preferences(&state, user.id, language.as_deref(), time_zone.as_deref())
        .await?;
    let mut conn = state.conn().await?;
    let (found, preferences) = users::find_with_preferences(&mut conn, user.id)
        .await?
        .ok_or_else(gone)?;
    Ok(HttpResponse::Ok().json(UserResponse::new(found, preferences)))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PasswordChange {
    pub current_password: String,
    #[schema(example = "a new horse 10")]
    pub new_password: String,
}

/// Changes the password. Every token issued before it stops working; the
/// answer carries a fresh one.
#[utoipa::path(
    post, path = "/api/v1/me/password", tag = "auth",
    request_body = PasswordChange,
    responses(
        (status = 200, body = TokenResponse),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody, description = "a read-only API token"),
        (status = 422, body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn change_password(
    user: AuthUser,
    state: web::Data<AppState>,
    ValidJson(body): ValidJson<PasswordChange>,
) -> ApiResult<HttpResponse> {
    let version =
        crate::account::change_password(&state, user.id, body.current_password, body.new_password)
            .await?;
    Ok(HttpResponse::Ok().json(TokenResponse {
        access_token: state.tokens.issue(user.id, version)?,
        token_type: "bearer",
        expires_in: state.tokens.ttl_seconds,
    }))
}
