//! The check pipeline end to end against the real PostgreSQL, Redis and RabbitMQ:
//! the scheduler and the scraper-worker run in-process on their own database, Redis
//! key prefix and queue prefix; the demo shop stands in for the internet.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::net::TcpListener;
use std::time::Duration;

use chrono::Utc;
use clap::Parser;
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use pricewatch_bus::{Bus, BusConfig, CancellationToken, Topology};
use pricewatch_demo_shop::SpawnedShop;
use pricewatch_domain::messages::{CheckPrice, Message};
use pricewatch_storage::queries::products;
use pricewatch_storage::schema;
use rust_decimal::Decimal;
use support::{amqp_url, eventually, insert_watch, redis_url};
use tokio::task::JoinHandle;
use uuid::Uuid;

// ---- Databases: one per test, cloned from a migrated template ----------------------------------

async fn create_test_database() -> String {
    pricewatch_test_support::create().await.unwrap()
}

// ---- The pipeline ----------------------------------------------------------------------------

struct Pipeline {
    database_url: String,
    queue_prefix: String,
    stop: CancellationToken,
    scheduler: JoinHandle<anyhow::Result<()>>,
    worker: JoinHandle<anyhow::Result<()>>,
    shop: SpawnedShop,
}

async fn start() -> Pipeline {
    start_with(&[]).await
}

/// Starts the pipeline with extra `--flag=value` worker settings (later ones win).
async fn start_with(worker_extra: &[&str]) -> Pipeline {
    start_shop(worker_extra, 0).await
}

/// Like `start_with`, with `shop_products` generated `item-NNNNNN` products in the shop.
async fn start_shop(worker_extra: &[&str], shop_products: u32) -> Pipeline {
    let database_url = create_test_database().await;
    let redis_prefix = support::unique_prefix();
    let queue_prefix = support::unique_prefix();
    let shop = pricewatch_demo_shop::spawn(&pricewatch_demo_shop::Settings {
        products: shop_products,
        workers: 2,
        ..pricewatch_demo_shop::Settings::ephemeral()
    })
    .unwrap();
    let common = support::service_args(&database_url, &redis_prefix, &queue_prefix);
    let stop = CancellationToken::new();
    let scheduler = support::spawn_scheduler(&common, &stop);
    let worker = support::spawn_worker(&common, worker_extra, &stop);
    Pipeline {
        database_url,
        queue_prefix,
        stop,
        scheduler,
        worker,
        shop,
    }
}

impl Pipeline {
    async fn conn(&self) -> AsyncPgConnection {
        pricewatch_storage::pool::connect_once(&self.database_url)
            .await
            .unwrap()
    }

    /// A user watching `url` (a product created for it), due at once.
    async fn watch(&self, url: &str, target: Decimal) -> (Uuid, Uuid) {
        insert_watch(&self.database_url, url, target, "auto").await
    }

    async fn product(&self, id: Uuid) -> pricewatch_storage::models::Product {
        products::find(&mut self.conn().await, id)
            .await
            .unwrap()
            .unwrap()
    }

    async fn count(&self, table: &str, product_id: Uuid) -> i64 {
        #[derive(diesel::QueryableByName)]
        struct Count {
            #[diesel(sql_type = diesel::sql_types::BigInt)]
            n: i64,
        }
        let row: Count = diesel::sql_query(format!(
            "SELECT count(*) AS n FROM {table} WHERE product_id = $1"
        ))
        .bind::<diesel::sql_types::Uuid, _>(product_id)
        .get_result(&mut self.conn().await)
        .await
        .unwrap();
        row.n
    }

    /// Sets a demo-shop product's price.
    async fn set_price(&self, slug: &str, amount: &str) {
        support::set_offer(&self.shop, slug, serde_json::json!({"amount": amount})).await;
    }

    /// "Check now", as the api does it.
    async fn check_now(&self, product_id: Uuid) {
        products::request_check(&mut self.conn().await, product_id)
            .await
            .unwrap();
    }

    /// The product once a reading is held back for a confirming fetch.
    async fn held_back(&self, product_id: Uuid) -> pricewatch_storage::models::Product {
        eventually(
            Duration::from_secs(15),
            "the unconfirmed reading",
            || async {
                let product = self.product(product_id).await;
                product.unconfirmed_price.is_some().then_some(product)
            },
        )
        .await
    }

    async fn wait_for_points(&self, product_id: Uuid, n: i64) {
        eventually(
            Duration::from_secs(15),
            &format!("{n} price points"),
            || async { (self.count("price_history", product_id).await >= n).then_some(()) },
        )
        .await;
        assert_eq!(self.count("price_history", product_id).await, n);
    }

    async fn armed(&self, watch_id: Uuid) -> bool {
        schema::watches::table
            .find(watch_id)
            .select(schema::watches::armed)
            .first(&mut self.conn().await)
            .await
            .unwrap()
    }

    /// Stops both services gracefully (they must exit within a bound) and cleans up.
    async fn stop(self) {
        self.stop.cancel();
        let bound = Duration::from_secs(20);
        support::joined(self.scheduler, "the scheduler", bound).await;
        support::joined(self.worker, "the worker", bound).await;
        self.shop.stop().await.unwrap();
        support::delete_queues(&self.queue_prefix).await;
    }
}

/// The value of `pricewatch_checks_total{result=…}` in this process's metrics.
fn checks_total(result: &str) -> u64 {
    metric_total("pricewatch_checks_total", &format!("result=\"{result}\""))
}

/// The sum of a counter's series whose labels contain `label`, in this process's metrics.
fn metric_total(name: &str, label: &str) -> u64 {
    let prefix = format!("{name}{{");
    pricewatch_ops::metrics::render()
        .lines()
        .filter(|l| {
            (l.starts_with(&prefix) || l.starts_with(&format!("{name} "))) && l.contains(label)
        })
        .filter_map(|l| l.rsplit(' ').next()?.parse::<u64>().ok())
        .sum()
}

// ---- Tests -----------------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_due_product_is_checked_recorded_and_alerts_once() {
    let pipeline = start().await;
    // trail-running-shoes: meta tags, €129.95, no drift.
    let url = pipeline.shop.url("/products/trail-running-shoes");
    let (product_id, watch_id) = pipeline.watch(&url, Decimal::new(200, 0)).await;

    let product = eventually(
        Duration::from_secs(15),
        "the check to be recorded",
        || async {
            let product = pipeline.product(product_id).await;
            (product.check_status == "ok").then_some(product)
        },
    )
    .await;
    assert_eq!(product.last_price, Some(Decimal::new(12995, 2)));
    assert_eq!(product.currency.as_deref().map(str::trim), Some("EUR"));
    assert_eq!(product.consecutive_failures, 0);
    assert!(product.check_error.is_none());
    assert!(product.last_checked_at.is_some());
    assert!(product.etag.is_some(), "validators kept for the next check");
    assert_eq!(product.extraction_method.as_deref(), Some("meta"));
    assert!(
        product.sources_agree.is_some(),
        "whether the sources agreed is kept"
    );
    assert!(
        product
            .extraction_decision
            .as_deref()
            .is_some_and(|d| !d.is_empty()),
        "the decision is kept in words"
    );
    assert!(
        product.next_check_at > Utc::now() + chrono::Duration::hours(23),
        "next check a day ahead: {}",
        product.next_check_at
    );
    assert_eq!(pipeline.count("price_history", product_id).await, 1);
    assert_eq!(pipeline.count("notifications", product_id).await, 1);

    let mut conn = pipeline.conn().await;
    let (last_run_at, last_run_jobs, next_run_at): (
        Option<chrono::DateTime<Utc>>,
        i64,
        Option<chrono::DateTime<Utc>>,
    ) = schema::schedules::table
        .find("check-prices-24h")
        .select((
            schema::schedules::last_run_at,
            schema::schedules::last_run_jobs,
            schema::schedules::next_run_at,
        ))
        .first(&mut conn)
        .await
        .unwrap();
    assert!(last_run_at.is_some());
    assert_eq!(last_run_jobs, 1);
    assert!(next_run_at.is_some_and(|at| at > Utc::now()));
    let (job_id, amount): (Uuid, Decimal) = schema::price_history::table
        .filter(schema::price_history::product_id.eq(product_id))
        .select((schema::price_history::job_id, schema::price_history::amount))
        .first(&mut conn)
        .await
        .unwrap();
    assert_eq!(amount, Decimal::new(12995, 2));
    let (status, published, new_price): (String, Option<chrono::DateTime<Utc>>, Decimal) =
        schema::notifications::table
            .filter(schema::notifications::watch_id.eq(watch_id))
            .select((
                schema::notifications::status,
                schema::notifications::published_at,
                schema::notifications::new_price,
            ))
            .first(&mut conn)
            .await
            .unwrap();
    assert_eq!(status, "pending");
    assert_eq!(new_price, Decimal::new(12995, 2));
    assert!(published.is_some(), "the alert was published after commit");
    let armed: bool = schema::watches::table
        .find(watch_id)
        .select(schema::watches::armed)
        .first(&mut conn)
        .await
        .unwrap();
    assert!(
        !armed,
        "a watch that fired waits for the price to rise again"
    );

    // The broker redelivers the job (same job id): nothing new is recorded.
    let duplicates_before = checks_total("duplicate");
    let bus = Bus::connect(BusConfig::new(
        amqp_url(),
        Topology::new(&pipeline.queue_prefix),
    ))
    .await
    .unwrap();
    let again = Message::CheckPriceV1(CheckPrice {
        job_id,
        product_id,
        url: url.clone(),
        scheduled_for: Utc::now(),
        reason: "check-prices-24h".into(),
        attempt: 0,
    });
    bus.publish_many([&again, &again]).await.unwrap();
    eventually(
        Duration::from_secs(15),
        "the duplicates to be handled",
        || async { (checks_total("duplicate") >= duplicates_before + 2).then_some(()) },
    )
    .await;
    assert_eq!(pipeline.count("price_history", product_id).await, 1);
    assert_eq!(pipeline.count("notifications", product_id).await, 1);
    bus.close().await;

    pipeline.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_page_without_a_price_is_a_recorded_failure_without_alerts() {
    let pipeline = start().await;
    let url = pipeline.shop.url("/trouble/no-price");
    let (product_id, _) = pipeline.watch(&url, Decimal::new(1000, 0)).await;

    let product = eventually(
        Duration::from_secs(15),
        "the failure to be recorded",
        || async {
            let product = pipeline.product(product_id).await;
            (product.check_status != "pending").then_some(product)
        },
    )
    .await;
    assert_eq!(product.check_status, "no_price");
    let message = product.check_error.unwrap_or_default();
    assert!(message.starts_with("no price found"), "{message}");
    assert_eq!(product.consecutive_failures, 1);
    assert!(product.last_price.is_none());
    assert_eq!(pipeline.count("price_history", product_id).await, 0);
    assert_eq!(pipeline.count("notifications", product_id).await, 0);

    pipeline.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_alert_per_drop_and_the_watch_re_arms_when_the_price_rises() {
    let pipeline = start().await;
    let slug = "trail-running-shoes";
    let url = pipeline.shop.url(&format!("/products/{slug}"));
    let (product_id, watch_id) = pipeline.watch(&url, Decimal::new(100, 0)).await;
    pipeline.wait_for_points(product_id, 1).await;
    assert_eq!(pipeline.count("notifications", product_id).await, 0);
    assert!(pipeline.armed(watch_id).await);

    // Drops below the target: one alert.
    pipeline.set_price(slug, "95.00").await;
    pipeline.check_now(product_id).await;
    pipeline.wait_for_points(product_id, 2).await;
    assert_eq!(pipeline.count("notifications", product_id).await, 1);
    assert!(!pipeline.armed(watch_id).await);

    // Stays low: the page is unchanged (304), no second alert.
    pipeline.check_now(product_id).await;
    eventually(Duration::from_secs(15), "an unchanged check", || async {
        (pipeline.product(product_id).await.check_status == "unchanged").then_some(())
    })
    .await;
    assert_eq!(pipeline.count("price_history", product_id).await, 2);
    assert_eq!(pipeline.count("notifications", product_id).await, 1);

    // Rises above the target: re-armed, no alert.
    pipeline.set_price(slug, "120.00").await;
    pipeline.check_now(product_id).await;
    pipeline.wait_for_points(product_id, 3).await;
    assert!(pipeline.armed(watch_id).await);
    assert_eq!(pipeline.count("notifications", product_id).await, 1);

    // Drops again: one more alert.
    pipeline.set_price(slug, "90.00").await;
    pipeline.check_now(product_id).await;
    pipeline.wait_for_points(product_id, 4).await;
    assert_eq!(pipeline.count("notifications", product_id).await, 2);
    let product = pipeline.product(product_id).await;
    assert_eq!(product.last_price, Some(Decimal::new(9000, 2)));

    pipeline.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_price_flipping_back_is_confirmed_by_a_second_fetch() {
    let pipeline = start().await;
    let slug = "trail-running-shoes";
    let url = pipeline.shop.url(&format!("/products/{slug}"));
    let (product_id, _) = pipeline.watch(&url, Decimal::new(100, 0)).await;
    pipeline.wait_for_points(product_id, 1).await;

    // 129.95 -> 99.00: an ordinary drop below the target, recorded at once, one alert.
    pipeline.set_price(slug, "99.00").await;
    pipeline.check_now(product_id).await;
    pipeline.wait_for_points(product_id, 2).await;
    assert_eq!(pipeline.count("notifications", product_id).await, 1);

    // Back to 129.95, a price recorded before the last: held back and fetched again.
    pipeline.set_price(slug, "129.95").await;
    pipeline.check_now(product_id).await;
    let held = pipeline.held_back(product_id).await;
    assert_eq!(held.unconfirmed_price, Some(Decimal::new(12995, 2)));
    assert_eq!(held.last_price, Some(Decimal::new(9900, 2)));
    assert_eq!(pipeline.count("price_history", product_id).await, 2);

    // The confirming fetch reads it again: recorded.
    pipeline.wait_for_points(product_id, 3).await;
    let product = pipeline.product(product_id).await;
    assert_eq!(product.last_price, Some(Decimal::new(12995, 2)));
    assert!(product.unconfirmed_price.is_none());
    assert_eq!(pipeline.count("notifications", product_id).await, 1);

    pipeline.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn check_now_checks_a_product_whose_watches_are_all_paused() {
    let pipeline = start().await;
    let slug = "trail-running-shoes";
    let url = pipeline.shop.url(&format!("/products/{slug}"));
    let (product_id, watch_id) = pipeline.watch(&url, Decimal::new(100, 0)).await;
    pipeline.wait_for_points(product_id, 1).await;

    // The only watch is paused: the product has no schedule any more.
    let mut conn = pipeline.conn().await;
    diesel::update(schema::watches::table.find(watch_id))
        .set(schema::watches::active.eq(false))
        .execute(&mut conn)
        .await
        .unwrap();
    products::refresh_schedule(&mut conn, product_id)
        .await
        .unwrap();
    assert_eq!(
        pipeline.product(product_id).await.check_interval_hours,
        None
    );

    // "Check now" still checks it, once.
    pipeline.set_price(slug, "119.00").await;
    pipeline.check_now(product_id).await;
    pipeline.wait_for_points(product_id, 2).await;
    let product = pipeline.product(product_id).await;
    assert_eq!(product.last_price, Some(Decimal::new(11900, 2)));
    assert_eq!(product.check_interval_hours, None, "still unscheduled");
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert_eq!(
        pipeline.count("price_history", product_id).await,
        2,
        "checked once, not again and again"
    );

    pipeline.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_suspicious_drop_is_confirmed_by_a_second_fetch_before_any_alert() {
    let pipeline = start().await;
    let slug = "trail-running-shoes";
    let url = pipeline.shop.url(&format!("/products/{slug}"));
    let (product_id, _) = pipeline.watch(&url, Decimal::new(100, 0)).await;
    pipeline.wait_for_points(product_id, 1).await;

    // 129.95 -> 10.00 is a drop of more than half: held back, fetched again.
    pipeline.set_price(slug, "10.00").await;
    pipeline.check_now(product_id).await;
    let held = pipeline.held_back(product_id).await;
    assert_eq!(held.unconfirmed_price, Some(Decimal::new(1000, 2)));
    assert_eq!(held.last_price, Some(Decimal::new(12995, 2)));
    assert_eq!(pipeline.count("notifications", product_id).await, 0);

    // The confirming fetch (after the 5 s retry delay) records it and alerts.
    pipeline.wait_for_points(product_id, 2).await;
    let product = pipeline.product(product_id).await;
    assert_eq!(product.last_price, Some(Decimal::new(1000, 2)));
    assert!(product.unconfirmed_price.is_none());
    assert_eq!(pipeline.count("notifications", product_id).await, 1);

    pipeline.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_check_in_flight_is_finished_before_the_worker_exits() {
    let pipeline = start().await;
    let url = pipeline.shop.url("/trouble/slow?ms=2500");
    let (product_id, _) = pipeline.watch(&url, Decimal::new(5, 0)).await;
    eventually(
        Duration::from_secs(15),
        "the slow fetch to start",
        || async {
            (pipeline.shop.shop.stats(Some("/trouble/slow"), None).total >= 1).then_some(())
        },
    )
    .await;
    let database_url = pipeline.database_url.clone();
    pipeline.stop().await;

    let mut conn = pricewatch_storage::pool::connect_once(&database_url)
        .await
        .unwrap();
    let product = products::find(&mut conn, product_id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(product.check_status, "ok", "{:?}", product.check_error);
    assert_eq!(product.last_price, Some(Decimal::new(1000, 2)));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn jobs_the_broker_never_took_are_due_again() {
    let database_url = create_test_database().await;
    let (product_id, _) = insert_watch(
        &database_url,
        "http://127.0.0.1:9/products/unreachable",
        Decimal::new(10, 0),
        "auto",
    )
    .await;
    let settings = pricewatch_scheduler::Settings::try_parse_from([
        "pricewatch-scheduler".to_owned(),
        "--tick-seconds=1".to_owned(),
        format!("--database-url={database_url}"),
        "--database-pool-size=2".to_owned(),
        format!("--redis-url={}", redis_url()),
        format!("--redis-key-prefix=pwtest-{}", Uuid::new_v4().simple()),
        // Nothing listens there: every publish fails.
        "--amqp-url=amqp://guest:guest@127.0.0.1:9/%2f".to_owned(),
        format!("--queue-prefix=pwtest-{}", Uuid::new_v4().simple()),
    ])
    .unwrap();
    let failures_before = metric_total("pricewatch_scheduler_publish_failures_total", "");
    let stop = CancellationToken::new();
    let scheduler = {
        let stop = stop.clone();
        tokio::spawn(pricewatch_scheduler::run_until_stopped(
            settings,
            TcpListener::bind("127.0.0.1:0").unwrap(),
            async move { stop.cancelled().await },
        ))
    };
    eventually(Duration::from_secs(30), "a failed publish", || async {
        (metric_total("pricewatch_scheduler_publish_failures_total", "") > failures_before)
            .then_some(())
    })
    .await;
    stop.cancel();
    tokio::time::timeout(Duration::from_secs(30), scheduler)
        .await
        .expect("scheduler stops")
        .unwrap()
        .unwrap();

    let mut conn = pricewatch_storage::pool::connect_once(&database_url)
        .await
        .unwrap();
    let product = products::find(&mut conn, product_id)
        .await
        .unwrap()
        .unwrap();
    assert!(
        product.next_check_at <= Utc::now(),
        "the claim was given back: {}",
        product.next_check_at
    );
    let runs: i64 = schema::schedules::table
        .select(diesel::dsl::sum(schema::schedules::last_run_jobs))
        .first::<Option<Decimal>>(&mut conn)
        .await
        .unwrap()
        .map_or(0, |d| i64::try_from(d).unwrap());
    assert_eq!(runs, 0, "no job counts as published");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_outbox_relay_publishes_alerts_a_dead_worker_left_behind_or_whose_message_was_lost() {
    use pricewatch_scraper_worker::{check::Checker, fetch, outbox};
    use pricewatch_storage::queries::checks::{self, CheckRecord, Recorded};

    let database_url = create_test_database().await;
    let (product_id, watch_id) = insert_watch(
        &database_url,
        "http://127.0.0.1:9/products/relay",
        Decimal::new(50, 0),
        "auto",
    )
    .await;
    let mut conn = pricewatch_storage::pool::connect_once(&database_url)
        .await
        .unwrap();
    // A worker records the check and dies before publishing the alert.
    let record = CheckRecord {
        product_id,
        job_id: Uuid::new_v4(),
        amount: Decimal::new(4500, 2),
        currency: "EUR".into(),
        title: Some("Relay".into()),
        image_url: None,
        in_stock: Some(true),
        method: "json_ld".into(),
        sources_agree: true,
        decision: "structured data and the visible page agree".into(),
        etag: None,
        last_modified: None,
    };
    let Recorded::New { notifications, .. } =
        checks::record_check(&mut conn, &record, Default::default())
            .await
            .unwrap()
    else {
        panic!("a new price point");
    };
    assert_eq!(notifications.len(), 1);
    // The same job again records nothing.
    assert_eq!(
        checks::record_check(&mut conn, &record, Default::default())
            .await
            .unwrap(),
        Recorded::Duplicate
    );
    // Young rows are left to the worker that wrote them.
    let queue_prefix = format!("pwtest-{}", Uuid::new_v4().simple());
    let topology = Topology::new(&queue_prefix);
    let bus = Bus::connect(BusConfig::new(amqp_url(), topology.clone()))
        .await
        .unwrap();
    let redis = pricewatch_ops::redis::connect_pool(&redis_url().into(), 2).unwrap();
    let checker = Checker {
        db: pricewatch_storage::connect_pool(&database_url, &Default::default()).unwrap(),
        bus: bus.clone(),
        fetcher: std::sync::Arc::new(
            fetch::Fetcher::new(
                fetch::FetchSettings::default(),
                std::sync::Arc::new(fetch::SystemResolver),
            )
            .unwrap(),
        ),
        politeness: fetch::Politeness::new(redis, fetch::PolitenessSettings::default()),
        retry: fetch::RetryPolicy::default(),
        politeness_wait: Duration::from_secs(1),
        suspicious_drop_ratio: Decimal::new(5, 1),
        max_job_attempts: 5,
        alert_limits: Default::default(),
        renderer: None,
    };
    assert_eq!(outbox::relay_once(&checker).await.unwrap(), 0);

    diesel::update(schema::notifications::table.find(notifications[0]))
        .set(schema::notifications::created_at.eq(Utc::now()
            - chrono::Duration::from_std(outbox::RELAY_GRACE).unwrap()
            - chrono::Duration::seconds(5)))
        .execute(&mut conn)
        .await
        .unwrap();
    assert_eq!(outbox::relay_once(&checker).await.unwrap(), 1);
    let published: Option<chrono::DateTime<Utc>> = schema::notifications::table
        .filter(schema::notifications::watch_id.eq(watch_id))
        .select(schema::notifications::published_at)
        .first(&mut conn)
        .await
        .unwrap();
    assert!(published.is_some());
    assert_eq!(
        outbox::relay_once(&checker).await.unwrap(),
        0,
        "published once"
    );
    let depth = bus
        .queue_depths()
        .await
        .unwrap()
        .into_iter()
        .find(|d| d.queue == topology.send_notification.name)
        .unwrap();
    assert_eq!(depth.messages, 1);

    // Its message is lost after it was published (dead-lettered, purged): once
    // no message went out for it in STRANDED_AFTER, the relay publishes again.
    let notification = notifications[0];
    let strand = async |conn: &mut pricewatch_storage::AsyncPgConnection, attempts: i32| {
        diesel::update(schema::notifications::table.find(notification))
            .set((
                schema::notifications::published_at.eq(Utc::now()
                    - chrono::Duration::from_std(outbox::STRANDED_AFTER).unwrap()
                    - chrono::Duration::seconds(5)),
                schema::notifications::attempts.eq(attempts),
            ))
            .execute(conn)
            .await
            .unwrap();
    };
    assert_eq!(
        outbox::sweep_once(&checker).await.unwrap(),
        outbox::Swept {
            republished: 0,
            failed: 0
        },
        "a message published a moment ago is not lost"
    );
    strand(&mut conn, 1).await;
    assert_eq!(
        outbox::sweep_once(&checker).await.unwrap(),
        outbox::Swept {
            republished: 1,
            failed: 0
        }
    );
    let depth = bus
        .queue_depth(&topology.send_notification.name)
        .await
        .unwrap();
    assert_eq!(depth, 2, "published again");
    assert_eq!(
        outbox::sweep_once(&checker).await.unwrap().republished,
        0,
        "once per STRANDED_AFTER"
    );
    // One whose message keeps killing the notifier is given up, with the reason.
    strand(&mut conn, outbox::STRANDED_MAX_ATTEMPTS).await;
    assert_eq!(
        outbox::sweep_once(&checker).await.unwrap(),
        outbox::Swept {
            republished: 0,
            failed: 1
        }
    );
    let (status, error): (String, Option<String>) = schema::notifications::table
        .find(notification)
        .select((
            schema::notifications::status,
            schema::notifications::last_error,
        ))
        .first(&mut conn)
        .await
        .unwrap();
    assert_eq!(status, "failed");
    assert!(
        error
            .as_deref()
            .unwrap_or("")
            .contains("given up after 20 attempts"),
        "{error:?}"
    );

    if let Ok(channel) = bus.open_channel().await {
        let _ = pricewatch_bus::topology::delete(&channel, &topology).await;
    }
    bus.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_check_that_gets_no_turn_on_a_busy_site_is_postponed_not_failed() {
    // One request at a time on the shop; each page takes 12 s; a turn is waited for 10 s.
    let pipeline = start_with(&[
        "--domain-max-concurrency=1",
        "--fetch-timeout-seconds=30",
        "--politeness-max-wait-seconds=10",
    ])
    .await;
    let (first, _) = pipeline
        .watch(
            &pipeline.shop.url("/trouble/slow?ms=12000&n=1"),
            Decimal::new(5, 0),
        )
        .await;
    let (second, _) = pipeline
        .watch(
            &pipeline.shop.url("/trouble/slow?ms=12000&n=2"),
            Decimal::new(5, 0),
        )
        .await;
    // The one that waited past the politeness bound goes back to the scheduler.
    let postponed = eventually(Duration::from_secs(20), "a postponed check", || async {
        for id in [first, second] {
            let product = pipeline.product(id).await;
            let soon = Utc::now() + chrono::Duration::minutes(2);
            if product.check_status == "pending" && product.next_check_at < soon {
                let due_in = product.next_check_at - Utc::now();
                if due_in > chrono::Duration::seconds(15) {
                    return Some(product);
                }
            }
        }
        None
    })
    .await;
    assert_eq!(
        postponed.consecutive_failures, 0,
        "a busy site is no failure"
    );
    assert!(postponed.check_error.is_none());
    pipeline.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn permanent_failures_are_recorded_with_a_clear_message_and_never_alert() {
    let pipeline = start().await;
    let cases = [
        (pipeline.shop.url("/trouble/404"), "http_error", "HTTP 404"),
        (
            pipeline.shop.url("/trouble/captcha"),
            "blocked",
            "blocked by the site",
        ),
        (
            pipeline.shop.url("/trouble/not-html?type=png"),
            "fetch_error",
            "not an HTML page",
        ),
        (
            "http://10.0.0.1/products/private".to_owned(),
            "refused",
            "refused: address 10.0.0.1",
        ),
    ];
    let mut products = Vec::new();
    for (url, status, message) in &cases {
        let (id, _) = pipeline.watch(url, Decimal::new(100_000, 0)).await;
        products.push((id, *status, *message));
    }
    for (id, status, message) in products {
        let product = eventually(Duration::from_secs(15), status, || async {
            let product = pipeline.product(id).await;
            (product.check_status != "pending").then_some(product)
        })
        .await;
        assert_eq!(product.check_status, status, "{:?}", product.check_error);
        let error = product.check_error.unwrap_or_default();
        assert!(error.starts_with(message), "{status}: {error}");
        assert_eq!(product.consecutive_failures, 1);
        assert_eq!(pipeline.count("price_history", id).await, 0);
        assert_eq!(pipeline.count("notifications", id).await, 0);
    }
    pipeline.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_standby_scheduler_takes_over_when_the_active_one_stops() {
    use pricewatch_ops::redis::redis;

    let database_url = create_test_database().await;
    let redis_prefix = format!("pwtest-{}", Uuid::new_v4().simple());
    let queue_prefix = format!("pwtest-{}", Uuid::new_v4().simple());
    let scheduler = |stop: CancellationToken| {
        let settings = pricewatch_scheduler::Settings::try_parse_from([
            "pricewatch-scheduler".to_owned(),
            "--tick-seconds=1".to_owned(),
            format!("--database-url={database_url}"),
            "--database-pool-size=2".to_owned(),
            format!("--redis-url={}", redis_url()),
            format!("--redis-key-prefix={redis_prefix}"),
            format!("--amqp-url={}", amqp_url()),
            format!("--queue-prefix={queue_prefix}"),
        ])
        .unwrap();
        tokio::spawn(pricewatch_scheduler::run_until_stopped(
            settings,
            TcpListener::bind("127.0.0.1:0").unwrap(),
            async move { stop.cancelled().await },
        ))
    };
    let redis = pricewatch_ops::redis::connect_pool(&redis_url().into(), 2).unwrap();
    let lease_key = format!("{redis_prefix}:scheduler:lease");
    let holder = || {
        let (redis, key) = (redis.clone(), lease_key.clone());
        async move {
            let mut conn = redis.get().await.unwrap();
            redis::cmd("GET")
                .arg(&key)
                .query_async::<Option<String>>(&mut conn)
                .await
                .unwrap()
        }
    };

    let stop_a = CancellationToken::new();
    let a = scheduler(stop_a.clone());
    let first = eventually(Duration::from_secs(10), "an active scheduler", || async {
        holder().await
    })
    .await;
    let stop_b = CancellationToken::new();
    let b = scheduler(stop_b.clone());
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(
        holder().await.as_deref(),
        Some(first.as_str()),
        "b stands by"
    );

    stop_a.cancel();
    tokio::time::timeout(Duration::from_secs(20), a)
        .await
        .unwrap()
        .unwrap()
        .unwrap();
    let second = eventually(
        Duration::from_secs(15),
        "the standby to take over",
        || async { holder().await.filter(|h| *h != first) },
    )
    .await;
    assert_ne!(second, first);

    // The new active scheduler publishes what is due.
    let (product_id, _) = insert_watch(
        &database_url,
        "http://127.0.0.1:9/products/failover",
        Decimal::new(10, 0),
        "auto",
    )
    .await;
    eventually(
        Duration::from_secs(15),
        "the due product to be claimed",
        || async {
            let mut conn = pricewatch_storage::pool::connect_once(&database_url)
                .await
                .unwrap();
            let product = products::find(&mut conn, product_id)
                .await
                .unwrap()
                .unwrap();
            (product.next_check_at > Utc::now() + chrono::Duration::hours(23)).then_some(())
        },
    )
    .await;

    stop_b.cancel();
    tokio::time::timeout(Duration::from_secs(20), b)
        .await
        .unwrap()
        .unwrap()
        .unwrap();
    assert_eq!(
        holder().await,
        None,
        "a stopped scheduler releases its lease"
    );
    support::delete_queues(&queue_prefix).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_scheduler_holds_the_backlog_while_the_check_queue_is_full() {
    let database_url = create_test_database().await;
    let queue_prefix = format!("pwtest-{}", Uuid::new_v4().simple());
    let settings = pricewatch_scheduler::Settings::try_parse_from([
        "pricewatch-scheduler".to_owned(),
        "--tick-seconds=1".to_owned(),
        "--jitter-seconds=0".to_owned(),
        "--batch-size=2".to_owned(),
        "--max-queue-depth=5".to_owned(),
        format!("--database-url={database_url}"),
        "--database-pool-size=2".to_owned(),
        format!("--redis-url={}", redis_url()),
        format!("--redis-key-prefix=pwtest-{}", Uuid::new_v4().simple()),
        format!("--amqp-url={}", amqp_url()),
        format!("--queue-prefix={queue_prefix}"),
    ])
    .unwrap();
    // 20 due products after a downtime; nobody consumes the check queue.
    for i in 0..20 {
        insert_watch(
            &database_url,
            &format!("http://127.0.0.1:9/products/backlog-{i}"),
            Decimal::new(10, 0),
            "auto",
        )
        .await;
    }
    let claimed = || async {
        let mut conn = pricewatch_storage::pool::connect_once(&database_url)
            .await
            .unwrap();
        schema::products::table
            .filter(schema::products::next_check_at.gt(Utc::now() + chrono::Duration::hours(1)))
            .count()
            .get_result::<i64>(&mut conn)
            .await
            .unwrap()
    };
    let stop = CancellationToken::new();
    let scheduler = {
        let stop = stop.clone();
        tokio::spawn(pricewatch_scheduler::run_until_stopped(
            settings,
            TcpListener::bind("127.0.0.1:0").unwrap(),
            async move { stop.cancelled().await },
        ))
    };
    eventually(Duration::from_secs(15), "a first batch", || async {
        (claimed().await > 0).then_some(())
    })
    .await;
    // Several ticks later: batches of 2 until the queue held 5 or more, no further.
    tokio::time::sleep(Duration::from_secs(4)).await;
    assert_eq!(claimed().await, 6, "published 2 + 2 + 2, then held back");
    let topology = Topology::new(&queue_prefix);
    let bus = Bus::connect(BusConfig::new(amqp_url(), topology.clone()))
        .await
        .unwrap();
    assert_eq!(
        bus.queue_depth(&topology.check_price.name).await.unwrap(),
        6
    );

    // The workers catch up (the queue empties): the rest goes out.
    let channel = bus.open_channel().await.unwrap();
    channel
        .queue_purge(
            topology.check_price.name.as_str().into(),
            lapin::options::QueuePurgeOptions::default(),
        )
        .await
        .unwrap();
    eventually(Duration::from_secs(15), "the next batches", || async {
        (claimed().await >= 12).then_some(())
    })
    .await;

    stop.cancel();
    tokio::time::timeout(Duration::from_secs(20), scheduler)
        .await
        .unwrap()
        .unwrap()
        .unwrap();
    let _ = pricewatch_bus::topology::delete(&channel, &topology).await;
    bus.close().await;
}

/// `cargo test -p pricewatch-system-tests --test pipeline --release -- --ignored --nocapture
/// scheduler_publish_rate`: jobs per second the scheduler publishes with confirms.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "a measurement, not a check"]
async fn scheduler_publish_rate() {
    let products: i64 = std::env::var("PRODUCTS")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(20_000);
    let database_url = create_test_database().await;
    let mut conn = pricewatch_storage::pool::connect_once(&database_url)
        .await
        .unwrap();
    diesel::sql_query(
        "INSERT INTO products (id, url, host, check_interval_hours, next_check_at)
         SELECT gen_random_uuid(), 'http://127.0.0.1:9/p/' || n, '127.0.0.1', 24, now() - interval '1 hour'
         FROM generate_series(1, $1) n",
    )
    .bind::<diesel::sql_types::BigInt, _>(products)
    .execute(&mut conn)
    .await
    .unwrap();
    let queue_prefix = format!("pwtest-{}", Uuid::new_v4().simple());
    let settings = pricewatch_scheduler::Settings::try_parse_from([
        "pricewatch-scheduler".to_owned(),
        "--tick-seconds=1".to_owned(),
        "--batch-size=5000".to_owned(),
        format!("--database-url={database_url}"),
        format!("--redis-url={}", redis_url()),
        format!("--redis-key-prefix=pwtest-{}", Uuid::new_v4().simple()),
        format!("--amqp-url={}", amqp_url()),
        format!("--queue-prefix={queue_prefix}"),
    ])
    .unwrap();
    let stop = CancellationToken::new();
    let started = std::time::Instant::now();
    let scheduler = {
        let stop = stop.clone();
        tokio::spawn(pricewatch_scheduler::run_until_stopped(
            settings,
            TcpListener::bind("127.0.0.1:0").unwrap(),
            async move { stop.cancelled().await },
        ))
    };
    #[derive(diesel::QueryableByName)]
    struct Jobs {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        last_run_jobs: i64,
    }
    eventually(Duration::from_secs(300), "every job published", || async {
        let mut conn = pricewatch_storage::pool::connect_once(&database_url)
            .await
            .unwrap();
        let due: Vec<Jobs> = diesel::sql_query(
            "SELECT count(*) AS last_run_jobs FROM products WHERE next_check_at <= now()",
        )
        .load(&mut conn)
        .await
        .unwrap();
        (due[0].last_run_jobs == 0).then_some(())
    })
    .await;
    let elapsed = started.elapsed();
    stop.cancel();
    scheduler.await.unwrap().unwrap();
    println!(
        "{products} jobs in {:.2} s: {:.0} jobs/s (scheduler start and connection included)",
        elapsed.as_secs_f64(),
        products as f64 / elapsed.as_secs_f64()
    );
    support::delete_queues(&queue_prefix).await;
}

/// `cargo test -p pricewatch-system-tests --test pipeline --release -- --ignored --nocapture
/// pipeline_check_rate`: due products checked and recorded per second, end to end.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "a measurement, not a check"]
async fn pipeline_check_rate() {
    let products: u32 = std::env::var("PRODUCTS")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(2_000);
    let pipeline = start_shop(
        &[
            "--concurrency=64",
            "--domain-max-concurrency=64",
            "--database-pool-size=16",
            "--respect-robots-txt=false",
        ],
        products,
    )
    .await;
    let mut conn = pipeline.conn().await;
    diesel::sql_query(
        "INSERT INTO products (id, url, host, check_interval_hours, next_check_at)
         SELECT gen_random_uuid(), $2 || '/products/item-' || lpad(n::text, 6, '0'), '127.0.0.1',
                24, now()
         FROM generate_series(1, $1) n",
    )
    .bind::<diesel::sql_types::BigInt, _>(i64::from(products))
    .bind::<diesel::sql_types::Text, _>(pipeline.shop.url(""))
    .execute(&mut conn)
    .await
    .unwrap();
    let started = std::time::Instant::now();
    #[derive(diesel::QueryableByName)]
    struct Count {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        n: i64,
    }
    eventually(
        Duration::from_secs(600),
        "every product checked",
        || async {
            let done: Count = diesel::sql_query(
                "SELECT count(*) AS n FROM products WHERE check_status <> 'pending'",
            )
            .get_result(&mut pipeline.conn().await)
            .await
            .unwrap();
            (done.n >= i64::from(products)).then_some(())
        },
    )
    .await;
    let elapsed = started.elapsed();
    let ok: Count =
        diesel::sql_query("SELECT count(*) AS n FROM products WHERE check_status = 'ok'")
            .get_result(&mut conn)
            .await
            .unwrap();
    println!(
        "{products} checks in {:.2} s: {:.0} checks/s end to end ({} ok)",
        elapsed.as_secs_f64(),
        f64::from(products) / elapsed.as_secs_f64(),
        ok.n
    );
    pipeline.stop().await;
}

#[tokio::test]
async fn the_stored_check_statuses_are_the_domain_ones() {
    #[derive(QueryableByName)]
    struct Definition {
        #[diesel(sql_type = diesel::sql_types::Text)]
        def: String,
    }
    let database_url = create_test_database().await;
    let mut conn = pricewatch_storage::pool::connect_once(&database_url)
        .await
        .unwrap();
    let row: Definition = diesel::sql_query(
        "SELECT pg_get_constraintdef(oid) AS def FROM pg_constraint \
         WHERE conname = 'products_check_status'",
    )
    .get_result(&mut conn)
    .await
    .unwrap();
    let mut allowed: Vec<&str> = row.def.split('\'').skip(1).step_by(2).collect();
    allowed.sort_unstable();
    let mut ours: Vec<&str> = pricewatch_domain::reading::CheckStatus::ALL
        .iter()
        .map(|s| s.as_str())
        .collect();
    ours.sort_unstable();
    assert_eq!(allowed, ours, "{}", row.def);
    drop(conn);
    pricewatch_test_support::drop(&database_url).await.unwrap();
}
