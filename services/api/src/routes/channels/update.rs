use actix_web::{HttpResponse, web};
use pricewatch_storage::queries::channels;
use pricewatch_storage::sealed::ChannelSecrets;
use serde::Deserialize;
use utoipa::ToSchema;
use uuid::Uuid;

use super::{ChannelResponse, channel_key, parse_name, parse_url};
use crate::auth::AuthUser;
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::ValidJson;
use crate::state::AppState;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateChannel {
    /// A new name (1 to 100 characters).
    #[schema(example = "Work phone")]
    pub name: Option<String>,
    /// A new URL of the same kind (a webhook keeps its signing secret).
    #[schema(example = "ntfy://my-deals")]
    pub url: Option<String>,
}

/// Renames a channel or replaces its URL. The kind stays: to move alerts to
/// another service, add a channel.
#[utoipa::path(
    patch, path = "/api/v1/channels/{id}", tag = "channels",
    params(("id" = Uuid, Path, description = "Channel id")),
    request_body = UpdateChannel,
    responses(
        (status = 200, body = ChannelResponse),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody, description = "a read-only API token"),
        (status = 404, body = ErrorBody), (status = 422, body = ErrorBody),
        (status = 503, body = ErrorBody, description = "the server has no CHANNEL_SECRET_KEY"),
    ),
    security(("bearer" = []))
)]
pub async fn update(
    user: AuthUser,
    state: web::Data<AppState>,
    id: web::Path<Uuid>,
    ValidJson(body): ValidJson<UpdateChannel>,
) -> ApiResult<HttpResponse> {
    let id = id.into_inner();
    let name = body.name.as_deref().map(parse_name).transpose()?;
    let channel = match &body.url {
        Some(url) => Some(parse_url(&state, url).await?),
        None => None,
    };
    let mut conn = state.conn().await?;
    if let Some(channel) = &channel {
        super::check_recipient(&mut conn, user.id, channel).await?;
    }
    let current = channels::find_for_user(&mut conn, id, user.id)
        .await?
        .ok_or(ApiError::NotFound("channel"))?;
    let url = match &channel {
        None => None,
        Some(channel) => {
            if channel.kind().as_str() != current.kind {
                return Err(ApiError::validation(
                    "url",
                    format!(
                        "scheme: this channel is a {} channel and stays one; add a new channel for {}",
                        current.kind,
                        channel.kind()
                    ),
                ));
            }
            let key = channel_key(&state)?;
            // A webhook keeps the secret its receiver verifies signatures with.
            let signing_secret = key
                .open(id, &current.sealed)
                .map_err(|e| ApiError::Internal(anyhow::anyhow!("channel {id}: {e}")))?
                .signing_secret;
            let sealed = key.seal(
                id,
                &ChannelSecrets {
                    url: channel.render(),
                    signing_secret,
                },
            );
            Some((channel.redacted(), sealed))
        }
    };
    let updated = channels::update_for_user(
        &mut conn,
        id,
        user.id,
        name.as_deref(),
        url.as_ref().map(|(redacted, sealed)| {
            (current.kind.as_str(), redacted.as_str(), sealed.as_slice())
        }),
    )
    .await?
    .ok_or(ApiError::NotFound("channel"))?;
    Ok(HttpResponse::Ok().json(ChannelResponse::from(updated)))
}
