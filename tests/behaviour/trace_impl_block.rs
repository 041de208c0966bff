//! `#[trace]` on a whole `impl` block: every method with a body is
//! instrumented with the block's settings; `#[notrace]` leaves a method
//! out; a method's own `#[trace(...)]` overrides the block's settings field
//! by field (attributes merge by key). Both markers are removed.
use crate::common;

use common::{assert_child_of, one, traced};
use tracer::{SpanKind, Status, Value, trace};

#[derive(Default)]
struct Repo {
    rows: Vec<u32>,
}

#[trace(kind = Client, attributes(db.system = "memory", db.shard = 1))]
impl Repo {
    /// Associated functions too.
    pub fn new() -> Self {
        Repo::default()
    }

    pub fn insert(&mut self, row: u32) -> Result<usize, String> {
        if row == 0 {
            return Err("zero row".into());
        }
        self.rows.push(row);
        Ok(self.rows.len())
    }

    #[notrace]
    pub fn len(&self) -> usize {
        self.rows.len()
    }

    #[trace(name = "repo.find", kind = Server, args(row), attributes(db.shard = 2, db.op = "find"))]
    pub fn find(&self, row: u32) -> Option<usize> {
        self.rows.iter().position(|r| *r == row)
    }

    #[tracer::trace(err = false)]
    pub fn insert_quietly(&mut self, row: u32) -> Result<usize, String> {
        self.insert(row)
    }

    pub async fn count_async(&self) -> usize {
        self.len()
    }

    // A `const fn` cannot be instrumented: the block leaves it alone.
    pub const fn capacity_hint() -> usize {
        16
    }
}

#[test]
fn every_method_is_instrumented_with_the_block_settings() {
    let (out, spans) = traced(|| {
        let mut repo = Repo::new();
        repo.insert(3).unwrap();
        let err = repo.insert(0).unwrap_err();
        (
            err,
            repo.len(),
            futures_executor::block_on(repo.count_async()),
            Repo::capacity_hint(),
        )
    });
    assert_eq!(out, ("zero row".into(), 1, 1, 16));
    let root = one(&spans, "test_root");
    let new = one(&spans, "new");
    assert_child_of(new, root);
    let inserts: Vec<_> = spans.iter().filter(|s| s.name == "insert").collect();
    assert_eq!(inserts.len(), 2);
    assert_eq!(inserts[1].status, Status::error("zero row"));
    for span in [new, inserts[0], inserts[1], one(&spans, "count_async")] {
        assert_eq!(span.kind, SpanKind::Client, "{}", span.name);
        assert_eq!(
            span.attribute("db.system"),
            Some(&Value::from("memory")),
            "{}",
            span.name
        );
        assert_eq!(span.attribute("db.shard"), Some(&Value::I64(1)), "{}", span.name);
    }
    // `#[notrace]`: no span, also not for the call from `count_async`.
    assert!(spans.iter().all(|s| s.name != "len"));
    assert!(spans.iter().all(|s| s.name != "capacity_hint"));
}

#[test]
fn a_method_attribute_overrides_field_by_field() {
    let (_, spans) = traced(|| {
        let mut repo = Repo::new();
        repo.insert(5).unwrap();
        assert_eq!(repo.find(5), Some(0));
        assert!(repo.insert_quietly(0).is_err());
    });
    let find = one(&spans, "repo.find");
    assert_eq!(find.kind, SpanKind::Server);
    assert_eq!(find.attribute("row"), Some(&Value::I64(5)));
    // Merged by key: the method's `db.shard` wins, the block's
    // `db.system` stays.
    assert_eq!(find.attribute("db.shard"), Some(&Value::I64(2)));
    assert_eq!(find.attribute("db.system"), Some(&Value::from("memory")));
    assert_eq!(find.attribute("db.op"), Some(&Value::from("find")));

    let quiet = one(&spans, "insert_quietly");
    // `err = false` from the method; `kind` still from the block.
    assert_eq!(quiet.status, Status::Unset);
    assert_eq!(quiet.kind, SpanKind::Client);
    // The inner `insert` call still records its own error.
    let inner = spans
        .iter()
        .find(|s| s.name == "insert" && s.parent_span_id == Some(quiet.span_id()))
        .unwrap();
    assert_eq!(inner.status, Status::error("zero row"));
}

trait Greeter {
    fn greet(&self, name: &str) -> String;
    fn farewell(&self) -> &'static str {
        "bye"
    }
}

struct English;

#[trace(root)]
impl Greeter for English {
    fn greet(&self, name: &str) -> String {
        format!("hello {name}")
    }
}

#[test]
fn trait_impls_and_block_level_root() {
    let (greeting, spans) = traced(|| English.greet("ada"));
    assert_eq!(greeting, "hello ada");
    // `root` from the block: a new trace, not in the caller's.
    assert!(spans.iter().all(|s| s.name != "greet"));
    let greets = common::exporter().spans_named("greet");
    assert_eq!(greets.len(), 1);
    assert_eq!(greets[0].parent_span_id, None);
    assert_ne!(greets[0].trace_id(), one(&spans, "test_root").trace_id());
    assert_eq!(English.farewell(), "bye");
}

struct Generic<T>(T);

#[trace]
impl<T: Clone + std::fmt::Debug> Generic<T>
where
    T: PartialEq,
{
    fn get(&self) -> T {
        self.0.clone()
    }

    fn same(&self, other: &T) -> bool {
        self.0 == *other
    }
}

#[test]
fn generic_blocks() {
    let (out, spans) = traced(|| {
        let g = Generic(4u8);
        (g.get(), g.same(&4))
    });
    assert_eq!(out, (4, true));
    one(&spans, "get");
    one(&spans, "same");
}
