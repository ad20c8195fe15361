//! The alerts the user was sent (and those on their way), newest first.

use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use pricewatch_storage::queries::Page;
use pricewatch_storage::queries::watch_views;
use serde::Deserialize;
use uuid::Uuid;

use super::{Chrome, ok};
use crate::state::AppState;
use crate::web::error::WebError;
use crate::web::i18n::Ui;
use crate::web::session::SignedIn;

const PER_PAGE: i64 = 25;

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct AlertsQuery {
    pub page: String,
}

pub struct AlertRow {
    pub product_id: Uuid,
    pub title: String,
    pub when: String,
    pub iso: String,
    pub old_price: String,
    pub new_price: String,
    pub target: String,
    pub status: String,
}

#[derive(Template)]
#[template(path = "alerts.html")]
struct AlertsPage<'a> {
    ui: &'a Ui,
    chrome: Chrome,
    rows: Vec<AlertRow>,
    page: i64,
    pages: i64,
}

pub async fn list(
    req: HttpRequest,
    state: web::Data<AppState>,
    session: SignedIn,
    query: web::Query<AlertsQuery>,
) -> Result<HttpResponse, WebError> {
    let ui = Ui::from_request(&req);
    let page = query
        .page
        .trim()
        .parse::<i64>()
        .unwrap_or(1)
        .clamp(1, 100_000);
    let mut conn = state.conn().await?;
    let (items, total) = watch_views::alerts(
        &mut conn,
        session.user_id,
        Page {
            page,
            per_page: PER_PAGE,
        },
    )
    .await?;
    drop(conn);
    let rows = items
        .into_iter()
        .map(|(n, title, url)| AlertRow {
            product_id: n.product_id,
            title: title
                .filter(|t| !t.trim().is_empty())
                .unwrap_or_else(|| url.clone()),
            when: ui.when(&n.sent_at.unwrap_or(n.created_at)),
            iso: ui.iso(&n.sent_at.unwrap_or(n.created_at)),
            old_price: n
                .old_price
                .map_or_else(|| "—".to_owned(), |p| ui.money(&p, &n.currency)),
            new_price: ui.money(&n.new_price, &n.currency),
            target: ui.money(&n.target_price, &n.currency),
            status: ui.t(&format!("alert-{}", n.status)),
        })
        .collect();
    ok(&AlertsPage {
        ui: &ui,
        chrome: Chrome::signed_in(&session, "alerts"),
        rows,
        page,
        pages: ((total + PER_PAGE - 1) / PER_PAGE).max(1),
    })
}
