//! `args(...)`: chosen parameters recorded as attributes, typed when they
//! convert to an attribute value, as `Debug` text otherwise.
use crate::common;

use common::{one, traced};
use tracer::{Value, trace};

#[derive(Debug)]
#[allow(dead_code)] // read through `Debug`
struct Order {
    id: u32,
}

#[trace(args(count, ratio, flag, label, owned, order, ids, r#type))]
#[allow(clippy::too_many_arguments)] // kept on the function
fn record_all(
    count: u32,
    ratio: f64,
    flag: bool,
    label: &str,
    owned: String,
    order: &Order,
    ids: Vec<u8>,
    r#type: i8,
    not_recorded: u64,
) -> u64 {
    let _ = (count, ratio, flag, label, owned, order, ids, r#type);
    not_recorded
}

#[test]
fn chosen_parameters_are_recorded_with_their_types() {
    let (_, spans) = traced(|| {
        record_all(
            3,
            0.5,
            true,
            "checkout",
            "owned".into(),
            &Order { id: 9 },
            vec![1, 2],
            -4,
            77,
        )
    });
    let span = one(&spans, "record_all");
    assert_eq!(span.attribute("count"), Some(&Value::I64(3)));
    assert_eq!(span.attribute("ratio"), Some(&Value::F64(0.5)));
    assert_eq!(span.attribute("flag"), Some(&Value::Bool(true)));
    assert_eq!(span.attribute("label"), Some(&Value::from("checkout")));
    assert_eq!(span.attribute("owned"), Some(&Value::from("owned")));
    // Not an attribute type: its `Debug` text.
    assert_eq!(span.attribute("order"), Some(&Value::from("Order { id: 9 }")));
    assert_eq!(span.attribute("ids"), Some(&Value::from("[1, 2]")));
    // Raw identifiers are recorded without `r#`.
    assert_eq!(span.attribute("type"), Some(&Value::I64(-4)));
    assert_eq!(span.attribute("not_recorded"), None);
    assert_eq!(span.attributes.len(), 8);
}

#[trace]
fn nothing_by_default(user: &str) -> usize {
    user.len()
}

#[test]
fn parameters_are_not_recorded_by_default() {
    let (_, spans) = traced(|| nothing_by_default("ada"));
    assert!(one(&spans, "nothing_by_default").attributes.is_empty());
}

#[derive(Debug)]
struct Cart {
    items: Vec<u32>,
}

impl Cart {
    #[trace(args(self, mut_param))]
    fn add(&mut self, mut mut_param: u32) -> usize {
        mut_param += 1;
        self.items.push(mut_param);
        self.items.len()
    }
}

#[test]
fn self_and_mut_parameters() {
    let (len, spans) = traced(|| Cart { items: vec![1] }.add(4));
    assert_eq!(len, 2);
    let span = one(&spans, "add");
    // Recorded at the start, before the body changes them.
    assert_eq!(span.attribute("self"), Some(&Value::from("Cart { items: [1] }")));
    assert_eq!(span.attribute("mut_param"), Some(&Value::I64(4)));
}

#[trace(args(id))]
async fn async_args(id: u64) -> u64 {
    id
}

#[trace(args(name))]
fn future_args(name: String) -> impl std::future::Future<Output = usize> {
    async move { name.len() }
}

#[test]
fn async_functions_record_their_arguments() {
    let (_, spans) =
        traced(|| futures_executor::block_on(async { async_args(5).await + future_args("abc".into()).await as u64 }));
    assert_eq!(one(&spans, "async_args").attribute("id"), Some(&Value::I64(5)));
    assert_eq!(one(&spans, "future_args").attribute("name"), Some(&Value::from("abc")));
}
