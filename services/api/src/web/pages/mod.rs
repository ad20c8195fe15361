//! The page handlers, one file per area.

pub mod account;
pub mod alerts;
pub mod products;
pub mod settings;
pub mod unsubscribe;
pub mod watches;

use actix_web::HttpResponse;
use actix_web::http::StatusCode;
use askama::Template;

use super::error::WebError;
use super::session::SignedIn;

/// What the layout needs besides the language: who is signed in, the CSRF
/// token of the page's forms, which navigation entry is current.
#[derive(Debug, Clone, Default)]
pub struct Chrome {
    pub email: Option<String>,
    pub csrf: String,
    pub nav: &'static str,
}

impl Chrome {
    pub fn anonymous() -> Self {
        Chrome::default()
    }

    pub fn for_form(csrf: String) -> Self {
        Chrome {
            email: None,
            csrf,
            nav: "",
        }
    }

    pub fn signed_in(session: &SignedIn, nav: &'static str) -> Self {
        Chrome {
            email: Some(session.email.clone()),
            csrf: session.csrf.clone(),
            nav,
        }
    }

    pub fn asset(&self, logical: &str) -> &'static str {
        super::assets::url(logical)
    }
}

/// An HTML answer with `status`.
pub fn html(status: StatusCode, template: &impl Template) -> Result<HttpResponse, WebError> {
    Ok(HttpResponse::build(status)
        .content_type("text/html; charset=utf-8")
        .body(template.render()?))
}

pub fn ok(template: &impl Template) -> Result<HttpResponse, WebError> {
    html(StatusCode::OK, template)
}

/// 303 See Other to `location` (after a form).
pub fn see_other(location: &str) -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header(("Location", location.to_owned()))
        .finish()
}

/// A form that carries nothing but its CSRF token (pause, delete, sign out…).
#[derive(Debug, Default, serde::Deserialize)]
#[serde(default)]
pub struct CsrfOnly {
    pub csrf_token: String,
}

/// A form's error, next to its field.
#[derive(Debug, Clone, Default)]
pub struct FieldErrors(pub Vec<(String, String)>);

impl FieldErrors {
    pub fn of(field: &str, message: impl Into<String>) -> Self {
        FieldErrors(vec![(field.to_owned(), message.into())])
    }

    /// The message for `field`, if any.
    pub fn get(&self, field: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(f, _)| f == field)
            .map(|(_, m)| m.as_str())
    }

    pub fn has(&self, field: &str) -> bool {
        self.get(field).is_some()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}
