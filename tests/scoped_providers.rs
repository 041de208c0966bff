//! Providers that are not installed: `set_default`, `in_scope` and `scope`
//! route spans to their provider, on any thread, beside an installed one.
//!
//! One binary: its tests run in parallel, each with providers of its own,
//! and one of them installs a global provider, which the others must never
//! see their spans in (nor it theirs).

use std::sync::OnceLock;
use std::time::Duration;

use tracer::export::InMemoryExporter;
use tracer::sampler::{AlwaysOff, TraceIdRatio};
use tracer::{FutureExt, Span, SpanData, TracerProvider, current_span_id, in_span, trace};

fn recording() -> (TracerProvider, InMemoryExporter) {
    let exporter = InMemoryExporter::new();
    let provider = TracerProvider::builder().with_simple_exporter(exporter.clone()).build();
    (provider, exporter)
}

fn names(spans: &[SpanData]) -> Vec<&str> {
    let mut names: Vec<&str> = spans.iter().map(|s| &*s.name).collect();
    names.sort_unstable();
    names
}

fn named<'a>(spans: &'a [SpanData], name: &str) -> &'a SpanData {
    spans
        .iter()
        .find(|s| s.name == name)
        .unwrap_or_else(|| panic!("no {name:?} in {:?}", names(spans)))
}

/// The installed provider's exporter, installed on first use.
fn global() -> &'static InMemoryExporter {
    static GLOBAL: OnceLock<InMemoryExporter> = OnceLock::new();
    GLOBAL.get_or_init(|| {
        let exporter = InMemoryExporter::new();
        std::mem::forget(
            TracerProvider::builder()
                .with_simple_exporter(exporter.clone())
                .install()
                .expect("the only install in this binary"),
        );
        exporter
    })
}

fn global_has(name: &str) -> bool {
    global().spans().iter().any(|s| s.name == name)
}

#[test]
fn a_built_provider_records_only_where_it_is_the_default() {
    let (provider, exporter) = recording();
    Span::new("before_default").finish();
    {
        let _default = provider.set_default();
        in_span("inside_default", |_| Span::new("owned_inside").finish());
    }
    Span::new("after_default").finish();
    let spans = exporter.spans();
    assert_eq!(names(&spans), ["inside_default", "owned_inside"]);
    let parent = named(&spans, "inside_default");
    let child = named(&spans, "owned_inside");
    assert_eq!(child.parent_span_id, Some(parent.span_id()));
    assert_eq!(child.trace_id(), parent.trace_id());
    assert!(!global_has("inside_default") && !global_has("owned_inside"));
}

#[test]
fn the_installed_provider_keeps_what_no_default_takes() {
    let global = global();
    let (provider, exporter) = recording();
    in_span("global_outer", |_| {
        let outer = current_span_id();
        provider.in_scope(|| {
            // A default starts with no current span.
            assert_eq!(current_span_id(), None);
            in_span("scoped_root", |_| {});
        });
        // The outer span is current again, and still recording.
        assert_eq!(current_span_id(), outer);
        in_span("global_inner", |_| {});
    });
    let scoped = exporter.spans();
    assert_eq!(names(&scoped), ["scoped_root"]);
    assert_eq!(named(&scoped, "scoped_root").parent_span_id, None);
    let spans = global.spans();
    let outer = named(&spans, "global_outer");
    let inner = named(&spans, "global_inner");
    assert_eq!(inner.parent_span_id, Some(outer.span_id()));
    assert!(!global_has("scoped_root"));
}

#[test]
fn defaults_nest_and_the_last_set_wins() {
    let (outer, outer_spans) = recording();
    let (inner, inner_spans) = recording();
    let first = outer.set_default();
    in_span("outer_1", |_| {});
    {
        let _second = inner.set_default();
        in_span("inner", |_| {});
    }
    in_span("outer_2", |_| {});
    drop(first);
    assert_eq!(names(&outer_spans.spans()), ["outer_1", "outer_2"]);
    assert_eq!(names(&inner_spans.spans()), ["inner"]);
}

#[test]
fn dropping_an_outer_guard_first_ends_the_inner_default_too() {
    let (outer, outer_spans) = recording();
    let (inner, inner_spans) = recording();
    let first = outer.set_default();
    let second = inner.set_default();
    drop(first);
    in_span("after_both", |_| {});
    drop(second);
    assert!(outer_spans.spans().is_empty());
    assert!(inner_spans.spans().is_empty());
}

#[test]
fn tests_with_different_samplers_run_side_by_side() {
    let threads: Vec<_> = (0..4)
        .map(|i| {
            std::thread::spawn(move || {
                let exporter = InMemoryExporter::new();
                let builder = TracerProvider::builder().with_simple_exporter(exporter.clone());
                let provider = if i % 2 == 0 {
                    builder.build()
                } else {
                    builder.sampler(AlwaysOff).build()
                };
                provider.in_scope(|| {
                    for _ in 0..50 {
                        in_span("work", |_| in_span("step", |_| std::thread::yield_now()));
                    }
                });
                (i, exporter.spans().len())
            })
        })
        .collect();
    for thread in threads {
        let (i, count) = thread.join().unwrap();
        assert_eq!(count, if i % 2 == 0 { 100 } else { 0 }, "thread {i}");
    }
}

#[test]
fn a_span_reports_to_its_provider_wherever_it_ends() {
    let (provider, exporter) = recording();
    let span = provider.in_scope(|| Span::new("moved_away"));
    let parent_id = span.span_id();
    std::thread::spawn(move || {
        // Another thread, with no default: children made current under the
        // span still report to its provider, and so does the span.
        span.in_scope(|| in_span("child_elsewhere", |_| {}));
        in_span("unrelated_on_that_thread", |_| {});
        span.finish();
    })
    .join()
    .unwrap();
    let spans = exporter.spans();
    assert_eq!(names(&spans), ["child_elsewhere", "moved_away"]);
    assert_eq!(named(&spans, "child_elsewhere").parent_span_id, parent_id);
    assert!(!global_has("moved_away") && !global_has("child_elsewhere"));
}

#[test]
fn an_entered_span_of_another_provider_brings_its_provider() {
    let (provider, exporter) = recording();
    let (other, other_spans) = recording();
    let span = provider.in_scope(|| Span::new("entered_elsewhere"));
    other.in_scope(|| {
        {
            let _entered = span.entered();
            in_span("its_child", |_| {});
        }
        // Back under `other`.
        in_span("others_own", |_| {});
    });
    let spans = exporter.spans();
    assert_eq!(names(&spans), ["entered_elsewhere", "its_child"]);
    assert_eq!(
        named(&spans, "its_child").parent_span_id,
        Some(named(&spans, "entered_elsewhere").span_id())
    );
    assert_eq!(names(&other_spans.spans()), ["others_own"]);
}

#[trace]
async fn leaf(n: u32) -> u32 {
    tokio::time::sleep(Duration::from_millis(1)).await;
    n + 1
}

#[trace]
async fn handler() -> u32 {
    let a = leaf(1).await;
    // Resumes on whichever worker thread the runtime picks.
    tokio::task::yield_now().await;
    a + leaf(2).await
}

#[test]
fn futures_keep_their_provider_on_every_worker_thread() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_time()
        .build()
        .unwrap();
    let (provider, exporter) = recording();
    // Polled on the workers, which have no default: one future wrapped by
    // `scope`, one that carries a span made under the default.
    let scoped = provider.scope(handler());
    let carried = provider.in_scope(|| handler().in_span(Span::new("request")));
    let (a, b) = runtime.block_on(async move {
        let a = tokio::spawn(scoped);
        let b = tokio::spawn(carried);
        (a.await.unwrap(), b.await.unwrap())
    });
    assert_eq!((a, b), (5, 5));
    let spans = exporter.spans();
    assert_eq!(
        names(&spans),
        ["handler", "handler", "leaf", "leaf", "leaf", "leaf", "request"]
    );
    let request = named(&spans, "request");
    let handlers: Vec<&SpanData> = spans.iter().filter(|s| s.name == "handler").collect();
    // One handler is a root, the other the request's child.
    assert_eq!(
        handlers
            .iter()
            .filter(|h| h.parent_span_id == Some(request.span_id()))
            .count(),
        1
    );
    assert_eq!(handlers.iter().filter(|h| h.parent_span_id.is_none()).count(), 1);
    for handler in handlers {
        let leaves: Vec<&SpanData> = spans
            .iter()
            .filter(|s| s.name == "leaf" && s.parent_span_id == Some(handler.span_id()))
            .collect();
        assert_eq!(leaves.len(), 2, "each handler's two leaves are its children");
        for leaf in leaves {
            assert_eq!(leaf.trace_id(), handler.trace_id());
            assert!(leaf.end_time_unix_nano >= leaf.start_time_unix_nano);
        }
    }
    assert!(!global_has("handler") && !global_has("leaf") && !global_has("request"));
}

#[test]
fn a_guard_left_open_ends_with_its_default() {
    let (provider, exporter) = recording();
    let default = provider.set_default();
    let leaked = Span::new("left_open").entered();
    drop(default);
    assert_eq!(names(&exporter.spans()), ["left_open"]);
    let span = &exporter.spans()[0];
    assert!(span.end_time_unix_nano >= span.start_time_unix_nano);
    // Ending it later changes nothing, and reaches no other provider.
    drop(leaked);
    assert_eq!(exporter.spans().len(), 1);
    assert!(!global_has("left_open"));
}

#[test]
fn each_provider_has_its_own_limits_resource_stats_and_shutdown() {
    let limited = InMemoryExporter::new();
    let limited_provider = TracerProvider::builder()
        .service_name("limited")
        .span_limits(tracer::SpanLimits {
            max_attributes: 1,
            ..tracer::SpanLimits::default()
        })
        .with_simple_exporter(limited.clone())
        .build();
    let (plain, plain_spans) = recording();
    let attributes = || {
        in_span("attributed", |span| {
            span.set_attribute("a", 1);
            span.set_attribute("b", 2);
        })
    };
    limited_provider.in_scope(attributes);
    plain.in_scope(attributes);
    assert_eq!(limited.spans()[0].attributes.len(), 1);
    assert_eq!(plain_spans.spans()[0].attributes.len(), 2);
    assert_eq!(limited_provider.resource().service_name(), "limited");

    limited_provider.shutdown(Duration::from_secs(1)).unwrap();
    assert!(limited_provider.is_shut_down());
    limited_provider.in_scope(|| in_span("after_shutdown", |_| {}));
    plain.in_scope(|| in_span("still_recording", |_| {}));
    assert_eq!(limited.spans().len(), 1);
    assert_eq!(names(&plain_spans.spans()), ["attributed", "still_recording"]);
    assert!(!plain.is_shut_down());
}

#[test]
fn ratio_sampling_under_a_default_decides_per_trace() {
    let (provider, exporter) = {
        let exporter = InMemoryExporter::new();
        let provider = TracerProvider::builder()
            .sampler(TraceIdRatio::new(0.5))
            .with_simple_exporter(exporter.clone())
            .build();
        (provider, exporter)
    };
    provider.in_scope(|| {
        for _ in 0..400 {
            in_span("root", |_| in_span("child", |_| {}));
        }
    });
    let spans = exporter.spans();
    let roots = spans.iter().filter(|s| s.name == "root").count();
    let children = spans.iter().filter(|s| s.name == "child").count();
    // Children follow their root's decision; about half the roots are kept
    // (400 draws: 4.5 standard deviations either side).
    assert_eq!(roots, children);
    assert!((155..=245).contains(&roots), "{roots} of 400 roots sampled");
}

thread_local! {
    static HELD: std::cell::RefCell<Option<tracer::DefaultGuard>> = const { std::cell::RefCell::new(None) };
}

#[test]
fn a_sampler_that_ends_its_default_mid_start_is_survived() {
    let exporter = InMemoryExporter::new();
    let provider = TracerProvider::builder()
        .sampler(|_, _, _: &str| {
            // Ends the default, whose handle is its provider's last.
            HELD.with(|held| drop(held.borrow_mut().take()));
            true
        })
        .with_simple_exporter(exporter.clone())
        .build();
    HELD.with(|held| *held.borrow_mut() = Some(provider.set_default()));
    drop(provider);
    let span = Span::root("started_as_its_default_ended");
    assert!(span.is_recording());
    span.finish();
    // The span kept its provider alive and reported to it.
    assert_eq!(names(&exporter.spans()), ["started_as_its_default_ended"]);
    in_span("after", |_| {});
    assert_eq!(exporter.spans().len(), 1);
}
