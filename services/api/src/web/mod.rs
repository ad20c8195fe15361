//! The web app: server-rendered pages under `/` (the REST API stays under
//! `/api/v1`). Handlers are as thin as the REST ones and call the same
//! actions (`crate::account`, `crate::watch_actions`) and field rules
//! (`routes::watches::validate_new`…); templates are compiled in (askama, `services/api/templates/`),
//! messages come from the Fluent catalogues of `crates/i18n/locales/`, and the
//! only scripts are this origin's own files (htmx and `app.js`, embedded).
//! Sessions live in Redis ([`session`]); every form carries a CSRF token
//! ([`csrf`]).

pub mod assets;
pub mod chart;
pub mod csrf;
pub mod error;
pub mod headers;
pub mod i18n;
pub mod mail;
pub mod pages;
pub mod session;

use actix_web::{Resource, web};

use pages::{account, alerts, products, settings, unsubscribe, watches};

/// A page's resource: security headers and errors as pages in the reader's language.
fn page(
    path: &str,
) -> Resource<
    impl actix_web::dev::ServiceFactory<
        actix_web::dev::ServiceRequest,
        Config = (),
        Response = actix_web::dev::ServiceResponse,
        Error = actix_web::Error,
        InitError = (),
    >,
> {
    web::resource(path)
        .wrap(actix_web::middleware::from_fn(error::render_errors))
        .wrap(headers::page_headers())
}

/// Every page of the web app, in one table.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(page("/").route(web::get().to(watches::list)))
        .service(
            page("/login")
                .route(web::get().to(account::login_form))
                .route(web::post().to(account::login)),
        )
        .service(page("/logout").route(web::post().to(account::logout)))
        .service(
            page("/register")
                .route(web::get().to(account::register_form))
                .route(web::post().to(account::register)),
        )
        .service(
            page("/forgot-password")
                .route(web::get().to(account::forgot_form))
                .route(web::post().to(account::forgot)),
        )
        .service(
            page("/reset-password")
                .route(web::get().to(account::reset_form))
                .route(web::post().to(account::reset)),
        )
        .service(page("/watches").route(web::post().to(watches::add)))
        .service(page("/watches/{id}/price").route(web::get().to(watches::price_fragment)))
        .service(page("/watches/{id}/edit").route(web::post().to(products::edit)))
        .service(page("/watches/{id}/pause").route(web::post().to(products::pause)))
        .service(page("/watches/{id}/resume").route(web::post().to(products::resume)))
        .service(page("/watches/{id}/delete").route(web::post().to(products::delete)))
        .service(page("/watches/{id}/check").route(web::post().to(products::check_now)))
        .service(page("/products/{id}").route(web::get().to(products::show)))
        .service(page("/alerts").route(web::get().to(alerts::list)))
        .service(page("/settings").route(web::get().to(settings::show)))
        .service(page("/settings/password").route(web::post().to(settings::change_password)))
        .service(page("/settings/preferences").route(web::post().to(settings::preferences)))
        // An alert email's one-click unsubscribe (RFC 8058): the token is the credential.
        .service(
            page("/unsubscribe/{token}")
                .route(web::get().to(unsubscribe::confirm))
                .route(web::post().to(unsubscribe::unsubscribe)),
        )
        .service(web::resource("/static/{name}").route(web::get().to(assets::serve)));
}
