//! The OTLP exporter against a real HTTP receiver on 127.0.0.1: every span
//! field, the resource and the scope round-trip through protobuf (decoded
//! with `opentelemetry-proto` and `prost`) and through JSON (checked
//! against the OTLP JSON mapping with `serde_json`).
#![cfg(feature = "otlp")]

use crate::common;
use crate::otlp_receiver;

use std::collections::HashMap;
use std::time::Duration;

use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use opentelemetry_proto::tonic::common::v1::any_value::Value as Pb;
use opentelemetry_proto::tonic::common::v1::{AnyValue, KeyValue as PbKeyValue};
use opentelemetry_proto::tonic::trace::v1::Span as PbSpan;
use opentelemetry_proto::tonic::trace::v1::span::SpanKind as PbKind;
use opentelemetry_proto::tonic::trace::v1::status::StatusCode as PbCode;
use otlp_receiver::Receiver;
use serde_json::Value as Json;
use tracer::export::SpanExporter;
use tracer::export::otlp::{OtlpCompression, OtlpExporter, OtlpProtocol};
use tracer::{
    KeyValue, Resource, Span, SpanContext, SpanData, SpanId, SpanKind, Status, TraceFlags, TraceId, TraceState,
};

const LINK_TRACE: u128 = 0x4bf92f3577b34da6a3ce929d0e0e4736;
const LINK_SPAN: u64 = 0x00f067aa0ba902b7;
const REMOTE_TRACE: u128 = 0x0af7651916cd43dd8448eb211c80319c;
const REMOTE_SPAN: u64 = 0xb7ad6b7169203331;

/// Real spans from the runtime: every kind, typed attributes and arrays,
/// events, links with trace state, error and ok status, a remote parent
/// with trace state, and one span over every default limit.
pub(crate) fn sample_spans() -> Vec<SpanData> {
    let remote = SpanContext::new(
        TraceId::from_u128(REMOTE_TRACE).unwrap(),
        SpanId::from_u64(REMOTE_SPAN).unwrap(),
        TraceFlags::SAMPLED,
        true,
        TraceState::from_header("congo=t61rcWkgMzE,rojo=00f067aa0ba902b7").unwrap(),
    );
    let (remote_child_id, mut spans) = common::traced(|| {
        let link = SpanContext::new(
            TraceId::from_u128(LINK_TRACE).unwrap(),
            SpanId::from_u64(LINK_SPAN).unwrap(),
            TraceFlags::SAMPLED,
            true,
            TraceState::from_header("vendor=abc,other=x").unwrap(),
        );
        let checkout = Span::builder("checkout")
            .kind(SpanKind::Server)
            .attribute("http.method", "POST")
            .attribute("retries", 3)
            .attribute("ratio", 0.25)
            .attribute("cached", true)
            .attribute("tags", vec!["a", "b"])
            .attribute("ints", vec![1_i64, -2])
            .attribute("floats", vec![1.5, 2.5])
            .attribute("bools", vec![true, false])
            .link(
                link,
                [KeyValue::new("link.reason", "retry of"), KeyValue::new("link.n", 7)],
            )
            .start();
        checkout.add_event(
            "cache.miss",
            [KeyValue::new("key", "user:1"), KeyValue::new("size", 42)],
        );
        checkout.add_event("no.attributes", []);
        checkout.set_status(Status::error("payment declined"));
        let ctx = checkout.context().unwrap();
        Span::builder("call")
            .kind(SpanKind::Client)
            .parent(ctx.clone())
            .start()
            .set_ok();
        Span::builder("publish")
            .kind(SpanKind::Producer)
            .parent(ctx.clone())
            .start();
        Span::builder("consume").kind(SpanKind::Consumer).parent(ctx).start();
        checkout.finish();

        let over = Span::new("over_limits");
        for i in 0..130 {
            over.set_tag(format!("attr{i}"), i);
        }
        for i in 0..130 {
            let attributes: Vec<KeyValue> = (0..(if i == 0 { 131 } else { 0 }))
                .map(|j| KeyValue::new(format!("e{j}"), j))
                .collect();
            over.add_event(format!("event{i}"), attributes);
        }
        for i in 0..130u64 {
            let attributes: Vec<KeyValue> = (0..(if i == 0 { 129 } else { 0 }))
                .map(|j| KeyValue::new(format!("l{j}"), j))
                .collect();
            let target = SpanContext::new(
                TraceId::from_u128(LINK_TRACE).unwrap(),
                SpanId::from_u64(i + 1).unwrap(),
                TraceFlags::NONE,
                false,
                TraceState::empty(),
            );
            over.add_link(target, attributes);
        }
        drop(over);

        let remote_child = Span::child_of("remote_child", &remote);
        remote_child.span_id().unwrap()
    });
    // Tests share the remote trace id: take this test's span only.
    spans.extend(
        common::trace(remote.trace_id())
            .into_iter()
            .filter(|s| s.span_id() == remote_child_id),
    );
    assert_eq!(spans.len(), 7, "{:?}", common::names(&spans));
    spans
}

fn exporter(receiver: &Receiver) -> tracer::export::otlp::OtlpExporterBuilder {
    OtlpExporter::builder()
        .endpoint(receiver.endpoint())
        .timeout(Duration::from_secs(20))
}

/// The service name of the resource [`in_provider`] hands the exporter,
/// unlike the installed provider's (`tracer-tests`, tests/common), which
/// the exporter must not look up.
pub(crate) const SERVICE: &str = "otlp-export-tests";

/// The exporter `builder` makes, given a resource as a provider built with
/// it would ([`SpanExporter::set_resource`]).
pub(crate) fn in_provider(builder: tracer::export::otlp::OtlpExporterBuilder) -> OtlpExporter {
    let mut exporter = builder.build().unwrap();
    exporter.set_resource(&Resource::builder().service_name(SERVICE).build());
    exporter
}

/// Exports `spans` twice, with the default exporter and then with the one
/// `configure` makes, and returns both requests as the collector got them.
fn export_twice(
    spans: &[tracer::SpanData],
    configure: impl FnOnce(tracer::export::otlp::OtlpExporterBuilder) -> tracer::export::otlp::OtlpExporterBuilder,
) -> (otlp_receiver::Request, otlp_receiver::Request) {
    let receiver = Receiver::start();
    in_provider(exporter(&receiver)).export(spans).unwrap();
    in_provider(configure(exporter(&receiver))).export(spans).unwrap();
    let mut requests = receiver.requests();
    assert_eq!(requests.len(), 2);
    let second = requests.pop().unwrap();
    (requests.pop().unwrap(), second)
}

fn by_name<'a>(spans: &'a [PbSpan], name: &str) -> &'a PbSpan {
    spans
        .iter()
        .find(|s| s.name == name)
        .unwrap_or_else(|| panic!("no span {name}"))
}

pub(crate) fn attrs(list: &[PbKeyValue]) -> HashMap<&str, &Pb> {
    list.iter()
        .map(|kv| (kv.key.as_str(), kv.value.as_ref().unwrap().value.as_ref().unwrap()))
        .collect()
}

fn array(values: &[Pb]) -> Pb {
    Pb::ArrayValue(opentelemetry_proto::tonic::common::v1::ArrayValue {
        values: values.iter().map(|v| AnyValue { value: Some(v.clone()) }).collect(),
    })
}

pub(crate) fn s(text: &str) -> Pb {
    Pb::StringValue(text.to_owned())
}

/// Checks a decoded request against the sample spans, field by field.
pub(crate) fn check_request(
    request: &ExportTraceServiceRequest,
    sent: &[SpanData],
    scope: (&str, &str),
    service: &str,
) {
    assert_eq!(request.resource_spans.len(), 1);
    let rs = &request.resource_spans[0];
    let resource = attrs(&rs.resource.as_ref().unwrap().attributes);
    assert_eq!(resource["service.name"], &s(service));
    assert_eq!(resource["telemetry.sdk.name"], &s("tracer"));
    assert_eq!(resource["telemetry.sdk.language"], &s("rust"));
    assert_eq!(resource["telemetry.sdk.version"], &s(env!("CARGO_PKG_VERSION")));
    assert_eq!(rs.scope_spans.len(), 1);
    let ss = &rs.scope_spans[0];
    let sc = ss.scope.as_ref().unwrap();
    assert_eq!((sc.name.as_str(), sc.version.as_str()), scope);
    let spans = &ss.spans;
    assert_eq!(spans.len(), sent.len());

    let data = |name: &str| common::one(sent, name);
    let root = data("test_root");

    // Every span: ids, parent, times, flags, counts as recorded.
    for pb in spans {
        let d = data(&pb.name);
        assert_eq!(pb.trace_id, d.trace_id().to_bytes(), "{}", pb.name);
        assert_eq!(pb.span_id, d.span_id().to_bytes(), "{}", pb.name);
        assert_eq!(pb.start_time_unix_nano, d.start_time_unix_nano, "{}", pb.name);
        assert_eq!(pb.end_time_unix_nano, d.end_time_unix_nano, "{}", pb.name);
        assert!(
            pb.start_time_unix_nano > 1_600_000_000_000_000_000,
            "{}: unix nanos",
            pb.name
        );
        assert!(pb.end_time_unix_nano >= pb.start_time_unix_nano);
        assert_eq!(pb.trace_id.len(), 16);
        assert_eq!(pb.span_id.len(), 8);
    }

    // The root: no parent, internal, unset status, sampled with a random
    // trace id (W3C Level 2), and local.
    let pb_root = by_name(spans, "test_root");
    assert!(pb_root.parent_span_id.is_empty());
    assert_eq!(pb_root.kind, PbKind::Internal as i32);
    assert_eq!(pb_root.flags, 0x01 | 0x02 | 0x100);
    assert_eq!(pb_root.status.as_ref().unwrap().code, PbCode::Unset as i32);
    assert_eq!(pb_root.trace_state, "");

    // The server span: everything.
    let checkout = by_name(spans, "checkout");
    assert_eq!(checkout.parent_span_id, root.span_id().to_bytes());
    assert_eq!(checkout.trace_id, root.trace_id().to_bytes());
    assert_eq!(checkout.kind, PbKind::Server as i32);
    assert_eq!(
        checkout.flags,
        0x01 | 0x02 | 0x100,
        "sampled, random trace id, parent known to be local"
    );
    let a = attrs(&checkout.attributes);
    assert_eq!(a.len(), 8);
    assert_eq!(a["http.method"], &s("POST"));
    assert_eq!(a["retries"], &Pb::IntValue(3));
    assert_eq!(a["ratio"], &Pb::DoubleValue(0.25));
    assert_eq!(a["cached"], &Pb::BoolValue(true));
    assert_eq!(a["tags"], &array(&[s("a"), s("b")]));
    assert_eq!(a["ints"], &array(&[Pb::IntValue(1), Pb::IntValue(-2)]));
    assert_eq!(a["floats"], &array(&[Pb::DoubleValue(1.5), Pb::DoubleValue(2.5)]));
    assert_eq!(a["bools"], &array(&[Pb::BoolValue(true), Pb::BoolValue(false)]));
    assert_eq!(checkout.dropped_attributes_count, 0);
    assert_eq!(checkout.events.len(), 2);
    let d = data("checkout");
    let miss = &checkout.events[0];
    assert_eq!(miss.name, "cache.miss");
    assert_eq!(miss.time_unix_nano, d.events[0].timestamp_unix_nano);
    assert!(miss.time_unix_nano >= checkout.start_time_unix_nano && miss.time_unix_nano <= checkout.end_time_unix_nano);
    let ea = attrs(&miss.attributes);
    assert_eq!(ea["key"], &s("user:1"));
    assert_eq!(ea["size"], &Pb::IntValue(42));
    assert_eq!(miss.dropped_attributes_count, 0);
    assert_eq!(checkout.events[1].name, "no.attributes");
    assert!(checkout.events[1].attributes.is_empty());
    assert_eq!(checkout.links.len(), 1);
    let link = &checkout.links[0];
    assert_eq!(link.trace_id, LINK_TRACE.to_be_bytes());
    assert_eq!(link.span_id, LINK_SPAN.to_be_bytes());
    assert_eq!(link.trace_state, "vendor=abc,other=x");
    assert_eq!(link.flags, 0x01 | 0x100 | 0x200, "sampled, known remote");
    let la = attrs(&link.attributes);
    assert_eq!(la["link.reason"], &s("retry of"));
    assert_eq!(la["link.n"], &Pb::IntValue(7));
    assert_eq!(link.dropped_attributes_count, 0);
    let status = checkout.status.as_ref().unwrap();
    assert_eq!(status.code, PbCode::Error as i32);
    assert_eq!(status.message, "payment declined");
    assert_eq!((checkout.dropped_events_count, checkout.dropped_links_count), (0, 0));

    // Kinds and the ok status.
    for (name, kind) in [
        ("call", PbKind::Client),
        ("publish", PbKind::Producer),
        ("consume", PbKind::Consumer),
    ] {
        let pb = by_name(spans, name);
        assert_eq!(pb.kind, kind as i32, "{name}");
        assert_eq!(pb.parent_span_id, checkout.span_id, "{name}");
    }
    let ok = by_name(spans, "call").status.as_ref().unwrap();
    assert_eq!((ok.code, ok.message.as_str()), (PbCode::Ok as i32, ""));

    // Limits: what was over is dropped and counted, and the counts exported.
    let over = by_name(spans, "over_limits");
    assert_eq!(over.attributes.len(), 128);
    assert_eq!(over.dropped_attributes_count, 2);
    assert_eq!(over.events.len(), 128);
    assert_eq!(over.dropped_events_count, 2);
    assert_eq!(over.events[0].attributes.len(), 128);
    assert_eq!(over.events[0].dropped_attributes_count, 3);
    assert_eq!(over.links.len(), 128);
    assert_eq!(over.dropped_links_count, 2);
    assert_eq!(over.links[0].attributes.len(), 128);
    assert_eq!(over.links[0].dropped_attributes_count, 1);
    assert_eq!(over.links[1].flags, 0x100, "unsampled, known local");
    assert_eq!(over.links[1].trace_state, "");

    // A remote parent: its trace, its trace state, the remote flag.
    let remote = by_name(spans, "remote_child");
    assert_eq!(remote.trace_id, REMOTE_TRACE.to_be_bytes());
    assert_eq!(remote.parent_span_id, REMOTE_SPAN.to_be_bytes());
    assert_eq!(remote.trace_state, "congo=t61rcWkgMzE,rojo=00f067aa0ba902b7");
    assert_eq!(remote.flags, 0x01 | 0x100 | 0x200);
}

#[test]
fn protobuf_round_trips_every_field() {
    let sent = sample_spans();
    let receiver = Receiver::start();
    let mut exporter = in_provider(exporter(&receiver).header("x-api-key", "secret-1"));
    exporter.export(&sent).unwrap();
    let requests = receiver.requests();
    assert_eq!(requests.len(), 1);
    let request = &requests[0];
    assert_eq!(request.method, "POST");
    assert_eq!(request.path, "/v1/traces");
    assert_eq!(request.header("content-type"), Some("application/x-protobuf"));
    assert_eq!(request.header("content-encoding"), None);
    assert_eq!(request.header("x-api-key"), Some("secret-1"));
    check_request(&request.decode(), &sent, ("tracer", env!("CARGO_PKG_VERSION")), SERVICE);
    assert_eq!(exporter.retries(), 0);
}

#[test]
fn gzip_bodies_decode_to_the_same_request() {
    let sent = sample_spans();
    let (plain, gzip) = export_twice(&sent, |builder| builder.compression(OtlpCompression::Gzip));
    assert_eq!(gzip.header("content-encoding"), Some("gzip"));
    assert_eq!(&gzip.raw_body[..2], &[0x1f, 0x8b], "gzip magic");
    assert!(gzip.raw_body.len() < plain.raw_body.len());
    assert_eq!(gzip.body, plain.body);
    check_request(&gzip.decode(), &sent, ("tracer", env!("CARGO_PKG_VERSION")), SERVICE);
}

#[test]
fn explicit_resource_and_user_scope() {
    let sent = sample_spans();
    let receiver = Receiver::start();
    let resource = Resource::builder()
        .service_name("checkout")
        .service_version("2.4.1")
        .attribute("deployment.environment", "prod")
        .build();
    // The builder's resource wins over the provider's.
    in_provider(exporter(&receiver).resource(resource).scope("my-lib", "0.9.0"))
        .export(&sent)
        .unwrap();
    let request = receiver.requests()[0].decode();
    check_request(&request, &sent, ("my-lib", "0.9.0"), "checkout");
    let resource = attrs(&request.resource_spans[0].resource.as_ref().unwrap().attributes);
    assert_eq!(resource["service.version"], &s("2.4.1"));
    assert_eq!(resource["deployment.environment"], &s("prod"));
}

#[test]
fn on_its_own_an_exporter_sends_the_default_resource() {
    let receiver = Receiver::start();
    let sent = sample_spans();
    exporter(&receiver).build().unwrap().export(&sent[..1]).unwrap();
    let request = receiver.requests()[0].decode();
    let resource = attrs(&request.resource_spans[0].resource.as_ref().unwrap().attributes);
    // Named after this test binary, not the installed provider's resource.
    let Pb::StringValue(name) = resource["service.name"] else {
        panic!("service.name is {:?}", resource["service.name"]);
    };
    assert!(name.starts_with("unknown_service:behaviour"), "{name}");
    assert_eq!(resource["telemetry.sdk.name"], &s("tracer"));
}

#[test]
fn traces_endpoint_is_used_as_given() {
    let receiver = Receiver::start();
    let url = format!("{}/custom/ingest", receiver.endpoint());
    let sent = sample_spans();
    OtlpExporter::builder()
        .traces_endpoint(url)
        .build()
        .unwrap()
        .export(&sent[..1])
        .unwrap();
    assert_eq!(receiver.requests()[0].path, "/custom/ingest");
}

/// Every object key in `value`, recursively.
fn keys(value: &Json, out: &mut Vec<String>) {
    match value {
        Json::Object(map) => {
            for (k, v) in map {
                out.push(k.clone());
                keys(v, out);
            }
        }
        Json::Array(items) => items.iter().for_each(|v| keys(v, out)),
        _ => {}
    }
}

fn json_attr<'a>(list: &'a Json, key: &str) -> &'a Json {
    list.as_array()
        .unwrap()
        .iter()
        .find(|kv| kv["key"] == key)
        .map(|kv| &kv["value"])
        .unwrap()
}

#[test]
fn json_follows_the_otlp_json_mapping() {
    let sent = sample_spans();
    let receiver = Receiver::start();
    in_provider(exporter(&receiver).protocol(OtlpProtocol::HttpJson))
        .export(&sent)
        .unwrap();
    let request = &receiver.requests()[0];
    assert_eq!(request.path, "/v1/traces");
    assert_eq!(request.header("content-type"), Some("application/json"));
    let json = request.json();

    // lowerCamelCase field names only.
    let mut all = Vec::new();
    keys(&json, &mut all);
    assert!(all.iter().any(|k| k == "droppedAttributesCount"));
    for key in &all {
        assert!(
            !key.contains('_') && key.chars().next().unwrap().is_lowercase(),
            "not lowerCamelCase: {key:?}"
        );
    }

    let rs = &json["resourceSpans"][0];
    assert_eq!(
        json_attr(&rs["resource"]["attributes"], "service.name"),
        &serde_json::json!({"stringValue": SERVICE})
    );
    let ss = &rs["scopeSpans"][0];
    assert_eq!(
        ss["scope"],
        serde_json::json!({"name": "tracer", "version": env!("CARGO_PKG_VERSION")})
    );
    let spans = ss["spans"].as_array().unwrap();
    assert_eq!(spans.len(), sent.len());
    let span = |name: &str| spans.iter().find(|s| s["name"] == name).unwrap();
    let d = common::one(&sent, "checkout");
    let root = common::one(&sent, "test_root");
    let checkout = span("checkout");

    // Hex ids (lowercase, fixed width), not base64.
    assert_eq!(checkout["traceId"], format!("{:032x}", d.trace_id().to_u128()));
    assert_eq!(checkout["spanId"], format!("{:016x}", d.span_id().to_u64()));
    assert_eq!(checkout["parentSpanId"], format!("{:016x}", root.span_id().to_u64()));
    assert!(span("test_root").get("parentSpanId").is_none_or(|p| p == ""));
    // Enums as integers; 64-bit integers as strings; 32-bit as numbers.
    assert_eq!(checkout["kind"], 2);
    assert_eq!(
        checkout["status"],
        serde_json::json!({"code": 2, "message": "payment declined"})
    );
    assert_eq!(span("call")["status"]["code"], 1);
    assert_eq!(checkout["startTimeUnixNano"], d.start_time_unix_nano.to_string());
    assert_eq!(checkout["endTimeUnixNano"], d.end_time_unix_nano.to_string());
    assert_eq!(checkout["flags"], 0x103);
    // Typed attributes.
    let a = &checkout["attributes"];
    assert_eq!(json_attr(a, "http.method"), &serde_json::json!({"stringValue": "POST"}));
    assert_eq!(json_attr(a, "retries"), &serde_json::json!({"intValue": "3"}));
    assert_eq!(json_attr(a, "ratio"), &serde_json::json!({"doubleValue": 0.25}));
    assert_eq!(json_attr(a, "cached"), &serde_json::json!({"boolValue": true}));
    assert_eq!(
        json_attr(a, "ints"),
        &serde_json::json!({"arrayValue": {"values": [{"intValue": "1"}, {"intValue": "-2"}]}})
    );
    assert_eq!(
        json_attr(a, "tags"),
        &serde_json::json!({"arrayValue": {"values": [{"stringValue": "a"}, {"stringValue": "b"}]}})
    );
    // Events and links.
    let event = &checkout["events"][0];
    assert_eq!(event["name"], "cache.miss");
    assert_eq!(event["timeUnixNano"], d.events[0].timestamp_unix_nano.to_string());
    assert_eq!(
        json_attr(&event["attributes"], "size"),
        &serde_json::json!({"intValue": "42"})
    );
    let link = &checkout["links"][0];
    assert_eq!(link["traceId"], format!("{LINK_TRACE:032x}"));
    assert_eq!(link["spanId"], format!("{LINK_SPAN:016x}"));
    assert_eq!(link["traceState"], "vendor=abc,other=x");
    assert_eq!(link["flags"], 0x301);
    assert_eq!(
        json_attr(&link["attributes"], "link.n"),
        &serde_json::json!({"intValue": "7"})
    );
    // Dropped counts.
    let over = span("over_limits");
    assert_eq!(over["droppedAttributesCount"], 2);
    assert_eq!(over["droppedEventsCount"], 2);
    assert_eq!(over["droppedLinksCount"], 2);
    assert_eq!(over["events"][0]["droppedAttributesCount"], 3);
    assert_eq!(over["links"][0]["droppedAttributesCount"], 1);
    // The remote child's trace state.
    assert_eq!(
        span("remote_child")["traceState"],
        "congo=t61rcWkgMzE,rojo=00f067aa0ba902b7"
    );
    assert_eq!(span("remote_child")["flags"], 0x301);
}

#[test]
fn json_and_protobuf_carry_the_same_request() {
    // The official types' own JSON reader must see exactly what protobuf
    // carries.
    let sent = sample_spans();
    let (proto, json) = export_twice(&sent, |builder| builder.protocol(OtlpProtocol::HttpJson));
    let from_proto = proto.decode();
    let from_json: ExportTraceServiceRequest =
        serde_json::from_slice(&json.body).expect("opentelemetry-proto reads the JSON");
    assert_eq!(from_json, from_proto);
}
