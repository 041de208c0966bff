//! Fault injection: a scripted receiver refuses connections, answers 503
//! with `Retry-After`, 429/502/504, 400, hangs past the timeout, or reports
//! a partial success. Each test asserts exactly what arrives, what the
//! exporter returns, and what the batch processor counts.
#![cfg(feature = "otlp")]

mod common;
mod otlp_receiver;

use std::time::Duration;

use otlp_receiver::{Receiver, Reply, reserve_port};
use tracer::export::otlp::{OtlpExporter, OtlpExporterBuilder, OtlpProtocol, RetryPolicy};
use tracer::export::{ExportError, SpanExporter};
use tracer::processor::{BatchConfig, BatchSpanProcessor, SpanProcessor};
use tracer::{Span, SpanData};

/// `n` real finished spans.
fn spans(n: usize) -> Vec<SpanData> {
    let ((), spans) = common::traced(|| {
        for i in 0..n - 1 {
            Span::new(format!("work{i}")).finish();
        }
    });
    assert_eq!(spans.len(), n);
    spans
}

/// Quick retries, a generous deadline.
fn fast_retries(endpoint: &str) -> OtlpExporterBuilder {
    OtlpExporter::builder()
        .endpoint(endpoint)
        .timeout(Duration::from_secs(20))
        .retry(
            RetryPolicy::default()
                .initial_backoff(Duration::from_millis(20))
                .max_backoff(Duration::from_millis(200))
                .max_attempts(50),
        )
}

fn ids(spans: &[SpanData]) -> std::collections::HashSet<[u8; 8]> {
    spans.iter().map(|s| s.span_id().to_bytes()).collect()
}

#[test]
fn refused_connections_are_retried_until_the_collector_is_up() {
    let port = reserve_port();
    let sent = spans(5);
    let mut exporter = fast_retries(&format!("http://127.0.0.1:{port}")).build().unwrap();
    // The collector comes up a little later; until then connections are
    // refused.
    let starter = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(300));
        Receiver::start_on(port)
    });
    let result = exporter.export(&sent);
    let receiver = starter.join().unwrap();
    assert_eq!(result, Ok(()));
    assert!(exporter.retries() >= 1, "connection refusals were retried");
    let requests = receiver.requests();
    assert_eq!(requests.len(), 1, "refused attempts never reached it");
    assert_eq!(receiver.delivered_once(), ids(&sent));
}

#[test]
fn gives_up_on_refused_connections_within_the_attempt_budget() {
    let port = reserve_port();
    let mut exporter = OtlpExporter::builder()
        .endpoint(format!("http://127.0.0.1:{port}"))
        .retry(
            RetryPolicy::default()
                .initial_backoff(Duration::from_millis(1))
                .max_attempts(3),
        )
        .build()
        .unwrap();
    let Err(ExportError::Failed(reason)) = exporter.export(&spans(2)) else {
        panic!("expected a failure")
    };
    assert!(
        reason.contains("connection") && reason.contains("3 attempts"),
        "{reason}"
    );
    assert_eq!(exporter.retries(), 2);
}

#[test]
fn retry_after_is_honoured() {
    // The backoff alone (a minute and more) would not fit in the deadline:
    // the export can only succeed by waiting what Retry-After says.
    let receiver = Receiver::start();
    receiver.script([
        Reply::retry_after(503, "0"),
        Reply::retry_after(503, "Thu, 01 Jan 1970 00:00:00 GMT"),
        Reply::Ok,
    ]);
    let sent = spans(3);
    let mut exporter = OtlpExporter::builder()
        .endpoint(receiver.endpoint())
        .timeout(Duration::from_secs(20))
        .retry(
            RetryPolicy::default()
                .initial_backoff(Duration::from_secs(60))
                .max_backoff(Duration::from_secs(60)),
        )
        .build()
        .unwrap();
    assert_eq!(exporter.export(&sent), Ok(()));
    assert_eq!(exporter.retries(), 2);
    let requests = receiver.requests();
    assert_eq!(requests.len(), 3);
    assert!(
        requests.iter().all(|r| r.body == requests[0].body),
        "the same batch each time"
    );
    assert_eq!(receiver.delivered_once(), ids(&sent));
}

#[test]
fn retry_after_past_the_deadline_gives_up_at_once() {
    let receiver = Receiver::start();
    receiver.script([Reply::retry_after(503, "120")]);
    let mut exporter = fast_retries(&receiver.endpoint())
        .timeout(Duration::from_secs(5))
        .build()
        .unwrap();
    let Err(ExportError::Failed(reason)) = exporter.export(&spans(2)) else {
        panic!("expected a failure")
    };
    assert!(reason.contains("503") && reason.contains("Retry-After"), "{reason}");
    assert_eq!(exporter.retries(), 0);
    assert_eq!(receiver.requests().len(), 1);
}

#[test]
fn retrying_stops_at_the_export_deadline() {
    // Far more attempts are allowed than fit in the deadline: the deadline
    // ends the retrying, and the batch fails.
    let receiver = Receiver::start();
    receiver.set_default(Reply::status(503, "still starting"));
    let mut exporter = OtlpExporter::builder()
        .endpoint(receiver.endpoint())
        .timeout(Duration::from_millis(800))
        .retry(
            RetryPolicy::default()
                .initial_backoff(Duration::from_millis(20))
                .max_backoff(Duration::from_millis(100))
                .max_attempts(100_000),
        )
        .build()
        .unwrap();
    let Err(ExportError::Failed(reason)) = exporter.export(&spans(2)) else {
        panic!("expected a failure")
    };
    assert!(
        reason.contains("503") && reason.contains("still starting") && reason.contains("gave up"),
        "{reason}"
    );
    let requests = receiver.requests().len() as u64;
    assert!(requests >= 2, "it did retry");
    assert_eq!(exporter.retries(), requests - 1, "every retry reached the collector");
}

#[test]
fn the_processor_export_timeout_bounds_the_exporter() {
    // The exporter alone would wait 60 s; the processor's export timeout
    // (handed over through `set_timeout`) is shorter and wins.
    let receiver = Receiver::start();
    receiver.set_default(Reply::Hang);
    let exporter = OtlpExporter::builder()
        .endpoint(receiver.endpoint())
        .timeout(Duration::from_secs(60))
        .build()
        .unwrap();
    let config = BatchConfig::default().export_timeout(Duration::from_millis(300));
    let processor = BatchSpanProcessor::new(exporter, config);
    processor.on_end_batch(spans(3).into());
    let error = processor
        .force_flush(Duration::from_secs(30))
        .expect_err("the export timed out");
    assert!(error.reason.contains("timed out"), "{error}");
    let stats = processor.stats();
    assert_eq!((stats.failed, stats.exported, stats.queued), (3, 0, 0));
    receiver.release();
    processor.shutdown(Duration::from_secs(5)).unwrap();
}

#[test]
fn transient_statuses_are_retried_and_others_are_not() {
    // (status, retried?)
    let table = [
        (429, true),
        (502, true),
        (503, true),
        (504, true),
        (400, false),
        (401, false),
        (404, false),
        (413, false),
        (500, false),
    ];
    for (code, retried) in table {
        let receiver = Receiver::start();
        receiver.script([Reply::status(code, "scripted failure")]);
        let sent = spans(2);
        let mut exporter = fast_retries(&receiver.endpoint()).build().unwrap();
        let result = exporter.export(&sent);
        let requests = receiver.requests();
        if retried {
            assert_eq!(result, Ok(()), "HTTP {code}");
            assert_eq!(requests.len(), 2, "HTTP {code}: one retry");
            assert_eq!(exporter.retries(), 1, "HTTP {code}");
            assert_eq!(receiver.delivered_once(), ids(&sent));
        } else {
            let Err(ExportError::Failed(reason)) = result else {
                panic!("HTTP {code}: expected a failure, got {result:?}")
            };
            assert!(
                reason.contains(&code.to_string()) && reason.contains("scripted failure"),
                "{reason}"
            );
            assert_eq!(requests.len(), 1, "HTTP {code}: not retried");
            assert_eq!(exporter.retries(), 0, "HTTP {code}");
        }
    }
}

#[test]
fn bad_request_is_counted_as_failed_by_the_processor() {
    let receiver = Receiver::start();
    receiver.set_default(Reply::status(400, "invalid trace id"));
    let exporter = fast_retries(&receiver.endpoint()).build().unwrap();
    let processor = BatchSpanProcessor::new(exporter, BatchConfig::default().max_batch_size(4));
    processor.on_end_batch(spans(6).into());
    processor.on_end_batch(spans(3).into());
    let flushed = processor.force_flush(Duration::from_secs(20));
    let error = flushed.expect_err("the collector refused every batch");
    assert!(
        error.reason.contains("400") && error.reason.contains("invalid trace id"),
        "{error}"
    );
    let stats = processor.stats();
    assert_eq!(stats.received, 9);
    assert_eq!(stats.failed, 9);
    assert_eq!(stats.exported, 0);
    assert_eq!(stats.retries, 0);
    assert_eq!(stats.queued, 0);
    // Batches of at most 4: 4 + 2 + 3, each tried once.
    assert_eq!(receiver.requests().len(), 3);
    processor.shutdown(Duration::from_secs(5)).unwrap();
}

#[test]
fn hanging_collector_times_out() {
    let receiver = Receiver::start();
    receiver.set_default(Reply::Hang);
    let mut exporter = OtlpExporter::builder()
        .endpoint(receiver.endpoint())
        .timeout(Duration::from_millis(500))
        .retry(RetryPolicy::default().initial_backoff(Duration::from_millis(10)))
        .build()
        .unwrap();
    let result = exporter.export(&spans(2));
    assert_eq!(result, Err(ExportError::Timeout));
    // The one attempt took the whole deadline: no time was left to retry.
    assert_eq!(receiver.requests().len(), 1);
    assert!(receiver.delivered_span_ids().is_empty(), "nothing was acknowledged");
    receiver.release();
}

#[test]
fn hanging_collector_is_counted_as_failed_and_then_recovers() {
    let receiver = Receiver::start();
    receiver.script([Reply::Hang]);
    let exporter = OtlpExporter::builder()
        .endpoint(receiver.endpoint())
        .timeout(Duration::from_millis(500))
        .retry(RetryPolicy::disabled())
        .build()
        .unwrap();
    let processor = BatchSpanProcessor::new(
        exporter,
        BatchConfig::default().export_interval(Duration::from_secs(60)),
    );
    let first = spans(3);
    processor.on_end_batch(first.clone().into());
    let error = processor
        .force_flush(Duration::from_secs(20))
        .expect_err("the first batch timed out");
    assert!(error.reason.contains("timed out"), "{error}");
    receiver.release();
    let second = spans(4);
    processor.on_end_batch(second.clone().into());
    processor.force_flush(Duration::from_secs(20)).unwrap();
    let stats = processor.stats();
    assert_eq!(
        (stats.received, stats.failed, stats.exported, stats.queued),
        (7, 3, 4, 0)
    );
    assert_eq!(receiver.delivered_once(), ids(&second));
    processor.shutdown(Duration::from_secs(5)).unwrap();
}

#[test]
fn partial_success_is_reported_and_counted() {
    for protocol in [OtlpProtocol::HttpProtobuf, OtlpProtocol::HttpJson] {
        let receiver = Receiver::start();
        receiver.script([Reply::PartialSuccess {
            rejected: 2,
            message: "2 spans too old".into(),
        }]);
        let mut exporter = fast_retries(&receiver.endpoint()).protocol(protocol).build().unwrap();
        let result = exporter.export(&spans(5));
        assert_eq!(
            result,
            Err(ExportError::PartialSuccess {
                rejected: 2,
                message: "2 spans too old".into()
            }),
            "{protocol}"
        );
        assert_eq!(
            receiver.requests().len(),
            1,
            "{protocol}: a partial success is not retried"
        );

        // Through the processor: rejected and exported add up.
        receiver.script([Reply::PartialSuccess {
            rejected: 2,
            message: "2 spans too old".into(),
        }]);
        let processor = BatchSpanProcessor::new(exporter, BatchConfig::default());
        processor.on_end_batch(spans(5).into());
        let flushed = processor.force_flush(Duration::from_secs(20));
        assert!(
            flushed.is_err(),
            "{protocol}: the flush says not everything was accepted"
        );
        let stats = processor.stats();
        assert_eq!(
            (stats.received, stats.rejected, stats.exported, stats.failed),
            (5, 2, 3, 0),
            "{protocol}"
        );
        processor.shutdown(Duration::from_secs(5)).unwrap();
    }
}

#[test]
fn partial_success_with_only_a_warning_is_a_success() {
    let receiver = Receiver::start();
    receiver.script([Reply::PartialSuccess {
        rejected: 0,
        message: "deprecated field".into(),
    }]);
    let mut exporter = fast_retries(&receiver.endpoint()).build().unwrap();
    assert_eq!(exporter.export(&spans(2)), Ok(()));
}

#[test]
fn retries_show_in_processor_stats() {
    let receiver = Receiver::start();
    receiver.script([
        Reply::retry_after(503, "0"),
        Reply::status(502, "bad gateway"),
        Reply::Ok,
    ]);
    let exporter = fast_retries(&receiver.endpoint()).build().unwrap();
    let processor = BatchSpanProcessor::new(exporter, BatchConfig::default());
    let sent = spans(8);
    processor.on_end_batch(sent.clone().into());
    processor.force_flush(Duration::from_secs(20)).unwrap();
    let stats = processor.stats();
    assert_eq!(
        (stats.received, stats.exported, stats.failed, stats.retries),
        (8, 8, 0, 2)
    );
    assert_eq!(receiver.requests().len(), 3);
    assert_eq!(receiver.delivered_once(), ids(&sent));
    processor.shutdown(Duration::from_secs(5)).unwrap();
}

#[test]
fn a_shut_down_exporter_sends_nothing() {
    let receiver = Receiver::start();
    let mut exporter = fast_retries(&receiver.endpoint()).build().unwrap();
    exporter.shutdown().unwrap();
    assert_eq!(exporter.export(&spans(2)), Err(ExportError::ShutDown));
    assert!(receiver.requests().is_empty());
}

/// With the `log` feature the runtime's warnings are `log` records under
/// target `tracer`: capture them to check a rejection is reported once,
/// with its reason.
#[cfg(feature = "log")]
mod reported_once {
    use std::sync::Mutex;

    use super::*;

    static LINES: Mutex<Vec<String>> = Mutex::new(Vec::new());

    struct Capture;

    impl log::Log for Capture {
        fn enabled(&self, _: &log::Metadata<'_>) -> bool {
            true
        }
        fn log(&self, record: &log::Record<'_>) {
            if record.target() == "tracer" {
                LINES.lock().unwrap().push(record.args().to_string());
            }
        }
        fn flush(&self) {}
    }

    #[test]
    fn a_rejection_is_reported_once_with_its_reason() {
        let _ = log::set_logger(&Capture);
        log::set_max_level(log::LevelFilter::Warn);
        let receiver = Receiver::start();
        receiver.set_default(Reply::status(400, "span name too long"));
        let url = format!("{}/v1/traces", receiver.endpoint());
        let mut exporter = fast_retries(&receiver.endpoint()).build().unwrap();
        for _ in 0..3 {
            assert!(matches!(exporter.export(&spans(2)), Err(ExportError::Failed(_))));
        }
        assert_eq!(receiver.requests().len(), 3, "each batch tried once");
        let lines: Vec<String> = LINES
            .lock()
            .unwrap()
            .iter()
            .filter(|l| l.contains(&url))
            .cloned()
            .collect();
        assert_eq!(lines.len(), 1, "{lines:?}");
        assert!(
            lines[0].contains("HTTP 400") && lines[0].contains("span name too long"),
            "{}",
            lines[0]
        );
    }
}

/// A refused collector: every span fails, and flush and shutdown say so,
/// by outcome, for what happened since the previous flush.
#[test]
fn flush_counts_failed_and_rejected_spans_since_the_last_flush() {
    let port = reserve_port();
    let exporter = OtlpExporter::builder()
        .endpoint(format!("http://127.0.0.1:{port}"))
        .retry(
            RetryPolicy::default()
                .initial_backoff(Duration::from_millis(1))
                .max_attempts(2),
        )
        .build()
        .unwrap();
    let processor = BatchSpanProcessor::new(exporter, BatchConfig::default().max_batch_size(4));
    processor.on_end_batch(spans(6).into());
    processor.on_end_batch(spans(3).into());
    let error = processor.force_flush(Duration::from_secs(10)).unwrap_err();
    assert_eq!((error.queued, error.failed, error.rejected), (0, 9, 0), "{error}");
    assert!(
        error
            .to_string()
            .starts_with("9 spans not delivered (9 failed, not confirmed by the collector)"),
        "{error}"
    );
    // Counted once: a second flush with nothing new has nothing to report.
    processor.force_flush(Duration::from_secs(10)).unwrap();
    processor.on_end_batch(spans(2).into());
    let error = processor.shutdown(Duration::from_secs(10)).unwrap_err();
    assert_eq!((error.queued, error.failed, error.rejected), (0, 2, 0), "{error}");
    assert_eq!(processor.stats().failed, 11);

    // A collector that rejects part of each batch.
    let receiver = Receiver::start();
    receiver.set_default(Reply::PartialSuccess {
        rejected: 1,
        message: "too big".into(),
    });
    let processor = BatchSpanProcessor::new(
        fast_retries(&receiver.endpoint()).build().unwrap(),
        BatchConfig::default().max_batch_size(100),
    );
    processor.on_end_batch(spans(5).into());
    let error = processor.force_flush(Duration::from_secs(10)).unwrap_err();
    assert_eq!((error.queued, error.failed, error.rejected), (0, 0, 1), "{error}");
}
