//! `record_check` against a real database: the alert rules as the worker
//! runs them, notifications and their deliveries. Needs PostgreSQL
//! (`TEST_DATABASE_URL`).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use chrono::Utc;
use diesel_async::RunQueryDsl;
use pricewatch_domain::alert::{Reading, Rule, RuleState};
use pricewatch_storage::AsyncPgConnection;
use pricewatch_storage::models::{ChannelRow, Watch};
use pricewatch_storage::queries::checks::{self, AlertLimits, CheckRecord, Recorded};
use pricewatch_storage::queries::{channels, products, watches};
use rust_decimal::Decimal;
use uuid::Uuid;

struct Db {
    url: String,
    conn: AsyncPgConnection,
}

impl Db {
    async fn new() -> Db {
        let url = pricewatch_test_support::create().await.unwrap();
        let conn = pricewatch_storage::pool::connect_once(&url).await.unwrap();
        Db { url, conn }
    }

    async fn drop(self) {
        drop(self.conn);
        pricewatch_test_support::drop(&self.url).await.unwrap();
    }
}

fn d(s: &str) -> Decimal {
    s.parse().unwrap()
}

async fn user(conn: &mut AsyncPgConnection) -> Uuid {
    pricewatch_test_support::insert_user(conn).await.unwrap().id
}

/// A watch of a new product by `user`, with `rules` set as the api sets
/// them (their states from the product's reading, here none).
async fn watch(
    conn: &mut AsyncPgConnection,
    user_id: Uuid,
    target: &str,
    rules: Option<Vec<Rule>>,
    current: Option<Reading>,
) -> (Uuid, Uuid) {
    let url = format!("https://shop.example.com/p/{}", Uuid::new_v4().simple());
    let product = products::get_or_create(conn, &url, "shop.example.com")
        .await
        .unwrap();
    let now = Utc::now();
    let watch = watches::insert(
        conn,
        &Watch {
            id: Uuid::new_v4(),
            user_id,
            product_id: product.id,
            target_price: d(target),
            frequency_hours: 24,
            active: true,
            css_selector: None,
            armed: true,
            created_at: now,
            updated_at: now,
            tags: Vec::new(),
            fetch_mode: "auto".to_owned(),
        },
    )
    .await
    .unwrap();
    if let Some(rules) = rules {
        let states: Vec<RuleState> = rules
            .iter()
            .map(|r| RuleState::initial(r, current))
            .collect();
        watches::set_rules(
            conn,
            watch.id,
            Some(&serde_json::to_value(&rules).unwrap()),
            &serde_json::to_value(&states).unwrap(),
            true,
        )
        .await
        .unwrap();
    }
    (product.id, watch.id)
}

fn reading(product_id: Uuid, price: &str, in_stock: Option<bool>) -> CheckRecord {
    CheckRecord {
        product_id,
        job_id: Uuid::new_v4(),
        amount: d(price),
        currency: "EUR".into(),
        title: Some("Thing".into()),
        image_url: None,
        in_stock,
        method: "json_ld".into(),
        sources_agree: true,
        decision: "structured data and the visible page agree".into(),
        etag: None,
        last_modified: None,
    }
}

/// Records a check; returns (emailed, delivering) notification ids.
async fn record(
    conn: &mut AsyncPgConnection,
    check: &CheckRecord,
    limits: AlertLimits,
) -> (Vec<Uuid>, Vec<Uuid>) {
    match checks::record_check(conn, check, limits).await.unwrap() {
        Recorded::New {
            notifications,
            delivering,
            ..
        } => (notifications, delivering),
        Recorded::Duplicate => panic!("a new price point"),
    }
}

#[derive(diesel::QueryableByName, Debug)]
struct NotificationRow {
    #[diesel(sql_type = diesel::sql_types::Text)]
    status: String,
    #[diesel(sql_type = diesel::sql_types::Array<diesel::sql_types::Text>)]
    rules: Vec<String>,
    #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Numeric>)]
    old_price: Option<Decimal>,
    #[diesel(sql_type = diesel::sql_types::Numeric)]
    new_price: Decimal,
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    deliveries: i64,
}

async fn notification(conn: &mut AsyncPgConnection, id: Uuid) -> NotificationRow {
    diesel::sql_query(
        "SELECT status, rules, old_price, new_price,
                (SELECT count(*) FROM deliveries d WHERE d.notification_id = n.id) AS deliveries
         FROM notifications n WHERE id = $1",
    )
    .bind::<diesel::sql_types::Uuid, _>(id)
    .get_result(conn)
    .await
    .unwrap()
}

async fn armed(conn: &mut AsyncPgConnection, watch_id: Uuid) -> bool {
    #[derive(diesel::QueryableByName)]
    struct Row {
        #[diesel(sql_type = diesel::sql_types::Bool)]
        armed: bool,
    }
    let row: Row = diesel::sql_query("SELECT armed FROM watches WHERE id = $1")
        .bind::<diesel::sql_types::Uuid, _>(watch_id)
        .get_result(conn)
        .await
        .unwrap();
    row.armed
}

#[tokio::test]
async fn a_watch_without_rules_alerts_once_per_drop_below_its_target() {
    let mut db = Db::new().await;
    let conn = &mut db.conn;
    let user_id = user(conn).await;
    let (product, watch_id) = watch(conn, user_id, "50", None, None).await;
    let limits = AlertLimits::default();
    assert_eq!(
        record(conn, &reading(product, "60", None), limits)
            .await
            .0
            .len(),
        0
    );
    let first = reading(product, "45", None);
    let (emailed, delivering) = record(conn, &first, limits).await;
    assert_eq!((emailed.len(), delivering.len()), (1, 0));
    let n = notification(conn, emailed[0]).await;
    assert_eq!(
        (n.status.as_str(), n.rules, n.old_price, n.new_price),
        (
            "pending",
            vec!["below_target".to_owned()],
            Some(d("60")),
            d("45")
        )
    );
    assert!(!armed(conn, watch_id).await);
    // The same job again, and the same price again: nothing.
    assert_eq!(
        checks::record_check(conn, &first, limits).await.unwrap(),
        Recorded::Duplicate
    );
    assert!(
        record(conn, &reading(product, "45", None), limits)
            .await
            .0
            .is_empty()
    );
    // Above the target re-arms; below again alerts again.
    assert!(
        record(conn, &reading(product, "51", None), limits)
            .await
            .0
            .is_empty()
    );
    assert!(armed(conn, watch_id).await);
    assert_eq!(
        record(conn, &reading(product, "49", None), limits)
            .await
            .0
            .len(),
        1
    );
    db.drop().await;
}

#[tokio::test]
async fn rules_fire_once_per_event_and_store_their_state() {
    let mut db = Db::new().await;
    let conn = &mut db.conn;
    let user_id = user(conn).await;
    let rules = vec![
        Rule::PercentDrop { percent: d("10") },
        Rule::BackInStock,
        Rule::NewLow { days: 0 },
    ];
    let current = Reading {
        price: d("100"),
        in_stock: Some(true),
    };
    let (product, watch_id) = watch(conn, user_id, "1", Some(rules), Some(current)).await;
    let limits = AlertLimits::default();
    // The product's first price: the history is empty, the reference stays 100.
    assert!(
        record(conn, &reading(product, "100", Some(true)), limits)
            .await
            .0
            .is_empty()
    );
    // 10 % below: the percent rule and the new low.
    let (emailed, _) = record(conn, &reading(product, "90", Some(true)), limits).await;
    let n = notification(conn, emailed[0]).await;
    assert_eq!(n.rules, ["percent_drop", "new_low"]);
    assert_eq!((n.old_price, n.new_price), (Some(d("100")), d("90")));
    // The same price again: nothing.
    assert!(
        record(conn, &reading(product, "90", Some(true)), limits)
            .await
            .0
            .is_empty()
    );
    // Out of stock, then in stock: the stock rule, once.
    assert!(
        record(conn, &reading(product, "90", Some(false)), limits)
            .await
            .0
            .is_empty()
    );
    let (emailed, _) = record(conn, &reading(product, "90", Some(true)), limits).await;
    assert_eq!(
        notification(conn, emailed[0]).await.rules,
        ["back_in_stock"]
    );
    assert!(
        record(conn, &reading(product, "90", Some(true)), limits)
            .await
            .0
            .is_empty()
    );
    // The reference moved to 90: 82 is not 10 % below it, but a new low.
    let (emailed, _) = record(conn, &reading(product, "82", Some(true)), limits).await;
    assert_eq!(notification(conn, emailed[0]).await.rules, ["new_low"]);
    let stored = watches::alerting(conn, watch_id).await.unwrap().unwrap();
    let states: Vec<RuleState> = serde_json::from_value(stored.rule_state).unwrap();
    assert_eq!(states[0].reference, Some(d("90")));
    assert!(!states[1].armed);
    assert!(states.iter().all(|s| s.last_check.is_none()));
    assert!(stored.last_alert_at.is_some());
    db.drop().await;
}

#[tokio::test]
async fn a_paused_watch_neither_fires_nor_moves() {
    let mut db = Db::new().await;
    let conn = &mut db.conn;
    let user_id = user(conn).await;
    let (product, watch_id) = watch(conn, user_id, "50", None, None).await;
    diesel::sql_query("UPDATE watches SET active = false WHERE id = $1")
        .bind::<diesel::sql_types::Uuid, _>(watch_id)
        .execute(conn)
        .await
        .unwrap();
    let limits = AlertLimits::default();
    assert!(
        record(conn, &reading(product, "40", None), limits)
            .await
            .0
            .is_empty()
    );
    assert!(armed(conn, watch_id).await, "left as it was");
    db.drop().await;
}

#[tokio::test]
async fn the_cooldown_and_the_daily_cap_hold_alerts_back_and_keep_rules_ready() {
    let mut db = Db::new().await;
    let conn = &mut db.conn;
    let user_id = user(conn).await;
    let (a, _) = watch(conn, user_id, "50", None, None).await;
    let (b, watch_b) = watch(conn, user_id, "50", None, None).await;
    let one_a_day = AlertLimits {
        per_user_per_day: 1,
    };
    assert_eq!(
        record(conn, &reading(a, "40", None), one_a_day)
            .await
            .0
            .len(),
        1
    );
    // The user had their one alert: the other watch waits, still armed.
    assert!(
        record(conn, &reading(b, "40", None), one_a_day)
            .await
            .0
            .is_empty()
    );
    assert!(armed(conn, watch_b).await);
    // With room again, the next check tells it.
    let roomy = AlertLimits::default();
    assert_eq!(
        record(conn, &reading(b, "40", None), roomy).await.0.len(),
        1
    );

    // A cooldown of an hour: a second event within it waits.
    let (c, watch_c) = watch(
        conn,
        user_id,
        "1",
        Some(vec![Rule::AnyChange, Rule::BackInStock]),
        None,
    )
    .await;
    watches::set_cooldown(conn, watch_c, 60).await.unwrap();
    assert!(
        record(conn, &reading(c, "10", Some(false)), roomy)
            .await
            .0
            .is_empty()
    );
    assert_eq!(
        record(conn, &reading(c, "11", Some(false)), roomy)
            .await
            .0
            .len(),
        1
    );
    assert!(
        record(conn, &reading(c, "11", Some(true)), roomy)
            .await
            .0
            .is_empty()
    );
    let states: Vec<RuleState> = serde_json::from_value(
        watches::alerting(conn, watch_c)
            .await
            .unwrap()
            .unwrap()
            .rule_state,
    )
    .unwrap();
    assert!(
        states[1].armed,
        "back_in_stock stays ready for after the cooldown"
    );
    db.drop().await;
}

fn channel(user_id: Uuid, kind: &str) -> ChannelRow {
    let now = Utc::now();
    ChannelRow {
        id: Uuid::new_v4(),
        user_id,
        kind: kind.into(),
        name: kind.into(),
        redacted_url: "json://hooks.example.com/h".into(),
        sealed: vec![1, 2, 3],
        created_at: now,
        updated_at: now,
    }
}

#[tokio::test]
async fn a_user_with_channels_gets_one_delivery_per_channel_of_the_watch() {
    let mut db = Db::new().await;
    let conn = &mut db.conn;
    let user_id = user(conn).await;
    let hook = channels::insert(conn, &channel(user_id, "webhook"))
        .await
        .unwrap();
    let ntfy = channels::insert(conn, &channel(user_id, "ntfy"))
        .await
        .unwrap();
    let other_user = user(conn).await;
    channels::insert(conn, &channel(other_user, "webhook"))
        .await
        .unwrap();
    let limits = AlertLimits::default();

    // A watch that names no channel: every channel of its user.
    let (all, _) = watch(conn, user_id, "50", None, None).await;
    let (emailed, delivering) = record(conn, &reading(all, "40", None), limits).await;
    assert!(emailed.is_empty(), "not emailed to the account");
    assert_eq!(delivering.len(), 1);
    let n = notification(conn, delivering[0]).await;
    assert_eq!((n.status.as_str(), n.deliveries), ("delivering", 2));

    // A watch that names one.
    let (one, watch_one) = watch(conn, user_id, "50", None, None).await;
    channels::set_for_watch(conn, watch_one, &[hook.id])
        .await
        .unwrap();
    assert_eq!(
        channels::for_watch(conn, watch_one).await.unwrap(),
        [hook.id]
    );
    let (_, delivering) = record(conn, &reading(one, "40", None), limits).await;
    assert_eq!(notification(conn, delivering[0]).await.deliveries, 1);

    // Deleting the named channel: the watch falls back to all the user's.
    assert!(
        channels::delete_for_user(conn, hook.id, user_id)
            .await
            .unwrap()
    );
    assert!(
        !channels::delete_for_user(conn, ntfy.id, other_user)
            .await
            .unwrap()
    );
    assert!(
        channels::for_watch(conn, watch_one)
            .await
            .unwrap()
            .is_empty()
    );
    db.drop().await;
}

#[tokio::test]
async fn asking_for_a_channel_test_again_and_again_never_fails() {
    use diesel::{ExpressionMethods, QueryDsl};
    use pricewatch_storage::queries::channel_tests;
    use pricewatch_storage::schema::channel_tests as tests_table;

    let mut db = Db::new().await;
    let conn = &mut db.conn;
    let user_id = user(conn).await;
    let hook = channels::insert(conn, &channel(user_id, "webhook"))
        .await
        .unwrap();
    // More runs than PostgreSQL's five custom plans of a prepared statement,
    // on one connection: the open test is answered again, and once it is
    // sent a new one is queued.
    let mut ids = Vec::new();
    for round in 0..12 {
        let first = channel_tests::request(conn, hook.id).await.unwrap();
        let again = channel_tests::request(conn, hook.id).await.unwrap();
        assert_eq!(
            first.id, again.id,
            "round {round}: the open test is answered"
        );
        ids.push(first.id);
        diesel::update(tests_table::table.filter(tests_table::id.eq(first.id)))
            .set(tests_table::status.eq("sent"))
            .execute(conn)
            .await
            .unwrap();
    }
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), 12, "a new test once the last one was sent");
    db.drop().await;
}
