//! `#[trace]` on methods: `self`, `&self`, `&mut self`, `self: Box<Self>`,
//! associated functions, trait impls and trait provided methods.
use crate::common;

use common::{assert_child_of, one, traced};
use tracer::{Status, trace};

#[derive(Debug, Clone, PartialEq)]
struct Account {
    balance: i64,
    history: Vec<i64>,
}

impl Account {
    /// Doc comments stay.
    #[trace]
    pub fn open(balance: i64) -> Self {
        Account {
            balance,
            history: Vec::new(),
        }
    }

    #[trace]
    pub fn balance(&self) -> i64 {
        self.balance
    }

    #[trace]
    pub fn deposit(&mut self, amount: i64) -> Result<&mut Self, String> {
        if amount <= 0 {
            return Err(format!("invalid amount {amount}"));
        }
        self.balance += amount;
        self.history.push(amount);
        Ok(self)
    }

    #[trace]
    pub fn last(&self) -> Option<&i64> {
        self.history.last()
    }

    #[trace]
    pub fn close(self) -> Vec<i64> {
        self.history
    }

    // A boxed receiver is what this test is about (clippy would suggest
    // `self` when `#[trace]` is compiled away).
    #[allow(clippy::boxed_local)]
    #[trace]
    pub fn boxed(self: Box<Self>) -> i64 {
        self.balance
    }
}

#[test]
fn every_receiver_kind() {
    let (out, spans) = traced(|| {
        let mut account = Account::open(10);
        account.deposit(5).unwrap().deposit(7).unwrap();
        let err = account.deposit(-1).unwrap_err();
        let last = *account.last().unwrap();
        let balance = account.balance();
        let boxed = Box::new(account.clone()).boxed();
        (err, last, balance, boxed, account.close())
    });
    assert_eq!(out, ("invalid amount -1".into(), 7, 22, 22, vec![5, 7]));
    let root = one(&spans, "test_root");
    for name in ["open", "last", "balance", "boxed", "close"] {
        assert_child_of(one(&spans, name), root);
    }
    let deposits: Vec<_> = spans.iter().filter(|s| s.name == "deposit").collect();
    assert_eq!(deposits.len(), 3);
    assert_eq!(deposits[2].status, Status::error("invalid amount -1"));
}

trait Shape {
    fn area(&self) -> f64;

    #[trace]
    fn describe(&self) -> String {
        format!("area {}", self.area())
    }
}

struct Square(f64);

impl Shape for Square {
    #[trace]
    fn area(&self) -> f64 {
        self.0 * self.0
    }
}

#[test]
fn trait_impls_and_provided_methods() {
    let (text, spans) = traced(|| Square(3.0).describe());
    assert_eq!(text, "area 9");
    assert_child_of(one(&spans, "area"), one(&spans, "describe"));
}

#[test]
fn dyn_dispatch() {
    let shape: Box<dyn Shape> = Box::new(Square(2.0));
    let (text, spans) = traced(|| shape.describe());
    assert_eq!(text, "area 4");
    assert_child_of(one(&spans, "area"), one(&spans, "describe"));
}

trait Fetch {
    async fn fetch(&self, id: u32) -> Result<String, String>;

    #[trace]
    async fn fetch_twice(&self, id: u32) -> Result<String, String> {
        let first = self.fetch(id).await?;
        Ok(format!("{first}{}", self.fetch(id).await?))
    }
}

struct Remote;

impl Fetch for Remote {
    #[trace(kind = Client)]
    async fn fetch(&self, id: u32) -> Result<String, String> {
        if id == 0 {
            return Err("no id".into());
        }
        Ok(id.to_string())
    }
}

#[test]
fn native_async_trait_methods() {
    let (out, spans) =
        traced(|| futures_executor::block_on(async { (Remote.fetch_twice(4).await, Remote.fetch_twice(0).await) }));
    assert_eq!(out, (Ok("44".into()), Err("no id".into())));
    let twice: Vec<_> = spans.iter().filter(|s| s.name == "fetch_twice").collect();
    assert_eq!(twice.len(), 2);
    assert_eq!(twice[1].status, Status::error("no id"));
    let fetches: Vec<_> = spans.iter().filter(|s| s.name == "fetch").collect();
    assert_eq!(fetches.len(), 3);
    assert_child_of(fetches[0], twice[0]);
    assert_child_of(fetches[2], twice[1]);
    assert_eq!(fetches[2].kind, tracer::SpanKind::Client);
}
