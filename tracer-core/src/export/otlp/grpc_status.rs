//! What a gRPC status means for an OTLP export, as the OTLP specification
//! says: which codes are retried, and how long `google.rpc.RetryInfo` asks
//! to wait.

use std::time::Duration;

use prost::Message;
use tonic::Code;

use super::transport::Attempt;

/// The type URL of `google.rpc.RetryInfo` in a status's details.
const RETRY_INFO_TYPE: &str = "type.googleapis.com/google.rpc.RetryInfo";

/// The most a `RetryInfo` may ask for; larger delays are taken as this (as
/// `Retry-After` over HTTP).
const MAX_RETRY_DELAY: Duration = Duration::from_secs(3600);

/// `google.rpc.Status`, as `grpc-status-details-bin` carries it; only the
/// details are read (the code and message come with the status itself).
#[derive(Clone, PartialEq, Message)]
struct StatusDetails {
    #[prost(message, repeated, tag = "3")]
    details: Vec<AnyDetail>,
}

/// `google.protobuf.Any`.
#[derive(Clone, PartialEq, Message)]
struct AnyDetail {
    #[prost(string, tag = "1")]
    type_url: String,
    #[prost(bytes = "vec", tag = "2")]
    value: Vec<u8>,
}

/// `google.rpc.RetryInfo`.
#[derive(Clone, PartialEq, Message)]
struct RetryInfo {
    #[prost(message, optional, tag = "1")]
    retry_delay: Option<ProtoDuration>,
}

/// `google.protobuf.Duration`.
#[derive(Clone, PartialEq, Message)]
struct ProtoDuration {
    #[prost(int64, tag = "1")]
    seconds: i64,
    #[prost(int32, tag = "2")]
    nanos: i32,
}

/// The delay a `RetryInfo` in `details` (an encoded `google.rpc.Status`)
/// asks for; `None` without one. A negative delay means "now".
pub(super) fn retry_delay(details: &[u8]) -> Option<Duration> {
    let status = StatusDetails::decode(details).ok()?;
    let info = status.details.iter().find(|d| d.type_url == RETRY_INFO_TYPE)?;
    let delay = RetryInfo::decode(&info.value[..]).ok()?.retry_delay.unwrap_or_default();
    let seconds = u64::try_from(delay.seconds).unwrap_or(0);
    let nanos = u32::try_from(delay.nanos).unwrap_or(0).min(999_999_999);
    Some(Duration::new(seconds.min(MAX_RETRY_DELAY.as_secs()), nanos).min(MAX_RETRY_DELAY))
}

/// What an export that ended with `status` (not OK) comes to.
///
/// Retried: `CANCELLED`, `DEADLINE_EXCEEDED`, `ABORTED`, `OUT_OF_RANGE`,
/// `UNAVAILABLE`, `DATA_LOSS`, and `RESOURCE_EXHAUSTED` when the collector
/// says when to retry (`RetryInfo`; without it the collector is out of
/// room for good, as the specification reads it). Everything else fails
/// the batch at once.
pub(super) fn classify(status: &tonic::Status) -> Attempt {
    let code = status.code();
    let reason = describe(status);
    let retry_after = retry_delay(status.details());
    let retryable = match code {
        Code::Cancelled | Code::DeadlineExceeded | Code::Aborted | Code::OutOfRange | Code::Unavailable => true,
        Code::DataLoss => true,
        Code::ResourceExhausted => retry_after.is_some(),
        _ => false,
    };
    if retryable {
        Attempt::Retry {
            reason,
            retry_after,
            timed_out: code == Code::DeadlineExceeded,
        }
    } else {
        Attempt::Fatal {
            reason,
            status: Some(1000 + code as u16),
        }
    }
}

/// `"gRPC UNAVAILABLE: <message>"`, the message cleaned and shortened.
pub(super) fn describe(status: &tonic::Status) -> String {
    let message: String = status
        .message()
        .trim()
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .take(300)
        .collect();
    let name = format!("{:?}", status.code());
    let name = screaming_snake(&name);
    if message.is_empty() {
        format!("gRPC {name}")
    } else {
        format!("gRPC {name}: {message}")
    }
}

/// `ResourceExhausted` → `RESOURCE_EXHAUSTED`, the name the specification
/// and collectors' logs use.
fn screaming_snake(name: &str) -> String {
    let mut out = String::with_capacity(name.len() + 4);
    for (i, c) in name.chars().enumerate() {
        if c.is_ascii_uppercase() && i > 0 {
            out.push('_');
        }
        out.push(c.to_ascii_uppercase());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn details(type_url: &str, seconds: i64, nanos: i32) -> Vec<u8> {
        let info = RetryInfo {
            retry_delay: Some(ProtoDuration { seconds, nanos }),
        };
        StatusDetails {
            details: vec![AnyDetail {
                type_url: type_url.to_owned(),
                value: info.encode_to_vec(),
            }],
        }
        .encode_to_vec()
    }

    #[test]
    fn retry_info_gives_the_delay() {
        assert_eq!(
            retry_delay(&details(RETRY_INFO_TYPE, 2, 500_000_000)),
            Some(Duration::from_millis(2500))
        );
        assert_eq!(retry_delay(&details(RETRY_INFO_TYPE, -3, 0)), Some(Duration::ZERO));
        assert_eq!(
            retry_delay(&details(RETRY_INFO_TYPE, i64::MAX, 0)),
            Some(MAX_RETRY_DELAY)
        );
        assert_eq!(
            retry_delay(&details("type.googleapis.com/google.rpc.DebugInfo", 2, 0)),
            None
        );
        assert_eq!(retry_delay(b""), None);
        assert_eq!(retry_delay(b"\xff\xff"), None);
    }

    #[test]
    fn codes_are_retried_as_the_specification_says() {
        let retried = |code: Code, details: &[u8]| {
            let status = tonic::Status::with_details(code, "why", details.to_vec().into());
            matches!(classify(&status), Attempt::Retry { .. })
        };
        for code in [
            Code::Cancelled,
            Code::DeadlineExceeded,
            Code::Aborted,
            Code::OutOfRange,
            Code::Unavailable,
            Code::DataLoss,
        ] {
            assert!(retried(code, b""), "{code:?}");
        }
        assert!(!retried(Code::ResourceExhausted, b""));
        assert!(retried(Code::ResourceExhausted, &details(RETRY_INFO_TYPE, 1, 0)));
        for code in [
            Code::Unknown,
            Code::InvalidArgument,
            Code::NotFound,
            Code::PermissionDenied,
            Code::Unauthenticated,
            Code::Unimplemented,
            Code::Internal,
        ] {
            assert!(!retried(code, b""), "{code:?}");
        }
    }

    #[test]
    fn reasons_name_the_code() {
        let Attempt::Fatal { reason, status } = classify(&tonic::Status::invalid_argument("bad\nspan")) else {
            panic!("INVALID_ARGUMENT is not retried")
        };
        assert_eq!(reason, "gRPC INVALID_ARGUMENT: bad span");
        assert_eq!(status, Some(1003));
        let Attempt::Retry { reason, timed_out, .. } = classify(&tonic::Status::deadline_exceeded("")) else {
            panic!("DEADLINE_EXCEEDED is retried")
        };
        assert_eq!((reason.as_str(), timed_out), ("gRPC DEADLINE_EXCEEDED", true));
    }
}
