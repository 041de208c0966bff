//! `http::HeaderMap` as a carrier (feature `http`).

use std::borrow::Cow;

use http::header::{HeaderName, HeaderValue};
use http::{HeaderMap, Request};

use super::{Extractor, Injector, inject_context};

/// Header names are case-insensitive; several lines of one header are
/// joined with `,`. A header with a value that is not visible ASCII reads
/// as absent.
///
/// ```
/// use http::HeaderMap;
/// use tracer_core::propagation::Extractor;
///
/// let mut headers = HeaderMap::new();
/// headers.append("tracestate", "a=1".parse().unwrap());
/// headers.append("TraceState", "b=2".parse().unwrap());
/// assert_eq!(headers.get_header("TRACESTATE").as_deref(), Some("a=1,b=2"));
/// ```
impl Extractor for HeaderMap {
    fn get_header(&self, name: &str) -> Option<Cow<'_, str>> {
        let mut values = self.get_all(name).iter();
        let first = values.next()?.to_str().ok()?;
        let Some(second) = values.next() else {
            return Some(Cow::Borrowed(first));
        };
        let mut joined = String::from(first);
        for value in std::iter::once(second).chain(values) {
            joined.push(',');
            joined.push_str(value.to_str().ok()?);
        }
        Some(Cow::Owned(joined))
    }

    fn keys(&self) -> Vec<&str> {
        HeaderMap::keys(self).map(HeaderName::as_str).collect()
    }
}

/// Replaces every line of the header. Values that are not valid header
/// values (never the case for what the built-in propagators write) are
/// skipped.
///
/// ```
/// use http::HeaderMap;
/// use tracer_core::propagation::Injector;
///
/// let mut headers = HeaderMap::new();
/// headers.set_header("traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01".to_string());
/// assert!(headers.contains_key("TraceParent"));
/// ```
impl Injector for HeaderMap {
    fn set_header(&mut self, name: &str, value: String) {
        if let (Ok(name), Ok(value)) = (HeaderName::from_bytes(name.as_bytes()), HeaderValue::try_from(value)) {
            self.insert(name, value);
        }
    }
}

/// Writes the current span's context and baggage into a request's headers
/// (the same as `inject_context(request.headers_mut())`).
///
/// ```
/// use tracer_core::propagation::{inject_request, Baggage};
///
/// let _baggage = Baggage::from_header("tenant=acme").attach();
/// let mut request = http::Request::get("http://127.0.0.1/").body(()).unwrap();
/// inject_request(&mut request);
/// assert_eq!(request.headers()["baggage"], "tenant=acme");
/// ```
pub fn inject_request<B>(request: &mut Request<B>) {
    inject_context(request.headers_mut());
}

/// The headers that carry the current span's context and baggage, for
/// clients that take a `HeaderMap`. With reqwest (which uses `http` 1):
///
/// ```ignore
/// let response = client.get(url).headers(tracer::propagation::current_headers()).send().await?;
/// ```
///
/// ```
/// use tracer_core::propagation::current_headers;
/// use tracer_core::Span;
///
/// # let _tracer = tracer_core::TracerProvider::builder().install().unwrap();
/// let span = Span::new("call").entered();
/// let headers = current_headers();
/// // A trace tracer starts is sampled (`01`) and has a random trace id (`02`).
/// let expected = format!("00-{}-{}-03", span.trace_id().unwrap(), span.span_id().unwrap());
/// assert_eq!(headers["traceparent"], expected.as_str());
/// ```
pub fn current_headers() -> HeaderMap {
    let mut headers = HeaderMap::new();
    inject_context(&mut headers);
    headers
}
