//! HTTP middleware: one trace across services (feature `tower`).
//!
//! # The model
//!
//! An HTTP request crossing services produces, in each service:
//!
//! - a **SERVER** span, started by [`TracingLayer`] when the request
//!   arrives. Its parent is the caller's span, read from the request's
//!   `traceparent` (and `tracestate`, and `baggage`) headers with the
//!   global propagator. It is current while the handler runs, so
//!   `#[trace]` functions and [`current_span()`](crate::current_span) in
//!   the handler join it, and the inbound baggage is
//!   [current](crate::propagation::Baggage::current) too.
//! - a **CLIENT** span for each outgoing request, started by
//!   [`ClientTracingLayer`] as a child of whatever is current (the SERVER
//!   span, or a span of the handler). The layer writes the CLIENT span's
//!   context and the current baggage into the outgoing request, so the
//!   next service's SERVER span becomes its child.
//!
//! ```text
//! A: SERVER "GET /checkout"
//! └─ A: CLIENT "GET"                 traceparent: 00-<trace>-<client span>-01
//!    └─ B: SERVER "GET /stock/{sku}"
//! ```
//!
//! Both layers are plain tower layers over `http::Request` and
//! `http::Response`, so they work with axum, hyper (through
//! `hyper_util::service::TowerToHyperService`), tonic and any tower
//! client (such as `hyper_util`'s `Client`).
//!
//! # Server
//!
//! ```
//! # #[cfg(feature = "axum")]
//! # fn main() {
//! use axum::{routing::get, Router};
//! use tracer_core::http::TracingLayer;
//!
//! let app: Router = Router::new()
//!     .route("/users/{id}", get(|| async { "user" }))
//!     .route("/health", get(|| async { "ok" }))
//!     .layer(
//!         TracingLayer::new()
//!             .excluded_paths(["/health", "/metrics/*"])
//!             .trace_id_header("x-trace-id"),
//!     );
//! # }
//! # #[cfg(not(feature = "axum"))]
//! # fn main() {}
//! ```
//!
//! With `Router::layer` (or `route_layer`) the layer runs after routing,
//! so with the `axum` feature the span is named after the route template:
//! `GET /users/{id}`. Wrapped around the whole router, or without the
//! `axum` feature, it uses the request path: `GET /users/42`.
//!
//! # Client
//!
//! - [`ClientTracingLayer`] around any tower HTTP client: a CLIENT span
//!   per request, with the context injected.
//! - [`inject_request`](crate::propagation::inject_request) / [`inject_context`](crate::propagation::inject_context)
//!   (on a `HeaderMap`) inject the current context into a request you
//!   build yourself.
//! - With reqwest, one line sends the current context:
//!
//! ```ignore
//! let response = client.get(url).headers(tracer::propagation::current_headers()).send().await?;
//! ```
//!
//! That continues the trace from the current span; for a CLIENT span of
//! its own, start one with [`client_span`] and make it current around the
//! call:
//!
//! ```ignore
//! use tracer::FutureExt;
//! let span = tracer::http::client_span(&http::Method::GET, &"http://b.internal/stock".parse()?);
//! let headers = span.in_scope(tracer::propagation::current_headers);
//! let response = client.get(url).headers(headers).send().in_span(span).await?;
//! ```
//!
//! # Semantic conventions
//!
//! The spans carry the OpenTelemetry HTTP attributes. Server:
//! `http.request.method`, `url.path`, `url.scheme`, `http.route` (when
//! the route is known), `server.address`, `server.port`,
//! `user_agent.original`, `network.protocol.version` and
//! `http.response.status_code`. Client: `http.request.method`,
//! `url.full` (user info redacted), `server.address`, `server.port`,
//! `network.protocol.version` and `http.response.status_code`. A method
//! outside the standard ones is recorded as `_OTHER`, with
//! `http.request.method_original`.
//!
//! Errors: a SERVER span is an error on a 5xx response; a CLIENT span on a
//! 4xx or 5xx response. Both are errors when the inner service returns an
//! error (`error.type` is then the error's type name; for status codes it
//! is the code) or panics (`panicked`).

use std::fmt;

use http::{Method, Response, StatusCode, Uri, Version};

use crate::model::KeyValue;
use crate::model::{SpanKind, Status};
use crate::span::Span;

mod client;
mod server;

/// Records an HTTP call's outcome on its span: the response status, or the
/// service's error. `failed` says which statuses are errors (OpenTelemetry's
/// HTTP conventions: 5xx for a server, 4xx and 5xx for a client).
pub(crate) fn record_outcome<B, E: fmt::Display>(
    output: &Result<Response<B>, E>,
    span: &Span,
    failed: fn(StatusCode) -> bool,
) {
    match output {
        Ok(response) => {
            let status = response.status();
            span.set_attribute("http.response.status_code", status.as_u16());
            if failed(status) {
                span.set_attribute("error.type", status.as_str().to_string());
                span.set_status(Status::error(format!("HTTP {}", status.as_u16())));
            }
        }
        Err(error) => {
            span.set_attribute("error.type", std::any::type_name::<E>());
            span.set_status(Status::error(error.to_string()));
        }
    }
}

pub use client::{ClientResponseFuture, ClientTracingLayer, ClientTracingService};
#[cfg(feature = "tonic")]
pub(crate) use server::server_address;
pub use server::{ResponseFuture, TracingLayer, TracingService};

/// The `http.request.method` value: the standard methods as they are,
/// anything else `_OTHER`.
fn method_name(method: &Method) -> &'static str {
    match *method {
        Method::GET => "GET",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::DELETE => "DELETE",
        Method::HEAD => "HEAD",
        Method::OPTIONS => "OPTIONS",
        Method::PATCH => "PATCH",
        Method::TRACE => "TRACE",
        Method::CONNECT => "CONNECT",
        _ => "_OTHER",
    }
}

/// `http.request.method` (and `http.request.method_original` for a
/// non-standard method).
fn method_attributes(method: &Method, attributes: &mut Vec<KeyValue>) -> &'static str {
    let name = method_name(method);
    attributes.push(KeyValue::new("http.request.method", name));
    if name == "_OTHER" {
        attributes.push(KeyValue::new(
            "http.request.method_original",
            method.as_str().to_string(),
        ));
    }
    name
}

/// `network.protocol.version`.
fn protocol_version(version: Version) -> Option<&'static str> {
    match version {
        Version::HTTP_09 => Some("0.9"),
        Version::HTTP_10 => Some("1.0"),
        Version::HTTP_11 => Some("1.1"),
        Version::HTTP_2 => Some("2"),
        Version::HTTP_3 => Some("3"),
        _ => None,
    }
}

/// The URI with any user info replaced, as `url.full` must be.
fn redacted_url(uri: &Uri) -> String {
    match uri.authority() {
        Some(authority) if authority.as_str().contains('@') => {
            let host_port = authority.as_str().rsplit_once('@').map_or("", |(_, h)| h);
            let mut out = String::new();
            if let Some(scheme) = uri.scheme_str() {
                out.push_str(scheme);
                out.push_str("://");
            }
            out.push_str("REDACTED:REDACTED@");
            out.push_str(host_port);
            out.push_str(uri.path_and_query().map_or("", |pq| pq.as_str()));
            out
        }
        _ => uri.to_string(),
    }
}

/// The client attributes of a request to `uri`.
pub(crate) fn client_attributes(method: &Method, uri: &Uri, version: Version) -> (&'static str, Vec<KeyValue>) {
    let mut attributes = Vec::with_capacity(6);
    let name = method_attributes(method, &mut attributes);
    attributes.push(KeyValue::new("url.full", redacted_url(uri)));
    if let Some(host) = uri.host() {
        attributes.push(KeyValue::new("server.address", host.to_string()));
    }
    let port = uri.port_u16().or(match uri.scheme_str() {
        Some("http") => Some(80),
        Some("https") => Some(443),
        _ => None,
    });
    if let Some(port) = port {
        attributes.push(KeyValue::new("server.port", port));
    }
    if let Some(version) = protocol_version(version) {
        attributes.push(KeyValue::new("network.protocol.version", version));
    }
    (name, attributes)
}

/// Starts (without making it current) a CLIENT span for a request, named
/// after the method, with the HTTP client attributes. For clients that the
/// [`ClientTracingLayer`] cannot wrap; set `http.response.status_code`
/// yourself when the response arrives.
///
/// ```
/// use tracer_core::http::client_span;
/// use tracer_core::propagation::current_headers;
///
/// # let _tracer = tracer_core::TracerProvider::builder().install().unwrap();
/// let uri: http::Uri = "http://127.0.0.1:8080/stock/42".parse().unwrap();
/// let span = client_span(&http::Method::GET, &uri);
/// let headers = span.in_scope(current_headers);
/// // A trace tracer starts is sampled (`01`) and has a random trace id (`02`).
/// let expected = format!("00-{}-{}-03", span.trace_id().unwrap(), span.span_id().unwrap());
/// assert_eq!(headers["traceparent"], expected.as_str());
/// // ... send the request with `headers`, then:
/// span.set_attribute("http.response.status_code", 200);
/// ```
pub fn client_span(method: &Method, uri: &Uri) -> Span {
    let (name, attributes) = client_attributes(method, uri, Version::HTTP_11);
    Span::builder(name)
        .kind(SpanKind::Client)
        .attributes(attributes)
        .start()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn url_user_info_is_redacted() {
        let uri: Uri = "https://user:secret@example.com:8443/a?b=c".parse().unwrap();
        assert_eq!(redacted_url(&uri), "https://REDACTED:REDACTED@example.com:8443/a?b=c");
        let uri: Uri = "http://example.com/a".parse().unwrap();
        assert_eq!(redacted_url(&uri), "http://example.com/a");
    }

    #[test]
    fn non_standard_methods_are_other() {
        let mut attributes = Vec::new();
        let method = Method::from_bytes(b"PURGE").unwrap();
        assert_eq!(method_attributes(&method, &mut attributes), "_OTHER");
        assert_eq!(attributes[1], KeyValue::new("http.request.method_original", "PURGE"));
    }
}
