//! Items of the caller's named like the types the runtime uses (`Span`,
//! `Outcome`) and like the prelude's (`Result`, `Option`) do not change
//! what `#[trace]` generates: it reaches everything through absolute paths.
#![deny(warnings)]

use std::fmt;

use tracer::export::InMemoryExporter;
use tracer::{trace, SpanData, Status, TracerProvider, Value};

/// The caller's own `Span`: a stretch of road, not a tracing span.
#[derive(Debug)]
struct Span {
    miles: u32,
}

#[derive(Debug, PartialEq)]
enum Outcome {
    Delivered,
    Lost,
}

impl fmt::Display for Outcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "parcel {self:?}")
    }
}

type Result<T> = ::core::result::Result<T, Outcome>;

#[derive(Debug, PartialEq)]
struct Option(u32);

#[trace(args(span, option), attributes(miles = span.miles))]
fn deliver(span: Span, option: Option) -> Result<Outcome> {
    if span.miles > option.0 {
        return Err(Outcome::Lost);
    }
    Ok(Outcome::Delivered)
}

#[trace(ok = true, err = false, args(span))]
fn plan(span: &Span) -> Result<Option> {
    if span.miles == 0 {
        return Err(Outcome::Lost);
    }
    Ok(Option(span.miles * 2))
}

#[trace(err, ok = true, attributes(limit = option.0))]
async fn deliver_later(span: Span, option: Option) -> Result<Outcome> {
    deliver(span, option)
}

struct Depot;

#[trace(ok = true)]
impl Depot {
    #[trace(args(option))]
    fn route(&self, option: Option) -> Option {
        Option(option.0 + 1)
    }

    async fn send(&self, span: Span) -> Result<Span> {
        Ok(span)
    }
}

/// Without the prelude, anything the generated code named without an
/// absolute path would not resolve.
#[no_implicit_prelude]
mod without_prelude {
    #[::tracer::trace(ok = true, args(miles))]
    pub fn measure(miles: u32) -> ::core::result::Result<u32, ::std::string::String> {
        if miles == 0 {
            return ::core::result::Result::Err(::std::borrow::ToOwned::to_owned("no distance"));
        }
        ::core::result::Result::Ok(miles)
    }

    #[::tracer::trace(attributes(double = miles * 2))]
    pub async fn measure_later(miles: u32) -> ::core::option::Option<u32> {
        ::core::option::Option::Some(miles)
    }
}

fn spans_named<'a>(spans: &'a [SpanData], name: &str) -> Vec<&'a SpanData> {
    spans.iter().filter(|span| span.name == name).collect()
}

fn main() {
    let exporter = InMemoryExporter::new();
    let _provider = TracerProvider::builder()
        .with_simple_exporter(exporter.clone())
        .install()
        .unwrap();

    assert_eq!(deliver(Span { miles: 3 }, Option(5)), Ok(Outcome::Delivered));
    assert_eq!(plan(&Span { miles: 0 }), Err(Outcome::Lost));
    assert_eq!(plan(&Span { miles: 4 }), Ok(Option(8)));
    assert_eq!(
        futures_executor::block_on(deliver_later(Span { miles: 9 }, Option(2))),
        Err(Outcome::Lost)
    );
    assert_eq!(Depot.route(Option(1)), Option(2));
    assert_eq!(futures_executor::block_on(Depot.send(Span { miles: 7 })).map(|span| span.miles), Ok(7));
    assert_eq!(without_prelude::measure(0), Err("no distance".to_owned()));
    assert_eq!(futures_executor::block_on(without_prelude::measure_later(6)), Some(6));

    let spans = exporter.spans();
    let deliveries = spans_named(&spans, "deliver");
    assert_eq!(deliveries.len(), 2);
    assert_eq!(deliveries[0].status, Status::Unset);
    assert_eq!(deliveries[0].attribute("span"), Some(&Value::from("Span { miles: 3 }")));
    assert_eq!(deliveries[0].attribute("option"), Some(&Value::from("Option(5)")));
    assert_eq!(deliveries[0].attribute("miles"), Some(&Value::from(3)));
    assert_eq!(deliveries[1].status, Status::error("parcel Lost"));
    let plans = spans_named(&spans, "plan");
    // `err = false`: the `Err` is not recorded, the `Ok` is.
    assert_eq!(plans.iter().map(|span| span.status.clone()).collect::<Vec<_>>(), [Status::Unset, Status::Ok]);
    assert!(plans[0].events.is_empty());
    assert_eq!(plans[1].attribute("span"), Some(&Value::from("Span { miles: 4 }")));
    let later = spans_named(&spans, "deliver_later");
    assert_eq!(later[0].status, Status::error("parcel Lost"));
    assert_eq!(later[0].attribute("limit"), Some(&Value::from(2)));
    let route = spans_named(&spans, "route");
    assert_eq!(route[0].status, Status::Ok);
    assert_eq!(route[0].attribute("option"), Some(&Value::from("Option(1)")));
    assert_eq!(spans_named(&spans, "send")[0].status, Status::Ok);
    assert_eq!(spans_named(&spans, "measure")[0].status, Status::error("no distance"));
    assert_eq!(spans_named(&spans, "measure")[0].attribute("miles"), Some(&Value::from(0)));
    assert_eq!(spans_named(&spans, "measure_later")[0].attribute("double"), Some(&Value::from(12)));
}
