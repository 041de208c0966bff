//! `name = "..."` and `kind = ...`.
use crate::common;

use common::{one, traced};
use tracer::{SpanKind, trace};

#[trace(name = "orders.checkout")]
fn renamed() {}

#[trace(kind = SpanKind::Server)]
fn server() {}

#[trace(kind = Client)]
fn client() {}

#[trace(kind = tracer::SpanKind::Producer)]
fn producer() {}

#[trace(kind = Consumer, name = "consume")]
async fn consumer() {}

#[trace(kind = Internal)]
fn internal() {}

#[test]
fn name_and_kind() {
    let (_, spans) = traced(|| {
        renamed();
        server();
        client();
        producer();
        futures_executor::block_on(consumer());
        internal();
    });
    assert!(spans.iter().all(|s| s.name != "renamed"));
    assert_eq!(one(&spans, "orders.checkout").kind, SpanKind::Internal);
    assert_eq!(one(&spans, "server").kind, SpanKind::Server);
    assert_eq!(one(&spans, "client").kind, SpanKind::Client);
    assert_eq!(one(&spans, "producer").kind, SpanKind::Producer);
    assert_eq!(one(&spans, "consume").kind, SpanKind::Consumer);
    assert_eq!(one(&spans, "internal").kind, SpanKind::Internal);
}

#[cfg_attr(feature = "enabled", deny(unused_imports))]
mod imported_for_the_attribute_only {
    // `SpanKind` is used by the attribute: no "unused import" warning.
    use tracer::{SpanKind, trace};

    #[trace(kind = SpanKind::Producer)]
    pub fn produce() {}
}

#[test]
fn a_kind_path_is_resolved_where_written() {
    let (_, spans) = traced(imported_for_the_attribute_only::produce);
    assert_eq!(one(&spans, "produce").kind, SpanKind::Producer);
}
