//! gRPC middleware: SERVER and CLIENT spans for tonic services and clients
//! (feature `tonic`).
//!
//! gRPC runs over HTTP/2, so the layers are tower layers over
//! `http::Request` and `http::Response`, like the [HTTP ones](crate::http):
//!
//! - [`GrpcServerLayer`] (for `tonic::transport::Server::builder().layer(..)`)
//!   starts a SERVER span per call, a child of the caller's span read from
//!   the call's metadata (`traceparent`, `tracestate`, `baggage`, with the
//!   [global propagator](crate::propagation::global_propagator)). It is
//!   current while the handler runs and while a response stream is
//!   produced, and the inbound baggage is current too.
//! - [`GrpcClientLayer`] (around a `tonic::transport::Channel`, with
//!   `tower::ServiceBuilder`) starts a CLIENT span per call, a child of the
//!   current span, and writes its context and the current baggage into the
//!   call's metadata, so the server's span becomes its child.
//!
//! Spans are named after the method, `package.Service/Method`, and carry
//! `rpc.system = "grpc"`, `rpc.service`, `rpc.method`,
//! `rpc.grpc.status_code`, `server.address` and `server.port`.
//!
//! A call's status is `grpc-status`: in the response headers for a call
//! that fails at once (a "trailers-only" response), otherwise in the
//! trailers after the last message. So a span ends when the response body
//! ends, after every message of a stream, not when the headers arrive (or
//! when the body is dropped unfinished). A status other than 0 (`OK`) sets
//! the error status, with `grpc-message` as its message; so do a response
//! that is not HTTP 200, an error from the inner service, and a panic.
//!
//! ```no_run
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! use tracer_core::grpc::{GrpcClientLayer, GrpcServerLayer};
//! # #[cfg(any())] {
//! // Server:
//! tonic::transport::Server::builder()
//!     .layer(GrpcServerLayer::new())
//!     .add_service(GreeterServer::new(MyGreeter))
//!     .serve("127.0.0.1:50051".parse()?)
//!     .await?;
//! // Client:
//! let channel = tonic::transport::Endpoint::from_static("http://127.0.0.1:50051").connect().await?;
//! let channel = tower::ServiceBuilder::new()
//!     .layer(GrpcClientLayer::new().server_address("127.0.0.1", 50051))
//!     .service(channel);
//! let mut client = GreeterClient::new(channel);
//! # }
//! let _layers = (GrpcServerLayer::new(), GrpcClientLayer::new());
//! # Ok(())
//! # }
//! ```

use http::{HeaderMap, Uri};

use crate::model::{KeyValue, Status};
use crate::span::Span;

mod body;
mod client;
mod future;
mod server;

pub use body::GrpcBody;
pub use client::{GrpcClientLayer, GrpcClientService};
pub use future::GrpcResponseFuture;
pub use server::{GrpcServerLayer, GrpcServerService};

/// The span name and the `rpc.*` attributes of a call to `path`
/// (`/package.Service/Method`).
fn rpc_attributes(path: &str, attributes: &mut Vec<KeyValue>) -> String {
    attributes.push(KeyValue::new("rpc.system", "grpc"));
    let name = path.strip_prefix('/').unwrap_or(path);
    if let Some((service, method)) = name.split_once('/') {
        attributes.push(KeyValue::new("rpc.service", service.to_string()));
        attributes.push(KeyValue::new("rpc.method", method.to_string()));
    }
    name.to_string()
}

/// `server.address` and `server.port` from a URI that has an authority.
fn address_attributes(uri: &Uri, attributes: &mut Vec<KeyValue>) -> bool {
    let Some(host) = uri.host() else {
        return false;
    };
    attributes.push(KeyValue::new("server.address", host.to_string()));
    let port = uri.port_u16().or(match uri.scheme_str() {
        Some("https") => Some(443),
        Some("http") => Some(80),
        _ => None,
    });
    if let Some(port) = port {
        attributes.push(KeyValue::new("server.port", port));
    }
    true
}

/// Records `grpc-status` (and `grpc-message`) from `headers` (response
/// headers or trailers) on `span`; false when there is none.
fn record_status(span: &Span, headers: &HeaderMap) -> bool {
    let Some(code) = headers
        .get("grpc-status")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<i64>().ok())
    else {
        return false;
    };
    span.set_attribute("rpc.grpc.status_code", code);
    if code != 0 {
        let message = headers
            .get("grpc-message")
            .and_then(|v| v.to_str().ok())
            .map(percent_decode)
            .filter(|m| !m.is_empty())
            .unwrap_or_else(|| format!("gRPC status {code}"));
        span.set_status(Status::error(message));
    }
    true
}

/// `grpc-message` is percent-encoded UTF-8; invalid escapes are kept.
fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let escaped = (bytes[i] == b'%')
            .then(|| text.get(i + 1..i + 3))
            .flatten()
            .and_then(|hex| u8::from_str_radix(hex, 16).ok());
        match escaped {
            Some(byte) => {
                out.push(byte);
                i += 3;
            }
            None => {
                out.push(bytes[i]);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_name_the_service_and_method() {
        let mut attributes = Vec::new();
        let name = rpc_attributes("/helloworld.Greeter/SayHello", &mut attributes);
        assert_eq!(name, "helloworld.Greeter/SayHello");
        assert_eq!(
            attributes,
            [
                KeyValue::new("rpc.system", "grpc"),
                KeyValue::new("rpc.service", "helloworld.Greeter"),
                KeyValue::new("rpc.method", "SayHello"),
            ]
        );
        let mut attributes = Vec::new();
        assert_eq!(rpc_attributes("/odd", &mut attributes), "odd");
        assert_eq!(attributes.len(), 1);
    }

    #[test]
    fn messages_are_percent_decoded() {
        assert_eq!(percent_decode("no%20such%20user"), "no such user");
        assert_eq!(percent_decode("caf%C3%A9"), "café");
        assert_eq!(percent_decode("100%"), "100%");
        assert_eq!(percent_decode("%zz"), "%zz");
    }
}
