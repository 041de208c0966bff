//! The client layer: a CLIENT span per call, its context in the call's
//! metadata.

use std::fmt;
use std::sync::Arc;
use std::task::{Context, Poll};

use http::{Request, Response};
use tower_layer::Layer;
use tower_service::Service;

use super::body::GrpcBody;
use super::future::GrpcResponseFuture;
use crate::model::{KeyValue, SpanKind};
use crate::propagation::{self, Baggage, PropagationContext};
use crate::span::{Span, current_context};

/// A tower layer for gRPC clients (around a `tonic::transport::Channel`):
/// each call gets a CLIENT span named `package.Service/Method`, a child of
/// the current span, whose context and the current baggage go into the
/// call's metadata (with the
/// [global propagator](crate::propagation::global_propagator)). The span
/// ends with the call's `grpc-status`. See the [module docs](super).
///
/// tonic's generated clients send request URIs without the server's
/// address (the channel adds it, inside): give it with
/// [`server_address`](Self::server_address) for the `server.address` and
/// `server.port` attributes, or build the client `with_origin`.
///
/// Available with the `tonic` feature.
///
/// ```
/// use tracer_core::grpc::GrpcClientLayer;
///
/// // tower::ServiceBuilder::new().layer(GrpcClientLayer::new().server_address("inventory", 50051)).service(channel)
/// let layer = GrpcClientLayer::new().server_address("inventory", 50051);
/// # let _ = layer;
/// ```
#[derive(Clone, Debug, Default)]
pub struct GrpcClientLayer {
    server: Option<Arc<(String, u16)>>,
}

impl GrpcClientLayer {
    /// The layer.
    ///
    /// ```
    /// let layer = tracer_core::grpc::GrpcClientLayer::new();
    /// # let _ = layer;
    /// ```
    pub fn new() -> GrpcClientLayer {
        GrpcClientLayer::default()
    }

    /// The server's host and port, recorded as `server.address` and
    /// `server.port` on calls whose URI has no authority.
    ///
    /// ```
    /// let layer = tracer_core::grpc::GrpcClientLayer::new().server_address("127.0.0.1", 50051);
    /// # let _ = layer;
    /// ```
    pub fn server_address(mut self, host: impl Into<String>, port: u16) -> GrpcClientLayer {
        self.server = Some(Arc::new((host.into(), port)));
        self
    }
}

impl<S> Layer<S> for GrpcClientLayer {
    type Service = GrpcClientService<S>;

    fn layer(&self, inner: S) -> GrpcClientService<S> {
        GrpcClientService {
            inner,
            server: self.server.clone(),
        }
    }
}

/// The service made by [`GrpcClientLayer`].
///
/// Available with the `tonic` feature.
///
/// ```
/// use tower_layer::Layer;
/// use tracer_core::grpc::{GrpcClientLayer, GrpcClientService};
///
/// #[derive(Clone)]
/// struct Channel;
/// let client: GrpcClientService<Channel> = GrpcClientLayer::new().layer(Channel);
/// # let _ = client;
/// ```
#[derive(Clone, Debug)]
pub struct GrpcClientService<S> {
    inner: S,
    server: Option<Arc<(String, u16)>>,
}

impl<S, ReqBody, ResBody> Service<Request<ReqBody>> for GrpcClientService<S>
where
    S: Service<Request<ReqBody>, Response = Response<ResBody>>,
    S::Error: fmt::Display,
{
    type Response = Response<GrpcBody<ResBody>>;
    type Error = S::Error;
    type Future = GrpcResponseFuture<S::Future>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), S::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut request: Request<ReqBody>) -> Self::Future {
        let mut attributes = Vec::with_capacity(6);
        let name = super::rpc_attributes(request.uri().path(), &mut attributes);
        if !super::address_attributes(request.uri(), &mut attributes) {
            if let Some(server) = &self.server {
                attributes.push(KeyValue::new("server.address", server.0.clone()));
                attributes.push(KeyValue::new("server.port", server.1));
            }
        }
        let span = Span::builder(name)
            .kind(SpanKind::Client)
            .attributes(attributes)
            .start();
        // Without a recorded span (no provider), pass the current context on.
        let context = PropagationContext::new(span.context().or_else(current_context), Baggage::current());
        propagation::inject(&context, request.headers_mut());
        let future = span.in_scope(|| self.inner.call(request));
        GrpcResponseFuture::new(future, span)
    }
}
