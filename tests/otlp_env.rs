//! `init_from_env()` end to end: the `OTEL_*` variables choose the
//! endpoint, headers, protocol, compression, resource, sampler, span
//! limits, batch settings and propagators, and spans reach a real receiver
//! accordingly.
//!
//! This binary sets the process environment and installs the global
//! provider, so it holds this one test.
#![cfg(feature = "otlp")]

mod otlp_receiver;

use std::collections::HashMap;

use otlp_receiver::Receiver;
use tracer::env::{PropagatorChoice, propagators};
use tracer::propagation::{extract_context, inject_context};
use tracer::{Span, TracerProvider};

#[test]
fn init_from_env_configures_the_otlp_pipeline() {
    let receiver = Receiver::start();
    let vars = [
        ("OTEL_SERVICE_NAME", "env-service".to_owned()),
        (
            "OTEL_RESOURCE_ATTRIBUTES",
            "service.name=ignored,service.version=3.1.4,deployment.environment=staging%20eu".to_owned(),
        ),
        ("OTEL_TRACES_EXPORTER", "otlp".to_owned()),
        ("OTEL_EXPORTER_OTLP_ENDPOINT", receiver.endpoint()),
        (
            "OTEL_EXPORTER_OTLP_HEADERS",
            "x-api-key=s3cr%3Dt,x-tenant=blue".to_owned(),
        ),
        ("OTEL_EXPORTER_OTLP_TRACES_HEADERS", "x-tenant=green".to_owned()),
        ("OTEL_EXPORTER_OTLP_PROTOCOL", "http/json".to_owned()),
        ("OTEL_EXPORTER_OTLP_COMPRESSION", "gzip".to_owned()),
        ("OTEL_EXPORTER_OTLP_TIMEOUT", "5000".to_owned()),
        ("OTEL_TRACES_SAMPLER", "always_on".to_owned()),
        ("OTEL_PROPAGATORS", "b3,tracecontext".to_owned()),
        ("OTEL_SPAN_ATTRIBUTE_COUNT_LIMIT", "2".to_owned()),
        ("OTEL_BSP_SCHEDULE_DELAY", "50".to_owned()),
        ("OTEL_BSP_MAX_EXPORT_BATCH_SIZE", "3".to_owned()),
        // An invalid value: a warning, and the default.
        ("OTEL_BSP_MAX_QUEUE_SIZE", "plenty".to_owned()),
    ];
    for (name, value) in &vars {
        // TODO: Audit that the environment access only happens in single-threaded code.
        unsafe { std::env::set_var(name, value) };
    }

    let guard = tracer::init_from_env();
    let provider = TracerProvider::global().expect("installed");
    assert_eq!(provider.resource().service_name(), "env-service");
    assert_eq!(provider.limits().max_attributes, 2);
    assert_eq!(propagators(), [PropagatorChoice::B3, PropagatorChoice::TraceContext]);

    // OTEL_PROPAGATORS is the global propagator: what inject_context writes
    // and extract_context reads (and so the HTTP layers).
    let span = Span::new("propagated");
    for key in ["a", "b", "c"] {
        span.set_tag(key, 0);
    }
    let context = span.context().expect("recorded");
    let mut headers: HashMap<String, String> = HashMap::new();
    span.in_scope(|| inject_context(&mut headers));
    drop(span);
    assert!(headers["traceparent"].contains(&context.trace_id().to_string()));
    let remote_trace = "4bf92f3577b34da6a3ce929d0e0e4736";
    let b3_only = HashMap::from([("b3".to_string(), format!("{remote_trace}-00f067aa0ba902b7-1"))]);
    if cfg!(feature = "propagators") {
        assert_eq!(headers["b3"], format!("{}-{}-1", context.trace_id(), context.span_id()));
        let parent = extract_context(&b3_only).expect("b3 is read");
        assert_eq!(parent.trace_id().to_string(), remote_trace);
    } else {
        assert!(!headers.contains_key("b3"), "b3 needs the `propagators` feature");
        assert_eq!(extract_context(&b3_only), None);
    }

    for i in 0..5 {
        let span = Span::new(format!("op{i}"));
        span.set_tag("a", 1);
        span.set_tag("b", 2);
        span.set_tag("c", 3);
        span.finish();
    }
    guard.shutdown().expect("delivered");

    let requests = receiver.requests();
    assert!(requests.len() >= 2, "batches of at most 3");
    let mut names = Vec::new();
    for request in &requests {
        assert_eq!(request.path, "/v1/traces");
        assert_eq!(request.header("content-type"), Some("application/json"));
        assert_eq!(request.header("content-encoding"), Some("gzip"));
        assert_eq!(request.header("x-api-key"), Some("s3cr=t"));
        assert_eq!(request.header("x-tenant"), Some("green"));
        let json = request.json();
        let rs = &json["resourceSpans"][0];
        let resource: Vec<(String, String)> = rs["resource"]["attributes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|kv| {
                (
                    kv["key"].as_str().unwrap().to_owned(),
                    kv["value"]["stringValue"].as_str().unwrap_or("").to_owned(),
                )
            })
            .collect();
        let get = |k: &str| resource.iter().find(|(key, _)| key == k).map(|(_, v)| v.as_str());
        assert_eq!(get("service.name"), Some("env-service"), "OTEL_SERVICE_NAME wins");
        assert_eq!(get("service.version"), Some("3.1.4"));
        assert_eq!(get("deployment.environment"), Some("staging eu"));
        assert_eq!(get("telemetry.sdk.name"), Some("tracer"));
        let spans = rs["scopeSpans"][0]["spans"].as_array().unwrap();
        assert!(spans.len() <= 3, "OTEL_BSP_MAX_EXPORT_BATCH_SIZE");
        for span in spans {
            names.push(span["name"].as_str().unwrap().to_owned());
            assert_eq!(span["attributes"].as_array().unwrap().len(), 2);
            assert_eq!(span["droppedAttributesCount"], 1);
        }
    }
    names.sort();
    assert_eq!(names, ["op0", "op1", "op2", "op3", "op4", "propagated"]);
}
