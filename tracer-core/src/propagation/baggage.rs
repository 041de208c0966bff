//! W3C Baggage: key/value pairs that travel with a request.

use std::cell::RefCell;
use std::fmt;
use std::future::Future;
use std::marker::PhantomData;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use pin_project_lite::pin_project;

use super::percent_encoding::{decode, encode, encoded_len, is_baggage_octet};
use super::{Extractor, Injector, PropagationContext, Propagator, trim_ows};

/// The `baggage` header name.
///
/// ```
/// assert_eq!(tracer_core::propagation::BAGGAGE_HEADER, "baggage");
/// ```
pub const BAGGAGE_HEADER: &str = "baggage";
/// The most members a [`Baggage`] holds (the W3C minimum every platform
/// must propagate). Members past it are dropped.
///
/// ```
/// use tracer_core::propagation::{Baggage, BAGGAGE_MAX_MEMBERS};
///
/// let header: Vec<String> = (0..100).map(|i| format!("k{i}=v")).collect();
/// assert_eq!(Baggage::from_header(&header.join(",")).len(), BAGGAGE_MAX_MEMBERS);
/// ```
pub const BAGGAGE_MAX_MEMBERS: usize = 64;
/// The longest `baggage` header, in bytes, a [`Baggage`] produces (the W3C
/// limit up to which every member must be propagated).
///
/// ```
/// use tracer_core::propagation::{Baggage, BAGGAGE_MAX_BYTES};
///
/// assert!(Baggage::new().with("blob", "x".repeat(BAGGAGE_MAX_BYTES)).is_err());
/// ```
pub const BAGGAGE_MAX_BYTES: usize = 8192;

#[derive(Clone, PartialEq, Eq)]
struct Member {
    key: String,
    /// Decoded.
    value: String,
    /// Properties as they go on the wire (`a;b=c`), or empty.
    metadata: String,
}

impl Member {
    /// Bytes of `key=value;metadata` on the wire.
    fn encoded_len(&self) -> usize {
        let value = encoded_len(&self.value);
        let metadata = if self.metadata.is_empty() {
            0
        } else {
            1 + self.metadata.len()
        };
        self.key.len() + 1 + value + metadata
    }
}

/// Key/value pairs that travel with a request through every service (W3C
/// Baggage, the `baggage` header), such as a tenant or a feature flag.
///
/// Values are any UTF-8 text: they are percent-encoded on the wire (every
/// character outside the W3C `baggage-octet` set, and `%` and `+`, so that
/// a peer decoding with form rules reads the same value) and decoded when
/// read. Keys are HTTP tokens. A member may carry metadata (W3C
/// "properties", `;`-separated), passed on as it was written.
///
/// A baggage is immutable and cheap to clone; [`with`](Baggage::with)
/// returns a new one. It holds at most [`BAGGAGE_MAX_MEMBERS`] members and
/// at most [`BAGGAGE_MAX_BYTES`] bytes of header.
///
/// # Current baggage
///
/// Each thread has a current baggage, empty by default. [`attach`](Baggage::attach)
/// makes one current until the returned guard drops; [`Baggage::current`]
/// reads it. For async code, [`BaggageFutureExt::with_baggage`] makes a
/// baggage current on every poll of a future (as
/// [`FutureExt::in_span`](crate::FutureExt::in_span) does for a span). The
/// `tower` server layer makes the inbound baggage current for the handler,
/// and [`inject_context`](super::inject_context) sends the current baggage.
///
/// ```
/// use tracer_core::propagation::Baggage;
///
/// let baggage = Baggage::new().with("tenant", "acme corp").unwrap();
/// assert_eq!(baggage.header(), "tenant=acme%20corp");
/// {
///     let _guard = baggage.attach();
///     // Anywhere below, on this thread:
///     assert_eq!(Baggage::current().get("tenant"), Some("acme corp"));
///     // Add to it for a narrower scope:
///     let _inner = Baggage::current().with("step", "2").unwrap().attach();
///     assert_eq!(Baggage::current().len(), 2);
/// }
/// assert!(Baggage::current().is_empty());
/// ```
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Baggage(Option<Arc<Vec<Member>>>);

/// Why a baggage member could not be set.
///
/// ```
/// use tracer_core::propagation::{Baggage, BaggageError};
///
/// assert_eq!(Baggage::new().with("bad key", "v"), Err(BaggageError::Key("bad key".to_string())));
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum BaggageError {
    /// The key is not an HTTP token (empty, or has spaces or separators).
    Key(String),
    /// The metadata is not `;`-separated `key` or `key=value` properties.
    Metadata(String),
    /// The baggage already has [`BAGGAGE_MAX_MEMBERS`] members.
    TooMany,
    /// The header would be longer than [`BAGGAGE_MAX_BYTES`].
    TooLarge,
}

impl fmt::Display for BaggageError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            BaggageError::Key(k) => write!(f, "invalid baggage key {k:?}"),
            BaggageError::Metadata(m) => write!(f, "invalid baggage metadata {m:?}"),
            BaggageError::TooMany => write!(f, "baggage is full ({BAGGAGE_MAX_MEMBERS} members)"),
            BaggageError::TooLarge => write!(f, "baggage would exceed {BAGGAGE_MAX_BYTES} bytes"),
        }
    }
}

impl std::error::Error for BaggageError {}

/// RFC 9110 `tchar`.
fn is_token_char(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b)
}

fn is_token(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(is_token_char)
}

/// Parses `key=value;prop;prop=v`. `None` when invalid.
fn parse_member(member: &str) -> Option<Member> {
    let mut parts = member.split(';');
    let (key, value) = parts.next()?.split_once('=')?;
    let (key, value) = (trim_ows(key), trim_ows(value));
    if !is_token(key) || !value.bytes().all(is_baggage_octet) {
        return None;
    }
    let mut metadata = String::new();
    for property in parts {
        let property = trim_ows(property);
        if property.is_empty() {
            continue;
        }
        let normalized = normalize_property(property)?;
        if !metadata.is_empty() {
            metadata.push(';');
        }
        metadata.push_str(&normalized);
    }
    Some(Member {
        key: key.to_string(),
        value: decode(value),
        metadata,
    })
}

/// `key` or `key=value`, whitespace around `=` removed.
fn normalize_property(property: &str) -> Option<String> {
    match property.split_once('=') {
        None => is_token(property).then(|| property.to_string()),
        Some((key, value)) => {
            let (key, value) = (trim_ows(key), trim_ows(value));
            (is_token(key) && value.bytes().all(is_baggage_octet)).then(|| format!("{key}={value}"))
        }
    }
}

fn normalize_metadata(metadata: &str) -> Result<String, BaggageError> {
    let mut out = String::new();
    for property in metadata.split(';').map(trim_ows).filter(|p| !p.is_empty()) {
        let normalized = normalize_property(property).ok_or_else(|| BaggageError::Metadata(metadata.to_string()))?;
        if !out.is_empty() {
            out.push(';');
        }
        out.push_str(&normalized);
    }
    Ok(out)
}

fn header_len(members: &[Member]) -> usize {
    members.iter().map(Member::encoded_len).sum::<usize>() + members.len().saturating_sub(1)
}

/// Sets `member` (replacing a member with the same key in place), if the
/// result stays within the limits.
fn put(members: &mut Vec<Member>, member: Member) -> Result<(), BaggageError> {
    let mut candidate = members.clone();
    match candidate.iter_mut().find(|m| m.key == member.key) {
        Some(slot) => *slot = member,
        None => {
            if candidate.len() >= BAGGAGE_MAX_MEMBERS {
                return Err(BaggageError::TooMany);
            }
            candidate.push(member);
        }
    }
    if header_len(&candidate) > BAGGAGE_MAX_BYTES {
        return Err(BaggageError::TooLarge);
    }
    *members = candidate;
    Ok(())
}

thread_local! {
    static CURRENT: RefCell<Baggage> = const { RefCell::new(Baggage(None)) };
}

impl Baggage {
    /// An empty baggage.
    ///
    /// ```
    /// assert!(tracer_core::propagation::Baggage::new().is_empty());
    /// ```
    pub const fn new() -> Baggage {
        Baggage(None)
    }

    fn from_members(members: Vec<Member>) -> Baggage {
        if members.is_empty() {
            Baggage(None)
        } else {
            Baggage(Some(Arc::new(members)))
        }
    }

    fn members(&self) -> &[Member] {
        self.0.as_deref().map_or(&[], Vec::as_slice)
    }

    /// Parses a `baggage` header value (several lines joined with `,`).
    ///
    /// Parsing is lenient and never fails: whitespace around members, keys,
    /// values and properties is ignored; an invalid member (a key that is
    /// not a token, a value with a space, `"`, `,`, `;` or `\`, a malformed
    /// property) is skipped; a key seen twice keeps its last value; members
    /// beyond [`BAGGAGE_MAX_MEMBERS`], or that would make the header longer
    /// than [`BAGGAGE_MAX_BYTES`], are dropped.
    ///
    /// Values are decoded as the W3C text says: `%XX` is the byte `XX`,
    /// decoded bytes that are not UTF-8 become U+FFFD, and `+` stays a plus
    /// sign. A `%` not followed by two hex digits is kept as it is.
    ///
    /// ```
    /// use tracer_core::propagation::Baggage;
    ///
    /// let baggage = Baggage::from_header("user = alice , bad key=1, note=hello%20world;ttl=60, sum=1+1, odd=%FF");
    /// assert_eq!(baggage.get("user"), Some("alice"));
    /// assert_eq!(baggage.get("note"), Some("hello world"));
    /// assert_eq!(baggage.metadata("note"), Some("ttl=60"));
    /// assert_eq!(baggage.get("sum"), Some("1+1"));
    /// assert_eq!(baggage.get("odd"), Some("\u{fffd}"));
    /// assert_eq!(baggage.len(), 4);
    /// ```
    pub fn from_header(header: &str) -> Baggage {
        let mut members = Vec::new();
        for member in header.split(',') {
            let member = trim_ows(member);
            if member.is_empty() {
                continue;
            }
            if let Some(member) = parse_member(member) {
                // Over a limit: this member is dropped, later ones may fit.
                let _ = put(&mut members, member);
            }
        }
        Baggage::from_members(members)
    }

    /// The `baggage` header value: members joined by `,`, values
    /// percent-encoded (see [`Baggage`]). Empty for an empty baggage.
    ///
    /// ```
    /// use tracer_core::propagation::Baggage;
    ///
    /// let baggage = Baggage::new().with("a", "1+1").unwrap().with_metadata("b", "x,y", "p").unwrap();
    /// assert_eq!(baggage.header(), "a=1%2B1,b=x%2Cy;p");
    /// ```
    pub fn header(&self) -> String {
        let mut out = String::new();
        for (i, member) in self.members().iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            out.push_str(&member.key);
            out.push('=');
            encode(&member.value, &mut out);
            if !member.metadata.is_empty() {
                out.push(';');
                out.push_str(&member.metadata);
            }
        }
        out
    }

    /// The value for `key`.
    ///
    /// ```
    /// use tracer_core::propagation::Baggage;
    ///
    /// assert_eq!(Baggage::from_header("k=v").get("k"), Some("v"));
    /// ```
    pub fn get(&self, key: &str) -> Option<&str> {
        self.members().iter().find(|m| m.key == key).map(|m| m.value.as_str())
    }

    /// The metadata (properties) for `key`, if it has any.
    ///
    /// ```
    /// use tracer_core::propagation::Baggage;
    ///
    /// let baggage = Baggage::from_header("k=v;ttl = 60;secret");
    /// assert_eq!(baggage.metadata("k"), Some("ttl=60;secret"));
    /// ```
    pub fn metadata(&self, key: &str) -> Option<&str> {
        self.members()
            .iter()
            .find(|m| m.key == key && !m.metadata.is_empty())
            .map(|m| m.metadata.as_str())
    }

    /// A new baggage with `key` set to `value` (replacing an earlier value
    /// in place, metadata included).
    ///
    /// ```
    /// use tracer_core::propagation::{Baggage, BaggageError, BAGGAGE_MAX_BYTES};
    ///
    /// let baggage = Baggage::new().with("user", "alice").unwrap().with("user", "bob").unwrap();
    /// assert_eq!(baggage.get("user"), Some("bob"));
    /// let huge = "x".repeat(BAGGAGE_MAX_BYTES);
    /// assert_eq!(baggage.with("blob", huge), Err(BaggageError::TooLarge));
    /// ```
    pub fn with(&self, key: impl Into<String>, value: impl Into<String>) -> Result<Baggage, BaggageError> {
        self.with_metadata(key, value, "")
    }

    /// A new baggage with `key` set to `value` and its metadata:
    /// `;`-separated properties, each `name` or `name=value`.
    ///
    /// ```
    /// use tracer_core::propagation::Baggage;
    ///
    /// let baggage = Baggage::new().with_metadata("user", "alice", "ttl=60").unwrap();
    /// assert_eq!(baggage.header(), "user=alice;ttl=60");
    /// assert!(Baggage::new().with_metadata("user", "alice", "not a property").is_err());
    /// ```
    pub fn with_metadata(
        &self,
        key: impl Into<String>,
        value: impl Into<String>,
        metadata: &str,
    ) -> Result<Baggage, BaggageError> {
        let key = key.into();
        if !is_token(&key) {
            return Err(BaggageError::Key(key));
        }
        let member = Member {
            key,
            value: value.into(),
            metadata: normalize_metadata(metadata)?,
        };
        let mut members = self.members().to_vec();
        put(&mut members, member)?;
        Ok(Baggage::from_members(members))
    }

    /// A new baggage without `key`.
    ///
    /// ```
    /// use tracer_core::propagation::Baggage;
    ///
    /// assert!(Baggage::from_header("k=v").without("k").is_empty());
    /// ```
    pub fn without(&self, key: &str) -> Baggage {
        Baggage::from_members(self.members().iter().filter(|m| m.key != key).cloned().collect())
    }

    /// The members' keys and decoded values, in order.
    ///
    /// ```
    /// use tracer_core::propagation::Baggage;
    ///
    /// let baggage = Baggage::from_header("a=1,b=2");
    /// let pairs: Vec<_> = baggage.iter().collect();
    /// assert_eq!(pairs, [("a", "1"), ("b", "2")]);
    /// ```
    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.members().iter().map(|m| (m.key.as_str(), m.value.as_str()))
    }

    /// How many members.
    ///
    /// ```
    /// assert_eq!(tracer_core::propagation::Baggage::from_header("a=1,b=2").len(), 2);
    /// ```
    pub fn len(&self) -> usize {
        self.members().len()
    }

    /// Whether there are no members.
    ///
    /// ```
    /// assert!(tracer_core::propagation::Baggage::from_header(" , ").is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.0.is_none()
    }

    /// This baggage plus `other`'s members whose keys it lacks, within the
    /// limits.
    pub(crate) fn merged_with(&self, other: &Baggage) -> Baggage {
        if other.is_empty() {
            return self.clone();
        }
        if self.is_empty() {
            return other.clone();
        }
        let mut members = self.members().to_vec();
        for member in other.members() {
            if !members.iter().any(|m| m.key == member.key) {
                let _ = put(&mut members, member.clone());
            }
        }
        Baggage::from_members(members)
    }

    /// This thread's current baggage (empty unless one is attached).
    ///
    /// ```
    /// use tracer_core::propagation::Baggage;
    ///
    /// let _guard = Baggage::from_header("k=v").attach();
    /// assert_eq!(Baggage::current().get("k"), Some("v"));
    /// ```
    pub fn current() -> Baggage {
        CURRENT
            .try_with(|cell| cell.try_borrow().map(|b| b.clone()).unwrap_or_default())
            .unwrap_or_default()
    }

    /// Makes this baggage current on this thread until the guard drops,
    /// which restores the previous one. Guards must be dropped in the
    /// reverse order of attaching (as scopes do).
    ///
    /// ```
    /// use tracer_core::propagation::Baggage;
    ///
    /// {
    ///     let _guard = Baggage::from_header("k=v").attach();
    ///     assert_eq!(Baggage::current().len(), 1);
    /// }
    /// assert_eq!(Baggage::current().len(), 0);
    /// ```
    pub fn attach(self) -> BaggageGuard {
        let previous = CURRENT
            .try_with(|cell| {
                cell.try_borrow_mut()
                    .ok()
                    .map(|mut current| std::mem::replace(&mut *current, self))
            })
            .ok()
            .flatten();
        BaggageGuard {
            previous,
            _not_send: PhantomData,
        }
    }
}

impl fmt::Debug for Baggage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Baggage({:?})", self.header())
    }
}

/// Restores the previous current baggage when dropped. See
/// [`Baggage::attach`].
///
/// ```
/// use tracer_core::propagation::{Baggage, BaggageGuard};
///
/// let guard: BaggageGuard = Baggage::from_header("k=v").attach();
/// drop(guard);
/// assert!(Baggage::current().is_empty());
/// ```
#[must_use = "the baggage is detached when this guard is dropped"]
pub struct BaggageGuard {
    previous: Option<Baggage>,
    _not_send: PhantomData<*const ()>,
}

impl Drop for BaggageGuard {
    fn drop(&mut self) {
        if let Some(previous) = self.previous.take() {
            let _ = CURRENT.try_with(|cell| {
                if let Ok(mut current) = cell.try_borrow_mut() {
                    *current = previous;
                }
            });
        }
    }
}

impl fmt::Debug for BaggageGuard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BaggageGuard").finish_non_exhaustive()
    }
}

/// Adds baggage adapters to every future.
///
/// ```
/// use tracer_core::propagation::{Baggage, BaggageFutureExt};
///
/// // In a server: run the handler with the request's baggage current.
/// let handler = async { Baggage::current().len() };
/// let _future = handler.with_baggage(Baggage::from_header("tenant=acme"));
/// ```
pub trait BaggageFutureExt: Future + Sized {
    /// Makes `baggage` current on every poll of this future.
    ///
    /// ```
    /// use tracer_core::propagation::{Baggage, BaggageFutureExt};
    ///
    /// async fn handler() -> Option<String> {
    ///     Baggage::current().get("tenant").map(str::to_string)
    /// }
    /// let future = handler().with_baggage(Baggage::from_header("tenant=acme"));
    /// # use std::future::Future;
    /// # let waker = std::task::Waker::noop();
    /// # let mut cx = std::task::Context::from_waker(&waker);
    /// # let mut future = std::pin::pin!(future);
    /// # let std::task::Poll::Ready(tenant) = future.as_mut().poll(&mut cx) else { panic!() };
    /// assert_eq!(tenant.as_deref(), Some("acme"));
    /// ```
    fn with_baggage(self, baggage: Baggage) -> WithBaggage<Self> {
        WithBaggage { future: self, baggage }
    }

    /// Makes the *current* baggage (captured now) current on every poll,
    /// for example in a task given to `tokio::spawn`.
    ///
    /// ```
    /// use tracer_core::propagation::{Baggage, BaggageFutureExt};
    ///
    /// let _guard = Baggage::from_header("k=v").attach();
    /// let future = async { Baggage::current().get("k").map(str::to_string) }.with_current_baggage();
    /// # drop(_guard);
    /// # use std::future::Future;
    /// # let waker = std::task::Waker::noop();
    /// # let mut cx = std::task::Context::from_waker(&waker);
    /// # let mut future = std::pin::pin!(future);
    /// # let std::task::Poll::Ready(v) = future.as_mut().poll(&mut cx) else { panic!() };
    /// # assert_eq!(v.as_deref(), Some("v"));
    /// ```
    fn with_current_baggage(self) -> WithBaggage<Self> {
        self.with_baggage(Baggage::current())
    }
}

impl<F: Future> BaggageFutureExt for F {}

pin_project! {
    /// A future with its baggage. See [`BaggageFutureExt::with_baggage`].
    ///
    /// ```
    /// use tracer_core::propagation::{Baggage, BaggageFutureExt, WithBaggage};
    ///
    /// let future: WithBaggage<_> = async { 1 }.with_baggage(Baggage::new());
    /// # drop(future);
    /// ```
    #[must_use = "futures do nothing unless polled"]
    #[derive(Debug)]
    pub struct WithBaggage<F> {
        #[pin]
        future: F,
        baggage: Baggage,
    }
}

impl<F> WithBaggage<F> {
    /// The baggage made current on each poll.
    ///
    /// ```
    /// use tracer_core::propagation::{Baggage, BaggageFutureExt};
    ///
    /// let future = async {}.with_baggage(Baggage::from_header("k=v"));
    /// assert_eq!(future.baggage().get("k"), Some("v"));
    /// ```
    pub fn baggage(&self) -> &Baggage {
        &self.baggage
    }
}

impl<F: Future> Future for WithBaggage<F> {
    type Output = F::Output;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        let this = self.project();
        let _guard = this.baggage.clone().attach();
        this.future.poll(cx)
    }
}

/// W3C Baggage: the `baggage` header. Injects nothing for an empty
/// baggage; extraction follows [`Baggage::from_header`].
///
/// ```
/// use std::collections::HashMap;
/// use tracer_core::propagation::{BaggagePropagator, Propagator};
///
/// let mut headers = HashMap::new();
/// headers.insert("Baggage".to_string(), "tenant=acme".to_string());
/// let context = BaggagePropagator.extract(&headers);
/// assert_eq!(context.baggage.get("tenant"), Some("acme"));
/// ```
#[derive(Clone, Copy, Debug, Default)]
pub struct BaggagePropagator;

impl Propagator for BaggagePropagator {
    fn inject(&self, context: &PropagationContext, injector: &mut dyn Injector) {
        if !context.baggage.is_empty() {
            injector.set_header(BAGGAGE_HEADER, context.baggage.header());
        }
    }

    fn extract(&self, extractor: &dyn Extractor) -> PropagationContext {
        let baggage = extractor
            .get_header(BAGGAGE_HEADER)
            .map(|header| Baggage::from_header(&header))
            .unwrap_or_default();
        PropagationContext::new(None, baggage)
    }

    fn fields(&self) -> Vec<&'static str> {
        vec![BAGGAGE_HEADER]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_hold() {
        let header: Vec<String> = (0..100).map(|i| format!("k{i}={i}")).collect();
        let baggage = Baggage::from_header(&header.join(","));
        assert_eq!(baggage.len(), BAGGAGE_MAX_MEMBERS);
        assert_eq!(baggage.get("k63"), Some("63"));
        assert_eq!(baggage.get("k64"), None);
        let big = format!("a={},b=1", "x".repeat(BAGGAGE_MAX_BYTES));
        let baggage = Baggage::from_header(&big);
        assert_eq!(baggage.get("a"), None);
        assert_eq!(baggage.get("b"), Some("1"));
        assert!(header_len(baggage.members()) <= BAGGAGE_MAX_BYTES);
    }

    #[test]
    fn the_size_limit_counts_every_byte_of_the_header() {
        // `k=<value>;p`: key, `=`, value, `;` and the metadata.
        let fits = "x".repeat(BAGGAGE_MAX_BYTES - 4);
        let baggage = Baggage::new().with_metadata("k", fits.clone(), "p").unwrap();
        assert_eq!(baggage.header().len(), BAGGAGE_MAX_BYTES);
        let over = format!("{fits}x");
        assert_eq!(
            Baggage::new().with_metadata("k", over, "p"),
            Err(BaggageError::TooLarge)
        );
        // The same without metadata, with a longer key, and with a value
        // that is percent-encoded on the wire (3 bytes for a space).
        let fits = "x".repeat(BAGGAGE_MAX_BYTES - 7);
        assert_eq!(
            Baggage::new().with("key", fits.clone()).unwrap().header().len(),
            BAGGAGE_MAX_BYTES - 3
        );
        let spaced = format!("{} ", "x".repeat(BAGGAGE_MAX_BYTES - 6));
        assert_eq!(Baggage::new().with("key", spaced), Err(BaggageError::TooLarge));
        // Members are joined by commas: `b=1,a=<value>`.
        let two = Baggage::new().with("b", "1").unwrap();
        let fits = "x".repeat(BAGGAGE_MAX_BYTES - 6);
        assert_eq!(two.with("a", fits.clone()).unwrap().header().len(), BAGGAGE_MAX_BYTES);
        assert_eq!(two.with("a", format!("{fits}x")), Err(BaggageError::TooLarge));
        let spaced = format!("{} ", "x".repeat(BAGGAGE_MAX_BYTES - 10));
        assert_eq!(
            Baggage::new().with("key", spaced).unwrap().header().len(),
            BAGGAGE_MAX_BYTES - 3
        );
    }

    #[test]
    fn a_property_needs_both_a_token_key_and_a_plain_value() {
        let valid = Baggage::new().with_metadata("k", "v", "ttl = 60").unwrap();
        assert_eq!(valid.metadata("k"), Some("ttl=60"));
        for metadata in ["ttl=6 0", "bad key=60", "t,l=60"] {
            assert_eq!(
                Baggage::new().with_metadata("k", "v", metadata),
                Err(BaggageError::Metadata(metadata.to_string())),
                "{metadata}"
            );
        }
    }

    #[test]
    fn errors_say_what_was_wrong() {
        assert_eq!(
            BaggageError::Key("bad key".into()).to_string(),
            "invalid baggage key \"bad key\""
        );
        assert_eq!(
            BaggageError::Metadata("a b".into()).to_string(),
            "invalid baggage metadata \"a b\""
        );
        assert_eq!(BaggageError::TooMany.to_string(), "baggage is full (64 members)");
        assert_eq!(BaggageError::TooLarge.to_string(), "baggage would exceed 8192 bytes");
    }
}
