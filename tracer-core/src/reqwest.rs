//! CLIENT spans for reqwest, through `reqwest-middleware` (feature
//! `reqwest`).
//!
//! [`TracingMiddleware`] gives each request a CLIENT span, a child of the
//! current span, named after the method and carrying the HTTP client
//! attributes of the [HTTP layers](crate::http) (`http.request.method`,
//! `url.full` with user info redacted, `server.address`, `server.port`,
//! `network.protocol.version`, `http.response.status_code`). The span's
//! context and the current baggage go into the request's headers (with
//! the [global propagator](crate::propagation::global_propagator)), so the
//! server's span becomes its child.
//!
//! The span is an error on a 4xx or 5xx response (as for
//! [`ClientTracingLayer`](crate::http::ClientTracingLayer), following the
//! OpenTelemetry HTTP client conventions: `error.type` is the status code)
//! and when the request fails without a response (`error.type` is
//! `timeout`, `connect` or `request`, and the status message reqwest's
//! error). It ends when the response head arrives.
//!
//! ```
//! use reqwest_middleware::ClientBuilder;
//! use tracer_core::reqwest::TracingMiddleware;
//!
//! let client = ClientBuilder::new(reqwest::Client::new())
//!     .with(TracingMiddleware::new())
//!     .build();
//! // let response = client.get("http://inventory/stock/42").send().await?;
//! # drop(client);
//! ```

use ::reqwest::{Request, Response};
use http::{Extensions, Uri};
use reqwest_middleware::{Middleware, Next};

use crate::future::Instrumented;
use crate::http::client_attributes;
use crate::model::{SpanKind, Status};
use crate::propagation::{self, Baggage, PropagationContext};
use crate::span::{Span, current_context};

/// A `reqwest-middleware` middleware: a CLIENT span per request, its
/// context and the current baggage in the request's headers. See the
/// [module docs](self).
///
/// Available with the `reqwest` feature.
///
/// ```
/// let client = reqwest_middleware::ClientBuilder::new(reqwest::Client::new())
///     .with(tracer_core::reqwest::TracingMiddleware::new())
///     .build();
/// # drop(client);
/// ```
#[derive(Clone, Copy, Debug, Default)]
pub struct TracingMiddleware {
    _private: (),
}

impl TracingMiddleware {
    /// The middleware.
    ///
    /// ```
    /// let middleware = tracer_core::reqwest::TracingMiddleware::new();
    /// # let _ = middleware;
    /// ```
    pub fn new() -> TracingMiddleware {
        TracingMiddleware::default()
    }
}

/// The span for one request.
fn client_span(request: &Request) -> Span {
    let parsed = request.url().as_str().parse::<Uri>();
    let uri = parsed.as_ref().cloned().unwrap_or_default();
    let (name, mut attributes) = client_attributes(request.method(), &uri, request.version());
    if parsed.is_err() {
        // A URL `http` cannot read: keep it as reqwest has it.
        attributes.retain(|kv| kv.key.as_str() != "url.full");
        attributes.push(crate::model::KeyValue::new("url.full", request.url().to_string()));
    }
    Span::builder(name)
        .kind(SpanKind::Client)
        .attributes(attributes)
        .start()
}

/// Records the response's status, or the failure, on the span.
fn record(output: &reqwest_middleware::Result<Response>, span: &Span) {
    match output {
        Ok(response) => {
            let status = response.status();
            span.set_attribute("http.response.status_code", status.as_u16());
            if status.is_client_error() || status.is_server_error() {
                span.set_attribute("error.type", status.as_str().to_string());
                span.set_status(Status::error(format!("HTTP {}", status.as_u16())));
            }
        }
        Err(error) => {
            let kind = match error {
                reqwest_middleware::Error::Reqwest(e) if e.is_timeout() => "timeout",
                reqwest_middleware::Error::Reqwest(e) if e.is_connect() => "connect",
                reqwest_middleware::Error::Reqwest(_) => "request",
                reqwest_middleware::Error::Middleware(_) => "middleware",
            };
            span.set_attribute("error.type", kind);
            span.set_status(Status::error(error.to_string()));
        }
    }
}

#[async_trait::async_trait]
impl Middleware for TracingMiddleware {
    async fn handle(
        &self,
        mut request: Request,
        extensions: &mut Extensions,
        next: Next<'_>,
    ) -> reqwest_middleware::Result<Response> {
        let span = client_span(&request);
        // Without a recorded span (no provider), pass the current context on.
        let context = PropagationContext::new(span.context().or_else(current_context), Baggage::current());
        propagation::inject(&context, request.headers_mut());
        Instrumented::new(next.run(request, extensions), span, record).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spans_carry_the_http_client_attributes() {
        let request = Request::new(
            ::reqwest::Method::GET,
            "http://user:pw@127.0.0.1:8080/stock/42?x=1".parse().unwrap(),
        );
        let uri: Uri = request.url().as_str().parse().unwrap();
        let (name, attributes) = client_attributes(request.method(), &uri, request.version());
        assert_eq!(name, "GET");
        let full = attributes.iter().find(|kv| kv.key.as_str() == "url.full").unwrap();
        assert_eq!(
            full.value,
            crate::model::Value::from("http://REDACTED:REDACTED@127.0.0.1:8080/stock/42?x=1")
        );
    }
}
