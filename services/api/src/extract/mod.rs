//! Request extractors that turn bad input into clear 400/413/422 answers.

mod strict;

use std::future::Future;
use std::pin::Pin;

use actix_web::web::BytesMut;
use actix_web::{FromRequest, HttpRequest, dev::Payload};
use futures_util::StreamExt;
use serde::Deserialize;
use serde::de::DeserializeOwned;
use utoipa::IntoParams;

use crate::error::ApiError;

/// Largest JSON body the api reads.
pub const MAX_JSON_BYTES: usize = 64 * 1024;

/// A JSON body: malformed JSON is a 400, a wrong shape a 422 naming the field,
/// a body past [`MAX_JSON_BYTES`] a 413.
pub struct ValidJson<T>(pub T);

impl<T: DeserializeOwned + 'static> FromRequest for ValidJson<T> {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, ApiError>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let declared = req
            .headers()
            .get(actix_web::http::header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<usize>().ok());
        let content_type_ok = req
            .headers()
            .get(actix_web::http::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_none_or(|ct| ct.to_ascii_lowercase().starts_with("application/json"));
        let mut payload = payload.take();
        Box::pin(async move {
            if declared.is_some_and(|n| n > MAX_JSON_BYTES) {
                return Err(ApiError::PayloadTooLarge);
            }
            if !content_type_ok {
                return Err(ApiError::BadRequest(
                    "the body must be JSON (Content-Type: application/json)".to_owned(),
                ));
            }
            let mut body = BytesMut::new();
            while let Some(chunk) = payload.next().await {
                let chunk = chunk
                    .map_err(|e| ApiError::BadRequest(format!("could not read the body: {e}")))?;
                if body.len() + chunk.len() > MAX_JSON_BYTES {
                    return Err(ApiError::PayloadTooLarge);
                }
                body.extend_from_slice(&chunk);
            }
            parse_json(&body).map(ValidJson)
        })
    }
}

pub fn parse_json<T: DeserializeOwned>(body: &[u8]) -> Result<T, ApiError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Err(ApiError::BadRequest(
            "the request body is empty; send a JSON object".to_owned(),
        ));
    }
    let value = strict::parse(body).map_err(|(field, message)| {
        if field.is_empty() {
            ApiError::BadRequest(format!("malformed JSON: {message}"))
        } else {
            ApiError::validation(field, message)
        }
    })?;
    if !value.is_object() {
        return Err(ApiError::validation(
            "body",
            "the body must be a JSON object",
        ));
    }
    serde_path_to_error::deserialize(value).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner().to_string();
        let field = if path == "." {
            field_from_message(&inner)
        } else {
            path
        };
        ApiError::validation(field, inner)
    })
}

/// serde names a missing or unknown field inside backticks.
fn field_from_message(message: &str) -> String {
    message
        .split('`')
        .nth(1)
        .map(str::to_owned)
        .unwrap_or_else(|| "body".to_owned())
}

/// Query parameters that say, per parameter, what a valid value looks like.
pub trait QueryParams: DeserializeOwned {
    /// What `field` must be, to finish "`field` must be …".
    fn expected(field: &str) -> &'static str;
}

/// The query string as `T`: a value that does not parse is a 422 naming the
/// parameter and what it must be.
pub struct ValidQuery<T>(pub T);

impl<T: QueryParams> FromRequest for ValidQuery<T> {
    type Error = ApiError;
    type Future = std::future::Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        std::future::ready(parse_query(req.query_string()).map(ValidQuery))
    }
}

pub fn parse_query<T: QueryParams>(query: &str) -> Result<T, ApiError> {
    let de = serde_urlencoded::Deserializer::new(url::form_urlencoded::parse(query.as_bytes()));
    serde_path_to_error::deserialize(de).map_err(|e| {
        let path = e.path().to_string();
        if path == "." {
            let inner = e.into_inner().to_string();
            ApiError::validation(field_from_message(&inner), inner)
        } else {
            let expected = T::expected(&path);
            ApiError::validation(path.clone(), format!("{path} must be {expected}"))
        }
    })
}

pub const MAX_PER_PAGE: i64 = 100;

/// Words for the pagination parameters.
pub fn pagination_expected(field: &str) -> Option<&'static str> {
    match field {
        "page" => Some("a whole number from 1 to 1000000"),
        "per_page" => Some("a whole number from 1 to 100"),
        _ => None,
    }
}

impl QueryParams for Pagination {
    fn expected(field: &str) -> &'static str {
        pagination_expected(field).unwrap_or("a valid value")
    }
}

/// `?page=1&per_page=20`; `per_page` above 100 or below 1 is refused.
#[derive(Debug, Clone, Copy, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct Pagination {
    /// Page number, from 1.
    #[param(minimum = 1, default = 1)]
    pub page: Option<i64>,
    /// Items per page, 1 to 100.
    #[param(minimum = 1, maximum = 100, default = 20)]
    pub per_page: Option<i64>,
}

impl Pagination {
    pub fn validate(self) -> Result<pricewatch_storage::queries::Page, ApiError> {
        let page = self.page.unwrap_or(1);
        let per_page = self.per_page.unwrap_or(20);
        if !(1..=1_000_000).contains(&page) {
            return Err(ApiError::validation(
                "page",
                "page must be between 1 and 1000000",
            ));
        }
        if !(1..=MAX_PER_PAGE).contains(&per_page) {
            return Err(ApiError::validation(
                "per_page",
                format!("per_page must be between 1 and {MAX_PER_PAGE}"),
            ));
        }
        Ok(pricewatch_storage::queries::Page { page, per_page })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Body {
        name: String,
        count: u32,
    }

    #[test]
    fn json_errors_name_the_field() {
        assert!(matches!(
            parse_json::<Body>(b"{"),
            Err(ApiError::BadRequest(_))
        ));
        assert!(matches!(
            parse_json::<Body>(b""),
            Err(ApiError::BadRequest(_))
        ));
        match parse_json::<Body>(br#"{"name": "a", "count": "x"}"#) {
            Err(ApiError::Validation { field, .. }) => assert_eq!(field, "count"),
            other => panic!("{other:?}"),
        }
        match parse_json::<Body>(br#"{"name": "a"}"#) {
            Err(ApiError::Validation { field, .. }) => assert_eq!(field, "count"),
            other => panic!("{other:?}"),
        }
        match parse_json::<Body>(b"[1]") {
            Err(ApiError::Validation { field, .. }) => assert_eq!(field, "body"),
            other => panic!("{other:?}"),
        }
    }
}
