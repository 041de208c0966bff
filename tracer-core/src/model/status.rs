//! The outcome of a span.

use std::borrow::Cow;

/// The outcome of a span.
///
/// `Ok` is final: once set, later status changes are ignored, as the
/// OpenTelemetry specification asks. Setting `Unset` is ignored too.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub enum Status {
    /// Nothing was said (the default).
    #[default]
    Unset,
    /// The operation succeeded.
    Ok,
    /// The operation failed.
    Error {
        /// What went wrong.
        message: Cow<'static, str>,
    },
}

impl Status {
    /// An error status with a message.
    ///
    /// ```
    /// use tracer_core::Status;
    ///
    /// let status = Status::error("Database connection failed");
    /// assert!(status.is_error());
    /// ```
    pub fn error(message: impl Into<Cow<'static, str>>) -> Status {
        Status::Error {
            message: message.into(),
        }
    }

    /// Whether this is an error status.
    pub fn is_error(&self) -> bool {
        matches!(self, Status::Error { .. })
    }
}
