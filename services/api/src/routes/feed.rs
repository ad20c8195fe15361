//! An Atom feed of a user's alerts (all, or those of one tag) at
//! `/feeds/{feed_token}.atom`, for feed readers and home automation. The feed
//! token (`pwf_…`) is read-only by nature: it opens this feed and nothing
//! else. It is stored hashed, shown once, and rotating it ends the old URL.

use actix_web::{HttpRequest, HttpResponse, web};
use chrono::{DateTime, Utc};
use pricewatch_storage::queries::{feed_tokens, notifications};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::auth::{AuthUser, api_token};
use crate::dto::money;
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::{QueryParams, ValidQuery};
use crate::state::AppState;

/// Entries in a feed: the newest alerts.
pub const FEED_ENTRIES: i64 = 50;

#[derive(Debug, Serialize, ToSchema)]
pub struct FeedTokenInfo {
    /// The token's first characters, e.g. `pwf_Ab12C`.
    pub prefix: String,
    pub created_at: DateTime<Utc>,
}

/// A new feed token: the only answer that shows it.
#[derive(Debug, Serialize, ToSchema)]
pub struct CreatedFeedToken {
    #[schema(example = "pwf_Ab12Cd34Ef56Gh78Ij90Kl12Mn34Op56Qr78St90Uv1")]
    pub token: String,
    /// The feed's path; add `?tag=NAME` for the alerts of one tag.
    #[schema(example = "/feeds/pwf_Ab12Cd34Ef56Gh78Ij90Kl12Mn34Op56Qr78St90Uv1.atom")]
    pub path: String,
    /// The feed's address as this request reached the api.
    pub url: String,
    pub prefix: String,
    pub created_at: DateTime<Utc>,
}

/// Creates the feed token, or replaces it: the old feed URL stops working at
/// once. Needs a login access token.
#[utoipa::path(
    post, path = "/api/v1/feed/token", tag = "feed",
    responses(
        (status = 201, body = CreatedFeedToken),
        (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody, description = "an API token cannot make tokens; log in"),
    ),
    security(("bearer" = []))
)]
pub async fn rotate(
    req: HttpRequest,
    user: AuthUser,
    state: web::Data<AppState>,
) -> ApiResult<HttpResponse> {
    user.require_session()?;
    let token = api_token::generate(api_token::FEED_TOKEN_PREFIX);
    let prefix = api_token::display_prefix(&token);
    let mut conn = state.conn().await?;
    let created_at =
        feed_tokens::replace(&mut conn, user.id, &api_token::hash(&token), &prefix).await?;
    let path = format!("/feeds/{token}.atom");
    let info = req.connection_info();
    let url = format!("{}://{}{path}", info.scheme(), info.host());
    Ok(HttpResponse::Created().json(CreatedFeedToken {
        token,
        path,
        url,
        prefix,
        created_at,
    }))
}

/// The feed token's prefix and age (never the token); 404 when there is none.
#[utoipa::path(
    get, path = "/api/v1/feed/token", tag = "feed",
    responses(
        (status = 200, body = FeedTokenInfo),
        (status = 401, body = ErrorBody), (status = 404, body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn show(user: AuthUser, state: web::Data<AppState>) -> ApiResult<HttpResponse> {
    let mut conn = state.conn().await?;
    let (prefix, created_at) = feed_tokens::find_for_user(&mut conn, user.id)
        .await?
        .ok_or(ApiError::NotFound("feed token"))?;
    Ok(HttpResponse::Ok().json(FeedTokenInfo { prefix, created_at }))
}

/// Deletes the feed token: the feed URL stops working. Needs a login access token.
#[utoipa::path(
    delete, path = "/api/v1/feed/token", tag = "feed",
    responses(
        (status = 204, description = "The feed is off"),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn delete(user: AuthUser, state: web::Data<AppState>) -> ApiResult<HttpResponse> {
    user.require_session()?;
    let mut conn = state.conn().await?;
    if feed_tokens::delete_for_user(&mut conn, user.id).await? {
        Ok(HttpResponse::NoContent().finish())
    } else {
        Err(ApiError::NotFound("feed token"))
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct FeedQuery {
    /// Only the alerts of watches that carry this tag.
    pub tag: Option<String>,
}

impl QueryParams for FeedQuery {
    fn expected(_: &str) -> &'static str {
        "a tag"
    }
}

/// The Atom feed of the alerts; the token in the path is the credential.
#[utoipa::path(
    get, path = "/feeds/{feed_token}.atom", tag = "feed",
    params(("feed_token" = String, Path, description = "The feed token (pwf_…)"), FeedQuery),
    responses(
        (status = 200, description = "An Atom 1.0 feed of the newest 50 alerts", content_type = "application/atom+xml"),
        (status = 404, body = ErrorBody, description = "no such feed (a rotated or deleted token)"),
        (status = 422, body = ErrorBody),
    )
)]
pub async fn atom(
    req: HttpRequest,
    state: web::Data<AppState>,
    token: web::Path<String>,
    ValidQuery(query): ValidQuery<FeedQuery>,
) -> ApiResult<HttpResponse> {
    let token = token.into_inner();
    let tag = query
        .tag
        .as_deref()
        .map(pricewatch_domain::tag::parse_tag)
        .transpose()
        .map_err(|e| ApiError::validation("tag", e))?;
    if !api_token::well_formed(&token, api_token::FEED_TOKEN_PREFIX) {
        return Err(ApiError::NotFound("feed"));
    }
    let mut conn = state.conn().await?;
    let (user_id, created_at) = feed_tokens::find_by_hash(&mut conn, &api_token::hash(&token))
        .await?
        .ok_or(ApiError::NotFound("feed"))?;
    let alerts =
        notifications::feed_for_user(&mut conn, user_id, tag.as_deref(), FEED_ENTRIES).await?;
    drop(conn);
    let info = req.connection_info();
    let self_url = format!("{}://{}{}", info.scheme(), info.host(), req.uri());
    let feed_id = match &tag {
        None => format!("urn:pricewatch:alerts:{user_id}"),
        Some(t) => format!(
            "urn:pricewatch:alerts:{user_id}:tag:{}",
            url::form_urlencoded::byte_serialize(t.as_bytes()).collect::<String>()
        ),
    };
    let title = match &tag {
        None => "PriceWatch alerts".to_owned(),
        Some(t) => format!("PriceWatch alerts: {t}"),
    };
    let updated = alerts.first().map_or(created_at, |a| a.created_at);
    let mut xml = String::with_capacity(1024 + alerts.len() * 600);
    xml.push_str("<?xml version=\"1.0\" encoding=\"utf-8\"?>\n");
    xml.push_str("<feed xmlns=\"http://www.w3.org/2005/Atom\">\n");
    element(&mut xml, "  ", "id", &feed_id);
    element(&mut xml, "  ", "title", &title);
    element(&mut xml, "  ", "updated", &rfc3339(updated));
    xml.push_str(&format!(
        "  <link rel=\"self\" type=\"application/atom+xml\" href=\"{}\"/>\n",
        escape(&self_url)
    ));
    xml.push_str("  <author><name>PriceWatch</name></author>\n");
    element(&mut xml, "  ", "generator", "PriceWatch");
    for alert in &alerts {
        let name = alert.product_title.as_deref().unwrap_or(&alert.product_url);
        let new_price = format!("{} {}", money(alert.new_price), alert.currency);
        let summary = match alert.old_price {
            Some(old) => format!(
                "{name} is now {new_price} (was {} {}), at or below your target of {} {}.",
                money(old),
                alert.currency,
                money(alert.target_price),
                alert.currency
            ),
            None => format!(
                "{name} is now {new_price}, at or below your target of {} {}.",
                money(alert.target_price),
                alert.currency
            ),
        };
        xml.push_str("  <entry>\n");
        element(&mut xml, "    ", "id", &format!("urn:uuid:{}", alert.id));
        element(&mut xml, "    ", "title", &format!("{name}: {new_price}"));
        element(&mut xml, "    ", "updated", &rfc3339(alert.created_at));
        xml.push_str(&format!(
            "    <link rel=\"alternate\" type=\"text/html\" href=\"{}\"/>\n",
            escape(&alert.product_url)
        ));
        element(&mut xml, "    ", "summary", &summary);
        xml.push_str("  </entry>\n");
    }
    xml.push_str("</feed>\n");
    Ok(HttpResponse::Ok()
        .content_type("application/atom+xml; charset=utf-8")
        .body(xml))
}

fn rfc3339(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

fn element(xml: &mut String, indent: &str, name: &str, text: &str) {
    xml.push_str(indent);
    xml.push('<');
    xml.push_str(name);
    xml.push('>');
    xml.push_str(&escape(text));
    xml.push_str("</");
    xml.push_str(name);
    xml.push_str(">\n");
}

/// Text for XML content or an attribute: markup characters escaped, and the
/// characters XML 1.0 cannot hold (most control characters) dropped.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\t' | '\n' | '\r' => out.push(c),
            c if c.is_control() || matches!(c, '\u{fffe}' | '\u{ffff}') => {}
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn xml_text_is_escaped_and_stripped() {
        assert_eq!(
            escape("a<b>&\"c' \u{1}d\u{fffe}"),
            "a&lt;b&gt;&amp;&quot;c&apos; d"
        );
    }
}
