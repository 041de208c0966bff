//! Look at traces without a backend: a small multi-threaded async shop
//! (three checkouts on a tokio runtime, a failing card payment, a
//! recommendation call cut off by a timeout, a receipt job linking to the
//! checkouts, an index rebuilt on a plain thread) exported twice:
//!
//! - `OUT_DIR/trace.json`, a Chrome trace-event file: open it in
//!   <https://ui.perfetto.dev> (it stays in the browser) or `chrome://tracing`;
//! - `OUT_DIR/trace.html`, a waterfall page: open it in any browser.
//!
//! ```text
//! cargo run --example view -- OUT_DIR
//! ```

use std::path::PathBuf;
use std::time::Duration;

use tracer::export::{ChromeTraceExporter, HtmlExporter};
use tracer::{FutureExt, KeyValue, Span, SpanContext, SpanKind, Status, TracerProvider, in_span};

#[tokio::main(flavor = "multi_thread", worker_threads = 3)]
async fn main() {
    let Some(out_dir) = std::env::args_os().nth(1).map(PathBuf::from) else {
        eprintln!("usage: cargo run --example view -- OUT_DIR");
        std::process::exit(2);
    };
    if let Err(error) = std::fs::create_dir_all(&out_dir) {
        eprintln!("cannot create {}: {error}", out_dir.display());
        std::process::exit(1);
    }
    let chrome = ChromeTraceExporter::create(out_dir.join("trace.json")).expect("the output directory is writable");
    let html = HtmlExporter::create(out_dir.join("trace.html")).expect("the output directory is writable");
    let guard = TracerProvider::builder()
        .service_name("shop")
        .with_batch_exporter(chrome)
        .with_batch_exporter(html)
        .install()
        .expect("the only provider");

    let checkouts: Vec<_> = (1..=3).map(|order| tokio::spawn(checkout(order))).collect();
    let mut contexts = Vec::new();
    for checkout in checkouts {
        contexts.extend(checkout.await.expect("the checkout task does not panic"));
    }
    send_receipts(contexts).await;
    std::thread::spawn(rebuild_index)
        .join()
        .expect("the index thread does not panic");

    // Deliver what the batch processors hold and close both files.
    guard.shutdown().expect("both files written");
    println!(
        "wrote {} and {}",
        out_dir.join("trace.json").display(),
        out_dir.join("trace.html").display()
    );
}

/// One checkout request: returns its span's context for the receipt job.
async fn checkout(order: i64) -> Option<SpanContext> {
    let span = Span::builder("POST /checkout")
        .kind(SpanKind::Server)
        .attribute("order.id", order)
        .start();
    let context = span.context();
    async move {
        load_cart(order).in_span(Span::new("load_cart")).await;
        // Prices and stock are asked for at once, from tasks on other threads.
        let prices = tokio::spawn(price_items(order).in_span(Span::new("price_items")));
        let stock = tokio::spawn(check_stock().in_span(Span::new("check_stock")));
        let _ = tokio::join!(prices, stock);
        // The recommendations are not worth waiting for: cut off after 3 ms,
        // the span ends `cancelled`.
        let recommendations = recommendations().in_span(Span::new("recommendations"));
        let _ = tokio::time::timeout(Duration::from_millis(3), recommendations).await;
        charge_card(order)
            .in_span(Span::builder("charge_card").kind(SpanKind::Client).start())
            .await;
    }
    .in_span(span)
    .await;
    context
}

async fn load_cart(order: i64) {
    tracer::current_span().add_event("cache_miss", [KeyValue::new("key", format!("cart:{order}"))]);
    tokio::time::sleep(Duration::from_millis(2)).await;
    tracer::current_span().set_tag("cart.items", 2 + order);
}

async fn price_items(order: i64) {
    for item in 0..2 + order {
        async {
            tokio::time::sleep(Duration::from_micros(400)).await;
        }
        .in_span(
            Span::builder("fetch_price")
                .kind(SpanKind::Client)
                .attribute("item", item)
                .start(),
        )
        .await;
    }
}

async fn check_stock() {
    tokio::time::sleep(Duration::from_millis(1)).await;
}

async fn recommendations() {
    tokio::time::sleep(Duration::from_millis(20)).await;
}

async fn charge_card(order: i64) {
    tokio::time::sleep(Duration::from_millis(1)).await;
    let span = tracer::current_span();
    if order == 2 {
        span.add_event(
            "exception",
            [
                KeyValue::new("exception.type", "CardDeclined"),
                KeyValue::new("exception.message", "insufficient funds"),
            ],
        );
        span.set_status(Status::error("card declined: insufficient funds"));
    } else {
        span.set_ok();
    }
}

/// A job that sends the receipts of the checkouts: linked to each.
async fn send_receipts(checkouts: Vec<SpanContext>) {
    let mut span = Span::builder("send_receipts").root().kind(SpanKind::Producer);
    for context in checkouts {
        span = span.link(context, [KeyValue::new("reason", "receipt")]);
    }
    async {
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
    .in_span(span.start())
    .await;
}

/// Plain threads work too: the spans of this one form their own trace.
fn rebuild_index() {
    in_span("rebuild_index", |span| {
        span.set_tag("documents", 3);
        for shard in 0..3 {
            in_span("index_shard", |shard_span| {
                shard_span.set_tag("shard", shard);
                std::thread::sleep(Duration::from_micros(500));
            });
        }
    });
}
