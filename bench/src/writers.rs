//! How fast tracer's file writers turn finished spans into bytes: the
//! Chrome trace-event writer (`ChromeTraceExporter`) and, beside it, JSON
//! lines (`JsonLinesExporter`), on one core, into `io::sink()` (the
//! writer's own work, no kernel copy).
//!
//! The spans are real: 100,000 recorded by tracer under a provider of
//! their own (a request root with two attributes and nine children with
//! one each, one with an event), then written over and over in batches of
//! 512, as a batch processor hands them over. Each repetition writes
//! [`ROUNDS`] times the set; the figure is the median repetition's spans
//! per second.

use std::time::Instant;

use tracer::export::{ChromeTraceExporter, InMemoryExporter, JsonLinesExporter, SpanExporter};
use tracer::{KeyValue, Span, SpanData, TracerProvider, in_span};

/// Times the set is written per repetition.
const ROUNDS: usize = 5;

/// The target: spans per second the Chrome writer reaches on one core.
pub const CHROME_TARGET: f64 = 1e6;

/// One writer's figure.
pub struct Speed {
    /// The writer.
    pub name: &'static str,
    /// Median spans per second.
    pub spans_per_second: f64,
}

/// The spans every writer writes: `traces` requests of ten spans.
pub fn recorded(traces: usize) -> Vec<SpanData> {
    let memory = InMemoryExporter::new();
    let provider = TracerProvider::builder()
        .service_name("writers")
        .with_simple_exporter(memory.clone())
        .build();
    provider.in_scope(|| {
        for order in 0..traces {
            let root = Span::root("handle_request").entered();
            root.set_tag("http.route", "/orders/{id}");
            root.set_tag("order.id", order as i64);
            for step in 0..9i64 {
                in_span("step", |span| {
                    span.set_tag("step", step);
                    if step == 4 {
                        span.add_event("cache_miss", [KeyValue::new("key", "user:123")]);
                    }
                });
            }
        }
    });
    memory.take()
}

fn median_speed(spans: &[SpanData], reps: usize, mut make: impl FnMut() -> Box<dyn SpanExporter>) -> f64 {
    let mut speeds: Vec<f64> = (0..reps)
        .map(|_| {
            let mut writer = make();
            let started = Instant::now();
            for _ in 0..ROUNDS {
                for batch in spans.chunks(512) {
                    writer.export(batch).expect("io::sink takes every byte");
                }
            }
            writer.shutdown().expect("io::sink takes every byte");
            (spans.len() * ROUNDS) as f64 / started.elapsed().as_secs_f64()
        })
        .collect();
    speeds.sort_by(f64::total_cmp);
    speeds[speeds.len() / 2]
}

/// Every writer's median speed over `reps` repetitions.
pub fn measure(traces: usize, reps: usize) -> Vec<Speed> {
    let spans = recorded(traces);
    vec![
        Speed {
            name: "ChromeTraceExporter",
            spans_per_second: median_speed(&spans, reps, || Box::new(ChromeTraceExporter::new(std::io::sink()))),
        },
        Speed {
            name: "JsonLinesExporter",
            spans_per_second: median_speed(&spans, reps, || Box::new(JsonLinesExporter::new(std::io::sink()))),
        },
    ]
}

/// The table, with the Chrome writer's target.
pub fn markdown(speeds: &[Speed]) -> String {
    let mut out = String::from(
        "Trace writers, one core, into io::sink (million spans per second, median repetition).\n\n\
         | writer | M spans/s | target | met |\n|---|---:|---:|---|\n",
    );
    for speed in speeds {
        let (target, met) = if speed.name == "ChromeTraceExporter" {
            let met = if speed.spans_per_second >= CHROME_TARGET {
                "yes"
            } else {
                "**no**"
            };
            (format!("≥ {:.1}", CHROME_TARGET / 1e6), met)
        } else {
            ("–".to_string(), "")
        };
        out.push_str(&format!(
            "| {} | {:.2} | {target} | {met} |\n",
            speed.name,
            speed.spans_per_second / 1e6
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::{Speed, markdown, recorded};

    #[test]
    fn the_recorded_spans_are_whole_requests() {
        let spans = recorded(3);
        assert_eq!(spans.len(), 30);
        assert_eq!(spans.iter().filter(|s| s.name == "handle_request").count(), 3);
        assert!(
            spans
                .iter()
                .filter(|s| s.name == "step")
                .all(|s| s.parent_span_id.is_some())
        );
        assert_eq!(spans.iter().filter(|s| !s.events.is_empty()).count(), 3);
    }

    #[test]
    fn the_chrome_target_is_met_at_one_million() {
        let table = |chrome: f64| {
            markdown(&[
                Speed {
                    name: "ChromeTraceExporter",
                    spans_per_second: chrome,
                },
                Speed {
                    name: "JsonLinesExporter",
                    spans_per_second: 5e5,
                },
            ])
        };
        assert!(
            table(1.2e6).contains("| ChromeTraceExporter | 1.20 | ≥ 1.0 | yes |"),
            "{}",
            table(1.2e6)
        );
        assert!(table(0.9e6).contains("| ChromeTraceExporter | 0.90 | ≥ 1.0 | **no** |"));
        assert!(table(0.9e6).contains("| JsonLinesExporter | 0.50 | – |  |"));
    }
}
