//! `POST /api/v1/imports`: many watches at once, from a plain list of URLs,
//! a CSV file or PriceWatch's own export. Every entry gets its own outcome;
//! a bad one never fails the others. Entries go through the same validation
//! and the same insertion as `POST /watches` ([`validate_new`], [`place`]).

pub mod parse;

use std::collections::HashMap;

use actix_web::web::BytesMut;
use actix_web::{HttpRequest, HttpResponse, web};
use futures_util::StreamExt;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use self::parse::{Format, MAX_IMPORT_BYTES};
use crate::auth::AuthUser;
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::{QueryParams, ValidQuery};
use crate::routes::watches::create::{Mode, Placed, place};
use crate::routes::watches::{NewWatch, ValidWatch, parse_frequency, parse_price, validate_new};
use crate::state::AppState;

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ImportQuery {
    /// Report what would happen, line by line, and change nothing.
    pub dry_run: Option<bool>,
    /// Target price for entries that give none; without it such entries are refused.
    pub target_price: Option<String>,
    /// Frequency for entries that give none: `6h`, `12h` or `24h` (default `24h`).
    pub frequency: Option<String>,
}

impl QueryParams for ImportQuery {
    fn expected(field: &str) -> &'static str {
        match field {
            "dry_run" => "true or false",
            "target_price" => "a decimal number such as 19.99",
            "frequency" => "6h, 12h or 24h",
            _ => "a valid value",
        }
    }
}

/// What became of one entry.
#[derive(Debug, Serialize, ToSchema)]
pub struct LineOutcome {
    /// The line of the body it came from (for JSON, the watch's position, from 1).
    pub line: usize,
    /// `created`, `would_create` (dry run), `exists` (already watched),
    /// `duplicate` (the same product as an earlier line) or `refused`.
    #[schema(example = "created")]
    pub outcome: &'static str,
    /// The entry as given (at most 200 characters).
    pub input: String,
    /// The normalised URL, once it passed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// The watch created, or the one that already exists.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub watch_id: Option<Uuid>,
    /// For `duplicate`, the line it repeats.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub duplicate_of: Option<usize>,
    /// Why it was refused: `bad_url`, `private_address`, `bad_price`,
    /// `missing_target_price`, `bad_frequency`, `bad_selector`, `bad_tags`,
    /// `bad_fetch_mode`, `bad_line`, `line_too_long` or `watch_limit_reached`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub code: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

#[derive(Debug, Default, Serialize, ToSchema)]
pub struct ImportSummary {
    pub entries: usize,
    pub created: usize,
    pub would_create: usize,
    pub exists: usize,
    pub duplicate: usize,
    pub refused: usize,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ImportReport {
    pub dry_run: bool,
    /// `text`, `csv` or `json`, from the request's Content-Type.
    pub format: &'static str,
    pub summary: ImportSummary,
    pub outcomes: Vec<LineOutcome>,
}

fn format_of(req: &HttpRequest) -> Result<Format, ApiError> {
    let content_type = req
        .headers()
        .get(actix_web::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("text/plain")
        .to_ascii_lowercase();
    let essence = content_type.split(';').next().unwrap_or_default().trim();
    match essence {
        "text/plain" | "" => Ok(Format::Text),
        "text/csv" => Ok(Format::Csv),
        "application/json" => Ok(Format::Json),
        other => Err(ApiError::BadRequest(format!(
            "an import is text/plain (one URL per line), text/csv or application/json \
             (PriceWatch's export), not {other}"
        ))),
    }
}

async fn read_body(req: &HttpRequest, mut payload: web::Payload) -> Result<BytesMut, ApiError> {
    let declared = req
        .headers()
        .get(actix_web::http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    if declared.is_some_and(|n| n > MAX_IMPORT_BYTES) {
        return Err(ApiError::PayloadTooLarge);
    }
    let mut body = BytesMut::new();
    while let Some(chunk) = payload.next().await {
        let chunk =
            chunk.map_err(|e| ApiError::BadRequest(format!("could not read the body: {e}")))?;
        if body.len() + chunk.len() > MAX_IMPORT_BYTES {
            return Err(ApiError::PayloadTooLarge);
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

fn refused(line: usize, input: String, code: &'static str, reason: String) -> LineOutcome {
    LineOutcome {
        line,
        outcome: "refused",
        input,
        url: None,
        watch_id: None,
        duplicate_of: None,
        code: Some(code),
        reason: Some(reason),
    }
}

/// Imports watches, one entry per line: `text/plain` (a URL, optionally
/// followed by a target price), `text/csv` (`url,target_price,frequency,tags`,
/// header optional; a header may also name `css_selector`, `active` and
/// `fetch_mode`; tags separated by spaces or `;`) or `application/json`
/// (PriceWatch's export, or watches with the same fields; its price history
/// is not imported). Entries without a target price take `?target_price=`;
/// without a frequency, `?frequency=` or 24h. At most 1 MiB and 10,000
/// entries. Re-running an import creates nothing twice. The first checks of
/// new products are spread out, each shop's at least 5 s apart (all within
/// an hour).
#[utoipa::path(
    post, path = "/api/v1/imports", tag = "import and export",
    params(ImportQuery),
    request_body(
        description = "The list to import",
        content(
            (String = "text/plain", example = "https://shop.example.com/p/1 199.00\nhttps://shop.example.com/p/2"),
            (String = "text/csv", example = "url,target_price,frequency,tags\nhttps://shop.example.com/p/1,199.00,12h,kitchen"),
            ("application/json"),
        )
    ),
    responses(
        (status = 200, body = ImportReport, description = "One outcome per entry"),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody, description = "a read-only API token"),
        (status = 413, body = ErrorBody, description = "over 1 MiB"),
        (status = 422, body = ErrorBody, description = "no entry, over 10,000 entries, or a bad default"),
    ),
    security(("bearer" = []))
)]
pub async fn import(
    req: HttpRequest,
    user: AuthUser,
    state: web::Data<AppState>,
    ValidQuery(query): ValidQuery<ImportQuery>,
    payload: web::Payload,
) -> ApiResult<HttpResponse> {
    let format = format_of(&req)?;
    let dry_run = query.dry_run.unwrap_or(false);
    let default_target = match &query.target_price {
        Some(p) => {
            let value = serde_json::Value::String(p.clone());
            parse_price("target_price", &value)?;
            Some(value)
        }
        None => None,
    };
    let default_frequency = query.frequency.clone().unwrap_or_else(|| "24h".to_owned());
    parse_frequency(&default_frequency)?;
    let body = read_body(&req, payload).await?;
    let entries = parse::parse(format, &body)?;
    drop(body);

    let allow_loopback = state.settings.allow_loopback_targets;
    let mut outcomes: Vec<Option<LineOutcome>> = Vec::with_capacity(entries.len());
    let mut valid: Vec<ValidWatch> = Vec::new();
    let mut valid_at: Vec<(usize, usize, String)> = Vec::new();
    let mut first_line_of: HashMap<String, usize> = HashMap::new();
    for entry in entries {
        let line = entry.line;
        let input = entry.input;
        let raw = match entry.watch {
            Ok(raw) => raw,
            Err(m) => {
                outcomes.push(Some(refused(line, input, m.code, m.reason)));
                continue;
            }
        };
        let Some(target) = raw.target_price.or_else(|| default_target.clone()) else {
            outcomes.push(Some(refused(
                line,
                input,
                "missing_target_price",
                "the entry gives no target price, and the import no ?target_price=".to_owned(),
            )));
            continue;
        };
        let frequency = raw.frequency.unwrap_or_else(|| default_frequency.clone());
        match validate_new(
            allow_loopback,
            &NewWatch {
                url: &raw.url,
                target_price: &target,
                frequency: &frequency,
                css_selector: raw.css_selector.as_deref(),
                tags: &raw.tags,
                active: raw.active.unwrap_or(true),
                fetch_mode: raw.fetch_mode.as_deref(),
            },
        ) {
            Err(r) => outcomes.push(Some(refused(line, input, r.code, r.message))),
            Ok(watch) => {
                let url = watch.url.as_str().to_owned();
                if let Some(first) = first_line_of.get(&url) {
                    outcomes.push(Some(LineOutcome {
                        line,
                        outcome: "duplicate",
                        input,
                        url: Some(url),
                        watch_id: None,
                        duplicate_of: Some(*first),
                        code: None,
                        reason: None,
                    }));
                    continue;
                }
                first_line_of.insert(url.clone(), line);
                valid_at.push((outcomes.len(), line, input));
                outcomes.push(None);
                valid.push(watch);
            }
        }
    }
    drop(first_line_of);

    let urls: Vec<String> = valid.iter().map(|v| v.url.as_str().to_owned()).collect();
    let mode = if dry_run { Mode::DryRun } else { Mode::Import };
    let limit = i64::from(state.settings.max_watches_per_user);
    let placed = {
        let mut conn = state.conn().await?;
        place(&mut conn, user.id, limit, valid, mode).await?
    };
    let mut created_products = Vec::new();
    for (((slot, line, input), placed), url) in valid_at.into_iter().zip(placed).zip(urls) {
        let (outcome, watch_id, code, reason) = match placed {
            Placed::Created {
                watch_id,
                product_id,
            } => {
                created_products.push(product_id);
                ("created", Some(watch_id), None, None)
            }
            Placed::WouldCreate => ("would_create", None, None, None),
            Placed::Exists { watch_id } => ("exists", Some(watch_id), None, None),
            Placed::LimitReached => (
                "refused",
                None,
                Some("watch_limit_reached"),
                Some(format!("the account's limit of {limit} watches is reached")),
            ),
        };
        if let Some(o) = outcomes.get_mut(slot) {
            *o = Some(LineOutcome {
                line,
                outcome,
                input,
                url: Some(url),
                watch_id,
                duplicate_of: None,
                code,
                reason,
            });
        }
    }
    for id in created_products {
        crate::routes::products::forget_cached(&state, id).await;
    }
    let outcomes: Vec<LineOutcome> = outcomes.into_iter().flatten().collect();
    let mut summary = ImportSummary {
        entries: outcomes.len(),
        ..ImportSummary::default()
    };
    for o in &outcomes {
        match o.outcome {
            "created" => summary.created += 1,
            "would_create" => summary.would_create += 1,
            "exists" => summary.exists += 1,
            "duplicate" => summary.duplicate += 1,
            _ => summary.refused += 1,
        }
    }
    Ok(HttpResponse::Ok().json(ImportReport {
        dry_run,
        format: format.name(),
        summary,
        outcomes,
    }))
}
