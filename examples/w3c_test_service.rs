//! The service under test for the official W3C Trace Context test suite
//! (the Python harness in the `test/` folder of the w3c/trace-context
//! repository).
//!
//! The harness POSTs a JSON array of `{"url": ..., "arguments": ...}` to
//! this service's `/test`, with trace context headers. For each element,
//! the service POSTs `arguments` (as JSON) to `url`, so the harness can
//! check the `traceparent` and `tracestate` that tracer sends on. The
//! service is an axum app behind `TracingLayer`, calling out through a
//! hyper client behind `ClientTracingLayer`: the same path a real service
//! takes.
//!
//! ```text
//! cargo run --example w3c_test_service --features axum              # 127.0.0.1:5000
//! cargo run --example w3c_test_service --features axum -- 127.0.0.1:5001
//! # in the harness's test/ folder (pip install aiohttp):
//! STRICT_LEVEL=2 SPEC_LEVEL=2 python test.py http://127.0.0.1:5000/test
//! ```
//!
//! It listens on a loopback address only and calls only loopback URLs (the
//! harness's), and runs until it is stopped.

use std::net::SocketAddr;
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{Request, StatusCode, Uri, header};
use axum::response::IntoResponse;
use axum::routing::post;
use http_body_util::Full;
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use serde_json::Value;
use tower::{Layer, ServiceExt};
use tracer::TracerProvider;
use tracer::http::{ClientTracingLayer, ClientTracingService, TracingLayer};

type TracedClient = ClientTracingService<Client<HttpConnector, Full<Bytes>>>;

/// The harness waits 5 s for each callback; a call never takes longer.
const CALL_TIMEOUT: Duration = Duration::from_secs(5);

/// Whether `uri` points at this machine: the harness runs on loopback, and
/// the service calls nothing else.
fn is_loopback(uri: &Uri) -> bool {
    match uri.host() {
        Some("localhost") => true,
        Some(host) => host
            .trim_start_matches('[')
            .trim_end_matches(']')
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback()),
        None => false,
    }
}

/// POSTs `arguments` to `url` through the traced client; the outcome, for
/// the response body.
async fn call(client: &TracedClient, url: &str, arguments: &Value) -> Result<u16, String> {
    let uri: Uri = url.parse().map_err(|e| format!("bad url {url:?}: {e}"))?;
    if !is_loopback(&uri) {
        return Err(format!("{url} is not a loopback address; not called"));
    }
    let request = Request::post(uri)
        .header(header::CONTENT_TYPE, "application/json")
        .header(header::ACCEPT, "application/json")
        .body(Full::new(Bytes::from(arguments.to_string())))
        .map_err(|e| e.to_string())?;
    match tokio::time::timeout(CALL_TIMEOUT, client.clone().oneshot(request)).await {
        Ok(Ok(response)) => Ok(response.status().as_u16()),
        Ok(Err(error)) => Err(error.to_string()),
        Err(_) => Err(format!("{url} did not answer in {CALL_TIMEOUT:?}")),
    }
}

/// `POST /test`: one call per element of the body, in order.
async fn test(State(client): State<TracedClient>, body: Bytes) -> impl IntoResponse {
    let actions = match serde_json::from_slice::<Value>(&body) {
        Ok(Value::Array(actions)) => actions,
        Ok(Value::Null) => Vec::new(),
        Ok(other) => vec![other],
        Err(error) => {
            return (
                StatusCode::BAD_REQUEST,
                format!("{{\"error\":{:?}}}", error.to_string()),
            );
        }
    };
    let mut results = Vec::with_capacity(actions.len());
    for action in &actions {
        let Some(url) = action.get("url").and_then(Value::as_str) else {
            results.push(serde_json::json!({"error": "no url"}));
            continue;
        };
        let arguments = action.get("arguments").cloned().unwrap_or(Value::Array(Vec::new()));
        results.push(match call(&client, url, &arguments).await {
            Ok(status) => serde_json::json!({"url": url, "status": status}),
            Err(error) => serde_json::json!({"url": url, "error": error}),
        });
    }
    (StatusCode::OK, Value::Array(results).to_string())
}

#[tokio::main]
async fn main() {
    let addr: SocketAddr = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:5000".to_string())
        .parse()
        .expect("an address such as 127.0.0.1:5000");
    assert!(addr.ip().is_loopback(), "the test service listens on loopback only");

    // Spans are made (so that parent ids change and flags are decided) and
    // dropped: the suite checks headers, not exported spans.
    let _tracer = TracerProvider::builder()
        .service_name("w3c-test-service")
        .install()
        .expect("the only provider");

    let client = ClientTracingLayer::new().layer(Client::builder(TokioExecutor::new()).build_http());
    let app = Router::new()
        .route("/test", post(test))
        .layer(TracingLayer::new())
        .with_state(client);
    let listener = tokio::net::TcpListener::bind(addr).await.expect("a free loopback port");
    println!("W3C test service on http://{addr}/test");
    axum::serve(listener, app).await.expect("the server runs");
}
