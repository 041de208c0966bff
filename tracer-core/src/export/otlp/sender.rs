//! Which transport an exporter sends through (OTLP/HTTP or OTLP/gRPC), and
//! the batch in the form that transport sends: a request body, or the
//! request message that tonic encodes.

use std::io::Write as _;
use std::time::Duration;

#[cfg(feature = "otlp-grpc")]
use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use opentelemetry_proto::tonic::resource::v1::Resource as PbResource;
use prost::Message;

use super::config::{OtlpCompression, OtlpProtocol};
use super::encode::{self, Scope};
#[cfg(feature = "otlp-grpc")]
use super::grpc::GrpcTransport;
use super::transport::{Attempt, Transport};
use crate::export::ExportError;
use crate::model::{Resource, SpanData};

/// The transport an [`OtlpExporter`](super::OtlpExporter) sends through.
pub(super) enum Sender {
    Http(Transport),
    #[cfg(feature = "otlp-grpc")]
    // Boxed: it is four times the size of the HTTP one.
    Grpc(Box<GrpcTransport>),
}

/// One batch, encoded once and sent as many times as it is retried.
pub(super) enum Payload {
    /// An OTLP/HTTP body (protobuf or JSON, perhaps gzipped).
    Body(Vec<u8>),
    /// An OTLP/gRPC request; tonic encodes and compresses it.
    #[cfg(feature = "otlp-grpc")]
    Request(ExportTraceServiceRequest),
}

impl Sender {
    pub(super) fn url(&self) -> &str {
        match self {
            Sender::Http(t) => &t.url,
            #[cfg(feature = "otlp-grpc")]
            Sender::Grpc(t) => &t.url,
        }
    }

    pub(super) fn protocol(&self) -> OtlpProtocol {
        match self {
            Sender::Http(t) => t.protocol,
            #[cfg(feature = "otlp-grpc")]
            Sender::Grpc(_) => OtlpProtocol::Grpc,
        }
    }

    pub(super) fn compression(&self) -> OtlpCompression {
        match self {
            Sender::Http(t) => t.compression,
            #[cfg(feature = "otlp-grpc")]
            Sender::Grpc(t) => t.compression,
        }
    }

    pub(super) fn headers(&self) -> &[(String, String)] {
        match self {
            Sender::Http(t) => &t.headers,
            #[cfg(feature = "otlp-grpc")]
            Sender::Grpc(t) => &t.headers,
        }
    }

    /// The batch as this transport sends it.
    pub(super) fn payload(
        &self,
        resource: (&Resource, &PbResource),
        scope: &Scope,
        batch: &[SpanData],
    ) -> Result<Payload, ExportError> {
        match self {
            Sender::Http(transport) => http_body(transport, resource, scope, batch).map(Payload::Body),
            #[cfg(feature = "otlp-grpc")]
            Sender::Grpc(_) => Ok(Payload::Request(encode::request(resource.1, scope, batch))),
        }
    }

    /// One attempt at sending `payload`, waiting at most `timeout`.
    pub(super) fn send(&mut self, payload: &Payload, timeout: Duration) -> Attempt {
        match (self, payload) {
            (Sender::Http(t), Payload::Body(body)) => t.post(body, timeout),
            #[cfg(feature = "otlp-grpc")]
            (Sender::Grpc(t), Payload::Request(request)) => t.export(request, timeout),
            #[cfg(feature = "otlp-grpc")]
            _ => unreachable!("a payload is made by the sender that sends it"),
        }
    }
}

/// The OTLP/HTTP body: protobuf or JSON, gzipped if asked.
fn http_body(
    transport: &Transport,
    resource: (&Resource, &PbResource),
    scope: &Scope,
    batch: &[SpanData],
) -> Result<Vec<u8>, ExportError> {
    let raw = match transport.protocol {
        OtlpProtocol::HttpJson => encode::json(resource.0, scope, batch),
        OtlpProtocol::HttpProtobuf | OtlpProtocol::Grpc => encode::request(resource.1, scope, batch).encode_to_vec(),
    };
    match transport.compression {
        OtlpCompression::None => Ok(raw),
        OtlpCompression::Gzip => {
            let mut encoder =
                flate2::write::GzEncoder::new(Vec::with_capacity(raw.len() / 4 + 64), flate2::Compression::default());
            encoder.write_all(&raw)?;
            Ok(encoder.finish()?)
        }
    }
}
