//! `attributes(...)` and its synonym `tags(...)`: keys as identifiers,
//! dotted identifiers or string literals; values are any expression,
//! evaluated only when the span is recorded.
use crate::common;

use std::cell::Cell;

use common::{one, traced};
use tracer::{Value, attach, trace};

#[derive(Debug)]
enum Method {
    Get,
}

#[trace(attributes(
    user = user,
    http.method = Method::Get,
    "http.route" = "/cart/{id}",
    cart.size = items.len(),
    cart.total = items.iter().sum::<u32>() as f64 / 2.0,
    cart.empty = items.is_empty(),
    r#type = "raw",
    greeting = format!("hi {user}"),
))]
fn checkout(user: &str, items: Vec<u32>) -> usize {
    items.len()
}

#[test]
fn attributes_are_typed_with_a_debug_fallback() {
    let (_, spans) = traced(|| checkout("ada", vec![3, 4]));
    let span = one(&spans, "checkout");
    assert_eq!(span.attribute("user"), Some(&Value::from("ada")));
    assert_eq!(span.attribute("http.method"), Some(&Value::from("Get")));
    assert_eq!(span.attribute("http.route"), Some(&Value::from("/cart/{id}")));
    assert_eq!(span.attribute("cart.size"), Some(&Value::I64(2)));
    assert_eq!(span.attribute("cart.total"), Some(&Value::F64(3.5)));
    assert_eq!(span.attribute("cart.empty"), Some(&Value::Bool(false)));
    assert_eq!(span.attribute("type"), Some(&Value::from("raw")));
    assert_eq!(span.attribute("greeting"), Some(&Value::from("hi ada")));
    // In the order written.
    let keys: Vec<&str> = span.attributes.iter().map(|kv| kv.key.as_str()).collect();
    assert_eq!(
        keys,
        [
            "user",
            "http.method",
            "http.route",
            "cart.size",
            "cart.total",
            "cart.empty",
            "type",
            "greeting"
        ]
    );
}

#[trace(tags(component = "db", db.rows = rows), args(table))]
fn query(table: &str, rows: i64) -> i64 {
    let _ = table;
    rows
}

#[test]
fn tags_is_a_synonym_and_combines_with_args() {
    let (_, spans) = traced(|| query("orders", 12));
    let span = one(&spans, "query");
    assert_eq!(span.attribute("component"), Some(&Value::from("db")));
    assert_eq!(span.attribute("db.rows"), Some(&Value::I64(12)));
    assert_eq!(span.attribute("table"), Some(&Value::from("orders")));
}

thread_local! {
    static EVALUATED: Cell<u32> = const { Cell::new(0) };
}

fn expensive() -> u32 {
    EVALUATED.with(|n| n.set(n.get() + 1));
    1
}

#[trace(attributes(costly = expensive()))]
fn lazy() -> u32 {
    5
}

#[trace(attributes(costly = expensive()))]
async fn lazy_async() -> u32 {
    5
}

#[test]
fn attributes_are_evaluated_only_when_recorded() {
    EVALUATED.with(|n| n.set(0));
    let (_, spans) = traced(lazy);
    assert_eq!(one(&spans, "lazy").attribute("costly"), Some(&Value::I64(1)));
    assert_eq!(EVALUATED.with(Cell::get), 1);

    // Under a local parent that is not sampled, nothing is recorded and the
    // expression is not evaluated.
    let unsampled = common::unsampled_context();
    let guard = attach(unsampled);
    assert_eq!(lazy(), 5);
    assert_eq!(futures_executor::block_on(lazy_async()), 5);
    drop(guard);
    assert_eq!(EVALUATED.with(Cell::get), 1);
}

struct Conn {
    peer: &'static str,
}

impl Conn {
    #[trace(attributes(net.peer = self.peer, net.peer_len = self.peer.len()))]
    fn send(&self, bytes: &[u8]) -> usize {
        bytes.len()
    }
}

#[test]
fn attributes_can_read_self() {
    let (_, spans) = traced(|| Conn { peer: "10.0.0.1" }.send(b"abc"));
    let span = one(&spans, "send");
    assert_eq!(span.attribute("net.peer"), Some(&Value::from("10.0.0.1")));
    assert_eq!(span.attribute("net.peer_len"), Some(&Value::I64(8)));
}
