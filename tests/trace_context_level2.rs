//! W3C Trace Context Level 2 and baggage encoding, through the facade:
//! the random trace-flags bit on the way in and out, what the sampler sees,
//! the Level 2 `tracestate` grammar, and baggage values that survive a
//! round trip and read the same to a peer that decodes form-style.

mod common;

use std::collections::HashMap;
use std::sync::Mutex;

use tracer::propagation::{
    Baggage, BaggagePropagator, PropagationContext, Propagator, TraceContextPropagator, extract, extract_context,
    inject, inject_context, parse_traceparent,
};
use tracer::sampler::{ParentBased, Sampler, SamplingParams, SamplingResult};
use tracer::{Span, SpanContext, TraceState, trace};

const TRACE: &str = "4bf92f3577b34da6a3ce929d0e0e4736";
const PARENT: &str = "00f067aa0ba902b7";

/// What [`Recorder`] saw: each span name with the `trace_flags` it was
/// given.
static SEEN: Mutex<Vec<(String, u8)>> = Mutex::new(Vec::new());

/// Notes the flags it is shown; drops spans whose name starts with
/// `drop`, follows a parent's sampled flag, and keeps other roots.
struct Recorder;

impl Sampler for Recorder {
    fn should_sample(&self, params: &SamplingParams<'_>) -> SamplingResult {
        SEEN.lock()
            .unwrap()
            .push((params.name.to_string(), params.trace_flags.bits()));
        let sampled = !params.name.starts_with("drop") && params.parent.is_none_or(SpanContext::is_sampled);
        SamplingResult::from_bool(sampled)
    }
}

/// Parent-based, so that children of sampled local spans take the fast
/// path; the recorder decides roots and remote parents.
fn install() {
    common::install_with(|builder| {
        builder.sampler(
            ParentBased::new(Recorder)
                .remote_parent_sampled(Recorder)
                .remote_parent_not_sampled(Recorder),
        )
    });
}

/// The flags the recorder was shown for `name`.
fn seen(name: &str) -> Option<u8> {
    let seen = SEEN.lock().unwrap();
    seen.iter().find(|(n, _)| n == name).map(|(_, flags)| *flags)
}

fn headers(pairs: &[(&str, &str)]) -> HashMap<String, String> {
    pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
}

/// The `traceparent` the current context injects.
fn injected_traceparent() -> String {
    let mut out: HashMap<String, String> = HashMap::new();
    inject_context(&mut out);
    out.remove("traceparent").expect("a traceparent")
}

/// A caller's context with these flags.
fn remote(flags: &str) -> SpanContext {
    parse_traceparent(&format!("00-{TRACE}-{PARENT}-{flags}")).unwrap()
}

#[trace]
fn traced_child() -> String {
    injected_traceparent()
}

#[trace(root)]
fn traced_root() -> String {
    injected_traceparent()
}

#[trace(root, name = "drop_traced_root")]
fn dropped_traced_root() -> String {
    injected_traceparent()
}

/// Starts a trace and returns the `traceparent` it sends.
type Start = fn() -> String;

#[test]
fn roots_tracer_starts_carry_the_random_flag() {
    install();
    // (case, how the trace starts, the flags it sends)
    let cases: [(&str, Start, &str); 5] = [
        (
            "sampled root",
            || Span::root("l2_root").in_scope(injected_traceparent),
            "03",
        ),
        (
            "unsampled root",
            || Span::root("drop_l2_root").in_scope(injected_traceparent),
            "02",
        ),
        ("#[trace(root)]", traced_root, "03"),
        ("unsampled #[trace(root)]", dropped_traced_root, "02"),
        (
            "#[trace] child of a sampled root",
            || Span::root("l2_fast_parent").in_scope(traced_child),
            "03",
        ),
    ];
    for (case, start, flags) in cases {
        let header = start();
        assert_eq!(&header[53..], flags, "{case}: {header}");
        assert!(parse_traceparent(&header).unwrap().trace_flags().is_random(), "{case}");
    }
}

#[test]
fn children_of_a_remote_parent_keep_its_random_bit_and_nothing_undefined() {
    install();
    // (incoming flags, outgoing flags of the child span)
    let cases = [
        ("01", "01"),
        ("03", "03"),
        ("02", "02"),
        ("00", "00"),
        ("ff", "03"),
        ("05", "01"),
        ("fe", "02"),
    ];
    for (incoming, outgoing) in cases {
        let parent = remote(incoming);
        let span = Span::child_of("l2_remote_child", &parent).entered();
        let header = injected_traceparent();
        let child_id = span.span_id().expect("a context of its own").to_string();
        drop(span);
        assert_eq!(header, format!("00-{TRACE}-{child_id}-{outgoing}"), "in {incoming}");
        assert_ne!(child_id, PARENT, "in {incoming}: the parent id is updated");
    }
}

#[test]
fn extraction_keeps_every_bit_and_passes_it_through() {
    // (incoming flags, bits read)
    let cases = [("00", 0x00), ("01", 0x01), ("02", 0x02), ("03", 0x03), ("ff", 0xff)];
    for (flags, bits) in cases {
        let header = format!("00-{TRACE}-{PARENT}-{flags}");
        let context = extract(&headers(&[("traceparent", &header)]));
        assert_eq!(
            context.span_context.as_ref().map(|c| c.trace_flags().bits()),
            Some(bits),
            "{flags}"
        );
        // No span in between: the context is passed on as it came.
        let mut out: HashMap<String, String> = HashMap::new();
        TraceContextPropagator.inject(&context, &mut out);
        assert_eq!(out["traceparent"], header, "{flags}");
    }
}

#[test]
fn the_sampler_sees_the_new_span_flags() {
    install();
    // (span name, parent's flags or None for a root, flags the sampler sees)
    let cases = [
        ("l2_seen_root", None, 0x02),
        ("l2_seen_remote_01", Some("01"), 0x01),
        ("l2_seen_remote_03", Some("03"), 0x03),
        ("l2_seen_remote_02", Some("02"), 0x02),
        ("l2_seen_remote_00", Some("00"), 0x00),
        ("l2_seen_remote_ff", Some("ff"), 0x03),
    ];
    for (name, parent, flags) in cases {
        match parent {
            None => drop(Span::root(name)),
            Some(parent) => drop(Span::child_of(name, &remote(parent))),
        }
        assert_eq!(seen(name), Some(flags), "{name}");
    }
}

/// A context extracted with `tracestate` lines (joined as HTTP joins them).
fn extract_trace_state(lines: &[&str]) -> Option<String> {
    let traceparent = format!("00-{TRACE}-{PARENT}-01");
    let carrier = headers(&[("traceparent", &traceparent), ("tracestate", &lines.join(","))]);
    let context = extract_context(&carrier).expect("the traceparent is kept whatever the tracestate");
    let state = context.trace_state();
    (!state.is_empty()).then(|| state.header())
}

#[test]
fn tracestate_level2_table() {
    let z256 = "z".repeat(256);
    let z257 = "z".repeat(257);
    let tenant_241 = format!("{}@{}", "t".repeat(241), "v".repeat(14));
    let tenant_242 = format!("{}@v", "t".repeat(242));
    let system_15 = format!("t@{}", "v".repeat(15));
    let bars = |n: usize| (1..=n).map(|i| format!("bar{i:02}={i:02}")).collect::<Vec<_>>();
    let (bars32, bars33) = (bars(32).join(","), bars(33).join(","));
    let key_line = |key: &str| format!("{key}=1");
    // (case, tracestate lines, the tracestate passed on; None = discarded)
    let cases: Vec<(&str, Vec<String>, Option<String>)> = vec![
        (
            "duplicate, same value",
            vec!["foo=1,foo=1".into()],
            Some("foo=1".into()),
        ),
        (
            "duplicate, other value",
            vec!["foo=1,foo=2".into()],
            Some("foo=1".into()),
        ),
        (
            "duplicate over two lines",
            vec!["foo=1".into(), "foo=2".into()],
            Some("foo=1".into()),
        ),
        (
            "duplicate keeps the left-most, order kept",
            vec!["a=1,b=2,a=3,c=4".into()],
            Some("a=1,b=2,c=4".into()),
        ),
        ("@ at the end", vec!["foo@=1,bar=2".into()], Some("foo@=1,bar=2".into())),
        (
            "two @",
            vec!["foo@@bar=1,bar=2".into()],
            Some("foo@@bar=1,bar=2".into()),
        ),
        (
            "@ twice apart",
            vec!["foo@bar@baz=1,bar=2".into()],
            Some("foo@bar@baz=1,bar=2".into()),
        ),
        ("digit first", vec!["1abc@x=1".into()], Some("1abc@x=1".into())),
        (
            "256-character key",
            vec!["foo=1".into(), key_line(&z256)],
            Some(format!("foo=1,{z256}=1")),
        ),
        (
            "241 + @ + 14",
            vec!["foo=1".into(), key_line(&tenant_241)],
            Some(format!("foo=1,{tenant_241}=1")),
        ),
        (
            "242 + @v",
            vec!["foo=1".into(), key_line(&tenant_242)],
            Some(format!("foo=1,{tenant_242}=1")),
        ),
        (
            "t@ + 15",
            vec!["foo=1".into(), key_line(&system_15)],
            Some(format!("foo=1,{system_15}=1")),
        ),
        ("32 members over lines", vec![bars32.clone()], Some(bars32)),
        ("257-character key", vec!["foo=1".into(), key_line(&z257)], None),
        ("@ first", vec!["@foo=1,bar=2".into()], None),
        ("uppercase key", vec!["FOO=1,bar=2".into()], None),
        ("dot in key", vec!["foo.bar=1,bar=2".into()], None),
        ("space before =", vec!["foo =1,bar=2".into()], None),
        ("= in value", vec!["foo=bar=baz".into()], None),
        ("empty value", vec!["foo=,bar=3".into()], None),
        ("33 members", vec![bars33], None),
    ];
    for (case, lines, expected) in cases {
        let lines: Vec<&str> = lines.iter().map(String::as_str).collect();
        assert_eq!(extract_trace_state(&lines), expected, "{case}");
    }
}

#[test]
fn tracestate_is_sent_on_by_a_child_span() {
    install();
    let traceparent = format!("00-{TRACE}-{PARENT}-03");
    let carrier = headers(&[("traceparent", &traceparent), ("tracestate", "foo@=1,bar=2,foo@=3")]);
    let parent = extract_context(&carrier).unwrap();
    let span = Span::child_of("l2_state_child", &parent).entered();
    let mut out: HashMap<String, String> = HashMap::new();
    inject_context(&mut out);
    drop(span);
    assert_eq!(out["tracestate"], "foo@=1,bar=2");
    assert_eq!(
        TraceState::from_header(&out["tracestate"]).unwrap().get("foo@"),
        Some("1")
    );
}

/// Decodes as an HTML form does (`+` is a space), as some peers do.
fn form_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < bytes.len() => {
                out.push(u8::from_str_radix(&text[i + 1..i + 3], 16).unwrap());
                i += 2;
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8(out).unwrap()
}

#[test]
fn baggage_values_round_trip_with_literal_encodings() {
    // (value, what goes on the wire after `k=`)
    let cases = [
        ("1+1", "1%2B1"),
        ("a b", "a%20b"),
        ("100%", "100%25"),
        ("a,b", "a%2Cb"),
        ("a;b", "a%3Bb"),
        ("a=b", "a=b"),
        ("say \"hi\"", "say%20%22hi%22"),
        ("caf\u{e9}", "caf%C3%A9"),
        ("\u{1f600}", "%F0%9F%98%80"),
        ("back\\slash", "back%5Cslash"),
        ("plain-value_1.~", "plain-value_1.~"),
    ];
    for (value, encoded) in cases {
        let baggage = Baggage::new().with("k", value).unwrap();
        let mut out: HashMap<String, String> = HashMap::new();
        inject(&PropagationContext::new(None, baggage.clone()), &mut out);
        assert_eq!(out["baggage"], format!("k={encoded}"), "{value:?}");
        let back = BaggagePropagator.extract(&out).baggage;
        assert_eq!(back.get("k"), Some(value), "{value:?}: inject then extract");
        assert_eq!(back, baggage, "{value:?}");
        assert_eq!(
            form_decode(encoded),
            value,
            "{value:?}: a form-style peer reads the same"
        );
    }
}

#[test]
fn baggage_decoding_follows_the_w3c_text() {
    // (header, the value read for `k`)
    let cases = [
        ("k=1+1", "1+1"),
        ("k=1%2B1", "1+1"),
        ("k=a%20b", "a b"),
        ("k = a=b ", "a=b"),
        ("k=caf%c3%a9", "caf\u{e9}"),
        ("k=%FF", "\u{fffd}"),
        ("k=100%", "100%"),
    ];
    for (header, value) in cases {
        let baggage = BaggagePropagator.extract(&headers(&[("baggage", header)])).baggage;
        assert_eq!(baggage.get("k"), Some(value), "{header:?}");
    }
}
