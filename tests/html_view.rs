//! The HTML waterfall in a real browser: headless Chromium opens the page
//! `HtmlExporter` wrote for a real workload; the test reads the DOM, clicks,
//! types and scrolls like a person, and saves a screenshot under
//! `target/tmp/`. Without Chromium the tests fail when `CI` is set and skip
//! with a note otherwise.

mod browser;
mod viewer_workload;

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use browser::Browser;
use serde_json::{Value as Json, json};
use tracer::export::{HtmlExporter, InMemoryExporter, SpanExporter};
use tracer::{
    Span, SpanContext, SpanData, SpanId, SpanKind, Status, TraceFlags, TraceId, TraceState, TracerProvider, in_span,
};

fn out_dir() -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("html-view");
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

struct Recorded {
    page: PathBuf,
    spans: Vec<SpanData>,
    workload: viewer_workload::Workload,
}

/// The workload, plus a short trace with two errors, recorded once into a
/// page and into memory.
fn recorded() -> &'static Recorded {
    static RECORDED: OnceLock<Recorded> = OnceLock::new();
    RECORDED.get_or_init(|| {
        let page = out_dir().join("workload.html");
        let memory = InMemoryExporter::new();
        std::mem::forget(
            TracerProvider::builder()
                .service_name("html-test")
                .with_simple_exporter(memory.clone())
                .with_simple_exporter(HtmlExporter::create(&page).unwrap())
                .install()
                .expect("the only provider in this binary"),
        );
        let workload = viewer_workload::run();
        {
            let _storm = Span::root("retry_storm").entered();
            for _ in 0..2 {
                in_span("retry", |retry| retry.set_status(Status::error("timeout")));
            }
        }
        tracer::force_flush().expect("the page is written");
        Recorded {
            page,
            spans: memory.spans(),
            workload,
        }
    })
}

fn spans_of(trace: TraceId) -> Vec<SpanData> {
    recorded()
        .spans
        .iter()
        .filter(|s| s.trace_id() == trace)
        .cloned()
        .collect()
}

/// `[name, depth, span id]` of each row on screen, top to bottom.
fn rows(browser: &mut Browser) -> Vec<(String, u64, String)> {
    let rows = browser.eval(
        "[...document.querySelectorAll('#rows .row')].map(r => \
         [r.querySelector('.name').textContent, Number(r.dataset.depth), r.dataset.spanId])",
    );
    rows.as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r[0].as_str().unwrap().to_string(),
                r[1].as_u64().unwrap(),
                r[2].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

fn expected_rows(spans: &[SpanData]) -> Vec<(String, u64, String)> {
    viewer_workload::waterfall_order(spans)
        .into_iter()
        .map(|(span, depth)| (span.name.to_string(), depth as u64, span.span_id().to_string()))
        .collect()
}

/// `[header, cell]` pairs of the details pane's tables.
fn details(browser: &mut Browser) -> Vec<(String, String)> {
    let pairs = browser.eval(
        "[...document.querySelectorAll('#details tr')].map(r => [r.cells[0].textContent, r.cells[1].textContent])",
    );
    pairs
        .as_array()
        .unwrap()
        .iter()
        .map(|p| (p[0].as_str().unwrap().to_string(), p[1].as_str().unwrap().to_string()))
        .collect()
}

fn row_selector(span: &SpanData) -> String {
    format!("#rows .row[data-span-id='{}']", span.span_id())
}

fn trace_names(browser: &mut Browser) -> Json {
    browser.eval("[...document.querySelectorAll('#trace-list .trace .root')].map(e => e.textContent)")
}

#[test]
fn the_waterfall_shows_nests_marks_details_and_filters_the_spans() {
    let recorded = recorded();
    let Some(mut browser) = Browser::launch(1400, 900) else {
        return;
    };
    browser.open(&recorded.page);
    let job = spans_of(recorded.workload.job);
    let one = |name: &str| job.iter().find(|s| s.name == name).unwrap().clone();

    // The trace list, earliest first, then by errors.
    assert_eq!(trace_names(&mut browser), json!(["job", "consumer", "retry_storm"]));
    browser.eval("(() => { const s = document.getElementById('sort'); s.value = 'errors'; s.dispatchEvent(new Event('change')); })()");
    assert_eq!(trace_names(&mut browser), json!(["retry_storm", "job", "consumer"]));
    browser.click("#trace-list .trace:nth-child(2)");
    browser.wait_for("document.getElementById('trace-title').textContent.startsWith('job')");

    // Every span of the trace, in order, at its depth.
    assert_eq!(rows(&mut browser), expected_rows(&job));
    assert_eq!(job.len(), 11);

    // The error and the cancelled future are marked.
    let charge = one("charge");
    let marked = browser.eval(&format!(
        "(() => {{ const r = document.querySelector(\"{}\"); const m = r.querySelector('.marker.error'); \
         return [r.classList.contains('error'), m && m.title, r.querySelector('.bar').className]; }})()",
        row_selector(&charge)
    ));
    assert_eq!(marked, json!([true, "error: card declined", "bar error"]));
    let slow = one("slow_call");
    let cancelled = browser.eval(&format!(
        "(() => {{ const r = document.querySelector(\"{}\"); return [!!r.querySelector('.marker.cancelled'), r.querySelector('.bar').className]; }})()",
        row_selector(&slow)
    ));
    assert_eq!(cancelled, json!([true, "bar cancelled"]));
    let ticks = browser.eval(&format!(
        "[...document.querySelectorAll(\"{} .tick\")].map(t => t.title.split(' ')[0])",
        row_selector(&charge)
    ));
    assert_eq!(ticks, json!(["exception"]));

    // A click shows the span's attributes, status and ids.
    let root = one("job");
    browser.click(&format!("{} .name", row_selector(&root)));
    browser.wait_for("document.querySelector('#details h2')?.textContent === 'job'");
    let shown = details(&mut browser);
    for pair in [
        ("kind", "server"),
        ("status", "unset"),
        ("job.id", "7"),
        ("ratio", "0.5"),
        ("ok", "true"),
        ("tags", r#"["a","b"]"#),
        ("trace id", &root.trace_id().to_string()),
        ("span id", &root.span_id().to_string()),
    ] {
        assert!(
            shown.contains(&(pair.0.to_string(), pair.1.to_string())),
            "{pair:?} in {shown:?}"
        );
    }
    browser.click(&format!("{} .name", row_selector(&charge)));
    browser.wait_for("document.querySelector('#details h2')?.textContent === 'charge'");
    let shown = details(&mut browser);
    for pair in [
        ("status", "error: card declined"),
        ("exception.type", "CardDeclined"),
        ("exception.message", "insufficient funds"),
        ("parent span id", &root.span_id().to_string()),
    ] {
        assert!(
            shown.contains(&(pair.0.to_string(), pair.1.to_string())),
            "{pair:?} in {shown:?}"
        );
    }
    assert_eq!(
        browser.eval(&format!(
            "document.querySelector(\"{}\").classList.contains('selected')",
            row_selector(&charge)
        )),
        json!(true)
    );
    browser.screenshot(&out_dir().join("waterfall.png"));

    // A subtree collapses and opens again.
    let worker = job.iter().find(|s| s.name == "worker").unwrap();
    browser.click(&format!("{} .toggle", row_selector(&root)));
    browser.wait_for("document.querySelectorAll('#rows .row').length === 1");
    assert_eq!(rows(&mut browser), expected_rows(&job)[..1].to_vec());
    browser.click(&format!("{} .toggle", row_selector(&root)));
    browser.wait_for(&format!(
        "document.querySelectorAll('#rows .row').length === {}",
        job.len()
    ));
    browser.click(&format!("{} .toggle", row_selector(worker)));
    browser.wait_for(&format!(
        "document.querySelectorAll('#rows .row').length === {}",
        job.len() - 1
    ));

    // The search keeps the matches and their ancestors, and the traces
    // that have a match.
    browser.click("#search");
    browser.type_text("STEP");
    browser.wait_for("document.querySelectorAll('#rows .row.match').length === 2");
    let kept: Vec<SpanData> = job
        .iter()
        .filter(|s| ["job", "worker", "step"].contains(&&*s.name))
        .cloned()
        .collect();
    assert_eq!(rows(&mut browser), expected_rows(&kept));
    let kinds = browser.eval("[...document.querySelectorAll('#rows .row')].map(r => r.classList.contains('match'))");
    let expected: Vec<bool> = viewer_workload::waterfall_order(&kept)
        .iter()
        .map(|(s, _)| s.name == "step")
        .collect();
    assert_eq!(kinds, json!(expected));
    assert_eq!(trace_names(&mut browser), json!(["job"]));
}

#[test]
fn a_link_in_the_details_leads_to_the_linked_span() {
    let recorded = recorded();
    let Some(mut browser) = Browser::launch(1400, 900) else {
        return;
    };
    browser.open(&recorded.page);
    let consumer = spans_of(recorded.workload.consumer).remove(0);
    let job = spans_of(recorded.workload.job)
        .into_iter()
        .find(|s| s.name == "job")
        .unwrap();
    browser.click("#trace-list .trace:nth-child(2)");
    browser.wait_for("document.getElementById('trace-title').textContent.startsWith('consumer')");
    browser.click(&format!("{} .name", row_selector(&consumer)));
    browser.wait_for("document.querySelector('#details h2')?.textContent === 'consumer'");
    let shown = details(&mut browser);
    assert!(shown.contains(&("span".to_string(), "job".to_string())), "{shown:?}");
    assert!(
        shown.contains(&("reason".to_string(), "follows".to_string())),
        "{shown:?}"
    );
    browser.click("#details button.link");
    browser.wait_for("document.querySelector('#details h2')?.textContent === 'job'");
    assert_eq!(
        browser.eval("document.querySelector('#rows .row.selected').dataset.spanId"),
        json!(job.span_id().to_string())
    );
}

/// One trace of `count` spans: a root and its children, 1 µs apart.
fn big_trace(count: u64) -> Vec<SpanData> {
    let trace = TraceId::from_u128(0x5b8a_a5a2_d2c8_72e8_321c_f373_08d6_9df2).unwrap();
    let context = |id: u64| {
        SpanContext::new(
            trace,
            SpanId::from_u64(id).unwrap(),
            TraceFlags::SAMPLED,
            false,
            TraceState::empty(),
        )
    };
    let start = 1_700_000_000_000_000_000;
    let mut spans = vec![SpanData::finished(
        context(1),
        None,
        "bulk_import",
        SpanKind::Server,
        start,
        start + count * 1_000,
    )];
    spans.extend((1..count).map(|i| {
        SpanData::finished(
            context(i + 1),
            SpanId::from_u64(1),
            format!("row {i}"),
            SpanKind::Internal,
            start + i * 1_000,
            start + i * 1_000 + 800,
        )
    }));
    spans
}

#[test]
fn a_trace_of_100_000_spans_draws_only_the_rows_on_screen() {
    let page = out_dir().join("big.html");
    let mut exporter = HtmlExporter::create(&page).unwrap();
    let spans = big_trace(100_000);
    for batch in spans.chunks(4096) {
        exporter.export(batch).unwrap();
    }
    exporter.shutdown().unwrap();
    let Some(mut browser) = Browser::launch(1400, 900) else {
        return;
    };
    browser.open(&page);
    assert_eq!(
        browser.eval("document.getElementById('summary').textContent"),
        json!("1 trace · 100000 spans")
    );
    let drawn = browser
        .eval("document.querySelectorAll('#rows .row').length")
        .as_u64()
        .unwrap();
    assert!((20..100).contains(&drawn), "{drawn} rows drawn of 100000");
    let first = rows(&mut browser);
    assert_eq!(first[0].0, "bulk_import");
    assert_eq!(first[1].0, "row 1");
    browser.wheel("#rows", 3_000_000.0);
    browser.wait_for("[...document.querySelectorAll('#rows .name')].some(n => n.textContent === 'row 99999')");
    let drawn = browser
        .eval("document.querySelectorAll('#rows .row').length")
        .as_u64()
        .unwrap();
    assert!((20..100).contains(&drawn), "{drawn} rows drawn after scrolling");
    browser.click("#search");
    browser.type_text("row 99998");
    browser.wait_for("document.querySelectorAll('#rows .row').length === 2");
    assert_eq!(
        rows(&mut browser).into_iter().map(|r| (r.0, r.1)).collect::<Vec<_>>(),
        [("bulk_import".to_string(), 0), ("row 99998".to_string(), 1)]
    );
}

#[test]
fn a_capped_page_says_how_many_spans_were_left_out() {
    let page = out_dir().join("capped.html");
    let mut exporter = HtmlExporter::create(&page).unwrap().with_max_spans(10);
    exporter.export(&big_trace(25)).unwrap();
    assert_eq!(exporter.spans_left_out(), 15);
    exporter.shutdown().unwrap();
    let Some(mut browser) = Browser::launch(1400, 900) else {
        return;
    };
    browser.open(&page);
    assert_eq!(
        browser
            .eval("[document.getElementById('summary').textContent, document.getElementById('left-out').textContent]"),
        json!([
            "1 trace · 10 spans",
            "15 spans left out (the exporter keeps at most 10)"
        ])
    );
}

#[test]
fn names_that_look_like_html_stay_text() {
    let page = out_dir().join("escaping.html");
    let mut exporter = HtmlExporter::create(&page).unwrap();
    let mut spans = big_trace(2);
    spans[1].name = "</script><script>document.title='owned'</script><!--".into();
    spans[1].set_attribute("html", "<b>bold</b>");
    exporter.export(&spans).unwrap();
    exporter.shutdown().unwrap();
    let Some(mut browser) = Browser::launch(1400, 900) else {
        return;
    };
    browser.open(&page);
    assert_eq!(browser.eval("document.title"), json!("tracer: traces"));
    assert_eq!(
        rows(&mut browser)[1].0,
        "</script><script>document.title='owned'</script><!--"
    );
    browser.click("#rows .row:nth-child(2) .name");
    browser.wait_for("document.querySelector('#details h2') !== null");
    assert!(details(&mut browser).contains(&("html".to_string(), "<b>bold</b>".to_string())));
    assert_eq!(browser.eval("document.querySelectorAll('#details b').length"), json!(0));
}

/// The spans embedded in the page at `path` (no browser needed).
fn embedded_span_names(path: &Path) -> Vec<String> {
    let page = std::fs::read_to_string(path).unwrap();
    let start = page
        .find(r#"<script type="application/json" id="tracer-data">"#)
        .unwrap();
    let data = &page[start..];
    let data = &data[data.find('>').unwrap() + 1..data.find("</script>").unwrap()];
    let data: Json = serde_json::from_str(data).unwrap();
    data["spans"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["n"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn the_page_is_written_at_once_on_each_flush_and_when_dropped() {
    let page = out_dir().join("lifecycle.html");
    let spans = big_trace(3);
    let mut exporter = HtmlExporter::create(&page).unwrap();
    assert_eq!(embedded_span_names(&page), Vec::<String>::new());
    exporter.export(&spans[..1]).unwrap();
    assert_eq!(
        embedded_span_names(&page),
        Vec::<String>::new(),
        "written on flush, not on export"
    );
    exporter.force_flush().unwrap();
    assert_eq!(embedded_span_names(&page), ["bulk_import"]);
    exporter.export(&spans[1..]).unwrap();
    drop(exporter);
    assert_eq!(embedded_span_names(&page), ["bulk_import", "row 1", "row 2"]);
    let nowhere = out_dir().join("no-such-dir").join("page.html");
    assert!(
        HtmlExporter::create(nowhere).is_err(),
        "a path that cannot be written fails at once"
    );
}
