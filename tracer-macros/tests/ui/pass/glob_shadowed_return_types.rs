//! Return types shadowed by a glob import: this crate's own `Result` and
//! `Option` are used as written, and the generated code names neither.
#![deny(warnings)]

use tracer::export::InMemoryExporter;
use tracer::{trace, SpanData, Status, TracerProvider, Value};

mod model {
    use std::fmt;

    #[derive(Debug, PartialEq)]
    pub struct Error(pub &'static str);

    impl fmt::Display for Error {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            write!(f, "model error: {}", self.0)
        }
    }

    /// Shadows the prelude's `Result`, as `std::io::Result` would.
    pub type Result<T> = ::core::result::Result<T, Error>;

    /// Shadows the prelude's `Option`; it is no `Result`, so it is never an
    /// error.
    #[derive(Debug, PartialEq)]
    pub enum Option {
        Found(u32),
        Missing,
    }
}

use model::*;

#[trace(args(text))]
fn parse(text: &str) -> Result<u32> {
    text.parse().map_err(|_| Error("not a number"))
}

#[trace(ok = true)]
fn find(id: u32) -> Option {
    if id == 1 {
        Option::Found(10)
    } else {
        Option::Missing
    }
}

#[trace]
async fn load(text: &str) -> Result<u32> {
    let n = parse(text)?;
    Ok(n * 2)
}

#[trace(ok = true, args(id))]
async fn lookup(id: u32) -> Option {
    find(id)
}

#[trace(ok = true)]
fn later(text: &'static str) -> impl ::core::future::Future<Output = Result<u32>> {
    async move { parse(text) }
}

fn statuses(spans: &[SpanData], name: &str) -> Vec<Status> {
    spans.iter().filter(|span| span.name == name).map(|span| span.status.clone()).collect()
}

fn main() {
    let exporter = InMemoryExporter::new();
    let _provider = TracerProvider::builder()
        .with_simple_exporter(exporter.clone())
        .install()
        .unwrap();

    assert_eq!(parse("7"), Ok(7));
    assert_eq!(parse("x"), Err(Error("not a number")));
    assert_eq!(find(1), Option::Found(10));
    assert_eq!(futures_executor::block_on(load("4")), Ok(8));
    assert_eq!(futures_executor::block_on(load("y")), Err(Error("not a number")));
    assert_eq!(futures_executor::block_on(lookup(2)), Option::Missing);
    assert_eq!(futures_executor::block_on(later("z")), Err(Error("not a number")));

    let spans = exporter.spans();
    let error = Status::error("model error: not a number");
    assert_eq!(
        statuses(&spans, "parse"),
        [Status::Unset, error.clone(), Status::Unset, error.clone(), error.clone()]
    );
    let texts: Vec<&Value> = spans
        .iter()
        .filter(|span| span.name == "parse")
        .map(|span| span.attribute("text").unwrap())
        .collect();
    assert_eq!(
        texts,
        [&Value::from("7"), &Value::from("x"), &Value::from("4"), &Value::from("y"), &Value::from("z")]
    );
    assert_eq!(statuses(&spans, "find"), [Status::Ok, Status::Ok]);
    assert_eq!(statuses(&spans, "load"), [Status::Unset, error.clone()]);
    assert_eq!(statuses(&spans, "lookup"), [Status::Ok]);
    assert_eq!(spans.iter().find(|span| span.name == "lookup").unwrap().attribute("id"), Some(&Value::from(2_i64)));
    assert_eq!(statuses(&spans, "later"), [error]);
}
