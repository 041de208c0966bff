//! Support for `#[trace]`'s generated code. Not a public API: names and
//! signatures may change in any release.

use std::fmt::{Debug, Display};
use std::future::Future;

pub use crate::future::Instrumented;
pub use crate::model::{SpanKind, Value};
use crate::runtime;
pub use crate::span::{EnteredSpan, Span, SpanBuilder};

/// Starts a sync function's span and makes it current.
#[inline]
pub fn enter_fn(name: &'static str, kind: SpanKind, root: bool) -> EnteredSpan {
    runtime::enter_new(name, kind, root)
}

/// Starts an async function's span (current on every poll once wrapped).
#[inline]
pub fn start_fn(name: &'static str, kind: SpanKind, root: bool) -> Span {
    if root {
        Span::started(|out| runtime::start_root_into(name.into(), kind, out))
    } else {
        Span::started(|out| runtime::start_child_into(name.into(), kind, out))
    }
}

/// Wraps an async body with its span and output recorder.
#[inline]
pub fn instrument<F, R>(future: F, span: Span, recorder: R) -> Instrumented<F, R>
where
    F: Future,
    R: FnOnce(&F::Output, &Span),
{
    Instrumented::new(future, span, recorder)
}

/// Wraps an async body with its span, recording nothing of its output.
#[inline]
pub fn instrument_only<F: Future>(future: F, span: Span) -> Instrumented<F> {
    Instrumented::new(future, span, ())
}

/// Calls `f`. The closure is checked as `FnOnce`, so a body moved into it
/// can return borrows of what it captured (`&mut self` → `&mut T`).
#[inline(always)]
pub fn call_once<R>(f: impl FnOnce() -> R) -> R {
    f()
}

/// `future` unchanged, with its output type fixed to `T`, so that `?`
/// inside an `async` block knows what to convert to.
#[inline(always)]
pub fn typed_future<T, F: Future<Output = T>>(future: F) -> F {
    future
}

/// Runs the synchronous part of a `-> impl Future` function with its span
/// current (the future it returns is instrumented afterwards).
#[inline]
pub fn in_scope<R>(span: &Span, f: impl FnOnce() -> R) -> R {
    span.in_scope(f)
}

/// What generated code does with a function's span, whichever handle holds
/// it (an `EnteredSpan` in sync functions, a `Span` in futures). Generated
/// code calls these by path, so no method of the caller's can stand in.
pub trait FnSpan {
    /// Whether the span records anything: attributes are computed, and the
    /// result looked at, only then.
    fn is_recording(&self) -> bool;
    /// Sets one `args(...)` or `attributes(...)` value.
    fn set_attribute(&self, key: &'static str, value: Value);
    /// Records an `Err`: status `Error` and an `exception` event.
    fn record_error(&self, type_name: &'static str, message: String);
    /// Sets the status to `Ok`.
    fn record_ok(&self);
}

impl FnSpan for Span {
    #[inline]
    fn is_recording(&self) -> bool {
        Span::is_recording(self)
    }
    #[inline]
    fn set_attribute(&self, key: &'static str, value: Value) {
        Span::set_attribute(self, key, value);
    }
    fn record_error(&self, type_name: &'static str, message: String) {
        self.record_error_parts(type_name, message);
    }
    fn record_ok(&self) {
        self.set_ok();
    }
}

impl FnSpan for EnteredSpan {
    #[inline]
    fn is_recording(&self) -> bool {
        EnteredSpan::is_recording(self)
    }
    #[inline]
    fn set_attribute(&self, key: &'static str, value: Value) {
        EnteredSpan::set_attribute(self, key, value);
    }
    fn record_error(&self, type_name: &'static str, message: String) {
        self.record_error_parts(type_name, message);
    }
    fn record_ok(&self) {
        self.set_ok();
    }
}

/// A function's return value, for "autoref specialization": method lookup
/// picks [`RecordResult`] for any `Result<T, E: Display>` (through aliases
/// too, since it goes by type, not spelling) and [`RecordOther`] otherwise.
/// Call it as `(&Outcome(&value)).__tracer_record(span, err, ok)` with both
/// traits in scope.
pub struct Outcome<'a, T: ?Sized>(pub &'a T);

/// Records `Result`s.
pub trait RecordResult {
    /// Records an `Err` if `err`, and sets status `Ok` on `Ok` if `ok`.
    fn __tracer_record<S: FnSpan + ?Sized>(&self, span: &S, err: bool, ok: bool);
}

impl<T, E: Display> RecordResult for Outcome<'_, Result<T, E>> {
    #[inline]
    fn __tracer_record<S: FnSpan + ?Sized>(&self, span: &S, err: bool, ok: bool) {
        match self.0 {
            Err(error) if err => span.record_error(std::any::type_name::<E>(), error.to_string()),
            Err(_) => {}
            Ok(_) if ok => span.record_ok(),
            Ok(_) => {}
        }
    }
}

/// The fallback for values that are not a `Result`.
pub trait RecordOther {
    /// Sets status `Ok` if `ok`.
    fn __tracer_record<S: FnSpan + ?Sized>(&self, span: &S, err: bool, ok: bool);
}

impl<T: ?Sized> RecordOther for &Outcome<'_, T> {
    #[inline]
    fn __tracer_record<S: FnSpan + ?Sized>(&self, span: &S, _err: bool, ok: bool) {
        if ok {
            span.record_ok();
        }
    }
}

/// A value recorded by `args(...)` or `attributes(...)`: typed when it
/// converts to an attribute value, its `Debug` text otherwise. Call it as
/// `(&Arg(&value)).__tracer_value()` with both traits in scope.
pub struct Arg<'a, T: ?Sized>(pub &'a T);

/// Typed attribute values, from a reference.
pub trait ArgTyped {
    /// The value.
    fn __tracer_value(&self) -> Value;
}

impl<T: AsValue + ?Sized> ArgTyped for Arg<'_, T> {
    #[inline]
    fn __tracer_value(&self) -> Value {
        self.0.as_value()
    }
}

/// The `Debug` fallback.
pub trait ArgDebug {
    /// The value.
    fn __tracer_value(&self) -> Value;
}

impl<T: Debug + ?Sized> ArgDebug for &Arg<'_, T> {
    fn __tracer_value(&self) -> Value {
        Value::from(format!("{:?}", self.0))
    }
}

/// Types recorded with their own attribute type.
pub trait AsValue {
    /// The value.
    fn as_value(&self) -> Value;
}

macro_rules! as_value_copy {
    ($($t:ty),*) => {$(
        impl AsValue for $t {
            #[inline]
            fn as_value(&self) -> Value {
                Value::from(*self)
            }
        }
    )*};
}

as_value_copy!(
    bool, i8, i16, i32, i64, i128, isize, u8, u16, u32, u64, u128, usize, f32, f64
);

impl AsValue for str {
    fn as_value(&self) -> Value {
        Value::from(self.to_owned())
    }
}

impl AsValue for String {
    fn as_value(&self) -> Value {
        Value::from(self.clone())
    }
}

impl AsValue for std::borrow::Cow<'_, str> {
    fn as_value(&self) -> Value {
        Value::from(self.to_string())
    }
}

impl AsValue for Value {
    fn as_value(&self) -> Value {
        self.clone()
    }
}

impl<T: AsValue + ?Sized> AsValue for &T {
    #[inline]
    fn as_value(&self) -> Value {
        (**self).as_value()
    }
}

impl<T: AsValue + ?Sized> AsValue for &mut T {
    #[inline]
    fn as_value(&self) -> Value {
        (**self).as_value()
    }
}
