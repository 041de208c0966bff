//! The W3C `tracestate`: vendors' entries that travel with a trace.

use std::fmt;
use std::sync::Arc;

/// The W3C `tracestate`: an ordered list of vendor key/value pairs.
///
/// Empty by default, and cheap to clone (one shared list). It follows the
/// grammar of W3C Trace Context Level 2:
///
/// - at most 32 members;
/// - a key is 1 to 256 characters: a lowercase letter or a digit, then
///   lowercase letters, digits and `_ - * / @` (so `acme@tenant`, `foo@`
///   and `a@b@c` are keys, `@foo` is not);
/// - a value is 1 to 256 printable ASCII characters except `,` and `=`,
///   not ending in a space;
/// - one member per key.
///
/// ```
/// use tracer_core::TraceState;
///
/// let state = TraceState::from_header("rojo=00f067aa0ba902b7, congo=t61rcWkgMzE").unwrap();
/// assert_eq!(state.get("congo"), Some("t61rcWkgMzE"));
/// let state = state.insert("acme@tenant", "x").unwrap();
/// assert_eq!(state.header(), "acme@tenant=x,rojo=00f067aa0ba902b7,congo=t61rcWkgMzE");
/// assert!(TraceState::from_header("Bad Key=1").is_err());
/// ```
#[derive(Clone, Default, PartialEq, Eq)]
pub struct TraceState(Option<Arc<Vec<(String, String)>>>);

/// Why a trace state was rejected.
///
/// ```
/// use tracer_core::{TraceState, TraceStateError};
///
/// assert_eq!(TraceState::from_header("@foo=1"), Err(TraceStateError::Key("@foo".to_string())));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TraceStateError {
    /// A key breaks the W3C key grammar.
    Key(String),
    /// A value breaks the W3C value grammar.
    Value(String),
    /// A member is not `key=value`.
    Member(String),
    /// More than 32 members.
    TooMany(usize),
}

impl fmt::Display for TraceStateError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TraceStateError::Key(k) => write!(f, "invalid tracestate key {k:?}"),
            TraceStateError::Value(v) => write!(f, "invalid tracestate value {v:?}"),
            TraceStateError::Member(m) => write!(f, "invalid tracestate member {m:?}"),
            TraceStateError::TooMany(n) => write!(f, "{n} tracestate members, more than 32"),
        }
    }
}

impl std::error::Error for TraceStateError {}

/// The most list members a trace state may have.
pub(crate) const TRACE_STATE_MAX_MEMBERS: usize = 32;

/// The longest key, and the longest value.
const MAX_LEN: usize = 256;

/// `keychar`: `lcalpha / DIGIT / "_" / "-" / "*" / "/" / "@"`.
fn is_key_char(c: u8) -> bool {
    matches!(c, b'a'..=b'z' | b'0'..=b'9' | b'_' | b'-' | b'*' | b'/' | b'@')
}

/// `key = ( lcalpha / DIGIT ) 0*255( keychar )`.
fn valid_key(key: &str) -> bool {
    let bytes = key.as_bytes();
    (1..=MAX_LEN).contains(&bytes.len())
        && (bytes[0].is_ascii_lowercase() || bytes[0].is_ascii_digit())
        && bytes.iter().all(|&c| is_key_char(c))
}

/// `value = 0*255( chr ) nblk-chr`: printable ASCII except `,` and `=`,
/// the last one not a space.
fn valid_value(value: &str) -> bool {
    let bytes = value.as_bytes();
    (1..=MAX_LEN).contains(&bytes.len())
        && bytes
            .iter()
            .all(|&c| (0x20..=0x7e).contains(&c) && c != b',' && c != b'=')
        && bytes[bytes.len() - 1] != b' '
}

impl TraceState {
    /// The empty trace state.
    pub const fn empty() -> TraceState {
        TraceState(None)
    }

    /// Parses a `tracestate` header value (several header lines are joined
    /// with `,` first).
    ///
    /// - Empty members, and the spaces and tabs around members, are
    ///   ignored, as the grammar allows; spaces inside a value are kept.
    /// - A key that appears twice keeps its first (left-most) member, the
    ///   most recent one, and later ones are dropped: Level 2 allows this
    ///   header to be propagated with one of the duplicates discarded.
    /// - Any invalid member, or more than 32 members (empty ones not
    ///   counted, duplicates counted), makes the whole header an error:
    ///   the spec lets a vendor discard a header it cannot parse, and
    ///   keeping part of one would pass on a list its sender never wrote.
    ///
    /// ```
    /// use tracer_core::{TraceState, TraceStateError};
    ///
    /// let state = TraceState::from_header("foo=1,bar=2,foo=3").unwrap();
    /// assert_eq!(state.header(), "foo=1,bar=2");
    /// assert_eq!(TraceState::from_header("foo@=1").unwrap().get("foo@"), Some("1"));
    /// assert_eq!(TraceState::from_header("foo=,bar=3"), Err(TraceStateError::Value(String::new())));
    /// ```
    pub fn from_header(header: &str) -> Result<TraceState, TraceStateError> {
        let members: Vec<&str> = header
            .split(',')
            .map(|member| member.trim_matches(|c| c == ' ' || c == '\t'))
            .filter(|member| !member.is_empty())
            .collect();
        if members.len() > TRACE_STATE_MAX_MEMBERS {
            return Err(TraceStateError::TooMany(members.len()));
        }
        let mut entries: Vec<(String, String)> = Vec::with_capacity(members.len());
        for member in members {
            let (key, value) = member
                .split_once('=')
                .ok_or_else(|| TraceStateError::Member(member.to_string()))?;
            if !valid_key(key) {
                return Err(TraceStateError::Key(key.to_string()));
            }
            if !valid_value(value) {
                return Err(TraceStateError::Value(value.to_string()));
            }
            if !entries.iter().any(|(k, _)| k == key) {
                entries.push((key.to_string(), value.to_string()));
            }
        }
        Ok(TraceState::from_entries(entries))
    }

    fn from_entries(entries: Vec<(String, String)>) -> TraceState {
        if entries.is_empty() {
            TraceState(None)
        } else {
            TraceState(Some(Arc::new(entries)))
        }
    }

    /// The header value: members joined by `,`, most recent first.
    pub fn header(&self) -> String {
        let mut out = String::new();
        for (i, (key, value)) in self.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            out.push_str(key);
            out.push('=');
            out.push_str(value);
        }
        out
    }

    /// The value for `key`.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.iter().find(|(k, _)| *k == key).map(|(_, v)| v)
    }

    /// A new state with `key=value` moved to the front, as a vendor does
    /// when it updates its entry. When the list is full, the oldest member
    /// is dropped to make room, as the spec allows.
    pub fn insert(&self, key: &str, value: &str) -> Result<TraceState, TraceStateError> {
        if !valid_key(key) {
            return Err(TraceStateError::Key(key.to_string()));
        }
        if !valid_value(value) {
            return Err(TraceStateError::Value(value.to_string()));
        }
        let mut entries = vec![(key.to_string(), value.to_string())];
        entries.extend(
            self.iter()
                .filter(|(k, _)| *k != key)
                .map(|(k, v)| (k.to_string(), v.to_string())),
        );
        entries.truncate(TRACE_STATE_MAX_MEMBERS);
        Ok(TraceState::from_entries(entries))
    }

    /// A new state without `key`.
    pub fn remove(&self, key: &str) -> TraceState {
        TraceState::from_entries(
            self.iter()
                .filter(|(k, _)| *k != key)
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        )
    }

    /// Whether there are no members.
    pub fn is_empty(&self) -> bool {
        self.0.is_none()
    }

    /// The members, most recent first.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.0
            .iter()
            .flat_map(|entries| entries.iter().map(|(k, v)| (k.as_str(), v.as_str())))
    }
}

impl fmt::Debug for TraceState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "TraceState({:?})", self.header())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn remove_keeps_the_other_members_in_order_and_debug_shows_the_header() {
        let state = TraceState::from_header("a=1,b=2,c=3").unwrap();
        assert_eq!(state.remove("b").header(), "a=1,c=3");
        assert_eq!(state.remove("absent").header(), "a=1,b=2,c=3");
        assert!(TraceState::from_header("a=1").unwrap().remove("a").is_empty());
        assert_eq!(format!("{state:?}"), r#"TraceState("a=1,b=2,c=3")"#);
    }

    #[test]
    fn errors_name_what_was_rejected() {
        let message = |header: &str| TraceState::from_header(header).unwrap_err().to_string();
        assert_eq!(message("Bad=v"), r#"invalid tracestate key "Bad""#);
        assert_eq!(message("k=v\u{7f}"), r#"invalid tracestate value "v\u{7f}""#);
        assert_eq!(message("novalue"), r#"invalid tracestate member "novalue""#);
        let many: Vec<String> = (0..33).map(|i| format!("k{i}=v")).collect();
        assert_eq!(message(&many.join(",")), "33 tracestate members, more than 32");
    }

    #[test]
    fn key_grammar_table() {
        // (key, valid under `( lcalpha / DIGIT ) 0*255( keychar )`)
        let cases: Vec<(String, bool)> = vec![
            ("a".to_string(), true),
            ("1tenant@sys".to_string(), true),
            ("foo@".to_string(), true),
            ("foo@@bar".to_string(), true),
            ("foo@bar@baz".to_string(), true),
            ("a_-*/@z9".to_string(), true),
            ("z".repeat(256), true),
            (format!("{}@{}", "t".repeat(241), "v".repeat(14)), true),
            (format!("{}@v", "t".repeat(242)), true),
            (format!("t@{}", "v".repeat(15)), true),
            ("z".repeat(257), false),
            (String::new(), false),
            ("@foo".to_string(), false),
            ("_foo".to_string(), false),
            ("Foo".to_string(), false),
            ("foo.bar".to_string(), false),
            ("foo ".to_string(), false),
            ("caf\u{e9}".to_string(), false),
        ];
        for (key, expected) in cases {
            assert_eq!(valid_key(&key), expected, "{key:?}");
        }
    }

    #[test]
    fn value_grammar_table() {
        // (value, valid under `0*255( chr ) nblk-chr`)
        let cases: Vec<(String, bool)> = vec![
            ("1".to_string(), true),
            (" leading spaces kept".to_string(), true),
            ("in ner".to_string(), true),
            ("!~".to_string(), true),
            ("x".repeat(256), true),
            ("x".repeat(257), false),
            (String::new(), false),
            ("end ".to_string(), false),
            ("a,b".to_string(), false),
            ("a=b".to_string(), false),
            ("tab\there".to_string(), false),
            ("caf\u{e9}".to_string(), false),
        ];
        for (value, expected) in cases {
            assert_eq!(valid_value(&value), expected, "{value:?}");
        }
    }

    #[test]
    fn header_table() {
        // (header, the parsed header or the error)
        let cases: Vec<(&str, Result<&str, TraceStateError>)> = vec![
            ("a=1,b=2", Ok("a=1,b=2")),
            (" a=1 ,, b=2 ", Ok("a=1,b=2")),
            ("a=1 \t,\t b=2", Ok("a=1,b=2")),
            ("a=end ", Ok("a=end")),
            ("a= 1", Ok("a= 1")),
            ("", Ok("")),
            (" , ", Ok("")),
            ("foo=1,foo=1", Ok("foo=1")),
            ("foo=1,foo=2", Ok("foo=1")),
            ("foo=2,bar=1,foo=1", Ok("foo=2,bar=1")),
            ("foo@=1,bar=2", Ok("foo@=1,bar=2")),
            ("@foo=1,bar=2", Err(TraceStateError::Key("@foo".to_string()))),
            ("A=1", Err(TraceStateError::Key("A".to_string()))),
            ("foo =1", Err(TraceStateError::Key("foo ".to_string()))),
            ("a=x,y", Err(TraceStateError::Member("y".to_string()))),
            ("foo=bar=baz", Err(TraceStateError::Value("bar=baz".to_string()))),
            ("foo=,bar=3", Err(TraceStateError::Value(String::new()))),
            ("a=caf\u{e9}", Err(TraceStateError::Value("caf\u{e9}".to_string()))),
        ];
        for (header, expected) in cases {
            let parsed = TraceState::from_header(header).map(|state| state.header());
            assert_eq!(parsed, expected.map(str::to_string), "{header:?}");
        }
    }

    #[test]
    fn at_most_32_members() {
        let members: Vec<String> = (0..33).map(|i| format!("k{i}=v")).collect();
        assert_eq!(
            TraceState::from_header(&members.join(",")),
            Err(TraceStateError::TooMany(33))
        );
        let state = TraceState::from_header(&members[..32].join(",")).unwrap();
        assert_eq!(state.iter().count(), 32);
        // Empty members do not count; a duplicate does.
        let with_empty = format!("{},,", members[..32].join(","));
        assert_eq!(TraceState::from_header(&with_empty).unwrap().iter().count(), 32);
        let with_duplicate = format!("{},k0=w", members[..32].join(","));
        assert_eq!(
            TraceState::from_header(&with_duplicate),
            Err(TraceStateError::TooMany(33))
        );
    }

    #[test]
    fn insert_moves_to_front_and_caps() {
        let members: Vec<String> = (0..32).map(|i| format!("k{i}=v")).collect();
        let state = TraceState::from_header(&members.join(",")).unwrap();
        let state = state.insert("new", "1").unwrap();
        assert_eq!(state.iter().count(), 32);
        assert_eq!(state.iter().next(), Some(("new", "1")));
        assert_eq!(state.get("k31"), None);
        assert_eq!(state.remove("new").get("new"), None);
        assert_eq!(state.insert("@bad", "1"), Err(TraceStateError::Key("@bad".to_string())));
    }
}
