//! Propagation: carrying a trace (and baggage) from one service to the next.
//!
//! # The model
//!
//! When service A calls service B, A writes its current [`SpanContext`] into
//! the request's headers (**inject**), and B reads it back (**extract**) and
//! starts its own span with that remote context as the parent. Both services'
//! spans then share one trace id, and B's span names A's span as its parent.
//!
//! Three pieces make this work:
//!
//! - **Carriers** hold the headers: anything implementing [`Injector`]
//!   (write) or [`Extractor`] (read). They are implemented for
//!   `HashMap<String, String>` and, with the `http` feature, for
//!   [`http::HeaderMap`](https://docs.rs/http/1/http/header/struct.HeaderMap.html).
//!   Header-name matching ignores ASCII case, and a header that appears on
//!   several lines reads as its values joined with `,`.
//! - **Propagators** know a wire format: [`TraceContextPropagator`] (W3C
//!   `traceparent` and `tracestate`), [`BaggagePropagator`] (W3C `baggage`)
//!   and, with the `propagators` feature, `B3Propagator` and
//!   `JaegerPropagator`. A [`CompositePropagator`] runs several in a
//!   configured order.
//! - A [`PropagationContext`] is what crosses the wire: an optional
//!   [`SpanContext`] and a [`Baggage`].
//!
//! The process has one global propagator ([`set_global_propagator`]), W3C
//! Trace Context plus W3C Baggage by default. [`inject_context`] and
//! [`extract_context`] use it:
//!
//! ```
//! use std::collections::HashMap;
//! use tracer_core::propagation::{extract_context, inject_context};
//! use tracer_core::{Span, SpanContext};
//!
//! // Service A, inside a span: write the current context into the headers.
//! let mut headers: HashMap<String, String> = HashMap::new();
//! # let _tracer = tracer_core::TracerProvider::builder().install().unwrap();
//! let span = Span::new("call_b").entered();
//! inject_context(&mut headers);
//! assert!(headers["traceparent"].starts_with("00-"));
//!
//! // Service B: read it, and continue the trace.
//! let remote: Option<SpanContext> = extract_context(&headers);
//! let remote = remote.expect("a valid traceparent");
//! assert!(remote.is_remote());
//! let handler = Span::child_of("handle", &remote);
//! assert_eq!(handler.trace_id(), span.trace_id());
//! ```
//!
//! # Bad input
//!
//! Extraction never panics and never fails loudly: a malformed `traceparent`
//! (wrong length, uppercase hex, all-zero ids, version `ff`, a duplicated
//! header, ...) is treated as **absent**, so the service starts a new trace.
//! An invalid `tracestate` is dropped while a valid `traceparent` is kept;
//! a `tracestate` key that appears twice keeps its first member. Invalid
//! baggage members are skipped one by one. The exact rules are on
//! [`parse_traceparent`], [`TraceState::from_header`](crate::TraceState::from_header)
//! and [`Baggage::from_header`].
//!
//! # Sampling and untrusted callers
//!
//! An extracted context keeps every flag bit of the caller, including its
//! *sampled* decision and the Level 2 *random* bit (`02`: the trace id's
//! right-most 7 bytes are random). Spans under it keep the random bit; a
//! trace tracer starts sets it, since tracer's trace ids are random, so
//! its `traceparent` ends in `03` when sampled and `02` when not.
//!
//! Whether the caller's sampled decision is honoured is a **sampler
//! option**: under the default [`ParentBased`](crate::sampler::ParentBased)
//! sampler a child of a sampled remote parent is recorded and a child of an
//! unsampled one is not. A public endpoint that does not trust its callers
//! overrides the remote cases:
//!
//! ```
//! use std::collections::HashMap;
//! use tracer_core::propagation::extract_context;
//! use tracer_core::sampler::{AlwaysOn, ParentBased, TraceIdRatio};
//! use tracer_core::{Span, TracerProvider};
//!
//! // Decide ourselves, whatever the caller's sampled flag says.
//! let _sampler = ParentBased::new(TraceIdRatio::new(0.1))
//!     .remote_parent_sampled(TraceIdRatio::new(0.1))
//!     .remote_parent_not_sampled(TraceIdRatio::new(0.1));
//!
//! // Or record everything, even what the caller did not sample.
//! let _tracer = TracerProvider::builder()
//!     .sampler(ParentBased::new(AlwaysOn).remote_parent_not_sampled(AlwaysOn))
//!     .install()
//!     .unwrap();
//! let mut headers = HashMap::new();
//! headers.insert("traceparent".to_string(), "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00".to_string());
//! let caller = extract_context(&headers).unwrap();
//! assert!(!caller.is_sampled());
//! let span = Span::child_of("handler", &caller);
//! assert!(span.is_recording());
//! assert_eq!(span.trace_id(), Some(caller.trace_id()));
//! ```
//!
//! Either way the trace id is kept, so the trace still joins up. Without
//! such an override (the default `ParentBased(AlwaysOn)`), a child of an
//! unsampled remote parent is not recorded, and the "not sampled" flag is
//! passed on downstream.
//!
//! # Baggage
//!
//! [`Baggage`] is a set of key/value pairs that travels with the request
//! (the `baggage` header) so that every service on the way can read it. It
//! is current on a thread the way a span is: [`Baggage::attach`] makes it
//! current until the guard drops, [`Baggage::current`] reads it, and
//! [`BaggageFutureExt::with_baggage`] makes it current on every poll of a
//! future. [`inject_context`] sends the current baggage; the server layer
//! of the `tower` feature makes the inbound baggage current while the
//! handler runs.

use std::borrow::Cow;
use std::collections::HashMap;
use std::fmt;
use std::hash::BuildHasher;
use std::sync::{Arc, LazyLock, RwLock};

use crate::model::SpanContext;
use crate::span::{ContextGuard, attach, current_context};

#[cfg(feature = "propagators")]
mod b3;
mod baggage;
#[cfg(feature = "http")]
mod http_carrier;
#[cfg(feature = "propagators")]
mod jaeger;
mod percent_encoding;
#[cfg(test)]
mod tests;
mod trace_context;

#[cfg(feature = "propagators")]
pub use b3::{B3Encoding, B3Propagator};
pub use baggage::{
    BAGGAGE_HEADER, BAGGAGE_MAX_BYTES, BAGGAGE_MAX_MEMBERS, Baggage, BaggageError, BaggageFutureExt, BaggageGuard,
    BaggagePropagator, WithBaggage,
};
#[cfg(feature = "http")]
pub use http_carrier::{current_headers, inject_request};
#[cfg(feature = "propagators")]
pub use jaeger::JaegerPropagator;
pub use trace_context::{
    TRACEPARENT_HEADER, TRACESTATE_HEADER, TraceContextPropagator, TraceparentError, format_traceparent,
    parse_traceparent,
};

/// Reads header values from a carrier.
///
/// Implementations match names ignoring ASCII case and return a header that
/// appears several times as its values joined with `,` (which is how HTTP
/// combines header lines). For `traceparent` that join makes a duplicated
/// header invalid, as W3C asks; for `tracestate` and `baggage` it is the
/// specified way to combine lines.
///
/// ```
/// use std::collections::HashMap;
/// use tracer_core::propagation::Extractor;
///
/// let mut carrier = HashMap::new();
/// carrier.insert("TraceParent".to_string(), "value".to_string());
/// assert_eq!(carrier.get_header("traceparent").as_deref(), Some("value"));
/// assert_eq!(Extractor::keys(&carrier), vec!["TraceParent"]);
/// ```
pub trait Extractor {
    /// The value for `name` (any case), several lines joined with `,`.
    fn get_header(&self, name: &str) -> Option<Cow<'_, str>>;

    /// Every header name in the carrier.
    fn keys(&self) -> Vec<&str>;
}

/// Writes header values into a carrier.
///
/// `set` replaces any value already there under the same name (any case).
///
/// ```
/// use std::collections::HashMap;
/// use tracer_core::propagation::Injector;
///
/// let mut carrier = HashMap::new();
/// carrier.insert("TRACEPARENT".to_string(), "old".to_string());
/// carrier.set_header("traceparent", "new".to_string());
/// assert_eq!(carrier.len(), 1);
/// assert_eq!(carrier["traceparent"], "new");
/// ```
pub trait Injector {
    /// Sets `name` (lowercase) to `value`, replacing earlier values.
    fn set_header(&mut self, name: &str, value: String);
}

impl<S: BuildHasher> Extractor for HashMap<String, String, S> {
    fn get_header(&self, name: &str) -> Option<Cow<'_, str>> {
        let mut matches = self.iter().filter(|(k, _)| k.eq_ignore_ascii_case(name));
        let first = matches.next()?;
        let Some(second) = matches.next() else {
            return Some(Cow::Borrowed(first.1.as_str()));
        };
        // Keys differing only in case: joined, in a stable (sorted) order.
        let mut found: Vec<(&String, &String)> = [first, second].into_iter().chain(matches).collect();
        found.sort();
        let values: Vec<&str> = found.iter().map(|(_, v)| v.as_str()).collect();
        Some(Cow::Owned(values.join(",")))
    }

    fn keys(&self) -> Vec<&str> {
        HashMap::keys(self).map(String::as_str).collect()
    }
}

impl<S: BuildHasher> Injector for HashMap<String, String, S> {
    fn set_header(&mut self, name: &str, value: String) {
        self.retain(|k, _| !k.eq_ignore_ascii_case(name));
        self.insert(name.to_ascii_lowercase(), value);
    }
}

/// What crosses a process boundary: the caller's span context (if any) and
/// its baggage.
///
/// ```
/// use tracer_core::propagation::{Baggage, PropagationContext};
///
/// let baggage = Baggage::new().with("tenant", "acme").unwrap();
/// let context = PropagationContext::new(None, baggage);
/// {
///     let _guard = context.attach();
///     assert_eq!(Baggage::current().get("tenant"), Some("acme"));
/// }
/// assert!(Baggage::current().is_empty());
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PropagationContext {
    /// The remote (or, when injecting, the current) span context.
    pub span_context: Option<SpanContext>,
    /// The baggage.
    pub baggage: Baggage,
}

impl PropagationContext {
    /// A context from its parts.
    pub fn new(span_context: Option<SpanContext>, baggage: Baggage) -> PropagationContext {
        PropagationContext { span_context, baggage }
    }

    /// This thread's current span context and current baggage: what
    /// [`inject_context`] sends.
    ///
    /// ```
    /// use tracer_core::propagation::PropagationContext;
    ///
    /// let context = PropagationContext::current();
    /// assert!(context.span_context.is_none() && context.baggage.is_empty());
    /// ```
    pub fn current() -> PropagationContext {
        PropagationContext {
            span_context: current_context(),
            baggage: Baggage::current(),
        }
    }

    /// Whether there is neither a span context nor baggage.
    ///
    /// ```
    /// assert!(tracer_core::propagation::PropagationContext::default().is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.span_context.is_none() && self.baggage.is_empty()
    }

    /// Makes the span context (see [`attach`]) and the
    /// baggage current on this thread until the guard drops.
    ///
    /// ```
    /// use std::collections::HashMap;
    /// use tracer_core::propagation::extract;
    ///
    /// let mut headers = HashMap::new();
    /// headers.insert(
    ///     "traceparent".to_string(),
    ///     "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01".to_string(),
    /// );
    /// let _guard = extract(&headers).attach();
    /// assert_eq!(
    ///     tracer_core::current_trace_id().map(|id| id.to_string()).as_deref(),
    ///     Some("4bf92f3577b34da6a3ce929d0e0e4736")
    /// );
    /// ```
    pub fn attach(self) -> PropagationGuard {
        let context = self.span_context.map(attach);
        PropagationGuard {
            baggage: self.baggage.attach(),
            _context: context,
        }
    }
}

/// Restores the previous span context and baggage when dropped. See
/// [`PropagationContext::attach`].
///
/// ```
/// use tracer_core::propagation::{Baggage, PropagationContext, PropagationGuard};
///
/// let guard: PropagationGuard = PropagationContext::new(None, Baggage::from_header("k=v")).attach();
/// assert_eq!(Baggage::current().get("k"), Some("v"));
/// drop(guard);
/// assert_eq!(Baggage::current().get("k"), None);
/// ```
#[must_use = "the context is detached when this guard is dropped"]
pub struct PropagationGuard {
    // Dropped in declaration order: the baggage first, then the context,
    // the reverse of attaching.
    baggage: BaggageGuard,
    _context: Option<ContextGuard>,
}

impl fmt::Debug for PropagationGuard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PropagationGuard")
            .field("baggage", &self.baggage)
            .finish()
    }
}

/// A wire format for [`PropagationContext`]s.
///
/// ```
/// use std::collections::HashMap;
/// use tracer_core::propagation::{Propagator, PropagationContext, TraceContextPropagator};
///
/// let mut headers = HashMap::new();
/// headers.insert("traceparent".to_string(), "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01".to_string());
/// let extracted = TraceContextPropagator.extract(&headers);
/// let mut out: HashMap<String, String> = HashMap::new();
/// TraceContextPropagator.inject(&extracted, &mut out);
/// assert_eq!(out["traceparent"], headers["traceparent"]);
/// assert_eq!(TraceContextPropagator.fields(), vec!["traceparent", "tracestate"]);
/// ```
pub trait Propagator: Send + Sync + 'static {
    /// Writes `context` into `injector`. Parts this format cannot carry are
    /// left out.
    fn inject(&self, context: &PropagationContext, injector: &mut dyn Injector);

    /// Reads a context from `extractor`. What is missing or malformed is
    /// left empty; this never fails.
    fn extract(&self, extractor: &dyn Extractor) -> PropagationContext;

    /// The header names this format reads and writes.
    fn fields(&self) -> Vec<&'static str>;
}

impl Propagator for Box<dyn Propagator> {
    fn inject(&self, context: &PropagationContext, injector: &mut dyn Injector) {
        (**self).inject(context, injector)
    }

    fn extract(&self, extractor: &dyn Extractor) -> PropagationContext {
        (**self).extract(extractor)
    }

    fn fields(&self) -> Vec<&'static str> {
        (**self).fields()
    }
}

impl Propagator for Arc<dyn Propagator> {
    fn inject(&self, context: &PropagationContext, injector: &mut dyn Injector) {
        (**self).inject(context, injector)
    }

    fn extract(&self, extractor: &dyn Extractor) -> PropagationContext {
        (**self).extract(extractor)
    }

    fn fields(&self) -> Vec<&'static str> {
        (**self).fields()
    }
}

/// Several propagators, in a configured order.
///
/// - **Inject** writes every format, so a downstream service that speaks
///   any of them can continue the trace.
/// - **Extract** takes the span context from the first propagator, in
///   order, that finds a valid one, and merges the baggage of all of them
///   (for a key found by several, the earlier propagator wins).
///
/// ```
/// use std::collections::HashMap;
/// use tracer_core::propagation::{BaggagePropagator, CompositePropagator, Propagator, TraceContextPropagator};
///
/// let propagator = CompositePropagator::new()
///     .with(TraceContextPropagator)
///     .with(BaggagePropagator);
/// let mut headers = HashMap::new();
/// headers.insert("baggage".to_string(), "user=alice".to_string());
/// let context = propagator.extract(&headers);
/// assert!(context.span_context.is_none());
/// assert_eq!(context.baggage.get("user"), Some("alice"));
/// ```
#[derive(Default)]
pub struct CompositePropagator {
    propagators: Vec<Box<dyn Propagator>>,
}

impl CompositePropagator {
    /// An empty composite: injects and extracts nothing.
    pub fn new() -> CompositePropagator {
        CompositePropagator::default()
    }

    /// W3C Trace Context then W3C Baggage: the default global propagator.
    ///
    /// ```
    /// use tracer_core::propagation::{CompositePropagator, Propagator};
    ///
    /// assert_eq!(CompositePropagator::w3c().fields(), vec!["traceparent", "tracestate", "baggage"]);
    /// ```
    pub fn w3c() -> CompositePropagator {
        CompositePropagator::new()
            .with(TraceContextPropagator)
            .with(BaggagePropagator)
    }

    /// Adds `propagator` after those already configured.
    pub fn with(mut self, propagator: impl Propagator) -> CompositePropagator {
        self.propagators.push(Box::new(propagator));
        self
    }
}

impl fmt::Debug for CompositePropagator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CompositePropagator")
            .field("fields", &self.fields())
            .finish()
    }
}

impl Propagator for CompositePropagator {
    fn inject(&self, context: &PropagationContext, injector: &mut dyn Injector) {
        for propagator in &self.propagators {
            propagator.inject(context, injector);
        }
    }

    fn extract(&self, extractor: &dyn Extractor) -> PropagationContext {
        let mut out = PropagationContext::default();
        for propagator in &self.propagators {
            let found = propagator.extract(extractor);
            if out.span_context.is_none() {
                out.span_context = found.span_context;
            }
            out.baggage = out.baggage.merged_with(&found.baggage);
        }
        out
    }

    fn fields(&self) -> Vec<&'static str> {
        let mut fields = Vec::new();
        for field in self.propagators.iter().flat_map(|p| p.fields()) {
            if !fields.contains(&field) {
                fields.push(field);
            }
        }
        fields
    }
}

static GLOBAL: LazyLock<RwLock<Arc<dyn Propagator>>> =
    LazyLock::new(|| RwLock::new(Arc::new(CompositePropagator::w3c())));

/// Replaces the process's propagator, used by [`inject_context`],
/// [`extract_context`], [`inject`], [`extract`] and the HTTP layers.
/// The default is [`CompositePropagator::w3c`].
///
/// ```
/// use tracer_core::propagation::{set_global_propagator, BaggagePropagator, CompositePropagator, TraceContextPropagator};
///
/// // For example, to also read and write B3 (feature `propagators`):
/// // CompositePropagator::new().with(TraceContextPropagator).with(B3Propagator::multi()).with(BaggagePropagator)
/// set_global_propagator(CompositePropagator::new().with(TraceContextPropagator).with(BaggagePropagator));
/// ```
pub fn set_global_propagator(propagator: impl Propagator) {
    let propagator: Arc<dyn Propagator> = Arc::new(propagator);
    match GLOBAL.write() {
        Ok(mut global) => *global = propagator,
        Err(poisoned) => *poisoned.into_inner() = propagator,
    }
}

/// The process's propagator. See [`set_global_propagator`].
///
/// ```
/// use tracer_core::propagation::global_propagator;
///
/// assert!(global_propagator().fields().contains(&"traceparent"));
/// ```
pub fn global_propagator() -> Arc<dyn Propagator> {
    match GLOBAL.read() {
        Ok(global) => Arc::clone(&global),
        Err(poisoned) => Arc::clone(&poisoned.into_inner()),
    }
}

/// Writes the current span's context and the current baggage into
/// `carrier` with the global propagator. With neither, it writes nothing.
///
/// ```
/// use std::collections::HashMap;
/// use tracer_core::propagation::inject_context;
///
/// let mut headers: HashMap<String, String> = HashMap::new();
/// inject_context(&mut headers); // no span is current: nothing to send
/// assert!(headers.is_empty());
/// ```
pub fn inject_context<I: Injector + ?Sized>(carrier: &mut I) {
    inject(&PropagationContext::current(), carrier);
}

/// Reads a remote parent from `carrier` with the global propagator.
/// `None` when there is none or it is malformed. A span built with it as
/// parent ([`Span::child_of`](crate::Span::child_of),
/// [`SpanBuilder::parent`](crate::SpanBuilder::parent)) continues the
/// caller's trace.
///
/// ```
/// use std::collections::HashMap;
/// use tracer_core::propagation::extract_context;
///
/// let mut headers = HashMap::new();
/// headers.insert("traceparent".to_string(), "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01".to_string());
/// let parent = extract_context(&headers).unwrap();
/// assert_eq!(parent.trace_id().to_string(), "4bf92f3577b34da6a3ce929d0e0e4736");
///
/// headers.insert("traceparent".to_string(), "garbage".to_string());
/// assert_eq!(extract_context(&headers), None);
/// ```
pub fn extract_context<E: Extractor + ?Sized>(carrier: &E) -> Option<SpanContext> {
    extract(carrier).span_context
}

/// Writes `context` into `carrier` with the global propagator.
///
/// ```
/// use std::collections::HashMap;
/// use tracer_core::propagation::{inject, Baggage, PropagationContext};
///
/// let context = PropagationContext::new(None, Baggage::new().with("k", "v 1").unwrap());
/// let mut headers: HashMap<String, String> = HashMap::new();
/// inject(&context, &mut headers);
/// assert_eq!(headers["baggage"], "k=v%201");
/// ```
pub fn inject<I: Injector + ?Sized>(context: &PropagationContext, carrier: &mut I) {
    if context.is_empty() {
        return;
    }
    struct Dyn<'a, I: ?Sized>(&'a mut I);
    impl<I: Injector + ?Sized> Injector for Dyn<'_, I> {
        fn set_header(&mut self, name: &str, value: String) {
            self.0.set_header(name, value)
        }
    }
    global_propagator().inject(context, &mut Dyn(carrier));
}

/// Reads the span context and the baggage from `carrier` with the global
/// propagator.
///
/// ```
/// use std::collections::HashMap;
/// use tracer_core::propagation::extract;
///
/// let mut headers = HashMap::new();
/// headers.insert("baggage".to_string(), "tenant=acme".to_string());
/// let context = extract(&headers);
/// assert_eq!(context.baggage.get("tenant"), Some("acme"));
/// ```
pub fn extract<E: Extractor + ?Sized>(carrier: &E) -> PropagationContext {
    struct Dyn<'a, E: ?Sized>(&'a E);
    impl<E: Extractor + ?Sized> Extractor for Dyn<'_, E> {
        fn get_header(&self, name: &str) -> Option<Cow<'_, str>> {
            self.0.get_header(name)
        }
        fn keys(&self) -> Vec<&str> {
            self.0.keys()
        }
    }
    global_propagator().extract(&Dyn(carrier))
}

/// Trims the optional whitespace (spaces and tabs) HTTP allows around a
/// header value.
pub(crate) fn trim_ows(value: &str) -> &str {
    value.trim_matches(|c| c == ' ' || c == '\t')
}
