//! What a web page does when a request fails: a redirect to sign in, or a
//! friendly page in the reader's language (404, 403, 429, 503, 500). A 500 logs
//! its cause and shows nothing internal.

use actix_web::http::StatusCode;
use actix_web::{HttpMessage, HttpRequest, HttpResponse, ResponseError};
use askama::Template;

use super::i18n::Ui;
use crate::account::AccountError;
use crate::error::{ApiError, Fault};
use crate::rate_limit::RateLimited;
use crate::watch_actions::WatchError;

#[derive(Debug, thiserror::Error)]
pub enum WebError {
    #[error("sign in first")]
    NotSignedIn,
    #[error("not found")]
    NotFound,
    /// A form without a valid CSRF token, or from another site.
    #[error("forbidden")]
    Forbidden,
    #[error("too many requests")]
    RateLimited { retry_after: u64 },
    #[error("unavailable")]
    Unavailable,
    #[error("internal error")]
    Internal(#[source] anyhow::Error),
}

impl From<ApiError> for WebError {
    fn from(e: ApiError) -> Self {
        match e {
            ApiError::NotFound(_) => WebError::NotFound,
            ApiError::Unauthorized(_) | ApiError::InvalidCredentials => WebError::NotSignedIn,
            ApiError::Forbidden(_) => WebError::Forbidden,
            ApiError::RateLimited { retry_after } => WebError::RateLimited { retry_after },
            ApiError::Unavailable(_) => WebError::Unavailable,
            ApiError::Internal(cause) => WebError::Internal(cause),
            other => WebError::Internal(anyhow::anyhow!("unexpected error on a page: {other}")),
        }
    }
}

impl From<Fault> for WebError {
    fn from(fault: Fault) -> Self {
        match fault {
            Fault::Unavailable(_) => WebError::Unavailable,
            Fault::Internal(cause) => WebError::Internal(cause),
        }
    }
}

impl From<RateLimited> for WebError {
    fn from(limited: RateLimited) -> Self {
        WebError::RateLimited {
            retry_after: limited.retry_after,
        }
    }
}

/// An account refusal that the page did not show next to a field.
impl From<AccountError> for WebError {
    fn from(e: AccountError) -> Self {
        match e {
            AccountError::WrongCredentials | AccountError::Gone => WebError::NotSignedIn,
            AccountError::RateLimited(limited) => limited.into(),
            AccountError::Fault(fault) => fault.into(),
            other => WebError::Internal(anyhow::anyhow!("unexpected error on a page: {other}")),
        }
    }
}

/// A watch refusal that the page did not show next to a field.
impl From<WatchError> for WebError {
    fn from(e: WatchError) -> Self {
        match e {
            WatchError::NotFound => WebError::NotFound,
            WatchError::Gone => WebError::NotSignedIn,
            WatchError::TooSoon { retry_after, .. } => WebError::RateLimited { retry_after },
            WatchError::Fault(fault) => fault.into(),
            other => WebError::Internal(anyhow::anyhow!("unexpected error on a page: {other}")),
        }
    }
}

impl From<diesel::result::Error> for WebError {
    fn from(e: diesel::result::Error) -> Self {
        ApiError::from(e).into()
    }
}

impl From<diesel_async::pooled_connection::deadpool::PoolError> for WebError {
    fn from(e: diesel_async::pooled_connection::deadpool::PoolError) -> Self {
        Fault::from(e).into()
    }
}

impl From<askama::Error> for WebError {
    fn from(e: askama::Error) -> Self {
        WebError::Internal(e.into())
    }
}

impl ResponseError for WebError {
    fn status_code(&self) -> StatusCode {
        match self {
            WebError::NotSignedIn => StatusCode::SEE_OTHER,
            WebError::NotFound => StatusCode::NOT_FOUND,
            WebError::Forbidden => StatusCode::FORBIDDEN,
            WebError::RateLimited { .. } => StatusCode::TOO_MANY_REQUESTS,
            WebError::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
            WebError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// Without the request (no language known): English. The pages' own
    /// middleware ([`render_errors`]) replaces it with the reader's language.
    fn error_response(&self) -> HttpResponse {
        if let WebError::Internal(cause) = self {
            tracing::error!(error = ?cause, "page failed");
        }
        page(
            self,
            &Ui::new(super::i18n::Lang::EN, "en", chrono_tz::Tz::UTC),
            None,
        )
    }
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage<'a> {
    ui: &'a Ui,
    chrome: super::pages::Chrome,
    status: u16,
    heading: String,
    detail: String,
}

/// The page (or redirect) for an error, in the reader's language, with the
/// signed-in header when the request's session was read.
pub fn page(error: &WebError, ui: &Ui, req: Option<&HttpRequest>) -> HttpResponse {
    let status = error.status_code();
    if let WebError::NotSignedIn = error {
        return HttpResponse::SeeOther()
            .insert_header(("Location", "/login"))
            .finish();
    }
    let key = match error {
        WebError::NotFound => "error-404",
        WebError::Forbidden => "error-403",
        WebError::RateLimited { .. } => "error-429",
        WebError::Unavailable => "error-503",
        _ => "error-500",
    };
    let body = ErrorPage {
        ui,
        chrome: req
            .and_then(|req| {
                let extensions = req.extensions();
                let session = extensions.get::<super::session::SignedIn>()?;
                Some(super::pages::Chrome::signed_in(session, ""))
            })
            .unwrap_or_else(super::pages::Chrome::anonymous),
        status: status.as_u16(),
        heading: ui.t(&format!("{key}-title")),
        detail: ui.t(&format!("{key}-detail")),
    }
    .render()
    .unwrap_or_else(|_| "<!doctype html><title>Error</title><h1>Error</h1>".to_owned());
    let mut res = HttpResponse::build(status);
    if let WebError::RateLimited { retry_after } = error {
        res.insert_header(("Retry-After", retry_after.to_string()));
    }
    super::headers::apply_page_headers(&mut res);
    res.content_type("text/html; charset=utf-8").body(body)
}

/// The 404 page for a path no route serves, in the reader's language (the
/// signed-in reader's saved one), with the header of a signed-in reader.
pub async fn not_found_page(req: &HttpRequest) -> HttpResponse {
    // Without a readable session the page is the signed-out one.
    let _ = super::session::load(req).await;
    page(&WebError::NotFound, &Ui::from_request(req), Some(req))
}

/// Re-renders a page's error in the reader's language (the error itself only
/// knows English), logging a 500's cause once.
pub async fn render_errors(
    req: actix_web::dev::ServiceRequest,
    next: actix_web::middleware::Next<impl actix_web::body::MessageBody + 'static>,
) -> Result<actix_web::dev::ServiceResponse<actix_web::body::BoxBody>, actix_web::Error> {
    let res = next.call(req).await?;
    let Some(error) = res
        .response()
        .error()
        .and_then(|e| e.as_error::<WebError>())
    else {
        return Ok(res.map_into_boxed_body());
    };
    let ui = Ui::from_request(res.request());
    let page = page(error, &ui, Some(res.request()));
    Ok(res.into_response(page))
}
