//! The `tracing` bridge with the real crates: two axum services behind
//! tower-http's `TraceLayer` and tracer's server layer, `#[instrument]`
//! handlers calling `#[trace]` functions and the reverse, a hyper-util
//! client call from one service to the other through tracer's client
//! layer, and `tokio::spawn` onto the runtime's worker threads. One trace
//! id across both services, every parent id, the attributes and events from
//! `tracing` fields, and the status, read from the exported spans.
//!
//! A binary of its own: the `tracing` subscriber is the process's global
//! one (tokio's worker threads use it), with a provider of its own.
#![cfg(all(feature = "tracing", feature = "axum"))]

use std::net::SocketAddr;

use axum::Router;
use axum::extract::{Path, State};
use axum::http::{Request, StatusCode};
use axum::routing::get;
use http_body_util::{BodyExt, Empty};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use tower::{Layer, ServiceExt};
use tower_http::trace::TraceLayer;
use tracer::export::InMemoryExporter;
use tracer::http::{ClientTracingLayer, ClientTracingService, TracingLayer};
use tracer::{SpanData, SpanKind, Status, TracerProvider, Value, trace};
use tracing::{Instrument, info, info_span, instrument};
use tracing_subscriber::prelude::*;

type Body = Empty<axum::body::Bytes>;
type TracedClient = ClientTracingService<Client<HttpConnector, Body>>;

async fn serve(router: Router) -> SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
    addr
}

/// Service B's handler, a `tracing` span with a field recorded later.
#[instrument(fields(stock.level = tracing::field::Empty))]
async fn stock(Path(sku): Path<String>) -> Result<String, StatusCode> {
    if sku == "broken" {
        return Err(StatusCode::SERVICE_UNAVAILABLE);
    }
    let level = reserve(&sku).await;
    tracing::Span::current().record("stock.level", level);
    Ok(format!("{level} x {sku} reserved"))
}

/// A tracer span inside the `#[instrument]` handler; its event is a
/// `tracing` one.
#[trace]
async fn reserve(sku: &str) -> u64 {
    tokio::task::yield_now().await;
    info!(sku, "reserved");
    3
}

async fn service_b() -> SocketAddr {
    let router = Router::new()
        .route("/stock/{sku}", get(stock))
        .layer(TraceLayer::new_for_http())
        .layer(TracingLayer::new());
    serve(router).await
}

#[derive(Clone)]
struct AppState {
    client: TracedClient,
    b: SocketAddr,
}

/// Service A's handler, a tracer span: `#[instrument]` code inside it,
/// and a task spawned onto the runtime with a `tracing` span.
#[trace(kind = SpanKind::Internal)]
async fn checkout(State(state): State<AppState>, Path(sku): Path<String>) -> (StatusCode, String) {
    let audit = tokio::spawn(write_audit(sku.clone()).instrument(info_span!("audit", sku = %sku)));
    let (status, body) = call_stock(&state, &sku).await;
    audit.await.unwrap();
    (status, body)
}

#[trace]
async fn write_audit(sku: String) {
    tokio::task::yield_now().await;
    tracer::current_span().set_attribute("audit.sku", sku);
}

/// A `tracing` span around the client call: the client layer's span, and
/// so the `traceparent` B receives, is its child.
#[instrument(skip(state), fields(otel.kind = "client"))]
async fn call_stock(state: &AppState, sku: &str) -> (StatusCode, String) {
    let request = Request::get(format!("http://{}/stock/{sku}", state.b))
        .body(Empty::new())
        .unwrap();
    let response = state.client.clone().oneshot(request).await.unwrap();
    let status = response.status();
    if status.is_server_error() {
        tracing::error!(status = status.as_u16(), "stock is down");
    }
    let body = response.into_body().collect().await.unwrap().to_bytes();
    (status, String::from_utf8_lossy(&body).into_owned())
}

async fn service_a(b: SocketAddr) -> SocketAddr {
    let state = AppState {
        client: ClientTracingLayer::new().layer(Client::builder(TokioExecutor::new()).build_http()),
        b,
    };
    let router = Router::new()
        .route("/checkout/{sku}", get(checkout))
        .layer(TraceLayer::new_for_http())
        .layer(TracingLayer::new().trace_id_header("x-trace-id"))
        .with_state(state);
    serve(router).await
}

fn one<'a>(spans: &'a [SpanData], name: &str) -> &'a SpanData {
    let found: Vec<&SpanData> = spans.iter().filter(|s| s.name == name).collect();
    assert_eq!(
        found.len(),
        1,
        "one span named {name:?} in {:?}",
        spans.iter().map(|s| &*s.name).collect::<Vec<_>>()
    );
    found[0]
}

fn assert_child_of(child: &SpanData, parent: &SpanData) {
    assert_eq!(
        child.parent_span_id,
        Some(parent.span_id()),
        "{} should be a child of {}",
        child.name,
        parent.name
    );
    assert_eq!(child.trace_id(), parent.trace_id());
}

fn string(value: &str) -> Value {
    Value::from(value.to_string())
}

/// Sends `GET /checkout/{sku}` to A; returns the status, body and the
/// trace's spans once there are `spans` of them.
async fn checkout_through_both(
    exporter: &InMemoryExporter,
    a: SocketAddr,
    sku: &str,
    spans: usize,
) -> (u16, String, Vec<SpanData>) {
    let client = Client::builder(TokioExecutor::new()).build_http::<Body>();
    let request = Request::get(format!("http://{a}/checkout/{sku}"))
        .body(Empty::new())
        .unwrap();
    let response = client.request(request).await.unwrap();
    let status = response.status().as_u16();
    let trace_id = response.headers()["x-trace-id"].to_str().unwrap().parse().unwrap();
    let body = response.into_body().collect().await.unwrap().to_bytes();
    // tower-http's span ends when the server drops the response body,
    // which may be after the client has read it: wait for the spans (the
    // test asserts on all of them, not on when they came).
    for _ in 0..500 {
        if exporter.trace(trace_id).len() >= spans {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    (
        status,
        String::from_utf8_lossy(&body).into_owned(),
        exporter.trace(trace_id),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_trace_through_tracing_tower_http_and_tracer_across_two_services() {
    let exporter = InMemoryExporter::new();
    let _guard = TracerProvider::builder()
        .with_simple_exporter(exporter.clone())
        .install()
        .expect("the only provider in this binary");
    tracing::subscriber::set_global_default(tracing_subscriber::registry().with(tracer::bridge::layer()))
        .expect("the only subscriber in this binary");
    let a = service_a(service_b().await).await;

    let (status, body, spans) = checkout_through_both(&exporter, a, "sku-42", 11).await;
    assert_eq!((status, body.as_str()), (200, "3 x sku-42 reserved"));
    let names = |spans: &[SpanData]| {
        let mut names: Vec<String> = spans.iter().map(|s| s.name.to_string()).collect();
        names.sort();
        names
    };
    assert_eq!(
        names(&spans),
        [
            "GET",
            "GET /checkout/{sku}",
            "GET /stock/{sku}",
            "audit",
            "call_stock",
            "checkout",
            "request",
            "request",
            "reserve",
            "stock",
            "write_audit"
        ]
    );
    // Service A: tracer's SERVER span, tower-http's span, the `#[trace]`
    // handler, the `#[instrument]` call and tracer's CLIENT span.
    let a_server = one(&spans, "GET /checkout/{sku}");
    let requests: Vec<&SpanData> = spans.iter().filter(|s| s.name == "request").collect();
    let a_request = requests
        .iter()
        .find(|s| s.parent_span_id == Some(a_server.span_id()))
        .expect("tower-http's span under A's server span");
    let checkout = one(&spans, "checkout");
    let call_stock = one(&spans, "call_stock");
    let client = one(&spans, "GET");
    assert_eq!(a_server.kind, SpanKind::Server);
    assert_eq!(a_server.parent_span_id, None);
    assert_child_of(a_request, a_server);
    assert_child_of(checkout, a_request);
    assert_child_of(call_stock, checkout);
    assert_child_of(client, call_stock);
    assert_eq!(client.kind, SpanKind::Client);
    assert_eq!(call_stock.kind, SpanKind::Client);
    assert_eq!(call_stock.attribute("sku"), Some(&string("sku-42")));
    // The spawned task: its `tracing` span is the handler's child, the
    // `#[trace]` function inside it the task span's, whichever worker
    // polled it.
    let audit = one(&spans, "audit");
    let write_audit = one(&spans, "write_audit");
    assert_child_of(audit, checkout);
    assert_child_of(write_audit, audit);
    assert_eq!(audit.attribute("sku"), Some(&string("sku-42")));
    assert_eq!(write_audit.attribute("audit.sku"), Some(&string("sku-42")));

    // Service B, joined through the `traceparent` of A's CLIENT span.
    let b_server = one(&spans, "GET /stock/{sku}");
    let b_request = requests
        .iter()
        .find(|s| s.parent_span_id == Some(b_server.span_id()))
        .expect("tower-http's span under B's server span");
    let stock = one(&spans, "stock");
    let reserve = one(&spans, "reserve");
    assert_child_of(b_server, client);
    assert_child_of(b_request, b_server);
    assert_child_of(stock, b_request);
    assert_child_of(reserve, stock);
    // `Path(sku)` is recorded with `Debug`: a quoted string.
    assert_eq!(stock.attribute("sku"), Some(&string("\"sku-42\"")));
    assert_eq!(stock.attribute("stock.level"), Some(&Value::I64(3)));

    // tower-http's fields and events, typed.
    assert_eq!(b_request.attribute("method"), Some(&string("GET")));
    assert_eq!(b_request.attribute("uri"), Some(&string("/stock/sku-42")));
    assert_eq!(b_request.attribute("version"), Some(&string("HTTP/1.1")));
    assert_eq!(
        b_request.attribute("target"),
        Some(&Value::from("tower_http::trace::make_span"))
    );
    let event_names: Vec<&str> = b_request.events.iter().map(|e| &*e.name).collect();
    assert_eq!(
        event_names,
        ["started processing request", "finished processing request"]
    );
    let finished = &b_request.events[1];
    assert_eq!(finished.attribute("status"), Some(&Value::I64(200)));
    assert_eq!(finished.attribute("level"), Some(&Value::from("DEBUG")));
    // The `tracing` event inside the tracer span is that span's.
    assert_eq!(reserve.events.len(), 1);
    assert_eq!(reserve.events[0].name, "reserved");
    assert_eq!(reserve.events[0].attribute("sku"), Some(&string("sku-42")));

    for span in &spans {
        assert_eq!(span.trace_id(), a_server.trace_id(), "{}", span.name);
        assert_eq!(span.status, Status::Unset, "{}", span.name);
        assert!(span.end_time_unix_nano >= span.start_time_unix_nano, "{}", span.name);
    }

    // A failing call: B answers 503, which both server layers and the
    // client layer mark; the `tracing` error event lands on `call_stock`.
    let (status, _, spans) = checkout_through_both(&exporter, a, "broken", 10).await;
    assert_eq!(status, 503);
    assert_eq!(spans.len(), 10);
    assert_eq!(one(&spans, "GET /stock/{sku}").status, Status::error("HTTP 503"));
    assert_eq!(one(&spans, "GET").status, Status::error("HTTP 503"));
    assert_eq!(one(&spans, "GET /checkout/{sku}").status, Status::error("HTTP 503"));
    let call_stock = one(&spans, "call_stock");
    assert_eq!(call_stock.events.len(), 1);
    assert_eq!(call_stock.events[0].name, "stock is down");
    assert_eq!(call_stock.events[0].attribute("status"), Some(&Value::I64(503)));
    assert_eq!(call_stock.events[0].attribute("level"), Some(&Value::from("ERROR")));
    // `ERROR` events do not fail a span unless the layer is told to.
    assert_eq!(call_stock.status, Status::Unset);
}
