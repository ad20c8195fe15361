//! The guarded client against a raw HTTP server on 127.0.0.1: what it refuses,
//! on the first hop and on redirects.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::HashMap;
use std::io;
use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;

use pricewatch_egress::{
    AddressResolver, EgressError, EgressSettings, GuardError, GuardedClient, ResolveFuture,
};
use reqwest::Method;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;
use url::Url;

/// Answers every request with `response`, as is.
async fn serve(response: String) -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move {
        loop {
            let Ok((mut stream, _)) = listener.accept().await else {
                return;
            };
            let response = response.clone();
            tokio::spawn(async move {
                let mut buf = [0u8; 4096];
                let _ = stream.read(&mut buf).await;
                let _ = stream.write_all(response.as_bytes()).await;
                let _ = stream.shutdown().await;
            });
        }
    });
    port
}

fn redirect_to(location: &str) -> String {
    format!(
        "HTTP/1.1 302 Found\r\nLocation: {location}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
    )
}

const OK: &str = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok";

struct MapResolver(HashMap<String, Vec<IpAddr>>);

impl AddressResolver for MapResolver {
    fn resolve<'a>(&'a self, host: &'a str) -> ResolveFuture<'a> {
        let answer = self.0.get(host).cloned();
        Box::pin(async move { answer.ok_or_else(|| io::Error::other("unknown test host")) })
    }
}

fn client(allow_loopback: bool, names: &[(&str, &str)]) -> GuardedClient {
    let names = names
        .iter()
        .map(|(h, a)| ((*h).to_owned(), vec![a.parse().unwrap()]))
        .collect();
    GuardedClient::builder(EgressSettings {
        connect_timeout: Duration::from_secs(1),
        timeout: Duration::from_secs(2),
        max_redirects: 2,
        allow_loopback,
        user_agent: "test".into(),
    })
    .resolver(Arc::new(MapResolver(names)))
    .build()
    .unwrap()
}

async fn get(client: &GuardedClient, url: &str) -> Result<String, EgressError> {
    let request = client.request(Method::GET, Url::parse(url).unwrap())?;
    let response = client.send(request).await?;
    Ok(response.text().await.unwrap())
}

#[tokio::test]
async fn loopback_is_refused_unless_allowed() {
    let port = serve(OK.into()).await;
    let literal = format!("http://127.0.0.1:{port}/");
    let named = format!("http://shop.test:{port}/");
    let strict = client(false, &[("shop.test", "127.0.0.1")]);
    assert!(matches!(
        get(&strict, &literal).await,
        Err(EgressError::Refused(GuardError::ForbiddenAddress {
            reason: "loopback",
            ..
        }))
    ));
    assert!(matches!(
        get(&strict, &named).await,
        Err(EgressError::Refused(GuardError::ForbiddenAddress {
            reason: "loopback",
            ..
        }))
    ));
    let dev = client(true, &[("shop.test", "127.0.0.1")]);
    assert_eq!(get(&dev, &literal).await.unwrap(), "ok");
    assert_eq!(get(&dev, &named).await.unwrap(), "ok");
}

#[tokio::test]
async fn every_redirect_hop_is_checked() {
    let dev = client(
        true,
        &[
            ("metadata.test", "169.254.169.254"),
            ("shop.test", "127.0.0.1"),
        ],
    );
    let to_literal = serve(redirect_to("http://10.0.0.7/admin")).await;
    let error = get(&dev, &format!("http://127.0.0.1:{to_literal}/"))
        .await
        .unwrap_err();
    assert!(
        matches!(
            error,
            EgressError::Refused(GuardError::ForbiddenAddress { .. })
        ),
        "{error:?}"
    );
    assert!(!error.is_transient());
    let to_name = serve(redirect_to("http://metadata.test/latest")).await;
    let error = get(&dev, &format!("http://127.0.0.1:{to_name}/"))
        .await
        .unwrap_err();
    assert_eq!(
        error.to_string(),
        "refused: address 169.254.169.254 is a cloud metadata address"
    );
    let to_scheme = serve(redirect_to("file:///etc/passwd")).await;
    // Not followed: the caller gets the redirect itself (an empty 302).
    assert_eq!(
        get(&dev, &format!("http://127.0.0.1:{to_scheme}/")).await,
        Ok(String::new())
    );
    let target = serve(OK.into()).await;
    let to_ok = serve(redirect_to(&format!("http://shop.test:{target}/p"))).await;
    assert_eq!(
        get(&dev, &format!("http://127.0.0.1:{to_ok}/"))
            .await
            .unwrap(),
        "ok"
    );
    let looping = serve(redirect_to("/again")).await;
    assert_eq!(
        get(&dev, &format!("http://127.0.0.1:{looping}/")).await,
        Err(EgressError::TooManyRedirects(2))
    );
}

#[tokio::test]
async fn a_silent_server_times_out() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let _held = tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((stream, _)) = listener.accept().await {
            held.push(stream);
        }
    });
    let dev = client(true, &[]);
    let started = std::time::Instant::now();
    let error = get(&dev, &format!("http://127.0.0.1:{port}/"))
        .await
        .unwrap_err();
    assert_eq!(error, EgressError::Timeout);
    assert!(error.is_transient());
    assert!(started.elapsed() < Duration::from_secs(4));
}
