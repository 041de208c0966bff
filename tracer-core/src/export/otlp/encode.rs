//! Request bodies: `ExportTraceServiceRequest` as protobuf (through the
//! official `opentelemetry-proto` types and `prost`) or as OTLP JSON
//! (through the span encoder of `export/json.rs`).

use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use opentelemetry_proto::tonic::common::v1::{
    AnyValue, ArrayValue, InstrumentationScope, KeyValue as PbKeyValue, any_value,
};
use opentelemetry_proto::tonic::resource::v1::Resource as PbResource;
use opentelemetry_proto::tonic::trace::v1::{ResourceSpans, ScopeSpans, Span as PbSpan, Status as PbStatus, span};

use crate::export::json::{kind_number, span_flags, status_code, write_attributes, write_span, write_string};
use crate::model::Resource;
use crate::model::{Array, KeyValue, Value};
use crate::model::{SpanData, Status};

/// The instrumentation scope every span is exported under.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Scope {
    pub(crate) name: String,
    pub(crate) version: String,
}

pub(crate) fn any_value(value: &Value) -> AnyValue {
    fn array<T>(items: &[T], f: impl Fn(&T) -> any_value::Value) -> any_value::Value {
        any_value::Value::ArrayValue(ArrayValue {
            values: items.iter().map(|v| AnyValue { value: Some(f(v)) }).collect(),
        })
    }
    let value = match value {
        Value::Bool(v) => any_value::Value::BoolValue(*v),
        Value::I64(v) => any_value::Value::IntValue(*v),
        Value::F64(v) => any_value::Value::DoubleValue(*v),
        Value::String(v) => any_value::Value::StringValue(v.to_string()),
        Value::Array(Array::Bool(items)) => array(items, |v| any_value::Value::BoolValue(*v)),
        Value::Array(Array::I64(items)) => array(items, |v| any_value::Value::IntValue(*v)),
        Value::Array(Array::F64(items)) => array(items, |v| any_value::Value::DoubleValue(*v)),
        Value::Array(Array::String(items)) => array(items, |v| any_value::Value::StringValue(v.to_string())),
    };
    AnyValue { value: Some(value) }
}

pub(crate) fn key_values(attributes: &[KeyValue]) -> Vec<PbKeyValue> {
    attributes
        .iter()
        .map(|kv| PbKeyValue {
            key: kv.key.as_str().to_owned(),
            value: Some(any_value(&kv.value)),
            ..Default::default()
        })
        .collect()
}

pub(crate) fn span(data: &SpanData) -> PbSpan {
    let ctx = &data.context;
    PbSpan {
        trace_id: ctx.trace_id().to_bytes().to_vec(),
        span_id: ctx.span_id().to_bytes().to_vec(),
        trace_state: ctx.trace_state().header(),
        parent_span_id: data.parent_span_id.map(|p| p.to_bytes().to_vec()).unwrap_or_default(),
        flags: span_flags(
            ctx.trace_flags().bits(),
            data.parent_span_id.is_some(),
            data.parent_is_remote,
        ),
        name: data.name.to_string(),
        kind: kind_number(data.kind),
        start_time_unix_nano: data.start_time_unix_nano,
        end_time_unix_nano: data.end_time_unix_nano,
        attributes: key_values(&data.attributes),
        dropped_attributes_count: data.dropped_attributes_count,
        events: data
            .events
            .iter()
            .map(|e| span::Event {
                time_unix_nano: e.timestamp_unix_nano,
                name: e.name.to_string(),
                attributes: key_values(&e.attributes),
                dropped_attributes_count: e.dropped_attributes_count,
            })
            .collect(),
        dropped_events_count: data.dropped_events_count,
        links: data
            .links
            .iter()
            .map(|l| span::Link {
                trace_id: l.context.trace_id().to_bytes().to_vec(),
                span_id: l.context.span_id().to_bytes().to_vec(),
                trace_state: l.context.trace_state().header(),
                attributes: key_values(&l.attributes),
                dropped_attributes_count: l.dropped_attributes_count,
                flags: span_flags(l.context.trace_flags().bits(), true, l.context.is_remote()),
            })
            .collect(),
        dropped_links_count: data.dropped_links_count,
        status: Some(PbStatus {
            message: match &data.status {
                Status::Error { message } => message.to_string(),
                _ => String::new(),
            },
            code: status_code(&data.status),
        }),
    }
}

pub(crate) fn resource(resource: &Resource) -> PbResource {
    PbResource {
        attributes: key_values(resource.attributes()),
        ..Default::default()
    }
}

/// One `ExportTraceServiceRequest` with one resource and one scope (sent
/// as an OTLP/HTTP protobuf body, or as the gRPC request).
pub(crate) fn request(resource: &PbResource, scope: &Scope, batch: &[SpanData]) -> ExportTraceServiceRequest {
    ExportTraceServiceRequest {
        resource_spans: vec![ResourceSpans {
            resource: Some(resource.clone()),
            scope_spans: vec![ScopeSpans {
                scope: Some(InstrumentationScope {
                    name: scope.name.clone(),
                    version: scope.version.clone(),
                    ..Default::default()
                }),
                spans: batch.iter().map(span).collect(),
                schema_url: String::new(),
            }],
            schema_url: String::new(),
        }],
    }
}

/// The same request in the OTLP JSON mapping: hex ids, integer enums,
/// lowerCamelCase names, 64-bit integers as strings.
pub(crate) fn json(resource: &Resource, scope: &Scope, batch: &[SpanData]) -> Vec<u8> {
    let mut out = String::with_capacity(256 + batch.len() * 512);
    out.push_str("{\"resourceSpans\":[{\"resource\":{\"attributes\":");
    write_attributes(&mut out, resource.attributes());
    out.push_str(",\"droppedAttributesCount\":0},\"scopeSpans\":[{\"scope\":{\"name\":");
    write_string(&mut out, &scope.name);
    out.push_str(",\"version\":");
    write_string(&mut out, &scope.version);
    out.push_str("},\"spans\":[");
    for (i, data) in batch.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        write_span(&mut out, data);
    }
    out.push_str("]}]}]}");
    out.into_bytes()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arrays_keep_their_element_type() {
        let v = any_value(&Value::from(vec![1_i64, 2]));
        let Some(any_value::Value::ArrayValue(array)) = v.value else {
            panic!("not an array: {v:?}")
        };
        assert_eq!(array.values.len(), 2);
        assert_eq!(array.values[1].value, Some(any_value::Value::IntValue(2)));
    }

    #[test]
    fn default_resource_names_an_unknown_service() {
        let pb = resource(&Resource::default());
        let name = pb.attributes.iter().find(|kv| kv.key == "service.name").unwrap();
        let Some(any_value::Value::StringValue(name)) = name.value.as_ref().and_then(|v| v.value.clone()) else {
            panic!("service.name is a string")
        };
        assert!(name.starts_with("unknown_service:"), "{name}");
        assert!(pb.attributes.iter().any(|kv| kv.key == "telemetry.sdk.language"));
    }

    #[test]
    fn json_wrapper_is_balanced() {
        let scope = Scope {
            name: "tracer".into(),
            version: "1".into(),
        };
        let body = String::from_utf8(json(&Resource::default(), &scope, &[])).unwrap();
        let parsed: serde_json::Value = serde_json::from_str(&body).unwrap();
        assert_eq!(parsed["resourceSpans"][0]["scopeSpans"][0]["scope"]["name"], "tracer");
        assert!(
            parsed["resourceSpans"][0]["scopeSpans"][0]["spans"]
                .as_array()
                .unwrap()
                .is_empty()
        );
    }
}
