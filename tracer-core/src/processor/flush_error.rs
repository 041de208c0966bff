//! What a flush or shutdown did not deliver.

use std::fmt;

/// A flush or shutdown that did not deliver everything: what was not
/// delivered since the previous flush, by outcome.
///
/// ```
/// use tracer_core::processor::FlushError;
///
/// let error = FlushError {
///     queued: 0,
///     failed: 100,
///     rejected: 2,
///     reason: "connection refused".into(),
/// };
/// assert_eq!(error.undelivered(), 102);
/// assert_eq!(
///     error.to_string(),
///     "102 spans not delivered (100 failed, not confirmed by the collector; 2 rejected by it): connection refused"
/// );
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FlushError {
    /// Spans still waiting in the queue when the flush gave up (its timeout
    /// passed, or the processor was shut down).
    pub queued: u64,
    /// Spans whose export failed: not confirmed by the collector. Over HTTP
    /// a collector may have received a request whose answer timed out, so
    /// some of these can have arrived.
    pub failed: u64,
    /// Spans the collector answered that it rejected (a partial success).
    pub rejected: u64,
    /// Why, in words: the last failure's reason.
    pub reason: String,
}

impl FlushError {
    /// Every span not delivered: queued, failed and rejected together.
    pub fn undelivered(&self) -> u64 {
        self.queued + self.failed + self.rejected
    }

    /// The two errors of two processors as one: their counts added, their
    /// reasons joined.
    pub(crate) fn and(self, other: FlushError) -> FlushError {
        let reason = match (self.reason.is_empty(), other.reason.is_empty()) {
            (_, true) => self.reason,
            (true, false) => other.reason,
            (false, false) => format!("{}; {}", self.reason, other.reason),
        };
        FlushError {
            queued: self.queued + other.queued,
            failed: self.failed + other.failed,
            rejected: self.rejected + other.rejected,
            reason,
        }
    }
}

impl fmt::Display for FlushError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} spans not delivered", self.undelivered())?;
        let mut parts = Vec::new();
        if self.queued > 0 {
            parts.push(format!("{} still queued", self.queued));
        }
        if self.failed > 0 {
            parts.push(format!("{} failed, not confirmed by the collector", self.failed));
        }
        if self.rejected > 0 {
            parts.push(format!("{} rejected by it", self.rejected));
        }
        if !parts.is_empty() {
            write!(f, " ({})", parts.join("; "))?;
        }
        write!(f, ": {}", self.reason)
    }
}

impl std::error::Error for FlushError {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_names_each_outcome_that_happened() {
        let queued = FlushError {
            queued: 6,
            reason: "timed out after 50ms waiting for the exporter".into(),
            ..FlushError::default()
        };
        assert_eq!(
            queued.to_string(),
            "6 spans not delivered (6 still queued): timed out after 50ms waiting for the exporter"
        );
        let all = FlushError {
            queued: 1,
            failed: 2,
            rejected: 3,
            reason: "r".into(),
        };
        assert_eq!(
            all.to_string(),
            "6 spans not delivered (1 still queued; 2 failed, not confirmed by the collector; 3 rejected by it): r"
        );
    }

    #[test]
    fn two_errors_add_up() {
        let a = FlushError {
            queued: 1,
            failed: 2,
            rejected: 0,
            reason: "a".into(),
        };
        let b = FlushError {
            queued: 0,
            failed: 5,
            rejected: 7,
            reason: "b".into(),
        };
        assert_eq!(
            a.and(b),
            FlushError {
                queued: 1,
                failed: 7,
                rejected: 7,
                reason: "a; b".into()
            }
        );
    }
}
