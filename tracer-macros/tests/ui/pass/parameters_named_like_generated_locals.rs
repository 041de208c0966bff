//! Parameters named like the locals `#[trace]` introduces (and like the
//! names a hand-written version would pick) stay the caller's: the
//! generated locals are mixed-site identifiers the body cannot see.
#![deny(warnings)]

use tracer::export::InMemoryExporter;
use tracer::{trace, SpanData, Status, TracerProvider, Value};

#[trace(args(span, output, result, future, guard, recorder))]
fn plain(span: i64, output: i64, result: i64, future: i64, guard: i64, recorder: i64) -> Result<i64, String> {
    if span < 0 {
        return Err(format!("negative span {span}"));
    }
    Ok(span + 10 * output + 100 * result + 1000 * future + 10000 * guard + 100000 * recorder)
}

#[trace(ok = true, args(__tracer_span, __tracer_output, __tracer_result, __tracer_future))]
fn prefixed(__tracer_span: i64, __tracer_output: i64, __tracer_result: i64, __tracer_future: i64) -> Result<i64, String> {
    Ok(__tracer_span + 10 * __tracer_output + 100 * __tracer_result + 1000 * __tracer_future)
}

#[trace(args(span, output, __tracer_span, __tracer_output))]
async fn asynchronous(span: i64, output: i64, __tracer_span: i64, __tracer_output: i64) -> Result<i64, String> {
    if span < 0 {
        return Err(format!("negative span {span}"));
    }
    Ok(span + 10 * output + 100 * __tracer_span + 1000 * __tracer_output)
}

#[trace(ok = true, args(span, future, __tracer_span, __tracer_future))]
fn returns_future(
    span: i64,
    future: i64,
    __tracer_span: i64,
    __tracer_future: i64,
) -> impl std::future::Future<Output = Result<i64, String>> {
    let sum = span + 10 * future;
    async move { Ok(sum + 100 * __tracer_span + 1000 * __tracer_future) }
}

struct Counter {
    base: i64,
}

#[trace(ok = true)]
impl Counter {
    #[trace(args(self, span, __tracer_span, __tracer_result))]
    fn method(&self, span: i64, __tracer_span: i64, __tracer_result: i64) -> Result<i64, String> {
        Ok(self.base + span + 10 * __tracer_span + 100 * __tracer_result)
    }

    fn method_mut(&mut self, output: i64, __tracer_output: i64) -> &mut i64 {
        self.base += output + 10 * __tracer_output;
        &mut self.base
    }

    async fn method_async(&self, span: i64, __tracer_span: i64, __tracer_output: i64) -> i64 {
        self.base + span + 10 * __tracer_span + 100 * __tracer_output
    }
}

impl std::fmt::Debug for Counter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Counter at {}", self.base)
    }
}

fn one<'a>(spans: &'a [SpanData], name: &str) -> &'a SpanData {
    let found: Vec<&SpanData> = spans.iter().filter(|span| span.name == name).collect();
    assert_eq!(found.len(), 1, "{name}");
    found[0]
}

fn attributes(span: &SpanData, keys: &[&str]) -> Vec<Value> {
    keys.iter().map(|key| span.attribute(key).unwrap().clone()).collect()
}

fn main() {
    let exporter = InMemoryExporter::new();
    let _provider = TracerProvider::builder()
        .with_simple_exporter(exporter.clone())
        .install()
        .unwrap();

    assert_eq!(plain(1, 2, 3, 4, 5, 6), Ok(654321));
    assert_eq!(prefixed(1, 2, 3, 4), Ok(4321));
    assert_eq!(futures_executor::block_on(asynchronous(-1, 2, 3, 4)), Err("negative span -1".to_owned()));
    assert_eq!(futures_executor::block_on(returns_future(1, 2, 3, 4)), Ok(4321));
    let mut counter = Counter { base: 5000 };
    assert_eq!(counter.method(1, 2, 3), Ok(5321));
    *counter.method_mut(1, 2) += 100000;
    assert_eq!(counter.base, 105021);
    assert_eq!(futures_executor::block_on(counter.method_async(1, 2, 3)), 105342);

    let spans = exporter.spans();
    let v = Value::from;
    let plain_span = one(&spans, "plain");
    assert_eq!(plain_span.status, Status::Unset);
    assert_eq!(
        attributes(plain_span, &["span", "output", "result", "future", "guard", "recorder"]),
        [v(1), v(2), v(3), v(4), v(5), v(6)]
    );
    let prefixed_span = one(&spans, "prefixed");
    assert_eq!(prefixed_span.status, Status::Ok);
    assert_eq!(
        attributes(prefixed_span, &["__tracer_span", "__tracer_output", "__tracer_result", "__tracer_future"]),
        [v(1), v(2), v(3), v(4)]
    );
    let async_span = one(&spans, "asynchronous");
    assert_eq!(async_span.status, Status::error("negative span -1"));
    assert_eq!(
        attributes(async_span, &["span", "output", "__tracer_span", "__tracer_output"]),
        [v(-1), v(2), v(3), v(4)]
    );
    let future_span = one(&spans, "returns_future");
    assert_eq!(future_span.status, Status::Ok);
    assert_eq!(
        attributes(future_span, &["span", "future", "__tracer_span", "__tracer_future"]),
        [v(1), v(2), v(3), v(4)]
    );
    let method_span = one(&spans, "method");
    assert_eq!(method_span.status, Status::Ok);
    assert_eq!(
        attributes(method_span, &["self", "span", "__tracer_span", "__tracer_result"]),
        [Value::from("Counter at 5000"), v(1), v(2), v(3)]
    );
    assert_eq!(one(&spans, "method_mut").status, Status::Ok);
    assert_eq!(one(&spans, "method_async").status, Status::Ok);
}
