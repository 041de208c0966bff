//! Two services, one trace.
//!
//! Service A (`GET /checkout/{sku}`) calls service B (`GET /stock/{sku}`)
//! over real HTTP on 127.0.0.1. Both are axum apps with `TracingLayer`; A
//! calls B through a hyper client wrapped in `ClientTracingLayer`, which
//! sends the trace context (`traceparent`, `tracestate`) and the baggage.
//! `/health` is excluded from tracing.
//!
//! ```text
//! cargo run --example http_services --features axum
//! ```
//!
//! The console exporter prints each service's part of a trace as a tree
//! when that part's local root ends: first B's SERVER span (a child of A's
//! CLIENT span), then A's SERVER span with its CLIENT child. Both carry the
//! same trace id, which A also returns in the `x-trace-id` header.

use std::net::SocketAddr;

use axum::Router;
use axum::body::{Bytes, HttpBody};
use axum::extract::{Path, State};
use axum::http::{Request, StatusCode};
use axum::routing::get;
use http_body_util::{BodyExt, Empty};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use tower::{Layer, ServiceExt};
use tracer::http::{ClientTracingLayer, ClientTracingService, TracingLayer};
use tracer::propagation::Baggage;
use tracer::{current_span, trace};

type HttpClient = Client<HttpConnector, Empty<Bytes>>;

fn http_client() -> HttpClient {
    Client::builder(TokioExecutor::new()).build_http()
}

async fn serve(router: Router) -> SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("a loopback port");
    let addr = listener.local_addr().expect("bound");
    tokio::spawn(async move { axum::serve(listener, router).await.expect("server runs") });
    addr
}

/// A traced function inside B's handler: it joins B's SERVER span.
#[trace]
async fn reserve(sku: &str) -> Result<u32, String> {
    current_span().set_tag("sku", sku.to_string());
    if sku == "broken" {
        return Err("the warehouse is offline".to_string());
    }
    Ok(3)
}

/// Service B.
async fn stock(Path(sku): Path<String>) -> (StatusCode, String) {
    let tenant = Baggage::current().get("tenant").unwrap_or("none").to_string();
    match reserve(&sku).await {
        Ok(count) => (StatusCode::OK, format!("{count} x {sku} reserved for tenant {tenant}")),
        Err(error) => (StatusCode::SERVICE_UNAVAILABLE, error),
    }
}

/// A response body as text; empty if it could not be read.
async fn body_text(body: impl HttpBody) -> String {
    let bytes = body.collect().await.map(|b| b.to_bytes()).unwrap_or_default();
    String::from_utf8_lossy(&bytes).into_owned()
}

/// Service A: calls B with the traced client.
async fn checkout(
    State((client, b)): State<(ClientTracingService<HttpClient>, SocketAddr)>,
    Path(sku): Path<String>,
) -> (StatusCode, String) {
    let request = Request::get(format!("http://{b}/stock/{sku}"))
        .body(Empty::new())
        .expect("a valid request");
    match client.oneshot(request).await {
        Ok(response) => {
            let status = response.status();
            (status, body_text(response.into_body()).await)
        }
        Err(error) => (StatusCode::BAD_GATEWAY, error.to_string()),
    }
}

#[tokio::main]
async fn main() {
    // Prints each trace as a tree on stdout.
    let _tracer = tracer::init();

    let b = serve(
        Router::new()
            .route("/stock/{sku}", get(stock))
            .layer(TracingLayer::new().excluded_paths(["/health"])),
    )
    .await;
    let client = ClientTracingLayer::new().layer(http_client());
    let a = serve(
        Router::new()
            .route("/checkout/{sku}", get(checkout))
            .route("/health", get(|| async { "ok" }))
            .layer(
                TracingLayer::new()
                    .excluded_paths(["/health"])
                    .trace_id_header("x-trace-id"),
            )
            .with_state((client, b)),
    )
    .await;
    println!("service A on http://{a}, service B on http://{b}\n");

    let user = http_client();
    for path in ["/checkout/sku-42", "/checkout/broken", "/health"] {
        let request = Request::get(format!("http://{a}{path}"))
            .header("baggage", "tenant=acme")
            .body(Empty::new())
            .expect("a valid request");
        let response = user.request(request).await.expect("service A answers");
        let trace_id = response
            .headers()
            .get("x-trace-id")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("(not traced)")
            .to_string();
        let status = response.status();
        let body = body_text(response.into_body()).await;
        println!("GET {path} -> {status} {body:?}\n  x-trace-id: {trace_id}\n");
    }
}
