//! `GET /api/v1/export`: the user's watches, their products and the products'
//! full price history, as JSON (re-importable) or CSV (one row per reading).
//! Streamed: watches are read 100 at a time and readings 1,000 at a time
//! (keyset pagination), written out in chunks of about 64 KiB, so memory stays
//! flat whatever the history holds. Each page takes a pooled connection and
//! gives it back, so a long export never holds one while the client reads.

use std::collections::VecDeque;

use actix_web::web::{Bytes, BytesMut};
use actix_web::{HttpResponse, web};
use chrono::{DateTime, Utc};
use pricewatch_domain::Frequency;
use pricewatch_storage::DbPool;
use pricewatch_storage::models::{PricePoint, Product, Watch};
use pricewatch_storage::queries::{prices, watches};
use serde::{Deserialize, Serialize};
use utoipa::IntoParams;
use uuid::Uuid;

use crate::auth::AuthUser;
use crate::dto::money;
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::{QueryParams, ValidQuery};
use crate::state::AppState;

/// Names the JSON export, for the import to recognise it.
pub const EXPORT_FORMAT: &str = "pricewatch-export";
pub const EXPORT_VERSION: u32 = 1;
const WATCH_PAGE: i64 = 100;
const PRICE_PAGE: i64 = 1000;
const CHUNK_BYTES: usize = 64 * 1024;
pub const CSV_HEADER: &str = "watch_id,url,title,target_price,frequency,active,tags,observed_at,amount,currency,in_stock\r\n";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum ExportFormat {
    #[default]
    Json,
    Csv,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ExportQuery {
    /// `json` (the default; PriceWatch can import it) or `csv` (one row per reading).
    #[param(inline)]
    pub format: Option<ExportFormat>,
    /// Include the price history (the default); `false` gives the watches alone.
    pub history: Option<bool>,
}

impl QueryParams for ExportQuery {
    fn expected(field: &str) -> &'static str {
        match field {
            "format" => "json or csv",
            "history" => "true or false",
            _ => "a valid value",
        }
    }
}

/// Streams the export.
#[utoipa::path(
    get, path = "/api/v1/export", tag = "import and export",
    params(ExportQuery),
    responses(
        (status = 200, description = "The export, streamed: JSON (`application/json`) or CSV (`text/csv`)",
            content(("application/json"), ("text/csv"))),
        (status = 401, body = ErrorBody), (status = 422, body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn export(
    user: AuthUser,
    state: web::Data<AppState>,
    ValidQuery(query): ValidQuery<ExportQuery>,
) -> ApiResult<HttpResponse> {
    let format = query.format.unwrap_or_default();
    // Fails early (503) when the database is away, before the 200 is sent.
    drop(state.conn().await?);
    let exporter = Exporter {
        pool: state.db.clone(),
        user_id: user.id,
        format,
        history: query.history.unwrap_or(true),
        stage: Stage::Header,
        after_watch: None,
        pending: VecDeque::new(),
        current: None,
        watches_written: 0,
    };
    let stream = futures_util::stream::unfold(exporter, |mut ex| async move {
        match ex.next_chunk().await {
            Ok(Some(chunk)) => Some((Ok::<_, ApiError>(chunk), ex)),
            Ok(None) => None,
            Err(error) => {
                tracing::error!(%error, "export stopped");
                ex.stage = Stage::Done;
                Some((Err(error), ex))
            }
        }
    });
    let stamp = Utc::now().format("%Y%m%dT%H%M%SZ");
    let (content_type, extension) = match format {
        ExportFormat::Json => ("application/json", "json"),
        ExportFormat::Csv => ("text/csv; charset=utf-8", "csv"),
    };
    Ok(HttpResponse::Ok()
        .content_type(content_type)
        .insert_header((
            "Content-Disposition",
            format!("attachment; filename=\"pricewatch-export-{stamp}.{extension}\""),
        ))
        .streaming(stream))
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Stage {
    Header,
    Body,
    Done,
}

/// The watch being written and where its readings stand.
struct Current {
    watch: Watch,
    product: Product,
    after: Option<(DateTime<Utc>, i64)>,
    readings: usize,
}

struct Exporter {
    pool: DbPool,
    user_id: Uuid,
    format: ExportFormat,
    history: bool,
    stage: Stage,
    after_watch: Option<(DateTime<Utc>, Uuid)>,
    pending: VecDeque<(Watch, Product)>,
    current: Option<Current>,
    watches_written: usize,
}

#[derive(Serialize)]
struct JsonHead<'a> {
    format: &'a str,
    version: u32,
    exported_at: DateTime<Utc>,
}

#[derive(Serialize)]
struct JsonProduct<'a> {
    id: Uuid,
    title: Option<&'a str>,
    last_price: Option<rust_decimal::Decimal>,
    currency: Option<&'a str>,
    in_stock: Option<bool>,
    last_checked_at: Option<DateTime<Utc>>,
}

#[derive(Serialize)]
struct JsonWatch<'a> {
    id: Uuid,
    url: &'a str,
    target_price: rust_decimal::Decimal,
    frequency: &'a str,
    active: bool,
    css_selector: Option<&'a str>,
    tags: &'a [String],
    fetch_mode: &'a str,
    created_at: DateTime<Utc>,
    product: JsonProduct<'a>,
}

#[derive(Serialize)]
struct JsonPrice<'a> {
    observed_at: DateTime<Utc>,
    amount: rust_decimal::Decimal,
    currency: &'a str,
    in_stock: Option<bool>,
}

fn to_json<T: Serialize>(value: &T) -> Result<Vec<u8>, ApiError> {
    serde_json::to_vec(value).map_err(|e| ApiError::Internal(e.into()))
}

fn frequency_name(w: &Watch) -> Result<&'static str, ApiError> {
    Frequency::from_hours(w.frequency_hours)
        .map(Frequency::as_str)
        .map_err(|e| ApiError::Internal(anyhow::anyhow!("watch {}: {e}", w.id)))
}

impl Exporter {
    /// The next chunk of about [`CHUNK_BYTES`], or `None` at the end.
    async fn next_chunk(&mut self) -> Result<Option<Bytes>, ApiError> {
        let mut buf = BytesMut::with_capacity(CHUNK_BYTES + 4096);
        while buf.len() < CHUNK_BYTES && self.stage != Stage::Done {
            self.step(&mut buf).await?;
        }
        Ok((!buf.is_empty()).then(|| buf.freeze()))
    }

    async fn step(&mut self, buf: &mut BytesMut) -> Result<(), ApiError> {
        match self.stage {
            Stage::Done => {}
            Stage::Header => {
                match self.format {
                    ExportFormat::Json => {
                        let head = to_json(&JsonHead {
                            format: EXPORT_FORMAT,
                            version: EXPORT_VERSION,
                            exported_at: Utc::now(),
                        })?;
                        // `{"format":…,"exported_at":"…"` then the watches array.
                        buf.extend_from_slice(&head[..head.len() - 1]);
                        buf.extend_from_slice(b",\"watches\":[");
                    }
                    ExportFormat::Csv => buf.extend_from_slice(CSV_HEADER.as_bytes()),
                }
                self.stage = Stage::Body;
            }
            Stage::Body => {
                if self.current.is_some() {
                    self.write_readings(buf).await?;
                } else if let Some((watch, product)) = self.pending.pop_front() {
                    self.open_watch(buf, watch, product)?;
                } else {
                    let mut conn = self.pool.get().await?;
                    let page = watches::page_for_export(
                        &mut conn,
                        self.user_id,
                        self.after_watch,
                        WATCH_PAGE,
                    )
                    .await?;
                    match page.last() {
                        Some((w, _)) => self.after_watch = Some((w.created_at, w.id)),
                        None => {
                            if self.format == ExportFormat::Json {
                                buf.extend_from_slice(b"]}\n");
                            }
                            self.stage = Stage::Done;
                        }
                    }
                    self.pending.extend(page);
                }
            }
        }
        Ok(())
    }

    fn open_watch(
        &mut self,
        buf: &mut BytesMut,
        watch: Watch,
        product: Product,
    ) -> Result<(), ApiError> {
        if self.format == ExportFormat::Json {
            if self.watches_written > 0 {
                buf.extend_from_slice(b",");
            }
            let object = to_json(&JsonWatch {
                id: watch.id,
                url: &product.url,
                target_price: money(watch.target_price),
                frequency: frequency_name(&watch)?,
                active: watch.active,
                css_selector: watch.css_selector.as_deref(),
                tags: &watch.tags,
                fetch_mode: &watch.fetch_mode,
                created_at: watch.created_at,
                product: JsonProduct {
                    id: product.id,
                    title: product.title.as_deref(),
                    last_price: product.last_price.map(money),
                    currency: product.currency.as_deref(),
                    in_stock: product.in_stock,
                    last_checked_at: product.last_checked_at,
                },
            })?;
            if self.history {
                buf.extend_from_slice(&object[..object.len() - 1]);
                buf.extend_from_slice(b",\"prices\":[");
            } else {
                buf.extend_from_slice(&object);
            }
        }
        self.watches_written += 1;
        if self.history {
            self.current = Some(Current {
                watch,
                product,
                after: None,
                readings: 0,
            });
        } else if self.format == ExportFormat::Csv {
            csv_row(buf, &watch, &product, None)?;
        }
        Ok(())
    }

    async fn write_readings(&mut self, buf: &mut BytesMut) -> Result<(), ApiError> {
        let Some(current) = self.current.as_mut() else {
            return Ok(());
        };
        let page = {
            let mut conn = self.pool.get().await?;
            prices::page_after(&mut conn, current.product.id, current.after, PRICE_PAGE).await?
        };
        if let Some(last) = page.last() {
            current.after = Some((last.observed_at, last.id));
        }
        for point in &page {
            match self.format {
                ExportFormat::Json => {
                    if current.readings > 0 {
                        buf.extend_from_slice(b",");
                    }
                    buf.extend_from_slice(&to_json(&JsonPrice {
                        observed_at: point.observed_at,
                        amount: money(point.amount),
                        currency: &point.currency,
                        in_stock: point.in_stock,
                    })?);
                }
                ExportFormat::Csv => {
                    csv_row(buf, &current.watch, &current.product, Some(point))?;
                }
            }
            current.readings += 1;
        }
        if i64::try_from(page.len()).unwrap_or(i64::MAX) < PRICE_PAGE {
            match self.format {
                ExportFormat::Json => buf.extend_from_slice(b"]}"),
                // A watch with no reading still gets its row.
                ExportFormat::Csv if current.readings == 0 => {
                    csv_row(buf, &current.watch, &current.product, None)?;
                }
                ExportFormat::Csv => {}
            }
            self.current = None;
        }
        Ok(())
    }
}

/// One CSV field: quoted when it holds a comma, quote or line break; a text
/// that a spreadsheet would run as a formula (`=`, `+`, `-`, `@`) gets a
/// leading `'`.
pub fn csv_field(buf: &mut BytesMut, value: &str) {
    let guarded;
    let value = if value.starts_with(['=', '+', '-', '@']) {
        guarded = format!("'{value}");
        guarded.as_str()
    } else {
        value
    };
    if value.contains([',', '"', '\n', '\r']) {
        buf.extend_from_slice(b"\"");
        buf.extend_from_slice(value.replace('"', "\"\"").as_bytes());
        buf.extend_from_slice(b"\"");
    } else {
        buf.extend_from_slice(value.as_bytes());
    }
}

fn csv_row(
    buf: &mut BytesMut,
    watch: &Watch,
    product: &Product,
    point: Option<&PricePoint>,
) -> Result<(), ApiError> {
    let fields = [
        watch.id.to_string(),
        product.url.clone(),
        product.title.clone().unwrap_or_default(),
        money(watch.target_price).to_string(),
        frequency_name(watch)?.to_owned(),
        watch.active.to_string(),
        watch.tags.join(" "),
        point
            .map(|p| {
                p.observed_at
                    .to_rfc3339_opts(chrono::SecondsFormat::Micros, true)
            })
            .unwrap_or_default(),
        point
            .map(|p| money(p.amount).to_string())
            .unwrap_or_default(),
        point.map(|p| p.currency.clone()).unwrap_or_default(),
        point
            .and_then(|p| p.in_stock)
            .map(|s| s.to_string())
            .unwrap_or_default(),
    ];
    for (i, field) in fields.iter().enumerate() {
        if i > 0 {
            buf.extend_from_slice(b",");
        }
        csv_field(buf, field);
    }
    buf.extend_from_slice(b"\r\n");
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_fields_are_quoted_and_formulas_defused() {
        let mut buf = BytesMut::new();
        csv_field(&mut buf, "plain");
        buf.extend_from_slice(b"|");
        csv_field(&mut buf, "a,\"b\"\nc");
        buf.extend_from_slice(b"|");
        csv_field(&mut buf, "=HYPERLINK(\"x\")");
        assert_eq!(
            std::str::from_utf8(&buf).unwrap(),
            "plain|\"a,\"\"b\"\"\nc\"|\"'=HYPERLINK(\"\"x\"\")\""
        );
    }
}
