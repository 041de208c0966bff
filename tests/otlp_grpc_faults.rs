//! OTLP/gRPC faults against tonic's real server: the collector down and
//! then up, UNAVAILABLE, RESOURCE_EXHAUSTED with and without RetryInfo,
//! codes that are not retried, a hung call, a partial success. Each test
//! asserts what arrives, what the exporter returns and what the batch
//! processor counts.
#![cfg(feature = "otlp-grpc")]

mod common;
mod otlp_grpc_receiver;
mod otlp_receiver;

use std::collections::HashSet;
use std::time::Duration;

use otlp_grpc_receiver::{GrpcReceiver, GrpcReply};
use otlp_receiver::reserve_port;
use tonic::Code;
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

fn ids(spans: &[SpanData]) -> HashSet<[u8; 8]> {
    spans.iter().map(|s| s.span_id().to_bytes()).collect()
}

/// gRPC to `endpoint`, quick retries, a generous deadline.
fn fast_retries(endpoint: &str) -> OtlpExporterBuilder {
    OtlpExporter::builder()
        .protocol(OtlpProtocol::Grpc)
        .endpoint(endpoint)
        .timeout(Duration::from_secs(20))
        .retry(
            RetryPolicy::default()
                .initial_backoff(Duration::from_millis(20))
                .max_backoff(Duration::from_millis(200))
                .max_attempts(50),
        )
}

/// Retries whose backoff (a minute) cannot fit in the deadline: an export
/// that succeeds after a failure can only have waited what RetryInfo said.
fn backoff_too_long(endpoint: &str) -> OtlpExporterBuilder {
    OtlpExporter::builder()
        .protocol(OtlpProtocol::Grpc)
        .endpoint(endpoint)
        .timeout(Duration::from_secs(20))
        .retry(
            RetryPolicy::default()
                .initial_backoff(Duration::from_secs(60))
                .max_backoff(Duration::from_secs(60)),
        )
}

#[test]
fn a_collector_that_is_down_is_retried_until_it_is_up() {
    let port = reserve_port();
    let sent = spans(5);
    let mut exporter = fast_retries(&format!("http://127.0.0.1:{port}")).build().unwrap();
    let starter = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(300));
        GrpcReceiver::start_on(port)
    });
    let result = exporter.export(&sent);
    let receiver = starter.join().unwrap();
    assert_eq!(result, Ok(()));
    assert!(exporter.retries() >= 1, "refused connections were retried");
    assert_eq!(receiver.requests().len(), 1, "refused attempts never reached it");
    assert_eq!(receiver.delivered_once(), ids(&sent));
}

#[test]
fn gives_up_on_a_collector_that_stays_down_within_the_attempt_budget() {
    let port = reserve_port();
    let mut exporter = fast_retries(&format!("http://127.0.0.1:{port}"))
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
        reason.contains("UNAVAILABLE") && reason.contains("3 attempts"),
        "{reason}"
    );
    assert_eq!(exporter.retries(), 2);
}

#[test]
fn retryable_codes_are_retried_and_others_are_not() {
    // (code, retried?), as the OTLP specification lists them.
    let table = [
        (Code::Unavailable, true),
        (Code::Cancelled, true),
        (Code::DeadlineExceeded, true),
        (Code::Aborted, true),
        (Code::OutOfRange, true),
        (Code::DataLoss, true),
        (Code::ResourceExhausted, false),
        (Code::InvalidArgument, false),
        (Code::Unauthenticated, false),
        (Code::PermissionDenied, false),
        (Code::Unimplemented, false),
        (Code::Internal, false),
        (Code::Unknown, false),
    ];
    let receiver = GrpcReceiver::start();
    for (code, retried) in table {
        receiver.script([GrpcReply::status(code, "scripted failure")]);
        let sent = spans(2);
        let mut exporter = fast_retries(&receiver.endpoint()).build().unwrap();
        let result = exporter.export(&sent);
        if retried {
            assert_eq!(result, Ok(()), "{code:?}");
            assert_eq!(exporter.retries(), 1, "{code:?}: one retry");
        } else {
            let Err(ExportError::Failed(reason)) = result else {
                panic!("{code:?}: expected a failure, got {result:?}")
            };
            assert!(reason.contains("scripted failure"), "{code:?}: {reason}");
            assert_eq!(exporter.retries(), 0, "{code:?}: not retried");
        }
    }
    // One call per code, plus one retry per retried code.
    assert_eq!(receiver.requests().len(), 13 + 6);
}

#[test]
fn resource_exhausted_with_retry_info_waits_the_delay_and_retries() {
    let receiver = GrpcReceiver::start();
    receiver.script([
        GrpcReply::retry_info(Code::ResourceExhausted, "over quota", Duration::from_millis(200)),
        GrpcReply::retry_info(Code::Unavailable, "restarting", Duration::ZERO),
        GrpcReply::Ok,
    ]);
    let sent = spans(3);
    let mut exporter = backoff_too_long(&receiver.endpoint()).build().unwrap();
    assert_eq!(exporter.export(&sent), Ok(()));
    assert_eq!(exporter.retries(), 2);
    let requests = receiver.requests();
    assert_eq!(requests.len(), 3);
    assert!(
        requests.iter().all(|r| r.request == requests[0].request),
        "the same batch each time"
    );
    assert_eq!(receiver.delivered_once(), ids(&sent));
}

#[test]
fn resource_exhausted_without_retry_info_is_not_retried() {
    let receiver = GrpcReceiver::start();
    receiver.script([GrpcReply::status(Code::ResourceExhausted, "out of memory for good")]);
    let mut exporter = fast_retries(&receiver.endpoint()).build().unwrap();
    let Err(ExportError::Failed(reason)) = exporter.export(&spans(2)) else {
        panic!("expected a failure")
    };
    assert_eq!(reason, "gRPC RESOURCE_EXHAUSTED: out of memory for good");
    assert_eq!(exporter.retries(), 0);
    assert_eq!(receiver.requests().len(), 1);
}

#[test]
fn a_retry_delay_past_the_deadline_gives_up_at_once() {
    let receiver = GrpcReceiver::start();
    receiver.script([GrpcReply::retry_info(
        Code::Unavailable,
        "come back later",
        Duration::from_secs(120),
    )]);
    let mut exporter = fast_retries(&receiver.endpoint())
        .timeout(Duration::from_secs(5))
        .build()
        .unwrap();
    let Err(ExportError::Failed(reason)) = exporter.export(&spans(2)) else {
        panic!("expected a failure")
    };
    assert!(reason.contains("UNAVAILABLE: come back later"), "{reason}");
    assert_eq!(exporter.retries(), 0);
    assert_eq!(receiver.requests().len(), 1);
}

#[test]
fn a_hung_call_times_out() {
    let receiver = GrpcReceiver::start();
    receiver.set_default(GrpcReply::Hang);
    let mut exporter = fast_retries(&receiver.endpoint())
        .timeout(Duration::from_millis(500))
        .build()
        .unwrap();
    assert_eq!(exporter.export(&spans(2)), Err(ExportError::Timeout));
    // The one attempt took the whole deadline: no time was left to retry.
    assert_eq!(receiver.requests().len(), 1);
    assert!(receiver.delivered_once().is_empty());
}

#[test]
fn a_hung_call_is_counted_as_failed_and_then_the_collector_recovers() {
    let receiver = GrpcReceiver::start();
    receiver.script([GrpcReply::Hang]);
    let exporter = fast_retries(&receiver.endpoint())
        .timeout(Duration::from_millis(500))
        .retry(RetryPolicy::disabled())
        .build()
        .unwrap();
    let processor = BatchSpanProcessor::new(
        exporter,
        BatchConfig::default().export_interval(Duration::from_secs(60)),
    );
    processor.on_end_batch(spans(3).into());
    let error = processor
        .force_flush(Duration::from_secs(20))
        .expect_err("the first batch timed out");
    assert!(error.reason.contains("timed out"), "{error}");
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
fn a_partial_success_is_counted_as_rejected() {
    let receiver = GrpcReceiver::start();
    let partial = GrpcReply::PartialSuccess {
        rejected: 2,
        message: "2 spans too old".into(),
    };
    receiver.script([partial.clone()]);
    let mut exporter = fast_retries(&receiver.endpoint()).build().unwrap();
    assert_eq!(
        exporter.export(&spans(5)),
        Err(ExportError::PartialSuccess {
            rejected: 2,
            message: "2 spans too old".into()
        })
    );
    assert_eq!(receiver.requests().len(), 1, "a partial success is not retried");
    // Through the processor: rejected and exported add up.
    receiver.script([partial]);
    let processor = BatchSpanProcessor::new(exporter, BatchConfig::default());
    processor.on_end_batch(spans(5).into());
    assert!(processor.force_flush(Duration::from_secs(20)).is_err());
    let stats = processor.stats();
    assert_eq!(
        (stats.received, stats.rejected, stats.exported, stats.failed),
        (5, 2, 3, 0)
    );
    processor.shutdown(Duration::from_secs(5)).unwrap();
}

#[test]
fn a_rejecting_collector_is_counted_as_failed_by_the_processor() {
    let receiver = GrpcReceiver::start();
    receiver.set_default(GrpcReply::status(Code::InvalidArgument, "invalid trace id"));
    let exporter = fast_retries(&receiver.endpoint()).build().unwrap();
    let processor = BatchSpanProcessor::new(exporter, BatchConfig::default().max_batch_size(4));
    processor.on_end_batch(spans(6).into());
    let error = processor
        .force_flush(Duration::from_secs(20))
        .expect_err("the collector refused every batch");
    assert!(
        error.reason.contains("INVALID_ARGUMENT") && error.reason.contains("invalid trace id"),
        "{error}"
    );
    let stats = processor.stats();
    assert_eq!(
        (stats.received, stats.failed, stats.exported, stats.retries),
        (6, 6, 0, 0)
    );
    // Batches of at most 4: 4 + 2, each tried once.
    assert_eq!(receiver.requests().len(), 2);
    processor.shutdown(Duration::from_secs(5)).unwrap();
}
