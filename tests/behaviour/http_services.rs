//! Two real axum services on loopback ports, a real HTTP client, and one
//! trace end to end: the caller -> A's SERVER span -> A's CLIENT span ->
//! B's SERVER span.
#![cfg(feature = "axum")]

use crate::common;

use std::collections::HashMap;
use std::convert::Infallible;
use std::net::SocketAddr;

use axum::Router;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, Request, Response, StatusCode};
use axum::response::IntoResponse;
use axum::routing::get;
use http_body_util::{BodyExt, Empty};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use tower::{Layer, ServiceExt};
use tracer::http::{ClientTracingLayer, ClientTracingService, TracingLayer};
use tracer::propagation::Baggage;
use tracer::{SpanData, SpanId, SpanKind, Status, TraceId, Value, current_span_id, trace};

type Body = Empty<axum::body::Bytes>;
type TracedClient = ClientTracingService<Client<HttpConnector, Body>>;

fn http_client() -> Client<HttpConnector, Body> {
    Client::builder(TokioExecutor::new()).build_http()
}

async fn serve(router: Router) -> SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
    addr
}

#[trace]
async fn lookup_stock(sku: &str) -> u32 {
    tokio::task::yield_now().await;
    sku.len() as u32
}

/// Service B: reports what it saw of the propagated context.
async fn stock(Path(sku): Path<String>, headers: HeaderMap) -> Response<axum::body::Body> {
    match sku.as_str() {
        "broken" => return (StatusCode::INTERNAL_SERVER_ERROR, "stock is down").into_response(),
        "panic" => panic!("the stock service panicked (expected by the test)"),
        _ => {}
    }
    let level = lookup_stock(&sku).await;
    let header = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_string()
    };
    let baggage = Baggage::current();
    let report = [
        ("level", level.to_string()),
        ("tracestate", header("tracestate")),
        ("baggage", header("baggage")),
        ("tenant", baggage.get("tenant").unwrap_or("").to_string()),
        ("user", baggage.get("user").unwrap_or("").to_string()),
        ("span", current_span_id().map(|id| id.to_string()).unwrap_or_default()),
    ];
    report
        .iter()
        .map(|(k, v)| format!("{k}={v}\n"))
        .collect::<String>()
        .into_response()
}

async fn service_b() -> SocketAddr {
    let router = Router::new()
        .route("/stock/{sku}", get(stock))
        .route("/metrics", get(|| async { "metrics" }))
        .route("/metrics/{name}", get(|| async { "metric" }))
        .layer(
            TracingLayer::new()
                .excluded_paths(["/health", "/metrics/*"])
                .trace_id_header("x-trace-id"),
        );
    serve(router).await
}

#[derive(Clone)]
struct AppState {
    client: TracedClient,
    b: SocketAddr,
}

/// Service A: calls B through the traced client and mirrors its status
/// (502 if B could not be reached).
async fn checkout(State(state): State<AppState>, Path(sku): Path<String>) -> (StatusCode, String) {
    let request = Request::get(format!("http://{}/stock/{sku}", state.b))
        .header("user-agent", "service-a")
        .body(Empty::new())
        .unwrap();
    match state.client.clone().oneshot(request).await {
        Ok(response) => {
            let status = response.status();
            let body = response.into_body().collect().await.unwrap().to_bytes();
            (status, String::from_utf8_lossy(&body).into_owned())
        }
        Err(error) => (StatusCode::BAD_GATEWAY, error.to_string()),
    }
}

async fn service_a(b: SocketAddr) -> SocketAddr {
    let state = AppState {
        client: ClientTracingLayer::new().layer(http_client()),
        b,
    };
    let router = Router::new()
        .route("/checkout/{sku}", get(checkout))
        .route("/health", get(|| async { "ok" }))
        .layer(
            TracingLayer::new()
                .excluded_paths(["/health"])
                .trace_id_header("x-trace-id"),
        )
        .with_state(state);
    serve(router).await
}

/// What the caller in front of A sends.
struct Caller {
    trace_id: TraceId,
    span_id: SpanId,
}

impl Caller {
    fn new() -> Caller {
        common::exporter();
        Caller {
            trace_id: TraceId::random(),
            span_id: SpanId::random(),
        }
    }

    /// Sends a GET with a sampled traceparent, a tracestate and baggage.
    async fn get(&self, addr: SocketAddr, path: &str) -> (StatusCode, HeaderMap, String) {
        let request = Request::get(format!("http://{addr}{path}"))
            .header("traceparent", format!("00-{}-{}-01", self.trace_id, self.span_id))
            .header("tracestate", "caller=abc,vendor@acme=x1")
            .header("baggage", "tenant=acme, user=al%20ice;ttl=60")
            .header("user-agent", "checkout-test/1.0")
            .body(Empty::new())
            .unwrap();
        let response = http_client().request(request).await.unwrap();
        let (parts, body) = response.into_parts();
        let body = body.collect().await.unwrap().to_bytes();
        (parts.status, parts.headers, String::from_utf8_lossy(&body).into_owned())
    }

    fn spans(&self) -> Vec<SpanData> {
        common::trace(self.trace_id)
    }
}

fn report(body: &str) -> HashMap<&str, &str> {
    body.lines().filter_map(|line| line.split_once('=')).collect()
}

fn kind<'a>(spans: &'a [SpanData], kind: SpanKind, name: &str) -> &'a SpanData {
    let found: Vec<&SpanData> = spans.iter().filter(|s| s.kind == kind && s.name == name).collect();
    assert_eq!(
        found.len(),
        1,
        "one {kind:?} span {name:?} in {:?}",
        common::names(spans)
    );
    found[0]
}

fn attr<'a>(span: &'a SpanData, key: &str) -> &'a Value {
    span.attribute(key)
        .unwrap_or_else(|| panic!("{} has no {key}: {:?}", span.name, span.attributes))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_trace_across_two_services() {
    let b = service_b().await;
    let a = service_a(b).await;
    let caller = Caller::new();

    let (status, headers, body) = caller.get(a, "/checkout/sku-42").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(headers["x-trace-id"], caller.trace_id.to_string().as_str());

    let spans = caller.spans();
    assert_eq!(spans.len(), 4, "{:?}", common::names(&spans));
    assert!(
        spans.iter().all(|s| s.trace_id() == caller.trace_id),
        "one trace id end to end"
    );
    let a_server = kind(&spans, SpanKind::Server, "GET /checkout/{sku}");
    let a_client = kind(&spans, SpanKind::Client, "GET");
    let b_server = kind(&spans, SpanKind::Server, "GET /stock/{sku}");
    let lookup = kind(&spans, SpanKind::Internal, "lookup_stock");

    // The tree: caller -> A SERVER -> A CLIENT -> B SERVER -> lookup_stock.
    assert_eq!(a_server.parent_span_id, Some(caller.span_id));
    assert!(a_server.parent_is_remote);
    common::assert_child_of(a_client, a_server);
    assert!(!a_client.parent_is_remote);
    common::assert_child_of(b_server, a_client);
    assert!(b_server.parent_is_remote);
    common::assert_child_of(lookup, b_server);

    // B's handler ran with its SERVER span current...
    let seen = report(&body);
    assert_eq!(seen["span"], b_server.span_id().to_string());
    // ...and received the trace state and the baggage intact.
    assert_eq!(seen["tracestate"], "caller=abc,vendor@acme=x1");
    assert_eq!(seen["baggage"], "tenant=acme,user=al%20ice;ttl=60");
    assert_eq!((seen["tenant"], seen["user"]), ("acme", "al ice"));
    for span in [a_server, a_client, b_server] {
        assert_eq!(
            span.context.trace_state().header(),
            "caller=abc,vendor@acme=x1",
            "{}",
            span.name
        );
        assert!(span.context.is_sampled());
        assert_eq!(span.status, Status::Unset, "{}", span.name);
    }

    // Server semantic conventions.
    assert_eq!(attr(a_server, "http.request.method"), &Value::from("GET"));
    assert_eq!(attr(a_server, "url.path"), &Value::from("/checkout/sku-42"));
    assert_eq!(attr(a_server, "url.scheme"), &Value::from("http"));
    assert_eq!(attr(a_server, "http.route"), &Value::from("/checkout/{sku}"));
    assert_eq!(attr(a_server, "http.response.status_code"), &Value::from(200));
    assert_eq!(attr(a_server, "server.address"), &Value::from("127.0.0.1"));
    assert_eq!(attr(a_server, "server.port"), &Value::from(a.port()));
    assert_eq!(attr(a_server, "user_agent.original"), &Value::from("checkout-test/1.0"));
    assert_eq!(attr(a_server, "network.protocol.version"), &Value::from("1.1"));
    assert_eq!(attr(b_server, "http.route"), &Value::from("/stock/{sku}"));
    assert_eq!(attr(b_server, "user_agent.original"), &Value::from("service-a"));
    assert_eq!(attr(b_server, "server.port"), &Value::from(b.port()));

    // Client semantic conventions.
    assert_eq!(attr(a_client, "http.request.method"), &Value::from("GET"));
    assert_eq!(
        attr(a_client, "url.full"),
        &Value::from(format!("http://{b}/stock/sku-42"))
    );
    assert_eq!(attr(a_client, "server.address"), &Value::from("127.0.0.1"));
    assert_eq!(attr(a_client, "server.port"), &Value::from(b.port()));
    assert_eq!(attr(a_client, "http.response.status_code"), &Value::from(200));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_500_from_b_marks_the_spans_as_errors() {
    let b = service_b().await;
    let a = service_a(b).await;
    let caller = Caller::new();

    let (status, headers, body) = caller.get(a, "/checkout/broken").await;
    assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR);
    assert_eq!(body, "stock is down");
    assert_eq!(
        headers["x-trace-id"],
        caller.trace_id.to_string().as_str(),
        "also on errors"
    );

    let spans = caller.spans();
    assert_eq!(spans.len(), 3, "{:?}", common::names(&spans));
    let a_server = kind(&spans, SpanKind::Server, "GET /checkout/{sku}");
    let a_client = kind(&spans, SpanKind::Client, "GET");
    let b_server = kind(&spans, SpanKind::Server, "GET /stock/{sku}");
    common::assert_child_of(b_server, a_client);
    for span in [a_server, a_client, b_server] {
        assert_eq!(span.status, Status::error("HTTP 500"), "{}", span.name);
        assert_eq!(attr(span, "http.response.status_code"), &Value::from(500));
        assert_eq!(attr(span, "error.type"), &Value::from("500"));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_panic_in_b_marks_the_spans_as_errors() {
    let b = service_b().await;
    let a = service_a(b).await;
    let caller = Caller::new();

    let (status, _, _) = caller.get(a, "/checkout/panic").await;
    assert_eq!(status, StatusCode::BAD_GATEWAY, "B dropped the connection");

    let spans = caller.spans();
    let a_server = kind(&spans, SpanKind::Server, "GET /checkout/{sku}");
    let a_client = kind(&spans, SpanKind::Client, "GET");
    let b_server = kind(&spans, SpanKind::Server, "GET /stock/{sku}");
    common::assert_child_of(b_server, a_client);
    assert_eq!(b_server.status, Status::error("panicked"));
    assert!(b_server.event("exception").is_some());
    assert!(a_client.status.is_error(), "the client saw the connection fail");
    assert!(
        attr(a_client, "error.type")
            .as_str()
            .is_some_and(|t| t.contains("hyper_util"))
    );
    assert_eq!(a_server.status, Status::error("HTTP 502"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn excluded_paths_produce_no_spans() {
    let b = service_b().await;
    let a = service_a(b).await;
    let caller = Caller::new();

    for (addr, path) in [(a, "/health"), (b, "/health"), (b, "/metrics"), (b, "/metrics/cpu")] {
        let (status, headers, _) = caller.get(addr, path).await;
        assert_ne!(status, StatusCode::INTERNAL_SERVER_ERROR, "{path}");
        assert!(
            !headers.contains_key("x-trace-id"),
            "{path}: no span, no trace id header"
        );
    }
    assert!(caller.spans().is_empty(), "{:?}", common::names(&caller.spans()));

    // A traced path on the same service still is.
    let (status, _, _) = caller.get(a, "/checkout/sku-1").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(caller.spans().len(), 4);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_request_without_context_starts_a_new_trace() {
    let b = service_b().await;
    let a = service_a(b).await;
    common::exporter();
    for traceparent in [
        None,
        Some("00-00000000000000000000000000000000-00f067aa0ba902b7-01"),
        Some("garbage"),
    ] {
        let mut request = Request::get(format!("http://{a}/checkout/sku-7"));
        if let Some(value) = traceparent {
            request = request.header("traceparent", value);
        }
        let response = http_client()
            .request(request.body(Empty::new()).unwrap())
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        let trace_id: TraceId = response.headers()["x-trace-id"].to_str().unwrap().parse().unwrap();
        let spans = common::trace(trace_id);
        let a_server = kind(&spans, SpanKind::Server, "GET /checkout/{sku}");
        assert_eq!(a_server.parent_span_id, None, "{traceparent:?}: a new root");
        assert_eq!(spans.len(), 4, "{traceparent:?}: B joined the new trace");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_layers_work_on_plain_tower_services() {
    // A service error (not a response) is an error too; the path is the
    // name when there is no route; an unsampled caller is not recorded.
    let (_, spans) = {
        common::exporter();
        let root = tracer::Span::root("test_root");
        let trace_id = root.trace_id().unwrap();
        let service = TracingLayer::new().layer(tower::service_fn(|_: Request<()>| async {
            Err::<Response<()>, _>(std::io::Error::other("backend unavailable"))
        }));
        let error = tracer::FutureExt::in_span(service.oneshot(Request::get("/raw/path").body(()).unwrap()), root)
            .await
            .unwrap_err();
        assert_eq!(error.to_string(), "backend unavailable");
        ((), common::trace(trace_id))
    };
    let server = kind(&spans, SpanKind::Server, "GET /raw/path");
    assert_eq!(server.status, Status::error("backend unavailable"));
    assert_eq!(attr(server, "error.type"), &Value::from("std::io::error::Error"));
    assert_eq!(server.attribute("http.route"), None);

    let ok = tower::service_fn(|_: Request<()>| async { Ok::<_, Infallible>(Response::new(())) });
    let unsampled = TraceId::random();
    let request = Request::get("/x")
        .header("traceparent", format!("00-{unsampled}-00f067aa0ba902b7-00"))
        .body(())
        .unwrap();
    let response = TracingLayer::new()
        .trace_id_header("x-trace-id")
        .layer(ok)
        .oneshot(request)
        .await
        .unwrap();
    assert_eq!(response.headers()["x-trace-id"], unsampled.to_string().as_str());
    assert!(
        common::trace(unsampled).is_empty(),
        "the caller did not sample: not recorded"
    );
}
