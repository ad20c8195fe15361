//! Shop administration for tests: `GET /_stats` (request counts per path,
//! `?path=` for one path, `?prefix=` for a subtree), `DELETE /_stats` (zero the
//! counters) and `POST /_reset` (catalog prices again, zero counters).

use actix_web::{HttpRequest, HttpResponse, web};

use super::{ShopError, query_param};
use crate::Shop;

pub async fn show(req: HttpRequest, shop: web::Data<Shop>) -> Result<HttpResponse, ShopError> {
    let path = query_param::<String>(&req, "path")?;
    let prefix = query_param::<String>(&req, "prefix")?;
    Ok(HttpResponse::Ok().json(shop.stats(path.as_deref(), prefix.as_deref())))
}

pub async fn clear(shop: web::Data<Shop>) -> HttpResponse {
    shop.reset_stats();
    HttpResponse::NoContent().finish()
}

pub async fn reset(shop: web::Data<Shop>) -> HttpResponse {
    shop.reset();
    tracing::info!("shop reset");
    HttpResponse::NoContent().finish()
}
