//! The response future of a traced call: the call's span is current while
//! it is polled, and moves into the response body, which ends it.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll, ready};

use http::{Response, StatusCode};
use pin_project_lite::pin_project;

use super::body::GrpcBody;
use crate::model::Status;
use crate::span::Span;

pin_project! {
    /// The response future of [`GrpcServerService`](super::GrpcServerService)
    /// and [`GrpcClientService`](super::GrpcClientService).
    ///
    /// Available with the `tonic` feature.
    ///
    /// ```
    /// fn assert_future<F: std::future::Future>() {}
    /// type Inner = std::future::Ready<Result<http::Response<String>, std::convert::Infallible>>;
    /// assert_future::<tracer_core::grpc::GrpcResponseFuture<Inner>>();
    /// ```
    pub struct GrpcResponseFuture<F> {
        #[pin]
        inner: F,
        // Dropped with the future if it never completes, which finishes it.
        span: Option<Span>,
    }
}

impl<F> GrpcResponseFuture<F> {
    pub(super) fn new(inner: F, span: Span) -> GrpcResponseFuture<F> {
        GrpcResponseFuture {
            inner,
            span: Some(span),
        }
    }
}

impl<F, B, E> Future for GrpcResponseFuture<F>
where
    F: Future<Output = Result<Response<B>, E>>,
    E: fmt::Display,
{
    type Output = Result<Response<GrpcBody<B>>, E>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        let inner = this.inner;
        // A panic in `poll` drops the span while unwinding, which marks it
        // `panicked`.
        let output = ready!(match this.span.as_ref() {
            Some(span) => span.in_scope(|| inner.poll(cx)),
            None => inner.poll(cx),
        });
        let span = this.span.take();
        Poll::Ready(match output {
            Ok(response) => {
                let span = span.filter(|span| {
                    if response.status() != StatusCode::OK {
                        span.set_status(Status::error(format!("HTTP {}", response.status().as_u16())));
                    }
                    // A trailers-only response: the status is already here,
                    // and the call is over.
                    !super::record_status(span, response.headers())
                });
                Ok(response.map(|body| GrpcBody::new(body, span)))
            }
            Err(error) => {
                if let Some(span) = span {
                    span.set_attribute("error.type", std::any::type_name::<E>());
                    span.set_status(Status::error(error.to_string()));
                }
                Err(error)
            }
        })
    }
}
