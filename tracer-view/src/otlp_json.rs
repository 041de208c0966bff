//! OTLP/JSON objects (as `JsonLinesExporter` and OTLP/HTTP JSON bodies
//! carry them) turned into tracer's span records.
//!
//! Ids are hex (either case), 64-bit numbers may be strings or numbers,
//! enums may be numbers or their names (`SPAN_KIND_SERVER`). Attribute
//! values tracer has no type for (byte strings, key-value lists, arrays of
//! mixed or nested values) are kept as their JSON text.

use std::borrow::Cow;

use serde_json::{Map, Value as Json};
use tracer_core::{
    Array, Event, KeyValue, Link, Resource, SpanContext, SpanData, SpanId, SpanKind, Status, TraceFlags, TraceId,
    TraceState, Value,
};

/// What is wrong, and where in the object (`events[2].timeUnixNano`).
#[derive(Debug, PartialEq)]
pub struct FieldError {
    pub path: String,
    pub message: String,
}

impl FieldError {
    fn new(path: &str, message: impl Into<String>) -> FieldError {
        FieldError {
            path: path.to_string(),
            message: message.into(),
        }
    }

    /// The same error, inside `outer`.
    pub fn within(mut self, outer: &str) -> FieldError {
        self.path = if self.path.is_empty() {
            outer.to_string()
        } else if self.path.starts_with('[') {
            format!("{outer}{}", self.path)
        } else {
            format!("{outer}.{}", self.path)
        };
        self
    }
}

type Result<T> = std::result::Result<T, FieldError>;

fn field<'a>(object: &'a Map<String, Json>, name: &str) -> Option<&'a Json> {
    object.get(name).filter(|v| !v.is_null())
}

fn string<'a>(object: &'a Map<String, Json>, name: &str) -> Result<Option<&'a str>> {
    match field(object, name) {
        None => Ok(None),
        Some(Json::String(text)) => Ok(Some(text)),
        Some(other) => Err(FieldError::new(name, format!("expected a string, found {other}"))),
    }
}

fn required_string<'a>(object: &'a Map<String, Json>, name: &str) -> Result<&'a str> {
    string(object, name)?.ok_or_else(|| FieldError::new(name, "missing"))
}

/// A 64-bit unsigned number, written as a string or a number.
fn unsigned(object: &Map<String, Json>, name: &str) -> Result<Option<u64>> {
    let parsed = match field(object, name) {
        None => return Ok(None),
        Some(Json::String(text)) => text.parse::<u64>().ok(),
        Some(Json::Number(number)) => number.as_u64(),
        Some(_) => None,
    };
    match parsed {
        Some(value) => Ok(Some(value)),
        None => Err(FieldError::new(
            name,
            format!("expected an unsigned integer, found {}", object[name]),
        )),
    }
}

fn count(object: &Map<String, Json>, name: &str) -> Result<u32> {
    let value = unsigned(object, name)?.unwrap_or(0);
    u32::try_from(value).map_err(|_| FieldError::new(name, format!("{value} is too large")))
}

fn array<'a>(object: &'a Map<String, Json>, name: &str) -> Result<&'a [Json]> {
    match field(object, name) {
        None => Ok(&[]),
        Some(Json::Array(items)) => Ok(items),
        Some(other) => Err(FieldError::new(name, format!("expected an array, found {other}"))),
    }
}

/// The object `value`, or an error naming `path`.
pub fn object<'a>(value: &'a Json, path: &str) -> Result<&'a Map<String, Json>> {
    value
        .as_object()
        .ok_or_else(|| FieldError::new(path, format!("expected an object, found {value}")))
}

fn trace_id(object: &Map<String, Json>, name: &str) -> Result<TraceId> {
    let text = required_string(object, name)?;
    TraceId::from_hex(&text.to_ascii_lowercase())
        .map_err(|e| FieldError::new(name, format!("{e}: {text:?} (32 hex digits)")))
}

fn span_id(object: &Map<String, Json>, name: &str) -> Result<Option<SpanId>> {
    match string(object, name)? {
        None | Some("") => Ok(None),
        Some(text) => SpanId::from_hex(&text.to_ascii_lowercase())
            .map(Some)
            .map_err(|e| FieldError::new(name, format!("{e}: {text:?} (16 hex digits)"))),
    }
}

fn required_span_id(object: &Map<String, Json>, name: &str) -> Result<SpanId> {
    span_id(object, name)?.ok_or_else(|| FieldError::new(name, "missing"))
}

fn trace_state(object: &Map<String, Json>) -> Result<TraceState> {
    match string(object, "traceState")? {
        None | Some("") => Ok(TraceState::empty()),
        Some(header) => {
            TraceState::from_header(header).map_err(|e| FieldError::new("traceState", format!("{e}: {header:?}")))
        }
    }
}

/// An enum written as a number or as one of `names` (index = number).
fn enumeration(object: &Map<String, Json>, name: &str, names: &[&str]) -> Result<usize> {
    let number = match field(object, name) {
        None => return Ok(0),
        Some(Json::Number(number)) => number.as_u64().map(|n| n as usize),
        Some(Json::String(text)) => names.iter().position(|n| n == text),
        Some(_) => None,
    };
    number
        .filter(|&n| n < names.len())
        .ok_or_else(|| FieldError::new(name, format!("unknown value {}", object[name])))
}

fn kind(object: &Map<String, Json>) -> Result<SpanKind> {
    let names = [
        "SPAN_KIND_UNSPECIFIED",
        "SPAN_KIND_INTERNAL",
        "SPAN_KIND_SERVER",
        "SPAN_KIND_CLIENT",
        "SPAN_KIND_PRODUCER",
        "SPAN_KIND_CONSUMER",
    ];
    Ok(match enumeration(object, "kind", &names)? {
        2 => SpanKind::Server,
        3 => SpanKind::Client,
        4 => SpanKind::Producer,
        5 => SpanKind::Consumer,
        _ => SpanKind::Internal,
    })
}

fn status(object: &Map<String, Json>) -> Result<Status> {
    let Some(value) = field(object, "status") else {
        return Ok(Status::Unset);
    };
    let status = self::object(value, "status")?;
    let names = ["STATUS_CODE_UNSET", "STATUS_CODE_OK", "STATUS_CODE_ERROR"];
    let code = enumeration(status, "code", &names).map_err(|e| e.within("status"))?;
    let message = string(status, "message").map_err(|e| e.within("status"))?;
    Ok(match code {
        1 => Status::Ok,
        2 => Status::error(message.unwrap_or_default().to_string()),
        _ => Status::Unset,
    })
}

/// An OTLP `AnyValue`.
fn any_value(value: &Json) -> Result<Value> {
    let object = self::object(value, "")?;
    let Some((name, inner)) = object.iter().next().filter(|_| object.len() == 1) else {
        return Ok(Value::String(Cow::Owned(value.to_string())));
    };
    let bad = |what: &str| FieldError::new(name, format!("expected {what}, found {inner}"));
    Ok(match (name.as_str(), inner) {
        ("stringValue", Json::String(text)) => Value::String(Cow::Owned(text.clone())),
        ("boolValue", Json::Bool(flag)) => Value::Bool(*flag),
        ("intValue", Json::String(text)) => Value::I64(text.parse().map_err(|_| bad("a 64-bit integer"))?),
        ("intValue", Json::Number(number)) => Value::I64(number.as_i64().ok_or_else(|| bad("a 64-bit integer"))?),
        ("doubleValue", Json::Number(number)) => Value::F64(number.as_f64().ok_or_else(|| bad("a number"))?),
        ("doubleValue", Json::String(text)) => Value::F64(match text.as_str() {
            "NaN" => f64::NAN,
            "Infinity" => f64::INFINITY,
            "-Infinity" => f64::NEG_INFINITY,
            _ => return Err(bad("a number")),
        }),
        ("arrayValue", array_value) => {
            let values = match array_value.get("values") {
                None | Some(Json::Null) => Vec::new(),
                Some(Json::Array(items)) => items.iter().map(any_value).collect::<Result<Vec<_>>>()?,
                Some(_) => return Err(bad("{\"values\": [...]}")),
            };
            homogeneous(values).unwrap_or_else(|| Value::String(Cow::Owned(inner.to_string())))
        }
        ("stringValue" | "boolValue" | "intValue" | "doubleValue", _) => return Err(bad("a value of its type")),
        // bytesValue, kvlistValue: no tracer type; keep the text.
        _ => Value::String(Cow::Owned(inner.to_string())),
    })
}

/// The array value, if every item has one scalar type.
fn homogeneous(values: Vec<Value>) -> Option<Value> {
    let array = match values.first() {
        None => Array::String(Vec::new()),
        Some(Value::Bool(_)) => Array::Bool(values.iter().map(|v| v.as_bool()).collect::<Option<_>>()?),
        Some(Value::I64(_)) => Array::I64(values.iter().map(|v| v.as_i64()).collect::<Option<_>>()?),
        Some(Value::F64(_)) => Array::F64(
            values
                .iter()
                .map(|v| matches!(v, Value::F64(_)).then(|| v.as_f64()).flatten())
                .collect::<Option<_>>()?,
        ),
        Some(Value::String(_)) => Array::String(
            values
                .into_iter()
                .map(|v| match v {
                    Value::String(text) => Some(text),
                    _ => None,
                })
                .collect::<Option<_>>()?,
        ),
        Some(Value::Array(_)) => return None,
    };
    Some(Value::Array(array))
}

/// `attributes`: `[{"key": ..., "value": AnyValue}]`.
fn attributes(object: &Map<String, Json>) -> Result<Vec<KeyValue>> {
    let items = array(object, "attributes")?;
    items
        .iter()
        .enumerate()
        .map(|(i, item)| {
            let path = format!("attributes[{i}]");
            let pair = self::object(item, &path)?;
            let key = required_string(pair, "key").map_err(|e| e.within(&path))?;
            let value = match field(pair, "value") {
                Some(value) => any_value(value).map_err(|e| e.within(&format!("{path}.value")))?,
                None => Value::String(Cow::Borrowed("")),
            };
            Ok(KeyValue::new(key.to_string(), value))
        })
        .collect()
}

fn event(value: &Json) -> Result<Event> {
    let object = self::object(value, "")?;
    Ok(Event {
        name: Cow::Owned(required_string(object, "name")?.to_string()),
        timestamp_unix_nano: unsigned(object, "timeUnixNano")?
            .ok_or_else(|| FieldError::new("timeUnixNano", "missing"))?,
        attributes: attributes(object)?,
        dropped_attributes_count: count(object, "droppedAttributesCount")?,
    })
}

/// OTLP's span and link `flags`: trace flags in the low byte; bit 9 says
/// the parent (or linked span) is remote.
fn flags(object: &Map<String, Json>) -> Result<(TraceFlags, bool)> {
    let flags = unsigned(object, "flags")?.unwrap_or(u64::from(TraceFlags::SAMPLED.bits()));
    Ok((TraceFlags::from_bits(flags as u8), flags & 0x200 != 0))
}

fn link(value: &Json) -> Result<Link> {
    let object = self::object(value, "")?;
    let (trace_flags, remote) = flags(object)?;
    let context = SpanContext::new(
        trace_id(object, "traceId")?,
        required_span_id(object, "spanId")?,
        trace_flags,
        remote,
        trace_state(object)?,
    );
    let mut link = Link::new(context, attributes(object)?);
    link.dropped_attributes_count = count(object, "droppedAttributesCount")?;
    Ok(link)
}

fn each<T>(object: &Map<String, Json>, name: &str, convert: fn(&Json) -> Result<T>) -> Result<Vec<T>> {
    array(object, name)?
        .iter()
        .enumerate()
        .map(|(i, item)| convert(item).map_err(|e| e.within(&format!("{name}[{i}]"))))
        .collect()
}

/// An OTLP `Span` object.
pub fn span(value: &Json) -> Result<SpanData> {
    let object = self::object(value, "")?;
    let (trace_flags, parent_is_remote) = flags(object)?;
    let context = SpanContext::new(
        trace_id(object, "traceId")?,
        required_span_id(object, "spanId")?,
        trace_flags,
        false,
        trace_state(object)?,
    );
    let start =
        unsigned(object, "startTimeUnixNano")?.ok_or_else(|| FieldError::new("startTimeUnixNano", "missing"))?;
    let end = unsigned(object, "endTimeUnixNano")?.ok_or_else(|| FieldError::new("endTimeUnixNano", "missing"))?;
    let name = required_string(object, "name")?.to_string();
    let mut span = SpanData::finished(
        context,
        span_id(object, "parentSpanId")?,
        name,
        kind(object)?,
        start,
        end,
    );
    span.parent_is_remote = parent_is_remote && span.parent_span_id.is_some();
    for kv in attributes(object)? {
        span.set_attribute(kv.key, kv.value);
    }
    span.dropped_attributes_count = count(object, "droppedAttributesCount")?;
    span.events = each(object, "events", event)?;
    span.dropped_events_count = count(object, "droppedEventsCount")?;
    span.links = each(object, "links", link)?;
    span.dropped_links_count = count(object, "droppedLinksCount")?;
    span.status = status(object)?;
    Ok(span)
}

/// An OTLP `Resource` object; without a `service.name`, `unknown_service`.
pub fn resource(value: Option<&Json>) -> Result<Resource> {
    let mut builder = Resource::builder().service_name("unknown_service");
    if let Some(value) = value.filter(|v| !v.is_null()) {
        for kv in attributes(self::object(value, "")?)? {
            builder = builder.attribute(kv.key, kv.value);
        }
    }
    Ok(builder.build())
}

/// The spans of an `ExportTraceServiceRequest`, by resource.
pub fn request(object: &Map<String, Json>) -> Result<Vec<(Resource, Vec<SpanData>)>> {
    let mut out = Vec::new();
    for (i, resource_spans) in array(object, "resourceSpans")?.iter().enumerate() {
        let path = format!("resourceSpans[{i}]");
        let resource_spans = self::object(resource_spans, &path)?;
        let resource =
            resource(field(resource_spans, "resource")).map_err(|e| e.within(&format!("{path}.resource")))?;
        let mut spans = Vec::new();
        for (j, scope_spans) in array(resource_spans, "scopeSpans")
            .map_err(|e| e.within(&path))?
            .iter()
            .enumerate()
        {
            let scope_path = format!("{path}.scopeSpans[{j}]");
            let scope_spans = self::object(scope_spans, &scope_path)?;
            let converted = each(scope_spans, "spans", span).map_err(|e| e.within(&scope_path))?;
            spans.extend(converted);
        }
        out.push((resource, spans));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_span_with_every_part() {
        let value = json!({
            "traceId": "5B8AA5A2D2C872E8321CF37308D69DF2", "spanId": "051581bf3cb55c13",
            "parentSpanId": "0102030405060708", "flags": 0x301, "name": "pay", "kind": "SPAN_KIND_CLIENT",
            "startTimeUnixNano": "1000", "endTimeUnixNano": 3000,
            "attributes": [
                {"key": "n", "value": {"intValue": "7"}},
                {"key": "tags", "value": {"arrayValue": {"values": [{"stringValue": "a"}, {"stringValue": "b"}]}}},
                {"key": "mixed", "value": {"arrayValue": {"values": [{"stringValue": "a"}, {"intValue": 1}]}}},
                {"key": "bytes", "value": {"bytesValue": "AAE="}}
            ],
            "events": [{"timeUnixNano": "2000", "name": "retry", "attributes": []}],
            "links": [{"traceId": "00000000000000000000000000000001", "spanId": "0000000000000002", "flags": 0x301}],
            "status": {"code": 2, "message": "declined"}
        });
        let span = span(&value).unwrap();
        assert_eq!(span.trace_id().to_string(), "5b8aa5a2d2c872e8321cf37308d69df2");
        assert_eq!(span.parent_span_id.unwrap().to_string(), "0102030405060708");
        assert!(span.parent_is_remote);
        assert_eq!(span.kind, SpanKind::Client);
        assert_eq!((span.start_time_unix_nano, span.end_time_unix_nano), (1000, 3000));
        assert_eq!(span.attribute("n"), Some(&Value::I64(7)));
        assert_eq!(span.attribute("tags"), Some(&Value::from(vec!["a", "b"])));
        assert_eq!(
            span.attribute("mixed"),
            Some(&Value::from(r#"{"values":[{"stringValue":"a"},{"intValue":1}]}"#))
        );
        assert_eq!(span.attribute("bytes"), Some(&Value::from(r#""AAE=""#)));
        assert_eq!(span.events[0].timestamp_unix_nano, 2000);
        assert!(span.links[0].context.is_remote());
        assert_eq!(span.status, Status::error("declined"));
    }

    #[test]
    fn errors_name_the_field() {
        let value = json!({
            "traceId": "5b8aa5a2d2c872e8321cf37308d69df2", "spanId": "051581bf3cb55c13", "name": "x",
            "startTimeUnixNano": "1", "endTimeUnixNano": "2",
            "events": [{"timeUnixNano": "1", "name": "a"}, {"timeUnixNano": "soon", "name": "b"}]
        });
        assert_eq!(
            span(&value).unwrap_err(),
            FieldError::new("events[1].timeUnixNano", "expected an unsigned integer, found \"soon\"")
        );
        let value = json!({"traceId": "abc", "spanId": "051581bf3cb55c13"});
        let error = span(&value).unwrap_err();
        assert_eq!(error.path, "traceId");
        assert!(error.message.contains("\"abc\""), "{}", error.message);
    }
}
