//! `spawn_app()`: the api in-process on port 0 with its own database (cloned from
//! a migrated template), its own Redis key prefix and queue prefix.

use std::net::{IpAddr, TcpListener};
use std::sync::Arc;

use clap::Parser;
use pricewatch_api::resolve::{HostResolver, Resolving};
use pricewatch_api::{Application, Settings};
use serde_json::{Value, json};
use uuid::Uuid;

/// The tests' `CHANNEL_SECRET_KEY`: 32 bytes of 7.
pub const CHANNEL_KEY_BASE64: &str = "BwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwc=";

/// The key itself, to open what the api sealed.
#[allow(dead_code)]
pub fn channel_key() -> pricewatch_storage::sealed::ChannelKey {
    pricewatch_storage::sealed::ChannelKey::from_bytes([7; 32])
}

/// Names resolved without DNS (tests send nothing beyond loopback):
/// `*.private.test` is on a private network, `loopback.test` on loopback,
/// `missing.test` does not resolve, any other name is a public address.
pub struct TestResolver;

impl HostResolver for TestResolver {
    fn resolve<'a>(&'a self, host: &'a str) -> Resolving<'a> {
        Box::pin(async move {
            let ip: IpAddr = if host.ends_with(".private.test") {
                "10.1.2.3".parse().unwrap()
            } else if host == "loopback.test" {
                "127.0.0.1".parse().unwrap()
            } else if host == "missing.test" {
                return Err(std::io::Error::other("no such host"));
            } else {
                "93.184.215.14".parse().unwrap()
            };
            Ok(vec![ip])
        })
    }
}

/// A fresh database for one test, migrated (cloned from the template).
pub async fn create_test_database() -> String {
    pricewatch_test_support::create().await.unwrap()
}

#[allow(dead_code)]
pub struct TestApp {
    pub address: String,
    pub client: reqwest::Client,
    pub database_url: String,
    pub redis_prefix: String,
}

pub async fn spawn_app() -> TestApp {
    spawn_app_with(&[]).await
}

/// Starts the api with extra `--flag value` settings.
pub async fn spawn_app_with(extra: &[&str]) -> TestApp {
    let database_url = create_test_database().await;
    let redis_prefix = format!("pwtest-{}", Uuid::new_v4().simple());
    let queue_prefix = format!("pwtest-{}", Uuid::new_v4().simple());
    let mut args = vec![
        "pricewatch-api".to_owned(),
        "--bind=127.0.0.1:0".to_owned(),
        "--workers=2".to_owned(),
        format!("--database-url={database_url}"),
        "--database-pool-size=4".to_owned(),
        "--redis-url=redis://127.0.0.1:6379/0".to_owned(),
        format!("--redis-key-prefix={redis_prefix}"),
        "--amqp-url=amqp://guest:guest@127.0.0.1:5672/%2f".to_owned(),
        format!("--queue-prefix={queue_prefix}"),
        "--secret-key=test-secret-key-for-the-test-suite-only-0123456789".to_owned(),
        "--cors-allowed-origins=https://app.example.com".to_owned(),
        "--auth-rate-limit-per-minute=1000".to_owned(),
        // Nothing listens there: the detailed health reports them unhealthy.
        "--scraper-worker-health-url=http://127.0.0.1:9".to_owned(),
        "--scheduler-health-url=http://127.0.0.1:9".to_owned(),
        "--notifier-health-url=http://127.0.0.1:9".to_owned(),
        format!("--channel-secret-key={CHANNEL_KEY_BASE64}"),
    ];
    for flag in extra {
        let name = flag.split('=').next().unwrap_or(flag);
        args.retain(|a| a.split('=').next() != Some(name));
        args.push((*flag).to_owned());
    }
    let settings = Settings::try_parse_from(args).unwrap();
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let app = Application::build_with_resolver(settings, listener, Arc::new(TestResolver))
        .await
        .unwrap();
    let address = format!("http://127.0.0.1:{}", app.port());
    tokio::spawn(app.run_until_stopped());
    TestApp {
        address,
        client: reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap(),
        database_url,
        redis_prefix,
    }
}

impl TestApp {
    /// Runs one SQL statement on the app's database (test set-up only).
    pub async fn sql(&self, statement: &str) -> usize {
        use diesel_async::RunQueryDsl;
        let mut conn = pricewatch_storage::pool::connect_once(&self.database_url)
            .await
            .unwrap();
        diesel::sql_query(statement)
            .execute(&mut conn)
            .await
            .unwrap()
    }

    /// Creates a personal API token with `scopes` and returns (id, token).
    pub async fn api_token(&self, session: &str, scopes: &[&str]) -> (String, String) {
        let r = self
            .post_json(
                "/api/v1/tokens",
                &json!({"name": "test script", "scopes": scopes}),
                Some(session),
            )
            .await;
        assert_eq!(r.status(), 201, "{}", r.text().await.unwrap());
        let body: Value = r.json().await.unwrap();
        (
            body["id"].as_str().unwrap().to_owned(),
            body["token"].as_str().unwrap().to_owned(),
        )
    }

    pub async fn delete(&self, path: &str, token: Option<&str>) -> reqwest::Response {
        let mut req = self.client.delete(self.url(path));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        req.send().await.unwrap()
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.address, path)
    }

    pub async fn post_json(
        &self,
        path: &str,
        body: &Value,
        token: Option<&str>,
    ) -> reqwest::Response {
        let mut req = self.client.post(self.url(path)).json(body);
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        req.send().await.unwrap()
    }

    pub async fn patch_json(&self, path: &str, body: &Value, token: &str) -> reqwest::Response {
        self.client
            .patch(self.url(path))
            .json(body)
            .bearer_auth(token)
            .send()
            .await
            .unwrap()
    }

    pub async fn get(&self, path: &str, token: Option<&str>) -> reqwest::Response {
        let mut req = self.client.get(self.url(path));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        req.send().await.unwrap()
    }

    /// Registers a fresh user and returns (email, access token).
    pub async fn user(&self) -> (String, String) {
        let email = format!("user-{}@example.com", Uuid::new_v4().simple());
        let password = "correct horse 9";
        let r = self
            .post_json(
                "/api/v1/auth/register",
                &json!({"email": email, "password": password}),
                None,
            )
            .await;
        assert_eq!(r.status(), 201, "{}", r.text().await.unwrap());
        let r = self
            .post_json(
                "/api/v1/auth/login",
                &json!({"email": email, "password": password}),
                None,
            )
            .await;
        assert_eq!(r.status(), 200);
        let body: Value = r.json().await.unwrap();
        (email, body["access_token"].as_str().unwrap().to_owned())
    }

    pub async fn create_watch(&self, token: &str, url: &str) -> Value {
        let r = self
            .post_json(
                "/api/v1/watches",
                &json!({"url": url, "target_price": "99.90", "frequency": "24h"}),
                Some(token),
            )
            .await;
        assert_eq!(r.status(), 201, "{}", r.text().await.unwrap());
        r.json().await.unwrap()
    }
}

/// The error code of a JSON error body, asserting its shape.
pub async fn error_of(r: reqwest::Response) -> (u16, String, Value) {
    let status = r.status().as_u16();
    let body: Value = r.json().await.unwrap();
    assert!(
        body["message"].is_string(),
        "error body without message: {body}"
    );
    (
        status,
        body["error"].as_str().unwrap_or_default().to_owned(),
        body,
    )
}
