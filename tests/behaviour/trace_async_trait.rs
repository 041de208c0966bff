//! async-trait methods, with `#[trace]` inside `#[async_trait]` (it sees
//! async-trait's `Box::pin(async move { .. })` expansion) and outside it
//! (it sees the `async fn`), on methods and on whole `impl` blocks.
use crate::common;

use std::io;

use async_trait::async_trait;
use common::{assert_child_of, one};
use tracer::{FutureExt, Span, SpanData, SpanId, Status, Value, current_span_id, trace};

async fn traced_async<F: std::future::Future>(f: F) -> (F::Output, Vec<SpanData>) {
    common::exporter();
    let root = Span::root("test_root");
    let trace_id = root.trace_id().expect("recorded");
    let out = f.in_span(root).await;
    (out, common::trace(trace_id))
}

#[async_trait]
trait Store: Send + Sync {
    async fn load(&self, key: &str) -> io::Result<String>;
    async fn current(&self) -> Option<SpanId>;
    async fn save(&mut self, key: String, value: String) -> Result<(), String>;
}

struct Memory {
    items: Vec<(String, String)>,
}

#[async_trait]
impl Store for Memory {
    // `#[trace]` runs after async-trait: it instruments the boxed block.
    #[trace(kind = Client, args(key))]
    async fn load(&self, key: &str) -> io::Result<String> {
        tokio::task::yield_now().await;
        let found = self.items.iter().find(|(k, _)| k == key).map(|(_, v)| v.clone());
        let value = found.ok_or_else(|| io::Error::new(io::ErrorKind::NotFound, format!("no {key}")))?;
        Ok(value)
    }

    #[trace]
    async fn current(&self) -> Option<SpanId> {
        tokio::task::yield_now().await;
        current_span_id()
    }

    #[trace(ok = true)]
    async fn save(&mut self, key: String, value: String) -> Result<(), String> {
        if key.is_empty() {
            return Err("empty key".into());
        }
        self.items.push((key, value));
        Ok(())
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn trace_inside_async_trait() {
    let ((found, missing, current), spans) = traced_async(async {
        let mut store = Memory { items: vec![] };
        store.save("a".into(), "1".into()).await.unwrap();
        store.save(String::new(), "x".into()).await.unwrap_err();
        let store: Box<dyn Store> = Box::new(store);
        let found = store.load("a").await.unwrap();
        let missing = store.load("b").await.unwrap_err().to_string();
        (found, missing, store.current().await)
    })
    .await;
    assert_eq!((found.as_str(), missing.as_str()), ("1", "no b"));
    let root = one(&spans, "test_root");
    let loads: Vec<_> = spans.iter().filter(|s| s.name == "load").collect();
    assert_eq!(loads.len(), 2);
    for load in &loads {
        assert_child_of(load, root);
        assert_eq!(load.kind, tracer::SpanKind::Client);
    }
    assert_eq!(loads[0].attribute("key"), Some(&Value::from("a")));
    assert_eq!(loads[0].status, Status::Unset);
    assert_eq!(loads[1].status, Status::error("no b"));
    assert_eq!(current, Some(one(&spans, "current").span_id()));
    let saves: Vec<_> = spans.iter().filter(|s| s.name == "save").collect();
    assert_eq!(saves[0].status, Status::Ok);
    assert_eq!(saves[1].status, Status::error("empty key"));
}

struct Disk;

// `#[trace]` runs first, on the `async fn`s, then async-trait boxes them.
#[trace(kind = Server)]
#[async_trait]
impl Store for Disk {
    async fn load(&self, key: &str) -> io::Result<String> {
        tokio::task::yield_now().await;
        Err(io::Error::other(format!("disk: {key}")))
    }

    async fn current(&self) -> Option<SpanId> {
        tokio::task::yield_now().await;
        current_span_id()
    }

    #[notrace]
    async fn save(&mut self, _key: String, _value: String) -> Result<(), String> {
        Ok(())
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn trace_outside_async_trait_on_a_block() {
    let ((error, current), spans) = traced_async(async {
        let mut disk = Disk;
        disk.save("k".into(), "v".into()).await.unwrap();
        (disk.load("k").await.unwrap_err().to_string(), disk.current().await)
    })
    .await;
    assert_eq!(error, "disk: k");
    let load = one(&spans, "load");
    assert_eq!(load.status, Status::error("disk: k"));
    assert_eq!(load.kind, tracer::SpanKind::Server);
    assert_eq!(current, Some(one(&spans, "current").span_id()));
    assert!(spans.iter().all(|s| s.name != "save"));
}

struct Cache;

// `#[trace]` on the block, after async-trait: every method is in the
// boxed form.
#[async_trait]
#[trace]
impl Store for Cache {
    async fn load(&self, key: &str) -> io::Result<String> {
        Ok(key.to_uppercase())
    }

    async fn current(&self) -> Option<SpanId> {
        current_span_id()
    }

    #[trace(name = "cache.save")]
    async fn save(&mut self, _key: String, _value: String) -> Result<(), String> {
        Err("read only".into())
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn block_inside_async_trait() {
    let ((loaded, current), spans) = traced_async(async {
        let mut cache = Cache;
        cache.save("k".into(), "v".into()).await.unwrap_err();
        (cache.load("k").await.unwrap(), cache.current().await)
    })
    .await;
    assert_eq!(loaded, "K");
    assert_eq!(current, Some(one(&spans, "current").span_id()));
    assert_eq!(one(&spans, "cache.save").status, Status::error("read only"));
    one(&spans, "load");
}

#[async_trait(?Send)]
trait Local {
    async fn run(&self, n: u32) -> u32;
}

struct NotSend(std::rc::Rc<u32>);

#[async_trait(?Send)]
impl Local for NotSend {
    #[trace(args(n))]
    async fn run(&self, n: u32) -> u32 {
        *self.0 + n
    }
}

#[test]
fn not_send_async_trait() {
    let (out, spans) = common::traced(|| futures_executor::block_on(NotSend(std::rc::Rc::new(1)).run(2)));
    assert_eq!(out, 3);
    assert_eq!(one(&spans, "run").attribute("n"), Some(&Value::I64(2)));
}

#[test]
fn a_dropped_boxed_future_is_cancelled() {
    struct Slow;
    #[async_trait]
    impl Store for Slow {
        #[trace]
        async fn load(&self, _key: &str) -> io::Result<String> {
            std::future::pending().await
        }
        async fn current(&self) -> Option<SpanId> {
            None
        }
        async fn save(&mut self, _key: String, _value: String) -> Result<(), String> {
            Ok(())
        }
    }
    let (_, spans) = common::traced(|| {
        let mut future = Slow.load("k");
        let waker = std::task::Waker::noop();
        assert!(
            future
                .as_mut()
                .poll(&mut std::task::Context::from_waker(waker))
                .is_pending()
        );
    });
    assert_eq!(one(&spans, "load").attribute("cancelled"), Some(&Value::Bool(true)));
}

#[trace]
fn marker() {}

/// When the span starts, as the README says: inside `#[async_trait]` the
/// method returns a boxed future the span wraps at the call; outside, the
/// `async fn`'s span starts at the first poll.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_span_starts_at_the_call_inside_async_trait_and_at_the_first_poll_outside() {
    let ((), spans) = traced_async(async {
        let memory = Memory { items: Vec::new() };
        let inside = memory.current();
        marker();
        inside.await;
    })
    .await;
    let (current, marker_span) = (one(&spans, "current"), one(&spans, "marker"));
    assert!(
        current.start_time_unix_nano <= marker_span.start_time_unix_nano,
        "inside: at the call"
    );

    let ((), spans) = traced_async(async {
        let outside = Disk.current();
        marker();
        outside.await;
    })
    .await;
    let (current, marker_span) = (one(&spans, "current"), one(&spans, "marker"));
    assert!(
        marker_span.end_time_unix_nano <= current.start_time_unix_nano,
        "outside: at the first poll"
    );
}
