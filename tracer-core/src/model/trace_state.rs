//! The W3C `tracestate`: vendors' entries that travel with a trace.

use std::fmt;
use std::sync::Arc;

/// The W3C `tracestate`: an ordered list of vendor key/value pairs.
///
/// Empty by default, and cheap to clone (one shared list). It follows the
/// spec's grammar: at most 32 members, keys of lowercase letters, digits and
/// `_-*/` (optionally `tenant@system`), values of printable ASCII without
/// `,` or `=`, no duplicate keys.
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
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TraceStateError {
    /// A key breaks the W3C key grammar.
    Key(String),
    /// A value breaks the W3C value grammar.
    Value(String),
    /// A member is not `key=value`.
    Member(String),
    /// The same key appears twice.
    Duplicate(String),
    /// More than 32 members.
    TooMany(usize),
}

impl fmt::Display for TraceStateError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TraceStateError::Key(k) => write!(f, "invalid tracestate key {k:?}"),
            TraceStateError::Value(v) => write!(f, "invalid tracestate value {v:?}"),
            TraceStateError::Member(m) => write!(f, "invalid tracestate member {m:?}"),
            TraceStateError::Duplicate(k) => write!(f, "duplicate tracestate key {k:?}"),
            TraceStateError::TooMany(n) => write!(f, "{n} tracestate members, more than 32"),
        }
    }
}

impl std::error::Error for TraceStateError {}

/// The most list members a trace state may have.
pub(crate) const TRACE_STATE_MAX_MEMBERS: usize = 32;

fn is_key_char(c: u8) -> bool {
    matches!(c, b'a'..=b'z' | b'0'..=b'9' | b'_' | b'-' | b'*' | b'/')
}

/// `simple-key` or `tenant-id@system-id`, as the W3C grammar defines them.
fn valid_key(key: &str) -> bool {
    let bytes = key.as_bytes();
    match key.split_once('@') {
        None => {
            (1..=256).contains(&bytes.len()) && bytes[0].is_ascii_lowercase() && bytes.iter().all(|&c| is_key_char(c))
        }
        Some((tenant, system)) => {
            let (t, s) = (tenant.as_bytes(), system.as_bytes());
            (1..=241).contains(&t.len())
                && (t[0].is_ascii_lowercase() || t[0].is_ascii_digit())
                && t.iter().all(|&c| is_key_char(c))
                && (1..=14).contains(&s.len())
                && s[0].is_ascii_lowercase()
                && s.iter().all(|&c| is_key_char(c))
        }
    }
}

/// Up to 256 printable ASCII characters except `,` and `=`, not ending in a
/// space.
fn valid_value(value: &str) -> bool {
    let bytes = value.as_bytes();
    (1..=256).contains(&bytes.len())
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

    /// Parses a `tracestate` header value. Several header lines are joined
    /// with `,` before parsing. Empty members and the optional whitespace
    /// around members are ignored, as the spec allows.
    pub fn from_header(header: &str) -> Result<TraceState, TraceStateError> {
        let mut entries: Vec<(String, String)> = Vec::new();
        for member in header.split(',') {
            let member = member.trim_matches(|c| c == ' ' || c == '\t');
            if member.is_empty() {
                continue;
            }
            let (key, value) = member
                .split_once('=')
                .ok_or_else(|| TraceStateError::Member(member.to_string()))?;
            if !valid_key(key) {
                return Err(TraceStateError::Key(key.to_string()));
            }
            if !valid_value(value) {
                return Err(TraceStateError::Value(value.to_string()));
            }
            if entries.iter().any(|(k, _)| k == key) {
                return Err(TraceStateError::Duplicate(key.to_string()));
            }
            entries.push((key.to_string(), value.to_string()));
        }
        if entries.len() > TRACE_STATE_MAX_MEMBERS {
            return Err(TraceStateError::TooMany(entries.len()));
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
    fn trace_state_grammar() {
        assert!(TraceState::from_header("a=1,b=2").is_ok());
        assert!(TraceState::from_header("tenant@sys=v").is_ok());
        assert!(TraceState::from_header("1tenant@sys=v").is_ok());
        assert!(TraceState::from_header("A=1").is_err());
        assert!(TraceState::from_header("a=1,a=2").is_err());
        assert!(TraceState::from_header("a=x,y").is_err());
        assert!(TraceState::from_header("a=x=y").is_err());
        // Trailing whitespace is optional whitespace around the member.
        assert_eq!(TraceState::from_header("a=end ").unwrap().get("a"), Some("end"));
        assert!(TraceState::from_header("a=caf\u{e9}").is_err());
        assert!(TraceState::from_header("a=").is_err());
        assert_eq!(TraceState::from_header(" a=1 ,, b=2 ").unwrap().header(), "a=1,b=2");
        let members: Vec<String> = (0..33).map(|i| format!("k{i}=v")).collect();
        assert_eq!(
            TraceState::from_header(&members.join(",")),
            Err(TraceStateError::TooMany(33))
        );
        assert!(TraceState::from_header(&members[..32].join(",")).is_ok());
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
    }
}
