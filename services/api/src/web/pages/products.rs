//! A product's page (chart, statistics, readings, where the price was found)
//! and the forms that change its watch: edit, pause, resume, delete, check now.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use chrono::{DateTime, Duration, Utc};
use pricewatch_domain::Frequency;
use pricewatch_storage::models::{PricePoint, Product, Watch, WatchChanges};
use pricewatch_storage::queries::{watch_views, watches};
use rust_decimal::Decimal;
use serde::Deserialize;
use uuid::Uuid;

use super::watches::{amount, display_title, image_url, is_failing, next_check, typed_price};
use super::{Chrome, CsrfOnly, FieldErrors, html, see_other};
use crate::error::ApiError;
use crate::routes::watches::alerting::AlertingInput;
use crate::routes::watches::{parse_fetch_mode, parse_frequency, parse_price, parse_selector};
use crate::state::AppState;
use crate::watch_actions::{self, WatchError};
use crate::web::chart::{ChartInput, price_chart};
use crate::web::csrf;
use crate::web::error::WebError;
use crate::web::i18n::Ui;
use crate::web::session::SignedIn;

/// Readings read for one chart, at most.
const CHART_READINGS: i64 = 5_000;
/// Readings listed in the table.
const TABLE_READINGS: usize = 50;

pub const RANGES: [(&str, Option<i64>); 4] = [
    ("7d", Some(7)),
    ("30d", Some(30)),
    ("90d", Some(90)),
    ("all", None),
];

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct ProductQuery {
    pub range: String,
    pub done: String,
}

pub struct Reading {
    pub when: String,
    pub iso: String,
    pub price: String,
    pub stock: String,
}

#[derive(Debug, Default, Clone, Deserialize)]
#[serde(default)]
pub struct EditForm {
    pub target_price: String,
    pub frequency: String,
    pub css_selector: String,
    /// `auto`, `http` or `browser`; absent (a page from before the field): unchanged.
    pub fetch_mode: String,
    pub csrf_token: String,
}

impl EditForm {
    /// The changes the form asks for, through the REST API's field rules.
    fn changes(&self) -> Result<WatchChanges, ApiError> {
        Ok(WatchChanges {
            target_price: Some(parse_price(
                "target_price",
                &typed_price(&self.target_price),
            )?),
            frequency_hours: Some(parse_frequency(&self.frequency)?.stored_hours()),
            css_selector: Some(parse_selector(Some(self.css_selector.clone()))?),
            fetch_mode: match self.fetch_mode.as_str() {
                "" => None,
                raw => Some(parse_fetch_mode(raw)?.as_str().to_owned()),
            },
            ..WatchChanges::default()
        })
    }
}

#[derive(Template)]
#[template(path = "product.html")]
struct ProductPage<'a> {
    ui: &'a Ui,
    chrome: Chrome,
    product_id: Uuid,
    watch_id: Uuid,
    title: String,
    url: String,
    host: String,
    image_url: Option<String>,
    price: String,
    stock: String,
    target: String,
    active: bool,
    range: String,
    chart: String,
    lowest: String,
    highest: String,
    average: String,
    count: usize,
    readings: Vec<Reading>,
    found_by: String,
    state: String,
    failing: bool,
    check_error: Option<String>,
    last_checked: String,
    next_check: String,
    edit: EditForm,
    errors: FieldErrors,
    notice: Option<String>,
}

fn stock_words(ui: &Ui, in_stock: Option<bool>) -> String {
    match in_stock {
        Some(true) => ui.t("stock-in"),
        Some(false) => ui.t("stock-out"),
        None => "—".to_owned(),
    }
}

/// What a page shows besides the product: the edit form as sent (after an
/// error), the errors, a notice after an action.
#[derive(Default)]
struct Extras {
    edit: Option<EditForm>,
    errors: FieldErrors,
    notice: Option<String>,
}

/// The user's watch `id` with its product; 404 for a watch not theirs.
async fn watch_by_id(
    state: &AppState,
    session: &SignedIn,
    id: Uuid,
) -> Result<(Watch, Product), WebError> {
    let mut conn = state.conn().await?;
    watches::find_for_user(&mut conn, id, session.user_id)
        .await?
        .ok_or(WebError::NotFound)
}

async fn render(
    req: &HttpRequest,
    state: &AppState,
    session: &SignedIn,
    (watch, product): (Watch, Product),
    range: &str,
    extras: Extras,
) -> Result<HttpResponse, WebError> {
    let Extras {
        edit,
        errors,
        notice,
    } = extras;
    let ui = Ui::from_request(req);
    let product_id = product.id;
    let mut conn = state.conn().await?;
    let (range, days) = RANGES
        .iter()
        .find(|(name, _)| *name == range)
        .copied()
        .unwrap_or(RANGES[1]);
    let now = Utc::now();
    let since = days.map(|d| now - Duration::days(d));
    let (readings, before) =
        watch_views::history(&mut conn, product_id, since, CHART_READINGS).await?;
    drop(conn);
    let currency = product
        .currency
        .clone()
        .or_else(|| readings.last().map(|r| r.currency.clone()))
        .unwrap_or_default();
    let money = |d: Decimal| amount(&ui, &d, &currency);
    let day = |at: &DateTime<Utc>| ui.day(at);
    let from = since.unwrap_or_else(|| readings.first().map_or(now, |r| r.observed_at));
    let chart = price_chart(&ChartInput {
        readings: &readings,
        before: before.as_ref(),
        from,
        to: now,
        target: Some(watch.target_price),
        title: ui.t("chart-title"),
        description: ui.t1("chart-desc", "count", &readings.len().to_string()),
        target_label: ui.t("target"),
        out_of_stock_label: ui.t("stock-out"),
        back_in_stock_label: ui.t("stock-back"),
        money: &money,
        day: &day,
    });
    let amounts: Vec<Decimal> = readings.iter().map(|r| r.amount).collect();
    let stat = |d: Option<Decimal>| d.map_or_else(|| "—".to_owned(), &money);
    let average = (!amounts.is_empty()).then(|| {
        (amounts.iter().copied().sum::<Decimal>()
            / Decimal::from(u64::try_from(amounts.len()).unwrap_or(1)))
        .round_dp(2)
    });
    let table: Vec<Reading> = readings
        .iter()
        .rev()
        .take(TABLE_READINGS)
        .map(|r: &PricePoint| Reading {
            when: ui.when(&r.observed_at),
            iso: ui.iso(&r.observed_at),
            price: ui.money(&r.amount, &r.currency),
            stock: stock_words(&ui, r.in_stock),
        })
        .collect();
    let frequency = Frequency::from_hours(watch.frequency_hours)
        .map(|f| f.to_string())
        .unwrap_or_default();
    let edit = edit.unwrap_or_else(|| EditForm {
        target_price: crate::dto::money(watch.target_price).to_string(),
        frequency,
        css_selector: watch.css_selector.clone().unwrap_or_default(),
        fetch_mode: watch.fetch_mode.clone(),
        csrf_token: String::new(),
    });
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    html(
        status,
        &ProductPage {
            chrome: Chrome::signed_in(session, "watches"),
            product_id,
            watch_id: watch.id,
            title: display_title(&product),
            url: product.url.clone(),
            host: product.host.clone(),
            image_url: image_url(&product),
            price: ui.price(&product.last_price, &product.currency),
            stock: stock_words(&ui, product.in_stock),
            target: money(watch.target_price),
            active: watch.active,
            range: range.to_owned(),
            chart,
            lowest: stat(amounts.iter().copied().min()),
            highest: stat(amounts.iter().copied().max()),
            average: stat(average),
            count: readings.len(),
            readings: table,
            found_by: ui.method(&product.extraction_method),
            state: ui.check_state(&product.check_status),
            failing: is_failing(&product),
            check_error: product.check_error.clone(),
            last_checked: ui.maybe_when(&product.last_checked_at),
            next_check: next_check(&ui, &watch, &product, true),
            edit,
            errors,
            notice,
            ui: &ui,
        },
    )
}

pub async fn show(
    req: HttpRequest,
    state: web::Data<AppState>,
    session: SignedIn,
    id: web::Path<Uuid>,
    query: web::Query<ProductQuery>,
) -> Result<HttpResponse, WebError> {
    let ui = Ui::from_request(&req);
    let notice = match query.done.as_str() {
        "saved" => Some(ui.t("notice-saved")),
        "paused" => Some(ui.t("notice-paused")),
        "resumed" => Some(ui.t("notice-resumed")),
        "checking" => Some(ui.t("notice-checking")),
        "too-soon" => Some(ui.t("notice-too-soon")),
        _ => None,
    };
    let found = {
        let mut conn = state.conn().await?;
        watch_views::watch_of_product(&mut conn, session.user_id, *id)
            .await?
            .ok_or(WebError::NotFound)?
    };
    render(
        &req,
        &state,
        &session,
        found,
        &query.range,
        Extras {
            notice,
            ..Extras::default()
        },
    )
    .await
}

fn product_page(product_id: Uuid, done: &str) -> HttpResponse {
    see_other(&format!("/products/{product_id}?done={done}"))
}

pub async fn edit(
    req: HttpRequest,
    state: web::Data<AppState>,
    session: SignedIn,
    id: web::Path<Uuid>,
    form: web::Form<EditForm>,
) -> Result<HttpResponse, WebError> {
    let form = form.into_inner();
    csrf::check(&req, &session, &form.csrf_token)?;
    let updated = match form.changes() {
        Ok(changes) => {
            watch_actions::update(
                &state,
                session.user_id,
                *id,
                changes,
                AlertingInput::default(),
            )
            .await
        }
        Err(refused) => Err(refused.into()),
    };
    match updated {
        Ok((_, product)) => Ok(product_page(product.id, "saved")),
        Err(WatchError::Invalid { field, message }) => {
            let found = watch_by_id(&state, &session, *id).await?;
            render(
                &req,
                &state,
                &session,
                found,
                "",
                Extras {
                    edit: Some(form),
                    errors: FieldErrors(vec![(field, message)]),
                    notice: None,
                },
            )
            .await
        }
        Err(e) => Err(e.into()),
    }
}

async fn set_active(
    req: &HttpRequest,
    state: &AppState,
    session: &SignedIn,
    id: Uuid,
    token: &str,
    active: bool,
) -> Result<HttpResponse, WebError> {
    csrf::check(req, session, token)?;
    let changes = WatchChanges {
        active: Some(active),
        ..WatchChanges::default()
    };
    let (_, product) = watch_actions::update(
        state,
        session.user_id,
        id,
        changes,
        AlertingInput::default(),
    )
    .await?;
    Ok(product_page(
        product.id,
        if active { "resumed" } else { "paused" },
    ))
}

pub async fn pause(
    req: HttpRequest,
    state: web::Data<AppState>,
    session: SignedIn,
    id: web::Path<Uuid>,
    form: web::Form<CsrfOnly>,
) -> Result<HttpResponse, WebError> {
    set_active(&req, &state, &session, *id, &form.csrf_token, false).await
}

pub async fn resume(
    req: HttpRequest,
    state: web::Data<AppState>,
    session: SignedIn,
    id: web::Path<Uuid>,
    form: web::Form<CsrfOnly>,
) -> Result<HttpResponse, WebError> {
    set_active(&req, &state, &session, *id, &form.csrf_token, true).await
}

pub async fn delete(
    req: HttpRequest,
    state: web::Data<AppState>,
    session: SignedIn,
    id: web::Path<Uuid>,
    form: web::Form<CsrfOnly>,
) -> Result<HttpResponse, WebError> {
    csrf::check(&req, &session, &form.csrf_token)?;
    watch_actions::delete(&state, session.user_id, *id).await?;
    Ok(see_other("/"))
}

pub async fn check_now(
    req: HttpRequest,
    state: web::Data<AppState>,
    session: SignedIn,
    id: web::Path<Uuid>,
    form: web::Form<CsrfOnly>,
) -> Result<HttpResponse, WebError> {
    csrf::check(&req, &session, &form.csrf_token)?;
    match watch_actions::check_now(&state, session.user_id, *id).await {
        Ok((_, product)) => Ok(product_page(product.id, "checking")),
        // Not an error page: the product page says a check is on its way.
        Err(WatchError::TooSoon { product_id, .. }) => Ok(product_page(product_id, "too-soon")),
        Err(e) => Err(e.into()),
    }
}
