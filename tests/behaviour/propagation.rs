//! Propagation: W3C traceparent / tracestate / baggage rules, carriers,
//! optional propagators, and round-trip properties.

use crate::common;

use std::collections::HashMap;

use proptest::prelude::*;
use tracer::propagation::{
    BAGGAGE_MAX_BYTES, BAGGAGE_MAX_MEMBERS, Baggage, BaggageFutureExt, BaggagePropagator, CompositePropagator,
    Extractor, Injector, PropagationContext, Propagator, TraceContextPropagator, TraceparentError, extract,
    extract_context, format_traceparent, inject, inject_context, parse_traceparent,
};
use tracer::{ParseIdError, Span, SpanContext, SpanId, TraceFlags, TraceId, TraceState};

/// A table row: the case's name, the input, and what is expected.
type Case<T> = (&'static str, String, T);

const TRACE: &str = "4bf92f3577b34da6a3ce929d0e0e4736";
const PARENT: &str = "00f067aa0ba902b7";

fn valid(flags: &str) -> String {
    format!("00-{TRACE}-{PARENT}-{flags}")
}

fn headers(pairs: &[(&str, &str)]) -> HashMap<String, String> {
    pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
}

fn remote(flags: u8, state: &str) -> SpanContext {
    SpanContext::new(
        TRACE.parse().unwrap(),
        PARENT.parse().unwrap(),
        TraceFlags::from_bits(flags),
        true,
        TraceState::from_header(state).unwrap(),
    )
}

#[test]
fn traceparent_table() {
    use TraceparentError::*;
    let zeros32 = "0".repeat(32);
    let zeros16 = "0".repeat(16);
    let upper_trace = TRACE.to_uppercase();
    let upper_parent = PARENT.to_uppercase();
    // (case, header, expected flags or error)
    let cases: Vec<Case<Result<u8, TraceparentError>>> = vec![
        ("sampled", valid("01"), Ok(0x01)),
        ("not sampled", valid("00"), Ok(0x00)),
        ("random bit kept", valid("02"), Ok(0x02)),
        ("random and sampled", valid("03"), Ok(0x03)),
        ("unknown bits kept", valid("ff"), Ok(0xff)),
        ("spaces around", format!("  {}  ", valid("01")), Ok(0x01)),
        ("tabs around", format!("\t{}\t", valid("01")), Ok(0x01)),
        (
            "future version cc with extra fields",
            format!("cc-{TRACE}-{PARENT}-01-what-the-future-will-be-like"),
            Ok(0x01),
        ),
        (
            "future version cc, four fields",
            format!("cc-{TRACE}-{PARENT}-01"),
            Ok(0x01),
        ),
        (
            "future version keeps flags",
            format!("01-{TRACE}-{PARENT}-09-x"),
            Ok(0x09),
        ),
        ("empty", String::new(), Err(Length)),
        ("only whitespace", "   ".to_string(), Err(Length)),
        ("version ff", format!("ff-{TRACE}-{PARENT}-01"), Err(Version)),
        (
            "version ff with extra fields",
            format!("ff-{TRACE}-{PARENT}-01-x"),
            Err(Version),
        ),
        ("uppercase version", format!("0A-{TRACE}-{PARENT}-01"), Err(Version)),
        ("non-hex version", format!("0g-{TRACE}-{PARENT}-01"), Err(Version)),
        ("version too short", format!("0-{TRACE}-{PARENT}-01"), Err(Length)),
        ("version too long", format!("000-{TRACE}-{PARENT}-01"), Err(Delimiter)),
        (
            "uppercase trace id",
            format!("00-{upper_trace}-{PARENT}-01"),
            Err(TraceId(ParseIdError::Character)),
        ),
        (
            "uppercase parent id",
            format!("00-{TRACE}-{upper_parent}-01"),
            Err(ParentId(ParseIdError::Character)),
        ),
        ("uppercase flags", format!("00-{TRACE}-{PARENT}-0A"), Err(Flags)),
        (
            "trace id 31 digits",
            format!("00-{}-{PARENT}-01", &TRACE[1..]),
            Err(Length),
        ),
        ("trace id 33 digits", format!("00-{TRACE}a-{PARENT}-01"), Err(Delimiter)),
        (
            "parent id 15 digits",
            format!("00-{TRACE}-{}-01", &PARENT[1..]),
            Err(Length),
        ),
        (
            "parent id 17 digits",
            format!("00-{TRACE}-{PARENT}a-01"),
            Err(Delimiter),
        ),
        ("flags 1 digit", format!("00-{TRACE}-{PARENT}-1"), Err(Length)),
        ("flags 3 digits", format!("00-{TRACE}-{PARENT}-011"), Err(Length)),
        (
            "all-zero trace id",
            format!("00-{zeros32}-{PARENT}-01"),
            Err(TraceId(ParseIdError::Zero)),
        ),
        (
            "all-zero parent id",
            format!("00-{TRACE}-{zeros16}-01"),
            Err(ParentId(ParseIdError::Zero)),
        ),
        (
            "version 00 with extra fields",
            format!("{}-what-the-future-will-be-like", valid("01")),
            Err(Length),
        ),
        (
            "version 00 with trailing dash",
            format!("{}-", valid("01")),
            Err(Length),
        ),
        (
            "future version, no dash after flags",
            format!("cc-{TRACE}-{PARENT}-01.x"),
            Err(Delimiter),
        ),
        (
            "inner space",
            format!("00-{} {}-{PARENT}-01", &TRACE[..15], &TRACE[16..]),
            Err(TraceId(ParseIdError::Character)),
        ),
        (
            "underscore delimiter",
            format!("00_{TRACE}_{PARENT}_01"),
            Err(Delimiter),
        ),
        (
            "non-hex trace id",
            format!("00-{}g-{PARENT}-01", &TRACE[..31]),
            Err(TraceId(ParseIdError::Character)),
        ),
        (
            "two headers joined",
            format!("{},{}", valid("01"), valid("01")),
            Err(Length),
        ),
    ];
    for (case, header, expected) in cases {
        let parsed = parse_traceparent(&header);
        match expected {
            Ok(flags) => {
                let ctx = parsed.unwrap_or_else(|e| panic!("{case}: {header:?} rejected: {e}"));
                assert_eq!(ctx.trace_id().to_string(), TRACE, "{case}");
                assert_eq!(ctx.span_id().to_string(), PARENT, "{case}");
                assert_eq!(ctx.trace_flags().bits(), flags, "{case}");
                assert!(ctx.is_remote(), "{case}");
                // Through a carrier: the same outcome.
                let carried = TraceContextPropagator.extract(&headers(&[("traceparent", &header)]));
                assert_eq!(carried.span_context.as_ref(), Some(&ctx), "{case}");
            }
            Err(error) => {
                assert_eq!(parsed, Err(error), "{case}: {header:?}");
                // Malformed means absent: a new trace starts.
                assert_eq!(extract_context(&headers(&[("traceparent", &header)])), None, "{case}");
            }
        }
    }
}

#[test]
fn traceparent_injection_writes_version_00_and_every_flag() {
    for flags in [0x00u8, 0x01, 0x02, 0x03, 0xff] {
        let ctx = remote(flags, "");
        let mut out: HashMap<String, String> = HashMap::new();
        TraceContextPropagator.inject(&PropagationContext::new(Some(ctx.clone()), Baggage::new()), &mut out);
        assert_eq!(out["traceparent"], format!("00-{TRACE}-{PARENT}-{flags:02x}"));
        assert!(!out.contains_key("tracestate"), "an empty trace state is not sent");
        assert_eq!(format_traceparent(&ctx), out["traceparent"]);
    }
}

#[test]
fn tracestate_table() {
    let members = |n: usize| (0..n).map(|i| format!("k{i}=v{i}")).collect::<Vec<_>>().join(",");
    let long_key = format!("{}=v", "k".repeat(257));
    let max_key = format!("{}=v", "k".repeat(256));
    // (case, tracestate header, expected header after extraction; None = dropped)
    let cases: Vec<Case<Option<String>>> = vec![
        (
            "two members",
            "rojo=00f067aa0ba902b7,congo=t61rcWkgMzE".into(),
            Some("rojo=00f067aa0ba902b7,congo=t61rcWkgMzE".into()),
        ),
        (
            "whitespace around members",
            "  rojo=1 ,\tcongo=2 ".into(),
            Some("rojo=1,congo=2".into()),
        ),
        (
            "empty members skipped",
            "rojo=1,,  ,congo=2".into(),
            Some("rojo=1,congo=2".into()),
        ),
        (
            "tenant@system key",
            "acme@tenant=x,1fw@dt=y".into(),
            Some("acme@tenant=x,1fw@dt=y".into()),
        ),
        ("key chars", "a_b-c*d/e=1".into(), Some("a_b-c*d/e=1".into())),
        ("value with spaces inside", "k=a b".into(), Some("k=a b".into())),
        ("256-char key", max_key.clone(), Some(max_key)),
        ("32 members", members(32), Some(members(32))),
        ("empty header", String::new(), Some(String::new())),
        ("33 members", members(33), None),
        ("uppercase key", "Rojo=1".into(), None),
        ("key starting with digit", "1abc=1".into(), Some("1abc=1".into())),
        ("257-char key", long_key, None),
        (
            "15 characters after @",
            "t@abcdefghijklmno=1".into(),
            Some("t@abcdefghijklmno=1".into()),
        ),
        (
            "duplicate key keeps the first",
            "rojo=1,rojo=2".into(),
            Some("rojo=1".into()),
        ),
        ("member without =", "rojo".into(), None),
        ("value with =", "rojo=a=b".into(), None),
        ("empty value", "rojo=".into(), None),
        ("non-ASCII value", "rojo=é".into(), None),
    ];
    for (case, state, expected) in cases {
        let carrier = headers(&[("traceparent", &valid("01")), ("tracestate", &state)]);
        let ctx = TraceContextPropagator
            .extract(&carrier)
            .span_context
            .unwrap_or_else(|| panic!("{case}: the traceparent is kept whatever the tracestate"));
        match expected {
            Some(expected) => assert_eq!(ctx.trace_state().header(), expected, "{case}"),
            None => assert!(ctx.trace_state().is_empty(), "{case}: {state:?} should be dropped"),
        }
    }
}

#[test]
fn tracestate_needs_a_valid_traceparent_and_is_sent_on() {
    let carrier = headers(&[("traceparent", "garbage"), ("tracestate", "rojo=1")]);
    assert_eq!(TraceContextPropagator.extract(&carrier).span_context, None);

    let ctx = remote(0x01, "rojo=00f067aa0ba902b7,congo=t61rcWkgMzE");
    let mut out: HashMap<String, String> = HashMap::new();
    TraceContextPropagator.inject(&PropagationContext::new(Some(ctx.clone()), Baggage::new()), &mut out);
    assert_eq!(out["tracestate"], "rojo=00f067aa0ba902b7,congo=t61rcWkgMzE");
    assert_eq!(TraceContextPropagator.extract(&out).span_context, Some(ctx));
}

#[test]
fn hashmap_carrier_ignores_case_and_joins_duplicates() {
    let carrier = headers(&[("TraceParent", &valid("01")), ("TRACESTATE", "rojo=1")]);
    let ctx = extract_context(&carrier).unwrap();
    assert_eq!(ctx.trace_state().get("rojo"), Some("1"));

    // The same header twice (names differing in case): joined, so a
    // duplicated traceparent is invalid...
    let carrier = headers(&[("traceparent", &valid("01")), ("Traceparent", &valid("01"))]);
    assert_eq!(extract_context(&carrier), None);
    // ...and a duplicated tracestate is combined.
    let carrier = headers(&[
        ("traceparent", &valid("01")),
        ("Tracestate", "b=2"),
        ("tracestate", "a=1"),
    ]);
    assert_eq!(extract_context(&carrier).unwrap().trace_state().header(), "b=2,a=1");

    let mut carrier = headers(&[("TRACEPARENT", "old"), ("other", "kept")]);
    carrier.set_header("traceparent", valid("01"));
    assert_eq!(carrier.len(), 2);
    assert_eq!(carrier.get_header("traceParent").as_deref(), Some(valid("01").as_str()));
}

#[cfg(feature = "http")]
#[test]
fn header_map_carrier() {
    use http::{HeaderMap, HeaderValue};

    let mut map = HeaderMap::new();
    map.append("TraceParent", valid("03").parse().unwrap());
    map.append("tracestate", "a=1".parse().unwrap());
    map.append("tracestate", "b=2".parse().unwrap());
    map.append("baggage", "k1=v1".parse().unwrap());
    map.append("baggage", "k2=v%202".parse().unwrap());
    let context = extract(&map);
    let ctx = context.span_context.unwrap();
    assert_eq!(ctx.trace_flags().bits(), 0x03);
    assert_eq!(
        ctx.trace_state().header(),
        "a=1,b=2",
        "several tracestate lines are joined"
    );
    assert_eq!(
        context.baggage.get("k2"),
        Some("v 2"),
        "several baggage lines are joined"
    );
    assert_eq!(map.get_header("TRACESTATE").as_deref(), Some("a=1,b=2"));

    // A duplicated traceparent makes it invalid: a new trace.
    let mut dup = HeaderMap::new();
    dup.append("traceparent", valid("01").parse().unwrap());
    dup.append("traceparent", valid("01").parse().unwrap());
    assert_eq!(extract_context(&dup), None);

    // A value that is not visible ASCII reads as absent, without panicking.
    let mut opaque = HeaderMap::new();
    opaque.insert("traceparent", HeaderValue::from_bytes(b"00-\xff").unwrap());
    assert_eq!(extract_context(&opaque), None);
    assert_eq!(opaque.get_header("not a header name"), None);

    // Inject replaces what is there.
    let mut out = HeaderMap::new();
    out.append("traceparent", "stale".parse().unwrap());
    out.append("traceparent", "stale2".parse().unwrap());
    inject(
        &PropagationContext::new(Some(ctx.clone()), Baggage::from_header("k=v")),
        &mut out,
    );
    assert_eq!(out.get_all("traceparent").iter().count(), 1);
    assert_eq!(extract_context(&out), Some(ctx));
    assert_eq!(out["baggage"], "k=v");
}

#[test]
fn baggage_table() {
    let many = (0..BAGGAGE_MAX_MEMBERS + 1)
        .map(|i| format!("k{i}=v"))
        .collect::<Vec<_>>()
        .join(",");
    let big = format!("big={},small=1", "x".repeat(BAGGAGE_MAX_BYTES));
    // (case, header, expected (key, value) pairs)
    let cases: Vec<Case<Vec<(&str, &str)>>> = vec![
        ("one", "k=v".into(), vec![("k", "v")]),
        ("whitespace", " k = v ,\tk2=v2\t".into(), vec![("k", "v"), ("k2", "v2")]),
        (
            "percent-encoded",
            "k=hello%20w%C3%B6rld%2C%3B".into(),
            vec![("k", "hello wörld,;")],
        ),
        ("properties kept aside", "k=v;ttl=60;secret".into(), vec![("k", "v")]),
        ("empty value", "k=".into(), vec![("k", "")]),
        ("invalid key skipped", "bad key=1,k=v".into(), vec![("k", "v")]),
        ("space in value skipped", "k=a b,k2=v".into(), vec![("k2", "v")]),
        ("quote in value skipped", "k=\"v\",k2=v".into(), vec![("k2", "v")]),
        ("no = skipped", "k,k2=v".into(), vec![("k2", "v")]),
        (
            "non-UTF-8 value decodes to U+FFFD",
            "k=%FF,k2=v".into(),
            vec![("k", "\u{fffd}"), ("k2", "v")],
        ),
        ("bad property skipped", "k=v;bad prop,k2=v".into(), vec![("k2", "v")]),
        ("duplicate key: last wins", "k=1,k=2".into(), vec![("k", "2")]),
        ("empty", "".into(), vec![]),
    ];
    for (case, header, expected) in cases {
        let baggage = Baggage::from_header(&header);
        let got: Vec<(&str, &str)> = baggage.iter().collect();
        assert_eq!(got, expected, "{case}: {header:?}");
    }
    assert_eq!(
        Baggage::from_header("k=v;ttl = 60;secret").metadata("k"),
        Some("ttl=60;secret")
    );
    let baggage = Baggage::from_header(&many);
    assert_eq!(baggage.len(), BAGGAGE_MAX_MEMBERS, "members past the limit are dropped");
    let baggage = Baggage::from_header(&big);
    assert_eq!(
        (baggage.get("big"), baggage.get("small")),
        (None, Some("1")),
        "too large a member is dropped"
    );
}

#[test]
fn baggage_is_settable_limited_and_current() {
    let baggage = Baggage::new()
        .with("tenant", "acme corp")
        .unwrap()
        .with_metadata("user", "ålice", "ttl=60")
        .unwrap();
    assert_eq!(baggage.header(), "tenant=acme%20corp,user=%C3%A5lice;ttl=60");
    assert_eq!(Baggage::from_header(&baggage.header()), baggage, "header round trip");

    let mut full = Baggage::new();
    for i in 0..BAGGAGE_MAX_MEMBERS {
        full = full.with(format!("k{i}"), "v").unwrap();
    }
    assert_eq!(
        full.with("one_more", "v"),
        Err(tracer::propagation::BaggageError::TooMany)
    );
    assert!(full.with("k0", "replaced").is_ok(), "replacing stays within the limit");
    assert!(Baggage::new().with("k", "x".repeat(BAGGAGE_MAX_BYTES)).is_err());
    assert!(Baggage::new().with("", "v").is_err());

    assert!(Baggage::current().is_empty());
    {
        let _outer = baggage.clone().attach();
        assert_eq!(Baggage::current(), baggage);
        {
            let _inner = Baggage::current().with("step", "2").unwrap().attach();
            assert_eq!(Baggage::current().get("step"), Some("2"));
            assert_eq!(Baggage::current().get("tenant"), Some("acme corp"));
        }
        assert_eq!(Baggage::current(), baggage);
        // inject_context sends the current baggage, even with no span.
        let mut out: HashMap<String, String> = HashMap::new();
        inject_context(&mut out);
        assert_eq!(out["baggage"], baggage.header());
        assert!(!out.contains_key("traceparent"));
    }
    assert!(Baggage::current().is_empty());
}

#[test]
fn baggage_follows_a_future_across_threads() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .build()
        .unwrap();
    let seen = rt.block_on(async {
        let _guard = Baggage::from_header("tenant=acme").attach();
        let task = async {
            tokio::task::yield_now().await;
            Baggage::current().get("tenant").map(str::to_string)
        };
        tokio::spawn(task.with_current_baggage()).await.unwrap()
    });
    assert_eq!(seen.as_deref(), Some("acme"));
}

#[test]
fn inject_then_extract_continues_the_trace() {
    let ((sent, child), spans) = common::traced(|| {
        let caller = Span::new("caller").entered();
        let _baggage = Baggage::from_header("tenant=acme").attach();
        let mut carrier: HashMap<String, String> = HashMap::new();
        inject_context(&mut carrier);
        let context = extract(&carrier);
        assert_eq!(context.baggage.get("tenant"), Some("acme"));
        let parent = context.span_context.unwrap();
        assert_eq!(parent.span_id(), caller.span_id().unwrap());
        // The receiving side: a new root scope, under the remote parent.
        let handler = tracer::SpanBuilder::new("handler").parent(parent.clone()).start();
        (parent, handler.context().unwrap())
    });
    assert!(sent.is_remote() && sent.is_sampled());
    assert_eq!(child.trace_id(), sent.trace_id());
    let handler = common::one(&spans, "handler");
    let caller = common::one(&spans, "caller");
    common::assert_child_of(handler, caller);
    assert!(handler.parent_is_remote);
}

#[test]
fn remote_sampled_flag_drives_parent_based_sampling() {
    common::exporter();
    // Sampled caller, with the random bit: recorded, flags passed on.
    let sampled = parse_traceparent(&format!("00-{}-{PARENT}-03", TraceId::random())).unwrap();
    let span = Span::child_of("from_sampled", &sampled);
    assert!(span.is_recording());
    assert_eq!(span.context().unwrap().trace_flags().bits(), 0x03);
    drop(span);
    let spans = common::trace(sampled.trace_id());
    assert_eq!(
        common::one(&spans, "from_sampled").parent_span_id,
        Some(sampled.span_id())
    );

    // Unsampled caller: not recorded, but the trace id and "not sampled"
    // are propagated on.
    let unsampled = parse_traceparent(&format!("00-{}-{PARENT}-02", TraceId::random())).unwrap();
    let span = Span::child_of("from_unsampled", &unsampled).entered();
    assert!(!span.is_recording());
    let mut out: HashMap<String, String> = HashMap::new();
    inject_context(&mut out);
    let next = extract_context(&out).unwrap();
    assert_eq!(next.trace_id(), unsampled.trace_id());
    assert_eq!(next.trace_flags().bits(), 0x02, "not sampled, random bit kept");
    drop(span);
    assert!(common::trace(unsampled.trace_id()).is_empty());
}

#[test]
fn composite_merges_baggage_and_takes_the_first_span_context() {
    let propagator = CompositePropagator::w3c();
    let carrier = headers(&[
        ("traceparent", &valid("01")),
        ("tracestate", "rojo=1"),
        ("baggage", "k=v"),
    ]);
    let context = propagator.extract(&carrier);
    assert_eq!(context.span_context, Some(remote(0x01, "rojo=1")));
    assert_eq!(context.baggage.get("k"), Some("v"));
    let mut out: HashMap<String, String> = HashMap::new();
    propagator.inject(&context, &mut out);
    assert_eq!(
        out,
        headers(&[
            ("traceparent", &valid("01")),
            ("tracestate", "rojo=1"),
            ("baggage", "k=v")
        ])
    );
    assert_eq!(BaggagePropagator.extract(&carrier).span_context, None);
}

#[cfg(feature = "propagators")]
mod optional_propagators {
    use super::*;
    use tracer::propagation::{B3Encoding, B3Propagator, JaegerPropagator};

    #[test]
    fn b3_single_header_table() {
        let cases: Vec<Case<Option<(&str, bool)>>> = vec![
            ("sampled", format!("{TRACE}-{PARENT}-1"), Some((TRACE, true))),
            ("debug", format!("{TRACE}-{PARENT}-d"), Some((TRACE, true))),
            ("not sampled", format!("{TRACE}-{PARENT}-0"), Some((TRACE, false))),
            ("deferred", format!("{TRACE}-{PARENT}"), Some((TRACE, false))),
            (
                "with parent",
                format!("{TRACE}-{PARENT}-1-05e3ac9a4f6e3b90"),
                Some((TRACE, true)),
            ),
            (
                "64-bit trace id",
                format!("a3ce929d0e0e4736-{PARENT}-1"),
                Some(("0000000000000000a3ce929d0e0e4736", true)),
            ),
            ("deny without ids", "0".into(), None),
            ("uppercase", format!("{}-{PARENT}-1", TRACE.to_uppercase()), None),
            ("bad sampling state", format!("{TRACE}-{PARENT}-2"), None),
            ("too many fields", format!("{TRACE}-{PARENT}-1-{PARENT}-x"), None),
            ("zero span id", format!("{TRACE}-0000000000000000-1"), None),
        ];
        for (case, value, expected) in cases {
            let ctx = B3Propagator::single().extract(&headers(&[("b3", &value)])).span_context;
            match expected {
                Some((trace, sampled)) => {
                    let ctx = ctx.unwrap_or_else(|| panic!("{case}: {value:?} rejected"));
                    assert_eq!(ctx.trace_id().to_string(), trace, "{case}");
                    assert_eq!(ctx.span_id().to_string(), PARENT, "{case}");
                    assert_eq!(ctx.is_sampled(), sampled, "{case}");
                    assert!(ctx.is_remote());
                }
                None => assert_eq!(ctx, None, "{case}: {value:?}"),
            }
        }
    }

    #[test]
    fn b3_multi_header() {
        let carrier = headers(&[("X-B3-TraceId", TRACE), ("X-B3-SpanId", PARENT), ("X-B3-Sampled", "1")]);
        let ctx = B3Propagator::multi().extract(&carrier).span_context.unwrap();
        assert!(ctx.is_sampled());
        let debug = headers(&[("x-b3-traceid", TRACE), ("x-b3-spanid", PARENT), ("x-b3-flags", "1")]);
        assert!(B3Propagator::multi().extract(&debug).span_context.unwrap().is_sampled());
        let bad = headers(&[
            ("x-b3-traceid", TRACE),
            ("x-b3-spanid", PARENT),
            ("x-b3-sampled", "maybe"),
        ]);
        assert_eq!(B3Propagator::multi().extract(&bad).span_context, None);
        assert_eq!(
            B3Propagator::multi()
                .extract(&headers(&[("x-b3-traceid", TRACE)]))
                .span_context,
            None
        );

        let context = PropagationContext::new(Some(ctx.clone()), Baggage::new());
        let mut out: HashMap<String, String> = HashMap::new();
        B3Propagator::new(B3Encoding::SingleAndMultiHeader).inject(&context, &mut out);
        assert_eq!(out["b3"], format!("{TRACE}-{PARENT}-1"));
        assert_eq!(out["x-b3-traceid"], TRACE);
        assert_eq!(out["x-b3-spanid"], PARENT);
        assert_eq!(out["x-b3-sampled"], "1");
        // B3 carries the sampled bit only.
        assert_eq!(B3Propagator::single().extract(&out).span_context, Some(ctx));
    }

    #[test]
    fn jaeger_table() {
        // Expected: (trace id, span id, sampled), or rejected.
        type Expected = Option<(&'static str, &'static str, bool)>;
        let cases: Vec<Case<Expected>> = vec![
            ("sampled", format!("{TRACE}:{PARENT}:0:1"), Some((TRACE, PARENT, true))),
            (
                "not sampled",
                format!("{TRACE}:{PARENT}:0:0"),
                Some((TRACE, PARENT, false)),
            ),
            ("debug", format!("{TRACE}:{PARENT}:0:2"), Some((TRACE, PARENT, true))),
            (
                "short ids",
                "abc:def:0:1".into(),
                Some(("00000000000000000000000000000abc", "0000000000000def", true)),
            ),
            (
                "url-encoded",
                format!("{TRACE}%3A{PARENT}%3A0%3A1"),
                Some((TRACE, PARENT, true)),
            ),
            ("zero trace id", format!("0:{PARENT}:0:1"), None),
            ("three fields", format!("{TRACE}:{PARENT}:1"), None),
            ("trace id too long", format!("{TRACE}0:{PARENT}:0:1"), None),
            ("non-hex", format!("{TRACE}:xyz:0:1"), None),
        ];
        for (case, value, expected) in cases {
            let ctx = JaegerPropagator
                .extract(&headers(&[("uber-trace-id", &value)]))
                .span_context;
            match expected {
                Some((trace, span, sampled)) => {
                    let ctx = ctx.unwrap_or_else(|| panic!("{case}: {value:?} rejected"));
                    assert_eq!(ctx.trace_id().to_string(), trace, "{case}");
                    assert_eq!(ctx.span_id().to_string(), span, "{case}");
                    assert_eq!(ctx.is_sampled(), sampled, "{case}");
                }
                None => assert_eq!(ctx, None, "{case}: {value:?}"),
            }
        }
        let carrier = headers(&[
            ("uber-trace-id", &format!("{TRACE}:{PARENT}:0:1")),
            ("uberctx-Tenant", "acme%20corp"),
        ]);
        let context = JaegerPropagator.extract(&carrier);
        assert_eq!(context.baggage.get("tenant"), Some("acme corp"));
        let mut out: HashMap<String, String> = HashMap::new();
        JaegerPropagator.inject(&context, &mut out);
        assert_eq!(out["uber-trace-id"], format!("{TRACE}:{PARENT}:0:1"));
        assert_eq!(out["uberctx-tenant"], "acme%20corp");
    }

    #[test]
    fn composite_tries_propagators_in_order() {
        let b3_trace = "80f198ee56343ba864fe8b2a57d3eff7";
        let carrier = headers(&[("traceparent", &valid("01")), ("b3", &format!("{b3_trace}-{PARENT}-1"))]);
        let w3c_first = CompositePropagator::new()
            .with(TraceContextPropagator)
            .with(B3Propagator::single());
        let b3_first = CompositePropagator::new()
            .with(B3Propagator::single())
            .with(TraceContextPropagator);
        assert_eq!(
            w3c_first.extract(&carrier).span_context.unwrap().trace_id().to_string(),
            TRACE
        );
        assert_eq!(
            b3_first.extract(&carrier).span_context.unwrap().trace_id().to_string(),
            b3_trace
        );

        // A malformed first format falls through to the next.
        let carrier = headers(&[("traceparent", "garbage"), ("b3", &format!("{b3_trace}-{PARENT}-1"))]);
        assert_eq!(
            w3c_first.extract(&carrier).span_context.unwrap().trace_id().to_string(),
            b3_trace
        );

        // Inject writes every format.
        let mut out: HashMap<String, String> = HashMap::new();
        w3c_first.inject(&PropagationContext::new(Some(remote(1, "")), Baggage::new()), &mut out);
        assert!(out.contains_key("traceparent") && out.contains_key("b3"));
        assert_eq!(w3c_first.fields(), vec!["traceparent", "tracestate", "b3"]);
    }
}

fn arb_context() -> impl Strategy<Value = SpanContext> {
    let state = proptest::collection::vec(
        ("[a-z][a-z0-9_*/-]{0,10}", "[!-+--<>-~][ -+--<>-~]{0,10}[!-+--<>-~]"),
        0..=32,
    );
    (1u128.., 1u64.., any::<u8>(), state).prop_map(|(trace, span, flags, state)| {
        let mut trace_state = TraceState::empty();
        for (key, value) in state {
            trace_state = trace_state.insert(&key, &value).unwrap();
        }
        SpanContext::new(
            TraceId::from_u128(trace).unwrap(),
            SpanId::from_u64(span).unwrap(),
            TraceFlags::from_bits(flags),
            true,
            trace_state,
        )
    })
}

fn arb_baggage() -> impl Strategy<Value = Baggage> {
    proptest::collection::vec(("[A-Za-z0-9!#$%&'*+.^_`|~-]{1,12}", any::<String>()), 0..8).prop_map(|members| {
        members
            .into_iter()
            .fold(Baggage::new(), |b, (k, v)| b.with(k, v).unwrap_or(b))
    })
}

fn all_propagators() -> CompositePropagator {
    let propagator = CompositePropagator::w3c();
    #[cfg(feature = "propagators")]
    let propagator = propagator
        .with(tracer::propagation::B3Propagator::new(
            tracer::propagation::B3Encoding::SingleAndMultiHeader,
        ))
        .with(tracer::propagation::JaegerPropagator);
    propagator
}

proptest! {
    #[test]
    fn extract_inverts_inject(ctx in arb_context(), baggage in arb_baggage()) {
        let context = PropagationContext::new(Some(ctx.clone()), baggage.clone());
        let mut carrier: HashMap<String, String> = HashMap::new();
        inject(&context, &mut carrier);
        prop_assert_eq!(extract_context(&carrier), Some(ctx.clone()));
        prop_assert_eq!(extract(&carrier), context.clone());
        #[cfg(feature = "http")]
        {
            let mut map = http::HeaderMap::new();
            inject(&context, &mut map);
            prop_assert_eq!(extract(&map), context);
        }
    }

    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..200), field in 0usize..6) {
        let names = ["traceparent", "tracestate", "baggage", "b3", "uber-trace-id", "x-b3-traceid"];
        let text = String::from_utf8_lossy(&bytes).into_owned();
        let mut carrier = headers(&[("traceparent", &valid("01"))]);
        carrier.insert(names[field].to_string(), text.clone());
        carrier.insert(format!("uberctx-{}", text), text.clone());
        let _ = all_propagators().extract(&carrier);
        let _ = parse_traceparent(&text);
        let _ = Baggage::from_header(&text);
        let _ = TraceState::from_header(&text);
        #[cfg(feature = "http")]
        if let Ok(value) = http::HeaderValue::from_bytes(&bytes) {
            let mut map = http::HeaderMap::new();
            map.insert(names[field], value);
            let _ = all_propagators().extract(&map);
        }
    }

    /// One character of a valid `traceparent` changed: accepted exactly
    /// when the change leaves it valid (a lowercase hex digit where a digit
    /// was), and then read as written; rejected otherwise (a dash, an
    /// uppercase or non-hex character).
    #[test]
    fn one_changed_character_is_accepted_only_when_still_valid(index in 0usize..55, c in any::<char>()) {
        let original = valid("01");
        let mut header: Vec<char> = original.chars().collect();
        prop_assume!(header[index] != c);
        header[index] = c;
        let header: String = header.into_iter().collect();
        let dash = matches!(index, 2 | 35 | 52);
        let still_valid = !dash && matches!(c, '0'..='9' | 'a'..='f');
        match parse_traceparent(&header) {
            Ok(ctx) => {
                prop_assert!(still_valid, "accepted {header}");
                // Read as written: the same text but for the version, which
                // is written back as `00`.
                prop_assert_eq!(&format_traceparent(&ctx)[3..], &header[3..]);
            }
            Err(_) => prop_assert!(!still_valid, "rejected {header}"),
        }
    }
}
