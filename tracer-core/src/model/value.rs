//! Typed attribute values ("tags").
//!
//! An attribute is a [`KeyValue`]: a [`Key`] and a typed [`Value`] (bool,
//! `i64`, `f64`, string, or a homogeneous array of one of those), the same
//! types OpenTelemetry exports. Keys and string values built from
//! `&'static str` are borrowed, so tagging a span with literals allocates
//! nothing. Borrowed strings with a shorter lifetime go in as `String`.

use std::borrow::Cow;
use std::fmt;

/// An attribute key. Built from `&'static str` without allocating.
///
/// ```
/// use tracer_core::Key;
///
/// let key = Key::from("user_id");
/// assert_eq!(key.as_str(), "user_id");
/// ```
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Key(Cow<'static, str>);

impl Key {
    /// A key from a static string, usable in `const` items.
    pub const fn from_static(key: &'static str) -> Key {
        Key(Cow::Borrowed(key))
    }

    /// The key text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl From<&'static str> for Key {
    fn from(key: &'static str) -> Key {
        Key(Cow::Borrowed(key))
    }
}

impl From<String> for Key {
    fn from(key: String) -> Key {
        Key(Cow::Owned(key))
    }
}

impl From<Cow<'static, str>> for Key {
    fn from(key: Cow<'static, str>) -> Key {
        Key(key)
    }
}

impl fmt::Debug for Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&*self.0, f)
    }
}

impl fmt::Display for Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A typed attribute value.
///
/// ```
/// use tracer_core::Value;
///
/// assert_eq!(Value::from(3), Value::I64(3));
/// assert_eq!(Value::from("usr_123").as_str(), Some("usr_123"));
/// assert_eq!(Value::from(vec![1.5, 2.5]).to_string(), "[1.5, 2.5]");
/// ```
#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    /// `true` or `false`.
    Bool(bool),
    /// A signed 64-bit integer.
    I64(i64),
    /// A 64-bit float.
    F64(f64),
    /// A string.
    String(Cow<'static, str>),
    /// A homogeneous array.
    Array(Array),
}

/// A homogeneous array attribute value.
#[derive(Clone, Debug, PartialEq)]
pub enum Array {
    /// Booleans.
    Bool(Vec<bool>),
    /// Signed 64-bit integers.
    I64(Vec<i64>),
    /// 64-bit floats.
    F64(Vec<f64>),
    /// Strings.
    String(Vec<Cow<'static, str>>),
}

impl Value {
    /// The string, if this is a string value.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::String(s) => Some(s),
            _ => None,
        }
    }

    /// The integer, if this is an `I64`.
    pub fn as_i64(&self) -> Option<i64> {
        match self {
            Value::I64(v) => Some(*v),
            _ => None,
        }
    }

    /// The float, if this is an `F64`.
    pub fn as_f64(&self) -> Option<f64> {
        match self {
            Value::F64(v) => Some(*v),
            _ => None,
        }
    }

    /// The boolean, if this is a `Bool`.
    pub fn as_bool(&self) -> Option<bool> {
        match self {
            Value::Bool(v) => Some(*v),
            _ => None,
        }
    }

    /// Shortens string values (and strings inside arrays) to at most `max`
    /// bytes, on a character boundary. Returns whether anything was cut.
    pub(crate) fn truncate(&mut self, max: usize) -> bool {
        fn cut(s: &mut Cow<'static, str>, max: usize) -> bool {
            if s.len() <= max {
                return false;
            }
            let mut end = max;
            while !s.is_char_boundary(end) {
                end -= 1;
            }
            match s {
                Cow::Borrowed(b) => *b = &b[..end],
                Cow::Owned(o) => o.truncate(end),
            }
            true
        }
        match self {
            Value::String(s) => cut(s, max),
            Value::Array(Array::String(items)) => items.iter_mut().fold(false, |any, s| cut(s, max) | any),
            _ => false,
        }
    }
}

impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fn list<T: fmt::Display>(f: &mut fmt::Formatter<'_>, items: &[T]) -> fmt::Result {
            f.write_str("[")?;
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    f.write_str(", ")?;
                }
                write!(f, "{item}")?;
            }
            f.write_str("]")
        }
        match self {
            Value::Bool(v) => write!(f, "{v}"),
            Value::I64(v) => write!(f, "{v}"),
            Value::F64(v) => write!(f, "{v}"),
            Value::String(v) => f.write_str(v),
            Value::Array(Array::Bool(v)) => list(f, v),
            Value::Array(Array::I64(v)) => list(f, v),
            Value::Array(Array::F64(v)) => list(f, v),
            Value::Array(Array::String(v)) => list(f, v),
        }
    }
}

macro_rules! from_lossless {
    ($variant:ident($target:ty): $($source:ty),*) => {$(
        impl From<$source> for Value {
            fn from(value: $source) -> Value {
                Value::$variant(<$target>::from(value))
            }
        }
    )*};
}

from_lossless!(Bool(bool): bool);
from_lossless!(I64(i64): i64, i32, i16, i8, u32, u16, u8);
from_lossless!(F64(f64): f64, f32);

macro_rules! from_wide_unsigned {
    ($($source:ty),*) => {$(
        /// Values above `i64::MAX` become their decimal string, so nothing
        /// is lost.
        impl From<$source> for Value {
            fn from(value: $source) -> Value {
                match i64::try_from(value) {
                    Ok(v) => Value::I64(v),
                    Err(_) => Value::String(Cow::Owned(value.to_string())),
                }
            }
        }
    )*};
}

from_wide_unsigned!(u64, usize, u128, i128);

impl From<isize> for Value {
    fn from(value: isize) -> Value {
        Value::I64(value as i64)
    }
}

impl From<&'static str> for Value {
    fn from(value: &'static str) -> Value {
        Value::String(Cow::Borrowed(value))
    }
}

impl From<String> for Value {
    fn from(value: String) -> Value {
        Value::String(Cow::Owned(value))
    }
}

impl From<Cow<'static, str>> for Value {
    fn from(value: Cow<'static, str>) -> Value {
        Value::String(value)
    }
}

impl From<Array> for Value {
    fn from(value: Array) -> Value {
        Value::Array(value)
    }
}

macro_rules! from_vec {
    ($($variant:ident: $item:ty),*) => {$(
        impl From<Vec<$item>> for Value {
            fn from(items: Vec<$item>) -> Value {
                Value::Array(Array::$variant(items.into_iter().map(Into::into).collect()))
            }
        }
    )*};
}

from_vec!(Bool: bool, I64: i64, I64: i32, F64: f64, String: &'static str, String: String, String: Cow<'static, str>);

/// The value for `key` among `attributes`.
pub(super) fn find_value<'a>(attributes: &'a [KeyValue], key: &str) -> Option<&'a Value> {
    attributes.iter().find(|kv| kv.key.as_str() == key).map(|kv| &kv.value)
}

/// One attribute: a key and its value.
///
/// ```
/// use tracer_core::{KeyValue, Value};
///
/// let tag = KeyValue::new("amount", 99.99);
/// assert_eq!(tag.key.as_str(), "amount");
/// assert_eq!(tag.value, Value::F64(99.99));
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct KeyValue {
    /// The attribute's name.
    pub key: Key,
    /// The attribute's value.
    pub value: Value,
}

impl KeyValue {
    /// Builds an attribute from anything convertible to a key and a value.
    pub fn new(key: impl Into<Key>, value: impl Into<Value>) -> KeyValue {
        KeyValue {
            key: key.into(),
            value: value.into(),
        }
    }

    /// Whether dropping it frees memory: an owned key or string, or an
    /// array.
    #[inline(always)]
    pub(crate) fn owns_heap(&self) -> bool {
        matches!(self.key.0, Cow::Owned(_)) || matches!(self.value, Value::String(Cow::Owned(_)) | Value::Array(_))
    }
}

impl<K: Into<Key>, V: Into<Value>> From<(K, V)> for KeyValue {
    fn from((key, value): (K, V)) -> KeyValue {
        KeyValue::new(key, value)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn conversions_keep_types() {
        assert_eq!(Value::from(true), Value::Bool(true));
        assert_eq!(Value::from(7u8), Value::I64(7));
        assert_eq!(Value::from(u64::MAX), Value::String(u64::MAX.to_string().into()));
        assert_eq!(Value::from(1.5f32), Value::F64(1.5));
        assert_eq!(
            Value::from(vec!["a", "b"]),
            Value::Array(Array::String(vec!["a".into(), "b".into()]))
        );
    }

    #[test]
    fn truncates_on_char_boundary() {
        let mut v = Value::from("héllo".to_string());
        assert!(v.truncate(2));
        assert_eq!(v.as_str(), Some("h"));
        let mut short = Value::from("ok");
        assert!(!short.truncate(10));
    }

    #[test]
    fn value_is_compact() {
        assert!(
            std::mem::size_of::<KeyValue>() <= 64,
            "{}",
            std::mem::size_of::<KeyValue>()
        );
    }
}
