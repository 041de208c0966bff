//! `tracing` fields as tracer attributes: typed values, and the special
//! fields that tracing-opentelemetry reads (`otel.name`, `otel.kind`,
//! `otel.status_code`, `otel.status_message`, `error`).

use std::borrow::Cow;
use std::fmt;

use smallvec::SmallVec;
use tracing_core::field::{Field, Visit};

use crate::model::{KeyValue, SpanData, SpanKind, SpanLimits, Status, Value};

/// Renames the span.
pub(super) const NAME_FIELD: &str = "otel.name";
/// Sets the span kind: `server`, `client`, `producer`, `consumer` or
/// `internal` (any case).
pub(super) const KIND_FIELD: &str = "otel.kind";
/// Sets the status: `ok` or `error` (any case).
pub(super) const STATUS_CODE_FIELD: &str = "otel.status_code";
/// The message of an error status. tracing-opentelemetry calls it
/// `otel.status_description`, which is read too.
pub(super) const STATUS_MESSAGE_FIELD: &str = "otel.status_message";
const STATUS_DESCRIPTION_FIELD: &str = "otel.status_description";
/// Marks the span as failed, with the value's text as the message.
pub(super) const ERROR_FIELD: &str = "error";
/// An event's text, its name.
pub(super) const MESSAGE_FIELD: &str = "message";

/// What a span's fields say, collected before the span's record is
/// touched: recording a field runs the user's `Debug` and `Display`.
#[derive(Default)]
pub(super) struct SpanFields {
    /// On the stack for most spans: no allocation before the record.
    pub(super) attributes: SmallVec<[KeyValue; 8]>,
    pub(super) name: Option<Cow<'static, str>>,
    pub(super) kind: Option<SpanKind>,
    /// `Some(true)` for `otel.status_code = "ok"`, `Some(false)` for
    /// `"error"`.
    status_ok: Option<bool>,
    status_message: Option<String>,
    /// The `error` field's text.
    error: Option<String>,
}

impl SpanFields {
    /// The status the fields set, if any. An `error` field wins over
    /// `otel.status_code = "ok"`.
    pub(super) fn status(&self) -> Option<Status> {
        if let Some(error) = &self.error {
            return Some(Status::error(error.clone()));
        }
        match self.status_ok? {
            true => Some(Status::Ok),
            false => Some(Status::error(self.status_message.clone().unwrap_or_default())),
        }
    }

    /// Applies fields recorded after the span started.
    pub(super) fn apply(self, data: &mut SpanData, limits: &SpanLimits) {
        let status = self.status();
        if let Some(name) = self.name {
            data.name = name;
        }
        if let Some(kind) = self.kind {
            data.kind = kind;
        }
        if let Some(status) = status {
            data.set_status(status);
        }
        for kv in self.attributes {
            data.put_attribute(kv, limits);
        }
    }

    fn special_str(&mut self, name: &str, text: &str) -> bool {
        match name {
            NAME_FIELD => self.name = Some(Cow::Owned(text.to_owned())),
            KIND_FIELD => self.kind = kind_from_str(text),
            STATUS_CODE_FIELD => self.status_ok = status_from_str(text),
            STATUS_MESSAGE_FIELD | STATUS_DESCRIPTION_FIELD => self.status_message = Some(text.to_owned()),
            _ => return false,
        }
        true
    }

    fn push(&mut self, field: &Field, value: Value) {
        self.attributes.push(KeyValue::new(field.name(), value));
    }
}

/// The `Visit` methods for typed values, alike for span and event fields:
/// each keeps its type as an attribute value, through the visitor's `push`.
macro_rules! typed_fields {
    () => {
        fn record_i64(&mut self, field: &Field, value: i64) {
            self.push(field, Value::I64(value));
        }

        fn record_u64(&mut self, field: &Field, value: u64) {
            self.push(field, Value::from(value));
        }

        fn record_i128(&mut self, field: &Field, value: i128) {
            self.push(field, Value::from(value));
        }

        fn record_u128(&mut self, field: &Field, value: u128) {
            self.push(field, Value::from(value));
        }

        fn record_f64(&mut self, field: &Field, value: f64) {
            self.push(field, Value::F64(value));
        }

        fn record_bool(&mut self, field: &Field, value: bool) {
            self.push(field, Value::Bool(value));
        }
    };
}

impl Visit for SpanFields {
    typed_fields!();

    fn record_str(&mut self, field: &Field, value: &str) {
        if self.special_str(field.name(), value) {
            return;
        }
        if field.name() == ERROR_FIELD {
            self.error = Some(value.to_owned());
        }
        self.push(field, Value::String(Cow::Owned(value.to_owned())));
    }

    fn record_error(&mut self, field: &Field, value: &(dyn std::error::Error + 'static)) {
        self.record_str(field, &value.to_string());
    }

    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        // `%value` and `?value` both arrive here; the text is the same
        // whichever way it is read.
        self.record_str(field, &format!("{value:?}"));
    }
}

/// `otel.kind`'s value.
pub(super) fn kind_from_str(text: &str) -> Option<SpanKind> {
    let text = text.trim_matches('"');
    [
        ("server", SpanKind::Server),
        ("client", SpanKind::Client),
        ("producer", SpanKind::Producer),
        ("consumer", SpanKind::Consumer),
        ("internal", SpanKind::Internal),
    ]
    .into_iter()
    .find_map(|(name, kind)| name.eq_ignore_ascii_case(text).then_some(kind))
}

/// `otel.status_code`'s value: `Some(true)` for ok, `Some(false)` for
/// error.
fn status_from_str(text: &str) -> Option<bool> {
    let text = text.trim_matches('"');
    if text.eq_ignore_ascii_case("ok") {
        Some(true)
    } else if text.eq_ignore_ascii_case("error") {
        Some(false)
    } else {
        None
    }
}

/// An event's fields: its message (the event's name) and the rest as
/// attributes. Fields that `tracing-log` adds to a `log` record (`log.*`)
/// are left out: the record's own target and level are used instead.
#[derive(Default)]
pub(super) struct EventFields {
    pub(super) message: Option<String>,
    pub(super) attributes: Vec<KeyValue>,
    /// The `error` field's text.
    pub(super) error: Option<String>,
}

impl EventFields {
    fn push(&mut self, field: &Field, value: Value) {
        if !field.name().starts_with("log.") {
            self.attributes.push(KeyValue::new(field.name(), value));
        }
    }
}

impl Visit for EventFields {
    typed_fields!();

    fn record_str(&mut self, field: &Field, value: &str) {
        match field.name() {
            MESSAGE_FIELD => self.message = Some(value.to_owned()),
            name => {
                if name == ERROR_FIELD {
                    self.error = Some(value.to_owned());
                }
                self.push(field, Value::String(Cow::Owned(value.to_owned())));
            }
        }
    }

    fn record_error(&mut self, field: &Field, value: &(dyn std::error::Error + 'static)) {
        self.record_str(field, &value.to_string());
    }

    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        self.record_str(field, &format!("{value:?}"));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_and_statuses_are_read_in_any_case() {
        assert_eq!(kind_from_str("SERVER"), Some(SpanKind::Server));
        assert_eq!(kind_from_str("\"client\""), Some(SpanKind::Client));
        assert_eq!(kind_from_str("Producer"), Some(SpanKind::Producer));
        assert_eq!(kind_from_str("consumer"), Some(SpanKind::Consumer));
        assert_eq!(kind_from_str("internal"), Some(SpanKind::Internal));
        assert_eq!(kind_from_str("sideways"), None);
        assert_eq!(status_from_str("Ok"), Some(true));
        assert_eq!(status_from_str("ERROR"), Some(false));
        assert_eq!(status_from_str("unset"), None);
    }

    #[test]
    fn an_error_field_wins_over_an_ok_status() {
        let fields = SpanFields {
            status_ok: Some(true),
            error: Some("disk full".into()),
            ..SpanFields::default()
        };
        assert_eq!(fields.status(), Some(Status::error("disk full")));
        let failed = SpanFields {
            status_ok: Some(false),
            status_message: Some("timeout".into()),
            ..SpanFields::default()
        };
        assert_eq!(failed.status(), Some(Status::error("timeout")));
    }
}
