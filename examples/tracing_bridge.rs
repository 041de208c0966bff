//! The `tracing` bridge: code instrumented with `tracing` (`#[instrument]`,
//! tower-http, `info!`) and with tracer (`#[trace]`, the HTTP layers) in one
//! trace.
//!
//! Service A (`GET /checkout/{sku}`) calls service B (`GET /stock/{sku}`) on
//! 127.0.0.1. Both have tracer's `TracingLayer`; A's handler is a `#[trace]`
//! function calling an `#[instrument]` one, which calls B through a client
//! stack of tower-http's `TraceLayer` (a `tracing` span) over tracer's
//! `ClientTracingLayer` (a CLIENT span, which sends the `traceparent`). B's
//! handler is an `#[instrument]` function calling a `#[trace]` one, which
//! logs with `tracing::info!`. Log lines go through `fmt` with the trace
//! and span ids in front (`TraceIdFormat`); tower-http's DEBUG events go to
//! the spans only, through a per-layer filter on the bridge.
//!
//! ```text
//! cargo run --example tracing_bridge --features tracing,axum
//! ```
//!
//! The console exporter prints each service's part of the trace as one tree:
//! `tracing` spans and tracer spans mixed, tower-http's with its fields and
//! events.

use std::net::SocketAddr;

use axum::Router;
use axum::body::{Bytes, HttpBody};
use axum::extract::{Path, State};
use axum::http::{Request, StatusCode};
use axum::routing::get;
use http_body_util::{BodyExt, Empty};
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use tower::{BoxError, ServiceBuilder, ServiceExt};
use tower_http::trace::TraceLayer;
use tracer::bridge::TraceIdFormat;
use tracer::http::{ClientTracingLayer, TracingLayer};
use tracer::trace;
use tracing::{Level, info, instrument};
use tracing_subscriber::filter::{LevelFilter, Targets};
use tracing_subscriber::prelude::*;

async fn serve(router: Router) -> SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("a loopback port");
    let addr = listener.local_addr().expect("bound");
    tokio::spawn(async move { axum::serve(listener, router).await.expect("server runs") });
    addr
}

async fn body_text(body: impl HttpBody) -> String {
    let bytes = body.collect().await.map(|b| b.to_bytes()).unwrap_or_default();
    String::from_utf8_lossy(&bytes).into_owned()
}

/// Service B's handler: a `tracing` span.
#[instrument]
async fn stock(Path(sku): Path<String>) -> (StatusCode, String) {
    let count = reserve(&sku).await;
    (StatusCode::OK, format!("{count} x {sku} reserved"))
}

/// A tracer span inside it; its log line is a `tracing` event.
#[trace]
async fn reserve(sku: &str) -> u32 {
    info!(sku, "reserved");
    3
}

/// Service A's handler: a tracer span.
#[trace]
async fn checkout(State(b): State<SocketAddr>, Path(sku): Path<String>) -> (StatusCode, String) {
    call_stock(b, &sku).await
}

/// A `tracing` span, with its client: tower-http's span, then tracer's
/// CLIENT span, whose context B receives.
#[instrument(fields(otel.kind = "client"))]
async fn call_stock(b: SocketAddr, sku: &str) -> (StatusCode, String) {
    let client = ServiceBuilder::new()
        .layer(TraceLayer::new_for_http())
        .layer(ClientTracingLayer::new())
        .service(Client::builder(TokioExecutor::new()).build_http::<Empty<Bytes>>());
    let request = Request::get(format!("http://{b}/stock/{sku}"))
        .body(Empty::new())
        .expect("a valid request");
    match client.oneshot(request).await {
        Ok(response) => {
            let status = response.status();
            (status, body_text(response.into_body()).await)
        }
        Err(error) => (StatusCode::BAD_GATEWAY, BoxError::from(error).to_string()),
    }
}

#[tokio::main]
async fn main() {
    // Prints each trace as a tree on stdout.
    let _tracer = tracer::init();
    tracing_subscriber::registry()
        // Spans and events at INFO and above, and tower-http's DEBUG ones
        // (hyper's are left out).
        .with(
            tracer::bridge::layer().with_location(false).with_filter(
                Targets::new()
                    .with_default(Level::INFO)
                    .with_target("tower_http", Level::DEBUG),
            ),
        )
        .with(
            tracing_subscriber::fmt::layer()
                .event_format(TraceIdFormat::wrap(tracing_subscriber::fmt::format().without_time()))
                .with_filter(LevelFilter::INFO),
        )
        .init();

    let b = serve(
        Router::new()
            .route("/stock/{sku}", get(stock))
            .layer(TracingLayer::new()),
    )
    .await;
    let a = serve(
        Router::new()
            .route("/checkout/{sku}", get(checkout))
            .layer(TracingLayer::new())
            .with_state(b),
    )
    .await;

    let user = Client::builder(TokioExecutor::new()).build_http::<Empty<Bytes>>();
    let request = Request::get(format!("http://{a}/checkout/sku-42"))
        .body(Empty::new())
        .expect("a valid request");
    let response = user.request(request).await.expect("service A answers");
    let status = response.status();
    let body = body_text(response.into_body()).await;
    println!("GET /checkout/sku-42 -> {status} {body:?}");
}
