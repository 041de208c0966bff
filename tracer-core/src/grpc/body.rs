//! The response body of a traced call: it ends the call's span when the
//! trailers (with `grpc-status`) arrive, the body ends, or it is dropped.

use std::pin::Pin;
use std::task::{Context, Poll, ready};

use http_body::{Body, Frame, SizeHint};
use pin_project_lite::pin_project;

use crate::model::Status;
use crate::span::Span;

pin_project! {
    /// A response body that finishes its call's span at the end of the
    /// response: on the trailers (recording `grpc-status`), at the end of
    /// the body, on a body error, or when dropped. While it is polled the
    /// span is current, so spans started while a stream's messages are made
    /// are its children.
    ///
    /// Available with the `tonic` feature.
    ///
    /// ```
    /// fn assert_body<B: http_body::Body>() {}
    /// assert_body::<tracer_core::grpc::GrpcBody<String>>();
    /// ```
    pub struct GrpcBody<B> {
        #[pin]
        inner: B,
        span: Option<Span>,
    }
}

impl<B> GrpcBody<B> {
    /// `inner`, finishing `span` (if still open) when the response ends.
    pub(super) fn new(inner: B, span: Option<Span>) -> GrpcBody<B> {
        GrpcBody { inner, span }
    }
}

impl<B: Body> Body for GrpcBody<B> {
    type Data = B::Data;
    type Error = B::Error;

    fn poll_frame(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Result<Frame<B::Data>, B::Error>>> {
        let this = self.project();
        let inner = this.inner;
        let frame = ready!(match this.span.as_ref() {
            Some(span) => span.in_scope(|| inner.poll_frame(cx)),
            None => inner.poll_frame(cx),
        });
        match &frame {
            Some(Ok(frame)) => {
                if let Some(trailers) = frame.trailers_ref() {
                    if let Some(span) = this.span.take() {
                        super::record_status(&span, trailers);
                    }
                }
            }
            Some(Err(_)) => {
                if let Some(span) = this.span.take() {
                    span.set_status(Status::error("the response body failed"));
                }
            }
            // The end: dropping the span finishes it.
            None => drop(this.span.take()),
        }
        Poll::Ready(frame)
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}
