//! One OTLP/HTTP request and what its answer means: delivered (perhaps
//! partially), worth retrying, or not.

use std::time::{Duration, SystemTime};

use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceResponse;
use prost::Message;

use super::config::{OtlpCompression, OtlpProtocol};
use super::retry;
use super::tls;

/// The most of a response body read (for partial success and error
/// reasons).
const MAX_RESPONSE_BODY: u64 = 64 * 1024;

/// Where and how request bodies are posted.
pub(super) struct Transport {
    agent: ureq::Agent,
    pub(super) url: String,
    pub(super) protocol: OtlpProtocol,
    pub(super) compression: OtlpCompression,
    pub(super) headers: Vec<(String, String)>,
}

/// What one HTTP attempt came to.
pub(super) enum Attempt {
    Delivered {
        rejected: i64,
        message: String,
    },
    Retry {
        reason: String,
        retry_after: Option<Duration>,
        timed_out: bool,
    },
    Fatal {
        reason: String,
        status: Option<u16>,
    },
}

/// A `google.rpc.Status`, which OTLP/HTTP collectors may send with an
/// error status.
#[derive(Clone, PartialEq, Message)]
struct RpcStatus {
    #[prost(int32, tag = "1")]
    code: i32,
    #[prost(string, tag = "2")]
    message: String,
}

impl Transport {
    pub(super) fn new(
        url: String,
        protocol: OtlpProtocol,
        compression: OtlpCompression,
        headers: Vec<(String, String)>,
        tls: Option<ureq::tls::TlsConfig>,
    ) -> Transport {
        // `post` classifies statuses itself, and reports a redirect instead
        // of following it: the endpoint should be the final URL.
        let mut config = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .max_redirects(0)
            .user_agent(concat!("tracer/", env!("CARGO_PKG_VERSION")));
        if let Some(tls) = tls {
            config = config.tls_config(tls);
        }
        let config = config.build();
        Transport {
            agent: config.into(),
            url,
            protocol,
            compression,
            headers,
        }
    }

    /// One POST of an encoded (and perhaps compressed) body, waiting at
    /// most `timeout`.
    pub(super) fn post(&self, body: &[u8], timeout: Duration) -> Attempt {
        let content_type = match self.protocol {
            OtlpProtocol::HttpJson => "application/json",
            // Grpc goes through `grpc.rs`, never here.
            OtlpProtocol::HttpProtobuf | OtlpProtocol::Grpc => "application/x-protobuf",
        };
        let mut request = self
            .agent
            .post(&self.url)
            .config()
            .timeout_global(Some(timeout))
            .build()
            .header("content-type", content_type);
        if self.compression == OtlpCompression::Gzip {
            request = request.header("content-encoding", "gzip");
        }
        for (name, value) in &self.headers {
            request = request.header(name.as_str(), value.as_str());
        }
        let mut response = match request.send(body) {
            Ok(response) => response,
            Err(error) => return classify_error(&error),
        };
        let status = response.status().as_u16();
        let header = |name: &str| {
            response
                .headers()
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned)
        };
        let retry_after = header("retry-after").and_then(|v| retry::parse_retry_after(&v, SystemTime::now()));
        let response_type = header("content-type").unwrap_or_default();
        let location = header("location");
        let body = response
            .body_mut()
            .with_config()
            .limit(MAX_RESPONSE_BODY)
            .read_to_vec()
            .unwrap_or_default();
        match status {
            200..=299 => {
                let (rejected, message) = partial_success(&response_type, &body);
                Attempt::Delivered { rejected, message }
            }
            429 | 502 | 503 | 504 => Attempt::Retry {
                reason: format!("HTTP {status}{}", error_reason(&response_type, &body)),
                retry_after,
                timed_out: false,
            },
            300..=399 => Attempt::Fatal {
                reason: format!(
                    "HTTP {status}: redirected to {}; set the endpoint to the final URL",
                    location.as_deref().unwrap_or("?")
                ),
                status: Some(status),
            },
            _ => Attempt::Fatal {
                reason: format!("HTTP {status}{}", error_reason(&response_type, &body)),
                status: Some(status),
            },
        }
    }
}

fn classify_error(error: &ureq::Error) -> Attempt {
    use ureq::Error as E;
    // Retrying does not make a certificate trusted.
    let tls_failure = match error {
        E::Rustls(e) => tls::tls_failure(e),
        E::Io(e) => tls::tls_failure(e),
        _ => None,
    };
    if let Some(reason) = tls_failure {
        return Attempt::Fatal {
            reason,
            status: Some(tls::TLS_REPORT_KEY),
        };
    }
    match error {
        E::Timeout(_) => Attempt::Retry {
            reason: format!("timed out: {error}"),
            retry_after: None,
            timed_out: true,
        },
        E::Io(_) | E::ConnectionFailed | E::HostNotFound | E::Protocol(_) | E::BodyStalled => Attempt::Retry {
            reason: format!("connection error: {error}"),
            retry_after: None,
            timed_out: false,
        },
        _ => Attempt::Fatal {
            reason: format!("request failed: {error}"),
            status: None,
        },
    }
}

/// `(rejected_spans, error_message)` from a success response.
fn partial_success(content_type: &str, body: &[u8]) -> (i64, String) {
    if body.is_empty() {
        return (0, String::new());
    }
    if content_type.contains("json") {
        let Ok(value) = serde_json::from_slice::<serde_json::Value>(body) else {
            return (0, String::new());
        };
        let partial = &value["partialSuccess"];
        let rejected = match &partial["rejectedSpans"] {
            serde_json::Value::Number(n) => n.as_i64().unwrap_or(0),
            serde_json::Value::String(s) => s.parse().unwrap_or(0),
            _ => 0,
        };
        let message = partial["errorMessage"].as_str().unwrap_or("").to_owned();
        return (rejected, message);
    }
    match ExportTraceServiceResponse::decode(body) {
        Ok(response) => response
            .partial_success
            .map_or((0, String::new()), |p| (p.rejected_spans, p.error_message)),
        Err(_) => (0, String::new()),
    }
}

/// `": <the collector's message>"`, from a `google.rpc.Status` (protobuf
/// or JSON) or plain text; empty when there is none.
fn error_reason(content_type: &str, body: &[u8]) -> String {
    if body.is_empty() {
        return String::new();
    }
    let message = if content_type.contains("protobuf") {
        RpcStatus::decode(body).map(|s| s.message).unwrap_or_default()
    } else if content_type.contains("json") {
        serde_json::from_slice::<serde_json::Value>(body)
            .ok()
            .and_then(|v| v["message"].as_str().map(str::to_owned))
            .unwrap_or_else(|| String::from_utf8_lossy(body).into_owned())
    } else {
        String::from_utf8_lossy(body).into_owned()
    };
    let message: String = message
        .trim()
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .take(300)
        .collect();
    if message.is_empty() {
        String::new()
    } else {
        format!(": {message}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn partial_success_from_both_encodings() {
        let json = br#"{"partialSuccess":{"rejectedSpans":"3","errorMessage":"too old"}}"#;
        assert_eq!(partial_success("application/json", json), (3, "too old".to_owned()));
        let json = br#"{"partialSuccess":{"rejectedSpans":2}}"#;
        assert_eq!(
            partial_success("application/json; charset=utf-8", json),
            (2, String::new())
        );
        let pb = ExportTraceServiceResponse {
            partial_success: Some(
                opentelemetry_proto::tonic::collector::trace::v1::ExportTracePartialSuccess {
                    rejected_spans: 5,
                    error_message: "no".into(),
                },
            ),
        }
        .encode_to_vec();
        assert_eq!(partial_success("application/x-protobuf", &pb), (5, "no".to_owned()));
        assert_eq!(partial_success("application/x-protobuf", b""), (0, String::new()));
        assert_eq!(partial_success("application/json", b"{}"), (0, String::new()));
    }

    #[test]
    fn error_reasons() {
        let status = RpcStatus {
            code: 3,
            message: "invalid span id".into(),
        }
        .encode_to_vec();
        assert_eq!(error_reason("application/x-protobuf", &status), ": invalid span id");
        assert_eq!(
            error_reason("application/json", br#"{"code":3,"message":"bad"}"#),
            ": bad"
        );
        assert_eq!(error_reason("text/plain", b"nope\n"), ": nope");
        assert_eq!(error_reason("text/plain", b""), "");
    }
}
