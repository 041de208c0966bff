//! reqwest through `reqwest-middleware` with [`TracingMiddleware`] against
//! a real axum server on 127.0.0.1 (with the SERVER layer): one trace from
//! the caller through the request's headers, the HTTP client attributes, a
//! 5xx and a 404 as errors, and a refused connection as a transport error.
#![cfg(all(feature = "reqwest", feature = "axum"))]

use crate::common;

use std::net::SocketAddr;

use axum::Router;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::get;
use reqwest_middleware::{ClientBuilder, ClientWithMiddleware};
use tracer::http::TracingLayer;
use tracer::propagation::{Baggage, BaggageFutureExt};
use tracer::reqwest::TracingMiddleware;
use tracer::{FutureExt, Span, SpanData, SpanKind, Status, Value, current_span_id};

/// Echoes what the handler saw: its span, the baggage header.
async fn stock(headers: HeaderMap) -> String {
    let baggage = headers.get("baggage").and_then(|v| v.to_str().ok()).unwrap_or("");
    format!(
        "span={} baggage={baggage} tenant={}",
        current_span_id().map(|id| id.to_string()).unwrap_or_default(),
        Baggage::current().get("tenant").unwrap_or("")
    )
}

async fn serve() -> SocketAddr {
    let router = Router::new()
        .route("/stock/{sku}", get(stock))
        .route("/broken", get(|| async { (StatusCode::SERVICE_UNAVAILABLE, "down") }))
        .layer(TracingLayer::new());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
    addr
}

fn client() -> ClientWithMiddleware {
    ClientBuilder::new(reqwest::Client::new())
        .with(TracingMiddleware::new())
        .build()
}

/// Runs `call` in a fresh root span with `tenant=acme` baggage; returns
/// its output and the trace.
async fn in_root<T>(call: impl std::future::Future<Output = T>) -> (T, Vec<SpanData>) {
    common::exporter();
    let root = Span::root("reqwest_caller");
    let trace_id = root.trace_id().unwrap();
    let baggage = Baggage::default().with("tenant", "acme").unwrap();
    let out = call.with_baggage(baggage).in_span(root).await;
    (out, common::trace(trace_id))
}

fn kind(spans: &[SpanData], kind: SpanKind) -> &SpanData {
    let found: Vec<&SpanData> = spans.iter().filter(|s| s.kind == kind).collect();
    assert_eq!(found.len(), 1, "one {kind:?} span in {:?}", common::names(spans));
    found[0]
}

fn attr<'a>(span: &'a SpanData, key: &str) -> Option<&'a Value> {
    span.attributes
        .iter()
        .find(|kv| kv.key.as_str() == key)
        .map(|kv| &kv.value)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_request_is_one_trace_from_client_to_handler() {
    let addr = serve().await;
    let url = format!("http://{addr}/stock/42?fresh=1");
    let (body, spans) = in_root(async { client().get(&url).send().await.unwrap().text().await.unwrap() }).await;

    assert_eq!(spans.len(), 3, "{:?}", common::names(&spans));
    let root = common::one(&spans, "reqwest_caller");
    let client_span = kind(&spans, SpanKind::Client);
    let server_span = kind(&spans, SpanKind::Server);
    common::assert_child_of(client_span, root);
    common::assert_child_of(server_span, client_span);
    assert!(server_span.parent_is_remote);
    assert_eq!(
        body,
        format!("span={} baggage=tenant=acme tenant=acme", server_span.span_id())
    );

    assert_eq!(client_span.name, "GET");
    assert_eq!(client_span.status, Status::Unset);
    assert_eq!(attr(client_span, "http.request.method"), Some(&Value::from("GET")));
    assert_eq!(attr(client_span, "url.full"), Some(&Value::from(url.clone())));
    assert_eq!(attr(client_span, "server.address"), Some(&Value::from("127.0.0.1")));
    assert_eq!(attr(client_span, "server.port"), Some(&Value::from(addr.port())));
    assert_eq!(attr(client_span, "network.protocol.version"), Some(&Value::from("1.1")));
    assert_eq!(attr(client_span, "http.response.status_code"), Some(&Value::from(200)));
    assert_eq!(attr(client_span, "error.type"), None);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn error_statuses_mark_the_client_span() {
    let addr = serve().await;
    for (path, code) in [("/broken", 503), ("/nowhere", 404)] {
        let url = format!("http://{addr}{path}");
        let (status, spans) = in_root(async { client().get(&url).send().await.unwrap().status() }).await;
        assert_eq!(status.as_u16(), code);
        let client_span = kind(&spans, SpanKind::Client);
        assert_eq!(client_span.status, Status::error(format!("HTTP {code}")), "{path}");
        assert_eq!(attr(client_span, "http.response.status_code"), Some(&Value::from(code)));
        assert_eq!(attr(client_span, "error.type"), Some(&Value::from(code.to_string())));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_connection_is_a_transport_error() {
    // A port nothing listens on.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let url = format!("http://127.0.0.1:{port}/stock/1");
    let (result, spans) = in_root(async { client().get(&url).send().await }).await;
    let error = result.unwrap_err();
    assert!(error.is_connect(), "{error}");

    assert_eq!(spans.len(), 2, "{:?}", common::names(&spans));
    let client_span = kind(&spans, SpanKind::Client);
    assert_eq!(client_span.status, Status::error(error.to_string()));
    assert_eq!(attr(client_span, "error.type"), Some(&Value::from("connect")));
    assert_eq!(attr(client_span, "http.response.status_code"), None);
}
