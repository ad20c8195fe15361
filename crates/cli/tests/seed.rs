//! `add-watch`, the command `make dev` seeds the demo user with, run as often as
//! `make dev` is: the second run changes nothing and still succeeds.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use diesel::QueryableByName;
use diesel_async::RunQueryDsl;
use pricewatch_cli::commands::add_watch::{NewWatch, run};
use pricewatch_ops::settings::DatabaseSettings;

#[derive(QueryableByName)]
struct Row {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    watches: i64,
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    requested: i64,
}

#[tokio::test]
async fn adding_the_same_watch_twice_succeeds_and_keeps_one() {
    let url = pricewatch_test_support::create().await.unwrap();
    let mut conn = pricewatch_storage::pool::connect_once(&url).await.unwrap();
    diesel::sql_query(
        "INSERT INTO users (id, email, password_hash) \
         VALUES (gen_random_uuid(), 'seed@example.com', 'x')",
    )
    .execute(&mut conn)
    .await
    .unwrap();
    let database = DatabaseSettings {
        database_url: url.clone().into(),
        database_pool_size: 1,
    };
    let watch = NewWatch {
        email: "seed@example.com",
        url: "http://127.0.0.1:8090/products/gaming-laptop",
        target_price: "1200.00",
        frequency: "24h",
        fetch_mode: "auto",
        allow_loopback: true,
        check_now: true,
    };
    run(&database, &watch).await.unwrap();
    diesel::sql_query("UPDATE products SET check_requested_at = NULL")
        .execute(&mut conn)
        .await
        .unwrap();
    // Again, as a second `make dev` does: no error, no second watch, and the
    // check is asked for again.
    run(&database, &watch).await.unwrap();
    let row: Row = diesel::sql_query(
        "SELECT (SELECT count(*) FROM watches) AS watches, \
         (SELECT count(*) FROM products WHERE check_requested_at IS NOT NULL) AS requested",
    )
    .get_result(&mut conn)
    .await
    .unwrap();
    assert_eq!((row.watches, row.requested), (1, 1));
    // Bad input is an error naming the flag, not a panic.
    let bad = NewWatch {
        target_price: "12,00",
        ..watch
    };
    let err = run(&database, &bad).await.unwrap_err().to_string();
    assert!(err.contains("--target-price"), "{err}");
    let bad = NewWatch {
        fetch_mode: "chrome",
        ..watch
    };
    let err = run(&database, &bad).await.unwrap_err().to_string();
    assert!(err.contains("--fetch-mode"), "{err}");
    // A page read in the browser from the first check.
    let js = NewWatch {
        url: "http://127.0.0.1:8090/js/products/espresso-machine",
        fetch_mode: "browser",
        ..watch
    };
    run(&database, &js).await.unwrap();
    #[derive(QueryableByName)]
    struct Mode {
        #[diesel(sql_type = diesel::sql_types::Text)]
        fetch_mode: String,
    }
    let mode: Mode = diesel::sql_query(
        "SELECT w.fetch_mode FROM watches w JOIN products p ON p.id = w.product_id \
         WHERE p.url LIKE '%/js/products/espresso-machine'",
    )
    .get_result(&mut conn)
    .await
    .unwrap();
    assert_eq!(mode.fetch_mode, "browser");
    drop(conn);
    pricewatch_test_support::drop(&url).await.unwrap();
}
