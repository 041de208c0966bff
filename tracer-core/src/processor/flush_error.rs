//! What a flush or shutdown did not deliver.

use std::fmt;

/// A flush or shutdown that did not deliver everything.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FlushError {
    /// How many spans were not delivered.
    pub undelivered: u64,
    /// Why.
    pub reason: String,
}

impl fmt::Display for FlushError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} spans not delivered: {}", self.undelivered, self.reason)
    }
}

impl std::error::Error for FlushError {}
