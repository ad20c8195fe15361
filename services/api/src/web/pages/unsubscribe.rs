//! One-click unsubscribe from an alert email (RFC 8058). The link
//! `/unsubscribe/{token}` names one watch by its `watches.unsubscribe_token`,
//! and the token is the only credential: no session and no CSRF token, since
//! whoever holds the link got the email. `GET` shows what the link does and a
//! button, and changes nothing (mail scanners open every link); `POST` (the
//! mail client's one-click request, body `List-Unsubscribe=One-Click`, or the
//! button) pauses the watch and answers 200. An unknown token is a 404.

use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use pricewatch_storage::models::{Product, Watch, WatchChanges};
use pricewatch_storage::queries::watches;

use super::watches::display_title;
use super::{Chrome, ok};
use crate::state::AppState;
use crate::web::error::WebError;
use crate::web::i18n::Ui;

/// Every token starts with this (`watches.unsubscribe_token`'s default).
pub const TOKEN_PREFIX: &str = "pwu_";
/// Hex digits after the prefix.
const TOKEN_DIGITS: usize = 64;

#[derive(Template)]
#[template(path = "unsubscribe.html")]
struct UnsubscribePage<'a> {
    ui: &'a Ui,
    chrome: Chrome,
    title: String,
    token: String,
    /// The watch was paused before this request.
    already_paused: bool,
    /// This request paused it.
    done: bool,
}

fn well_formed(token: &str) -> bool {
    token.strip_prefix(TOKEN_PREFIX).is_some_and(|digits| {
        digits.len() == TOKEN_DIGITS && digits.bytes().all(|b| b.is_ascii_hexdigit())
    })
}

async fn find(state: &AppState, token: &str) -> Result<(Watch, Product), WebError> {
    if !well_formed(token) {
        return Err(WebError::NotFound);
    }
    let mut conn = state.conn().await?;
    watches::find_by_unsubscribe_token(&mut conn, token)
        .await?
        .ok_or(WebError::NotFound)
}

/// What the link would do, and the button that does it. Changes nothing.
pub async fn confirm(
    req: HttpRequest,
    state: web::Data<AppState>,
    token: web::Path<String>,
) -> Result<HttpResponse, WebError> {
    let token = token.into_inner();
    let (watch, product) = find(&state, &token).await?;
    page(&req, &product, token, !watch.active, false)
}

/// The confirmation page: before the button (`done` false) or after it.
fn page(
    req: &HttpRequest,
    product: &Product,
    token: String,
    already_paused: bool,
    done: bool,
) -> Result<HttpResponse, WebError> {
    ok(&UnsubscribePage {
        ui: &Ui::from_request(req),
        chrome: Chrome::anonymous(),
        title: display_title(product),
        token,
        already_paused,
        done,
    })
}

/// Pauses the watch of an alert email (its one-click unsubscribe); the
/// token in the path is the credential. Mail clients send it on the
/// reader's "unsubscribe"; the body is `List-Unsubscribe=One-Click`.
#[utoipa::path(
    post, path = "/unsubscribe/{token}", tag = "watches",
    params(("token" = String, Path, description = "The token of an alert email's List-Unsubscribe link (pwu_…)")),
    responses(
        (status = 200, description = "The watch is paused (or already was)", content_type = "text/html"),
        (status = 404, description = "No watch has this token (a deleted watch): a page", content_type = "text/html"),
    )
)]
pub async fn unsubscribe(
    req: HttpRequest,
    state: web::Data<AppState>,
    token: web::Path<String>,
) -> Result<HttpResponse, WebError> {
    let token = token.into_inner();
    let (watch, product) = find(&state, &token).await?;
    if watch.active {
        let pause = WatchChanges {
            active: Some(false),
            ..WatchChanges::default()
        };
        crate::watch_actions::update(
            &state,
            watch.user_id,
            watch.id,
            pause,
            crate::routes::watches::alerting::AlertingInput::default(),
        )
        .await?;
        tracing::info!(watch_id = %watch.id, "watch paused by an email's unsubscribe link");
    }
    page(&req, &product, token, !watch.active, true)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_prefix_and_64_hex_digits_make_a_token() {
        let good = format!("pwu_{}", "0a".repeat(32));
        assert!(well_formed(&good));
        assert!(!well_formed(&good[..good.len() - 1]));
        assert!(!well_formed(&good.replace("pwu_", "pwf_")));
        assert!(!well_formed(&format!("pwu_{}", "zz".repeat(32))));
        assert!(!well_formed(""));
    }
}
