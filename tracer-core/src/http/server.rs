//! The server layer: a SERVER span per request.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::str::FromStr;
use std::sync::Arc;
use std::task::{Context, Poll, ready};

use http::header::{HOST, HeaderName, HeaderValue, USER_AGENT};
use http::uri::Authority;
use http::{Request, Response};
use pin_project_lite::pin_project;
use tower_layer::Layer;
use tower_service::Service;

use super::{method_attributes, protocol_version};
use crate::future::{Instrumented, OutputRecorder};
use crate::model::KeyValue;
use crate::model::SpanKind;
use crate::propagation::{self, BaggageFutureExt, WithBaggage};
use crate::span::Span;

#[derive(Clone, Debug, Default)]
struct Config {
    exact: Vec<String>,
    /// `(prefix, segment)`: a segment prefix matches itself and what
    /// follows a `/`; a raw prefix matches any continuation.
    prefixes: Vec<(String, bool)>,
    trace_id_header: Option<HeaderName>,
}

impl Config {
    fn is_excluded(&self, path: &str) -> bool {
        self.exact.iter().any(|p| p == path)
            || self
                .prefixes
                .iter()
                .any(|(prefix, segment)| match path.strip_prefix(prefix.as_str()) {
                    None => false,
                    Some(rest) => !segment || rest.is_empty() || rest.starts_with('/') || prefix.ends_with('/'),
                })
    }
}

/// A tower layer that traces each HTTP request as a SERVER span.
///
/// For each request it:
///
/// 1. returns at once, with no span, if the path is excluded;
/// 2. extracts the caller's context (`traceparent`, `tracestate`,
///    `baggage`, with the [global propagator](crate::propagation::global_propagator));
/// 3. starts a SERVER span named `"{METHOD} {route}"`, a child of the
///    caller's span (or of the current span when the request carries
///    none), with the HTTP server attributes (see the [module docs](super));
/// 4. runs the inner service with the span and the inbound baggage current,
///    on every poll;
/// 5. records `http.response.status_code`; a 5xx response, an error from
///    the inner service or a panic sets the error status;
/// 6. optionally adds a response header carrying the trace id.
///
/// The span covers the inner service until it returns the response head;
/// streaming the body is not included.
///
/// Whether the caller's *sampled* flag is honoured is the sampler's
/// choice: see [`ParentBased::remote_parent_sampled`](crate::sampler::ParentBased::remote_parent_sampled).
///
/// ```
/// use tracer_core::http::TracingLayer;
///
/// let layer = TracingLayer::new()
///     .excluded_paths(["/health", "/metrics/*"])
///     .trace_id_header("x-trace-id");
/// assert!(layer.is_excluded("/health"));
/// assert!(layer.is_excluded("/metrics/cpu"));
/// assert!(!layer.is_excluded("/healthz"));
/// ```
#[derive(Clone, Debug, Default)]
pub struct TracingLayer {
    config: Arc<Config>,
}

impl TracingLayer {
    /// A layer tracing every request, with no trace id response header.
    ///
    /// ```
    /// let layer = tracer_core::http::TracingLayer::new();
    /// assert!(!layer.is_excluded("/health"));
    /// ```
    pub fn new() -> TracingLayer {
        TracingLayer::default()
    }

    fn config(&mut self) -> &mut Config {
        Arc::make_mut(&mut self.config)
    }

    /// Excludes paths (`excluded_paths`): an entry is an
    /// exact path (`/health`), or a prefix when it ends in `/*`
    /// (`/metrics/*` excludes `/metrics` and everything under it) or in
    /// `*` (`/static*` excludes every path starting with `/static`).
    /// Excluded requests create no span and no context: the only cost is
    /// this check.
    ///
    /// ```
    /// use tracer_core::http::TracingLayer;
    ///
    /// let layer = TracingLayer::new().excluded_paths(["/health", "/metrics/*", "/static*"]);
    /// assert!(layer.is_excluded("/metrics"));
    /// assert!(!layer.is_excluded("/metricsx"));
    /// assert!(layer.is_excluded("/static-v2/app.js"));
    /// assert!(!layer.is_excluded("/health/deep"));
    /// ```
    pub fn excluded_paths<I, P>(mut self, paths: I) -> TracingLayer
    where
        I: IntoIterator<Item = P>,
        P: Into<String>,
    {
        for path in paths {
            let path: String = path.into();
            if let Some(prefix) = path.strip_suffix("/*") {
                self.config().prefixes.push((prefix.to_string(), true));
            } else if let Some(prefix) = path.strip_suffix('*') {
                self.config().prefixes.push((prefix.to_string(), false));
            } else {
                self.config().exact.push(path);
            }
        }
        self
    }

    /// Excludes one exact path.
    ///
    /// ```
    /// let layer = tracer_core::http::TracingLayer::new().exclude_path("/health");
    /// assert!(layer.is_excluded("/health") && !layer.is_excluded("/health/db"));
    /// ```
    pub fn exclude_path(mut self, path: impl Into<String>) -> TracingLayer {
        self.config().exact.push(path.into());
        self
    }

    /// Excludes a path prefix on a segment boundary: `/metrics` excludes
    /// `/metrics` and `/metrics/...` but not `/metricsx`.
    ///
    /// ```
    /// let layer = tracer_core::http::TracingLayer::new().exclude_prefix("/internal");
    /// assert!(layer.is_excluded("/internal/debug") && !layer.is_excluded("/internals"));
    /// ```
    pub fn exclude_prefix(mut self, prefix: impl Into<String>) -> TracingLayer {
        self.config().prefixes.push((prefix.into(), true));
        self
    }

    /// Adds a response header (for example `x-trace-id`) carrying the trace
    /// id, so a user can quote it in a bug report. An invalid header name
    /// is reported on stderr and no header is added.
    ///
    /// ```
    /// let layer = tracer_core::http::TracingLayer::new().trace_id_header("x-trace-id");
    /// # let _ = layer;
    /// ```
    pub fn trace_id_header(mut self, name: &str) -> TracingLayer {
        match HeaderName::from_str(name) {
            Ok(name) => self.config().trace_id_header = Some(name),
            Err(_) => crate::diag::warn(&format!("TracingLayer: invalid trace id header name {name:?}, ignored")),
        }
        self
    }

    /// Whether requests for `path` are not traced.
    ///
    /// ```
    /// let layer = tracer_core::http::TracingLayer::new().exclude_path("/ready");
    /// assert!(layer.is_excluded("/ready"));
    /// ```
    pub fn is_excluded(&self, path: &str) -> bool {
        self.config.is_excluded(path)
    }
}

impl<S> Layer<S> for TracingLayer {
    type Service = TracingService<S>;

    fn layer(&self, inner: S) -> TracingService<S> {
        TracingService {
            inner,
            config: Arc::clone(&self.config),
        }
    }
}

/// The service made by [`TracingLayer`].
///
/// ```
/// use tower_layer::Layer;
/// use tracer_core::http::{TracingLayer, TracingService};
///
/// #[derive(Clone)]
/// struct Inner;
/// let service: TracingService<Inner> = TracingLayer::new().layer(Inner);
/// # let _ = service;
/// ```
#[derive(Clone)]
pub struct TracingService<S> {
    inner: S,
    config: Arc<Config>,
}

impl<S> fmt::Debug for TracingService<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TracingService")
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

/// The matched route template, when the framework tells us.
fn matched_route<B>(request: &Request<B>) -> Option<String> {
    #[cfg(feature = "axum")]
    if let Some(path) = request.extensions().get::<axum::extract::MatchedPath>() {
        return Some(path.as_str().to_string());
    }
    let _ = request;
    None
}

/// `server.address` and `server.port`, from `Host` or the URI.
pub(crate) fn server_address<B>(request: &Request<B>, attributes: &mut Vec<KeyValue>) {
    let authority = request
        .headers()
        .get(HOST)
        .and_then(|host| host.to_str().ok())
        .and_then(|host| Authority::from_str(host).ok())
        .or_else(|| request.uri().authority().cloned());
    if let Some(authority) = authority {
        attributes.push(KeyValue::new("server.address", authority.host().to_string()));
        if let Some(port) = authority.port_u16() {
            attributes.push(KeyValue::new("server.port", port));
        }
    }
}

/// The span for one request: name and attributes.
fn server_span<B>(request: &Request<B>, parent: Option<crate::SpanContext>) -> Span {
    let path = request.uri().path();
    let route = matched_route(request);
    let mut attributes = Vec::with_capacity(10);
    let method = method_attributes(request.method(), &mut attributes);
    attributes.push(KeyValue::new("url.path", path.to_string()));
    let scheme = if request.uri().scheme_str() == Some("https") {
        "https"
    } else {
        "http"
    };
    attributes.push(KeyValue::new("url.scheme", scheme));
    server_address(request, &mut attributes);
    if let Some(agent) = request.headers().get(USER_AGENT).and_then(|a| a.to_str().ok()) {
        attributes.push(KeyValue::new("user_agent.original", agent.to_string()));
    }
    if let Some(version) = protocol_version(request.version()) {
        attributes.push(KeyValue::new("network.protocol.version", version));
    }
    let name = format!(
        "{} {}",
        if method == "_OTHER" { "HTTP" } else { method },
        route.as_deref().unwrap_or(path)
    );
    if let Some(route) = route {
        attributes.push(KeyValue::new("http.route", route));
    }
    let mut builder = Span::builder(name).kind(SpanKind::Server).attributes(attributes);
    if let Some(parent) = parent {
        builder = builder.parent(parent);
    }
    builder.start()
}

impl<S, ReqBody, ResBody> Service<Request<ReqBody>> for TracingService<S>
where
    S: Service<Request<ReqBody>, Response = Response<ResBody>>,
    S::Error: fmt::Display,
{
    type Response = Response<ResBody>;
    type Error = S::Error;
    type Future = ResponseFuture<S::Future>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), S::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request<ReqBody>) -> ResponseFuture<S::Future> {
        if self.config.is_excluded(request.uri().path()) {
            return ResponseFuture {
                inner: Inner::Excluded {
                    future: self.inner.call(request),
                },
                trace_id_header: None,
            };
        }
        let remote = propagation::extract(request.headers());
        let remote_trace_id = remote.span_context.as_ref().map(crate::SpanContext::trace_id);
        let span = server_span(&request, remote.span_context);
        let trace_id_header = self.config.trace_id_header.as_ref().and_then(|name| {
            let trace_id = span.trace_id().or(remote_trace_id)?;
            let value = HeaderValue::from_str(&trace_id.to_string()).ok()?;
            Some((name.clone(), value))
        });
        let baggage = remote.baggage;
        let future = span.in_scope(|| {
            let _baggage = baggage.clone().attach();
            self.inner.call(request)
        });
        ResponseFuture {
            inner: Inner::Traced {
                future: Instrumented::new(future, span, ServerRecorder).with_baggage(baggage),
            },
            trace_id_header,
        }
    }
}

/// Records the outcome of a request on its SERVER span.
#[derive(Debug)]
struct ServerRecorder;

impl<B, E: fmt::Display> OutputRecorder<Result<Response<B>, E>> for ServerRecorder {
    fn record(self, output: &Result<Response<B>, E>, span: &Span) {
        super::record_outcome(output, span, |status| status.is_server_error());
    }
}

pin_project! {
    #[project = InnerProj]
    enum Inner<F> {
        Traced { #[pin] future: WithBaggage<Instrumented<F, ServerRecorder>> },
        Excluded { #[pin] future: F },
    }
}

pin_project! {
    /// The response future of [`TracingService`].
    ///
    /// ```
    /// fn assert_future<F: std::future::Future>() {}
    /// type Inner = std::future::Ready<Result<http::Response<()>, std::convert::Infallible>>;
    /// assert_future::<tracer_core::http::ResponseFuture<Inner>>();
    /// ```
    pub struct ResponseFuture<F> {
        #[pin]
        inner: Inner<F>,
        trace_id_header: Option<(HeaderName, HeaderValue)>,
    }
}

impl<F, B, E> Future for ResponseFuture<F>
where
    F: Future<Output = Result<Response<B>, E>>,
    E: fmt::Display,
{
    type Output = Result<Response<B>, E>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        let mut output = match this.inner.project() {
            InnerProj::Excluded { future } => return future.poll(cx),
            InnerProj::Traced { future } => ready!(future.poll(cx)),
        };
        if let (Ok(response), Some((name, value))) = (&mut output, this.trace_id_header.take()) {
            response.headers_mut().insert(name, value);
        }
        Poll::Ready(output)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_way_of_excluding_excludes_only_its_paths() {
        let exact = TracingLayer::new().exclude_path("/health");
        assert!(exact.is_excluded("/health"));
        assert!(!exact.is_excluded("/health/db"));
        assert!(!exact.is_excluded("/"));

        let prefix = TracingLayer::new().exclude_prefix("/internal");
        assert!(prefix.is_excluded("/internal"));
        assert!(prefix.is_excluded("/internal/debug"));
        assert!(!prefix.is_excluded("/internals"));
        assert!(!prefix.is_excluded("/api/internal"));

        assert!(!TracingLayer::new().is_excluded("/health"));
    }

    #[test]
    fn the_service_shows_its_settings() {
        let service = TracingLayer::new().exclude_path("/ready").layer(());
        let shown = format!("{service:?}");
        assert!(shown.starts_with("TracingService { config: Config {"), "{shown}");
        assert!(shown.contains(r#"exact: ["/ready"]"#), "{shown}");
    }

    /// A service that is never ready: it reports `busy`.
    struct Busy;

    impl Service<Request<()>> for Busy {
        type Response = Response<()>;
        type Error = String;
        type Future = std::future::Ready<Result<Response<()>, String>>;

        fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), String>> {
            Poll::Ready(Err("busy".to_string()))
        }

        fn call(&mut self, _: Request<()>) -> Self::Future {
            std::future::ready(Ok(Response::new(())))
        }
    }

    #[test]
    fn readiness_is_the_inner_service_s() {
        let mut service = TracingLayer::new().layer(Busy);
        let mut cx = Context::from_waker(std::task::Waker::noop());
        let ready = Service::<Request<()>>::poll_ready(&mut service, &mut cx);
        assert_eq!(ready, Poll::Ready(Err("busy".to_string())));
    }
}
