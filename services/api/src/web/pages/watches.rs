//! The watch list (the home page), adding a watch, and the small fragment
//! that htmx polls until a new product's first price is in.

use std::collections::HashMap;

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use chrono::{DateTime, Duration, Utc};
use pricewatch_domain::fetch_mode::FetchMode;
use pricewatch_storage::models::{PricePoint, Product, Watch};
use pricewatch_storage::queries::Page;
use pricewatch_storage::queries::watch_views::{
    self, Sort, StateFilter, WatchFilter, WatchListPage,
};
use rust_decimal::Decimal;
use serde::Deserialize;
use uuid::Uuid;

use super::{Chrome, FieldErrors, html, see_other};
use crate::routes::watches::{NewWatch, validate_new};
use crate::state::AppState;
use crate::watch_actions::WatchError;
use crate::web::chart;
use crate::web::csrf;
use crate::web::error::WebError;
use crate::web::i18n::Ui;
use crate::web::session::SignedIn;

pub const PER_PAGE: i64 = 20;
/// The sparkline's window.
const SPARKLINE_DAYS: i64 = 30;
/// Readings read for one sparkline, at most (on average over the page).
const SPARKLINE_READINGS: i64 = 500;

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct ListQuery {
    pub state: String,
    pub shop: String,
    pub below: String,
    pub sort: String,
    pub page: String,
}

impl ListQuery {
    fn filter(&self) -> WatchFilter {
        WatchFilter {
            state: match self.state.as_str() {
                "active" => StateFilter::Active,
                "paused" => StateFilter::Paused,
                "failing" => StateFilter::Failing,
                _ => StateFilter::Any,
            },
            host: Some(self.shop.trim().to_owned()).filter(|s| !s.is_empty()),
            at_or_below_target: !self.below.is_empty(),
            sort: match self.sort.as_str() {
                "title" => Sort::Title,
                "price" => Sort::Price,
                "target" => Sort::Target,
                _ => Sort::Newest,
            },
        }
    }

    /// The query string of this list at another page.
    fn at_page(&self, page: i64) -> String {
        let mut q = url::form_urlencoded::Serializer::new(String::new());
        for (k, v) in [
            ("state", &self.state),
            ("shop", &self.shop),
            ("below", &self.below),
            ("sort", &self.sort),
        ] {
            if !v.is_empty() {
                q.append_pair(k, v);
            }
        }
        q.append_pair("page", &page.to_string());
        format!("/?{}", q.finish())
    }
}

/// One watch as the list shows it, every text already in the reader's words.
pub struct Row {
    pub watch_id: Uuid,
    pub product_id: Uuid,
    pub title: String,
    pub url: String,
    pub host: String,
    pub image_url: Option<String>,
    pub price: String,
    pub pending: bool,
    pub target: String,
    pub at_or_below: bool,
    pub lowest: Option<(String, String)>,
    pub sparkline: String,
    pub state: String,
    pub failing: bool,
    pub active: bool,
    pub next_check: String,
}

/// A product's name: its title, else its address without the scheme.
pub fn display_title(product: &Product) -> String {
    match &product.title {
        Some(t) if !t.trim().is_empty() => t.trim().to_owned(),
        _ => product
            .url
            .split_once("://")
            .map_or(product.url.as_str(), |(_, rest)| rest)
            .to_owned(),
    }
}

/// The product's picture, when its address is one a page may load.
pub fn image_url(product: &Product) -> Option<String> {
    product
        .image_url
        .clone()
        .filter(|u| u.starts_with("https://") || u.starts_with("http://"))
}

/// Whether the product's first check has not come back yet.
pub fn is_pending(product: &Product) -> bool {
    product.last_price.is_none() && product.check_status == "pending"
}

/// An amount in the reader's format; a bare decimal while the product's
/// currency is unknown.
pub fn amount(ui: &Ui, amount: &Decimal, currency: &str) -> String {
    if currency.is_empty() {
        crate::dto::money(*amount).to_string()
    } else {
        ui.money(amount, currency)
    }
}

/// When the watch's product is checked next: "paused", `—` when nothing
/// schedules it, else how soon (`when` adds the moment itself first).
pub fn next_check(ui: &Ui, watch: &Watch, product: &Product, when: bool) -> String {
    if !watch.active {
        ui.t("watch-paused")
    } else if product.check_interval_hours.is_none() {
        "—".to_owned()
    } else if when {
        format!(
            "{} ({})",
            ui.when(&product.next_check_at),
            ui.relative(&product.next_check_at)
        )
    } else {
        ui.relative(&product.next_check_at)
    }
}

pub fn is_failing(product: &Product) -> bool {
    matches!(
        product.check_status.as_str(),
        "no_price" | "blocked" | "http_error" | "refused" | "fetch_error"
    )
}

/// The words every row shows alike, looked up once a page.
pub struct RowLabels {
    pub sparkline: String,
    pub next_check: String,
    pub target: String,
    pub lowest: String,
    pub checking: String,
}

impl RowLabels {
    fn new(ui: &Ui) -> Self {
        RowLabels {
            sparkline: ui.t("sparkline-label"),
            next_check: ui.t("next-check"),
            target: ui.t("target"),
            lowest: ui.t("lowest"),
            checking: ui.t("price-checking"),
        }
    }
}

fn row(
    ui: &Ui,
    labels: &RowLabels,
    watch: &Watch,
    product: &Product,
    lowest: Option<&(Decimal, DateTime<Utc>)>,
    readings: &[&PricePoint],
) -> Row {
    let currency = product.currency.as_deref().unwrap_or_default();
    Row {
        watch_id: watch.id,
        product_id: product.id,
        title: display_title(product),
        url: product.url.clone(),
        host: product.host.clone(),
        image_url: image_url(product),
        price: ui.price(&product.last_price, &product.currency),
        pending: is_pending(product),
        target: amount(ui, &watch.target_price, currency),
        at_or_below: product.last_price.is_some_and(|p| p <= watch.target_price),
        lowest: lowest.map(|(at_most, at)| (ui.money(at_most, currency), ui.day(at))),
        sparkline: chart::sparkline(readings, &labels.sparkline),
        state: ui.check_state(&product.check_status),
        failing: is_failing(product),
        active: watch.active,
        next_check: next_check(ui, watch, product, false),
    }
}

#[derive(Debug, Default, Clone, Deserialize)]
#[serde(default)]
pub struct AddForm {
    pub url: String,
    pub target_price: String,
    pub frequency: String,
    pub css_selector: String,
    /// `auto`, `http` or `browser`; absent: `auto`.
    pub fetch_mode: String,
    pub paused: String,
    pub csrf_token: String,
}

#[derive(Template)]
#[template(path = "watches.html")]
struct ListPage<'a> {
    ui: &'a Ui,
    chrome: Chrome,
    labels: RowLabels,
    rows: Vec<Row>,
    total: i64,
    page: i64,
    pages: i64,
    prev: Option<String>,
    next: Option<String>,
    query: ListQuery,
    shops: Vec<String>,
    filtered: bool,
    add: AddForm,
    errors: FieldErrors,
}

async fn render_list(
    req: &HttpRequest,
    state: &AppState,
    session: &SignedIn,
    query: ListQuery,
    add: AddForm,
    errors: FieldErrors,
) -> Result<HttpResponse, WebError> {
    let ui = Ui::from_request(req);
    let page_no = query
        .page
        .trim()
        .parse::<i64>()
        .unwrap_or(1)
        .clamp(1, 100_000);
    let filter = query.filter();
    let since = Utc::now() - Duration::days(SPARKLINE_DAYS);
    let mut conn = state.conn().await?;
    let WatchListPage {
        items,
        total,
        hosts: shops,
        lowest,
        readings,
    } = watch_views::list_page(
        &mut conn,
        session.user_id,
        &filter,
        Page {
            page: page_no,
            per_page: PER_PAGE,
        },
        since,
        PER_PAGE * SPARKLINE_READINGS,
    )
    .await?;
    drop(conn);
    let lowest: HashMap<Uuid, (Decimal, DateTime<Utc>)> = lowest
        .into_iter()
        .map(|(id, amount, at)| (id, (amount, at)))
        .collect();
    let mut by_product: HashMap<Uuid, Vec<&PricePoint>> = HashMap::with_capacity(items.len());
    for r in &readings {
        by_product.entry(r.product_id).or_default().push(r);
    }
    let labels = RowLabels::new(&ui);
    let rows = items
        .iter()
        .map(|(w, p)| {
            row(
                &ui,
                &labels,
                w,
                p,
                lowest.get(&p.id),
                by_product.get(&p.id).map_or(&[][..], Vec::as_slice),
            )
        })
        .collect();
    let pages = ((total + PER_PAGE - 1) / PER_PAGE).max(1);
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let filtered =
        filter.state != StateFilter::Any || filter.host.is_some() || filter.at_or_below_target;
    html(
        status,
        &ListPage {
            ui: &ui,
            chrome: Chrome::signed_in(session, "watches"),
            labels,
            rows,
            total,
            page: page_no,
            pages,
            prev: (page_no > 1).then(|| query.at_page(page_no - 1)),
            next: (page_no < pages).then(|| query.at_page(page_no + 1)),
            query,
            shops,
            filtered,
            add,
            errors,
        },
    )
}

pub async fn list(
    req: HttpRequest,
    state: web::Data<AppState>,
    session: SignedIn,
    query: web::Query<ListQuery>,
) -> Result<HttpResponse, WebError> {
    let add = AddForm {
        frequency: "24h".to_owned(),
        fetch_mode: FetchMode::Auto.as_str().to_owned(),
        ..AddForm::default()
    };
    render_list(
        &req,
        &state,
        &session,
        query.into_inner(),
        add,
        FieldErrors::default(),
    )
    .await
}

/// A price as typed by a person: `19,99` is read as `19.99` (one comma, no point).
pub fn typed_price(raw: &str) -> serde_json::Value {
    let raw = raw.trim();
    let text = if !raw.contains('.') && raw.matches(',').count() == 1 {
        raw.replace(',', ".")
    } else {
        raw.to_owned()
    };
    serde_json::Value::String(text)
}

/// Adds a watch through the same validation and action as `POST /api/v1/watches`.
pub async fn add(
    req: HttpRequest,
    state: web::Data<AppState>,
    session: SignedIn,
    form: web::Form<AddForm>,
) -> Result<HttpResponse, WebError> {
    let form = form.into_inner();
    csrf::check(&req, &session, &form.csrf_token)?;
    let ui = Ui::from_request(&req);
    let valid = validate_new(
        state.settings.allow_loopback_targets,
        &NewWatch {
            url: &form.url,
            target_price: &typed_price(&form.target_price),
            frequency: &form.frequency,
            css_selector: Some(&form.css_selector),
            tags: &[],
            active: form.paused.is_empty(),
            fetch_mode: Some(form.fetch_mode.as_str()).filter(|m| !m.is_empty()),
        },
    );
    let errors = match valid {
        Err(refused) => FieldErrors::of(refused.field, refused.message),
        Ok(valid) => match crate::watch_actions::create(&state, session.user_id, valid).await {
            Ok(_) => return Ok(see_other("/")),
            Err(WatchError::Exists) => FieldErrors::of("url", ui.t("add-exists")),
            Err(WatchError::LimitReached { limit }) => {
                FieldErrors::of("url", ui.t1("add-limit", "limit", &limit.to_string()))
            }
            Err(e) => return Err(e.into()),
        },
    };
    render_list(&req, &state, &session, ListQuery::default(), form, errors).await
}

/// Rendered straight as the response (askama_web's actix-web responder).
#[derive(Template, askama_web::WebTemplate)]
#[template(path = "price_fragment.html")]
pub struct PriceFragment {
    watch_id: Uuid,
    price: String,
    pending: bool,
    label: String,
}

/// The current price of a watch's product; while the first check has not
/// come back, the fragment asks htmx to fetch it again in 2 s.
pub async fn price_fragment(
    req: HttpRequest,
    state: web::Data<AppState>,
    session: SignedIn,
    id: web::Path<Uuid>,
) -> Result<PriceFragment, WebError> {
    let ui = Ui::from_request(&req);
    let mut conn = state.conn().await?;
    let (_, product) =
        pricewatch_storage::queries::watches::find_for_user(&mut conn, *id, session.user_id)
            .await?
            .ok_or(WebError::NotFound)?;
    let pending = is_pending(&product);
    Ok(PriceFragment {
        watch_id: *id,
        price: ui.price(&product.last_price, &product.currency),
        pending,
        label: if pending {
            ui.t("price-checking")
        } else if product.last_price.is_none() {
            ui.check_state(&product.check_status)
        } else {
            String::new()
        },
    })
}
