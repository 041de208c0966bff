//! The server layer: a SERVER span per call.

use std::fmt;
use std::task::{Context, Poll};

use http::{Request, Response};
use tower_layer::Layer;
use tower_service::Service;

use super::body::GrpcBody;
use super::future::GrpcResponseFuture;
use crate::http::server_address;
use crate::model::SpanKind;
use crate::propagation::{self, BaggageFutureExt, WithBaggage};
use crate::span::Span;

/// A tower layer for gRPC servers (tonic's `Server::builder().layer(..)`):
/// each call gets a SERVER span named `package.Service/Method`, a child of
/// the caller's span from the call's metadata, current (with the inbound
/// baggage) while the handler runs and the response is streamed, and ended
/// with the call's `grpc-status`. See the [module docs](super).
///
/// Available with the `tonic` feature.
///
/// ```
/// use tracer_core::grpc::GrpcServerLayer;
///
/// // tonic::transport::Server::builder().layer(GrpcServerLayer::new()).add_service(...)
/// let layer = GrpcServerLayer::new();
/// # let _ = layer;
/// ```
#[derive(Clone, Copy, Debug, Default)]
pub struct GrpcServerLayer {
    _private: (),
}

impl GrpcServerLayer {
    /// The layer.
    ///
    /// ```
    /// let layer = tracer_core::grpc::GrpcServerLayer::new();
    /// # let _ = layer;
    /// ```
    pub fn new() -> GrpcServerLayer {
        GrpcServerLayer::default()
    }
}

impl<S> Layer<S> for GrpcServerLayer {
    type Service = GrpcServerService<S>;

    fn layer(&self, inner: S) -> GrpcServerService<S> {
        GrpcServerService { inner }
    }
}

/// The service made by [`GrpcServerLayer`].
///
/// Available with the `tonic` feature.
///
/// ```
/// use tower_layer::Layer;
/// use tracer_core::grpc::{GrpcServerLayer, GrpcServerService};
///
/// #[derive(Clone)]
/// struct Routes;
/// let service: GrpcServerService<Routes> = GrpcServerLayer::new().layer(Routes);
/// # let _ = service;
/// ```
#[derive(Clone, Debug)]
pub struct GrpcServerService<S> {
    inner: S,
}

impl<S, ReqBody, ResBody> Service<Request<ReqBody>> for GrpcServerService<S>
where
    S: Service<Request<ReqBody>, Response = Response<ResBody>>,
    S::Error: fmt::Display,
{
    type Response = Response<GrpcBody<ResBody>>;
    type Error = S::Error;
    type Future = GrpcResponseFuture<WithBaggage<S::Future>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), S::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request<ReqBody>) -> Self::Future {
        let remote = propagation::extract(request.headers());
        let mut attributes = Vec::with_capacity(6);
        let name = super::rpc_attributes(request.uri().path(), &mut attributes);
        server_address(&request, &mut attributes);
        let mut builder = Span::builder(name).kind(SpanKind::Server).attributes(attributes);
        if let Some(parent) = remote.span_context {
            builder = builder.parent(parent);
        }
        let span = builder.start();
        let baggage = remote.baggage;
        let future = span.in_scope(|| {
            let _baggage = baggage.clone().attach();
            self.inner.call(request)
        });
        GrpcResponseFuture::new(future.with_baggage(baggage), span)
    }
}
