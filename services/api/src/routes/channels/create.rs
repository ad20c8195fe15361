use actix_web::{HttpResponse, web};
use chrono::Utc;
use diesel_async::AsyncConnection;
use pricewatch_storage::models::ChannelRow;
use pricewatch_storage::queries::{channels, users};
use pricewatch_storage::sealed::ChannelSecrets;
use serde::Deserialize;
use utoipa::ToSchema;
use uuid::Uuid;

use super::{CreatedChannel, channel_key, new_signing_secret, parse_name, parse_url, signs};
use crate::auth::AuthUser;
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::ValidJson;
use crate::state::AppState;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateChannel {
    /// The channel as a URL: `mailto://`, `ntfy://`, `ntfys://`, `gotify://`,
    /// `gotifys://`, `tgram://`, `discord://`, `slack://`, `pover://`,
    /// `matrix://`, `matrixs://`, `json://` or `jsons://` (see docs/channels.md).
    #[schema(example = "ntfy://my-price-alerts")]
    pub url: String,
    /// What to call it (1 to 100 characters).
    #[schema(example = "My phone")]
    pub name: String,
}

/// Adds a notification channel. Its secrets are sealed at rest and never
/// shown again; a webhook's signing secret is in this answer only.
#[utoipa::path(
    post, path = "/api/v1/channels", tag = "channels",
    request_body = CreateChannel,
    responses(
        (status = 201, body = CreatedChannel),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody, description = "a read-only API token"),
        (status = 409, body = ErrorBody, description = "the account's channel limit is reached"),
        (status = 422, body = ErrorBody, description = "a malformed URL, an unknown scheme, a host the address policy refuses, or a bad name"),
        (status = 503, body = ErrorBody, description = "the server has no CHANNEL_SECRET_KEY"),
    ),
    security(("bearer" = []))
)]
pub async fn create(
    user: AuthUser,
    state: web::Data<AppState>,
    ValidJson(body): ValidJson<CreateChannel>,
) -> ApiResult<HttpResponse> {
    let name = parse_name(&body.name)?;
    let channel = parse_url(&state, &body.url).await?;
    let key = channel_key(&state)?;
    let signing_secret = signs(channel.kind()).then(new_signing_secret);
    let id = Uuid::new_v4();
    let now = Utc::now();
    let row = ChannelRow {
        id,
        user_id: user.id,
        kind: channel.kind().as_str().to_owned(),
        name,
        redacted_url: channel.redacted(),
        sealed: key.seal(
            id,
            &ChannelSecrets {
                url: channel.render(),
                signing_secret: signing_secret.clone(),
            },
        ),
        created_at: now,
        updated_at: now,
    };
    let limit = i64::from(state.settings.max_channels_per_user);
    let mut conn = state.conn().await?;
    super::check_recipient(&mut conn, user.id, &channel).await?;
    let created = conn
        .transaction::<_, ApiError, _>(async move |conn| {
            if !users::lock(conn, user.id).await? {
                return Err(ApiError::Unauthorized(
                    "this account no longer exists".to_owned(),
                ));
            }
            if channels::count_for_user(conn, user.id).await? >= limit {
                return Err(ApiError::Conflict {
                    code: "channel_limit_reached",
                    message: format!(
                        "an account can have at most {limit} channels; delete one first"
                    ),
                });
            }
            Ok(channels::insert(conn, &row).await?)
        })
        .await?;
    Ok(HttpResponse::Created().json(CreatedChannel {
        channel: created.into(),
        signing_secret,
    }))
}
