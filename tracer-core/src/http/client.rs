//! The client layer: a CLIENT span per outgoing request, its context
//! injected into the request.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use http::{Request, Response};
use pin_project_lite::pin_project;
use tower_layer::Layer;
use tower_service::Service;

use super::client_attributes;
use crate::future::{Instrumented, OutputRecorder};
use crate::model::SpanKind;
use crate::propagation::{self, Baggage, PropagationContext};
use crate::span::Span;
use crate::span::current_context;

/// A tower layer for HTTP clients: each request gets a CLIENT span (a
/// child of the current span, named after the method) with the HTTP client
/// attributes, and carries that span's context and the current baggage in
/// its headers (with the [global propagator](crate::propagation::global_propagator)),
/// replacing any `traceparent` already there.
///
/// A 4xx or 5xx response, an error from the inner client, or a panic sets
/// the error status. The span ends when the response head arrives.
///
/// ```
/// use tower_layer::Layer;
/// use tracer_core::http::ClientTracingLayer;
///
/// // With hyper-util:
/// // let client = Client::builder(TokioExecutor::new()).build_http::<Full<Bytes>>();
/// // let client = ClientTracingLayer::new().layer(client);
/// // let response = client.oneshot(request).await?;
/// let layer = ClientTracingLayer::new();
/// # let _ = layer;
/// ```
#[derive(Clone, Copy, Debug, Default)]
pub struct ClientTracingLayer {
    _private: (),
}

impl ClientTracingLayer {
    /// The layer.
    ///
    /// ```
    /// let layer = tracer_core::http::ClientTracingLayer::new();
    /// # let _ = layer;
    /// ```
    pub fn new() -> ClientTracingLayer {
        ClientTracingLayer::default()
    }
}

impl<S> Layer<S> for ClientTracingLayer {
    type Service = ClientTracingService<S>;

    fn layer(&self, inner: S) -> ClientTracingService<S> {
        ClientTracingService { inner }
    }
}

/// The service made by [`ClientTracingLayer`].
///
/// ```
/// use tower_layer::Layer;
/// use tracer_core::http::{ClientTracingLayer, ClientTracingService};
///
/// #[derive(Clone)]
/// struct MyClient;
/// let client: ClientTracingService<MyClient> = ClientTracingLayer::new().layer(MyClient);
/// assert!(matches!(client.get_ref(), MyClient));
/// ```
#[derive(Clone, Debug)]
pub struct ClientTracingService<S> {
    inner: S,
}

impl<S> ClientTracingService<S> {
    /// The wrapped client.
    ///
    /// ```
    /// use tower_layer::Layer;
    /// let client = tracer_core::http::ClientTracingLayer::new().layer(7u8);
    /// assert_eq!(*client.get_ref(), 7);
    /// ```
    pub fn get_ref(&self) -> &S {
        &self.inner
    }
}

impl<S, ReqBody, ResBody> Service<Request<ReqBody>> for ClientTracingService<S>
where
    S: Service<Request<ReqBody>, Response = Response<ResBody>>,
    S::Error: fmt::Display,
{
    type Response = Response<ResBody>;
    type Error = S::Error;
    type Future = ClientResponseFuture<S::Future>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), S::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut request: Request<ReqBody>) -> ClientResponseFuture<S::Future> {
        let (name, attributes) = client_attributes(request.method(), request.uri(), request.version());
        let span = Span::builder(name)
            .kind(SpanKind::Client)
            .attributes(attributes)
            .start();
        // Without a recorded span (no provider), pass the current context on.
        let context = PropagationContext::new(span.context().or_else(current_context), Baggage::current());
        propagation::inject(&context, request.headers_mut());
        let future = span.in_scope(|| self.inner.call(request));
        ClientResponseFuture {
            inner: Instrumented::new(future, span, ClientRecorder),
        }
    }
}

/// Records the outcome of a request on its CLIENT span.
struct ClientRecorder;

impl<B, E: fmt::Display> OutputRecorder<Result<Response<B>, E>> for ClientRecorder {
    fn record(self, output: &Result<Response<B>, E>, span: &Span) {
        super::record_outcome(output, span, |status| {
            status.is_client_error() || status.is_server_error()
        });
    }
}

pin_project! {
    /// The response future of [`ClientTracingService`].
    ///
    /// ```
    /// fn assert_future<F: std::future::Future>() {}
    /// type Inner = std::future::Ready<Result<http::Response<()>, std::convert::Infallible>>;
    /// assert_future::<tracer_core::http::ClientResponseFuture<Inner>>();
    /// ```
    pub struct ClientResponseFuture<F> {
        #[pin]
        inner: Instrumented<F, ClientRecorder>,
    }
}

impl<F, B, E> Future for ClientResponseFuture<F>
where
    F: Future<Output = Result<Response<B>, E>>,
    E: fmt::Display,
{
    type Output = Result<Response<B>, E>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        self.project().inner.poll(cx)
    }
}
