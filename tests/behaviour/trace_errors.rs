//! Error recording by `#[trace]`: any `Result<T, E: Display>` (however it
//! is spelled) records its `Err`; `err = false` opts out; `ok = true` sets
//! status `Ok` on success.
use crate::common;

use std::error::Error;
use std::fmt;
use std::io;

use common::{one, traced};
use tracer::{SpanData, Status, Value, trace};

fn exception(span: &SpanData) -> (String, String) {
    let event = span.event("exception").expect("an exception event");
    let text = |key| match event.attribute(key) {
        Some(Value::String(s)) => s.to_string(),
        other => panic!("{key}: {other:?}"),
    };
    (text("exception.type"), text("exception.message"))
}

#[trace]
fn io_result(fail: bool) -> io::Result<u32> {
    if fail {
        return Err(io::Error::new(io::ErrorKind::NotFound, "no such order"));
    }
    Ok(1)
}

#[test]
fn io_result_errors() {
    let (_, spans) = traced(|| (io_result(true).is_err(), io_result(false).is_ok()));
    let failed = spans.iter().find(|s| s.status.is_error()).unwrap();
    assert_eq!(failed.status, Status::error("no such order"));
    let (ty, message) = exception(failed);
    assert_eq!(ty, "std::io::error::Error");
    assert_eq!(message, "no such order");
    let fine = spans
        .iter()
        .find(|s| s.name == "io_result" && !s.status.is_error())
        .unwrap();
    assert_eq!(fine.status, Status::Unset);
    assert!(fine.events.is_empty());
}

#[derive(Debug)]
struct DbError {
    code: u16,
}

impl fmt::Display for DbError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "db error {}", self.code)
    }
}

impl Error for DbError {}

type DbResult<T> = Result<T, DbError>;

#[trace]
fn alias_result() -> DbResult<()> {
    Err(DbError { code: 42 })
}

#[test]
fn a_type_alias_is_seen_through() {
    let (_, spans) = traced(alias_result);
    let span = one(&spans, "alias_result");
    assert_eq!(span.status, Status::error("db error 42"));
    let (ty, _) = exception(span);
    assert!(ty.ends_with("DbError"), "{ty}");
}

#[trace]
fn anyhow_result(n: i32) -> anyhow::Result<i32> {
    let parsed: i32 = "not a number".parse().or_else(|_| anyhow::bail!("bad input {n}"))?;
    Ok(parsed)
}

#[test]
fn anyhow_errors() {
    let (_, spans) = traced(|| anyhow_result(5).unwrap_err());
    let span = one(&spans, "anyhow_result");
    assert_eq!(span.status, Status::error("bad input 5"));
    let (ty, message) = exception(span);
    assert_eq!(ty, "anyhow::Error");
    assert_eq!(message, "bad input 5");
}

#[trace]
fn boxed_error() -> Result<(), Box<dyn Error>> {
    let value: u8 = "300".parse()?;
    let _ = value;
    Ok(())
}

#[test]
fn boxed_dyn_errors() {
    let (_, spans) = traced(|| boxed_error().unwrap_err());
    let span = one(&spans, "boxed_error");
    assert_eq!(span.status, Status::error("number too large to fit in target type"));
}

#[trace(err = false)]
fn not_recorded() -> io::Result<()> {
    Err(io::Error::other("expected, not an error"))
}

#[test]
fn err_false_opts_out() {
    let (_, spans) = traced(|| not_recorded().unwrap_err());
    let span = one(&spans, "not_recorded");
    assert_eq!(span.status, Status::Unset);
    assert!(span.events.is_empty());
}

#[trace(ok = true)]
fn marks_ok(fail: bool) -> Result<u8, String> {
    if fail { Err("nope".into()) } else { Ok(1) }
}

#[trace(ok = true)]
fn unit_ok() {}

#[trace(ok)]
fn value_ok() -> u64 {
    3
}

#[test]
fn ok_true_sets_status_ok_on_success() {
    let (_, spans) = traced(|| {
        let _ = marks_ok(false);
        let _ = marks_ok(true);
        unit_ok();
        value_ok();
    });
    let statuses: Vec<_> = spans
        .iter()
        .filter(|s| s.name == "marks_ok")
        .map(|s| s.status.clone())
        .collect();
    assert_eq!(statuses, [Status::Ok, Status::error("nope")]);
    assert_eq!(one(&spans, "unit_ok").status, Status::Ok);
    assert_eq!(one(&spans, "value_ok").status, Status::Ok);
}

#[trace(ok = true, err = false)]
fn ok_only(fail: bool) -> Result<(), String> {
    if fail { Err("ignored".into()) } else { Ok(()) }
}

#[test]
fn ok_true_with_err_false_marks_only_success() {
    let (_, spans) = traced(|| (ok_only(false), ok_only(true)));
    let statuses: Vec<_> = spans
        .iter()
        .filter(|s| s.name == "ok_only")
        .map(|s| s.status.clone())
        .collect();
    assert_eq!(statuses, [Status::Ok, Status::Unset]);
    assert!(spans.iter().all(|s| s.events.is_empty()));
}

#[trace]
fn not_a_result() -> Option<u32> {
    None
}

#[derive(Debug)]
struct NoDisplay;

#[trace]
fn error_without_display() -> Result<(), NoDisplay> {
    Err(NoDisplay)
}

#[trace]
fn generic_error<E>(error: E) -> Result<(), E> {
    Err(error)
}

#[test]
fn values_that_are_not_displayable_results_are_left_alone() {
    let (_, spans) = traced(|| {
        let _ = not_a_result();
        let _ = error_without_display();
        // `E` has no `Display` bound here, even though `String` has one.
        let _ = generic_error(String::from("generic"));
    });
    for name in ["not_a_result", "error_without_display", "generic_error"] {
        let span = one(&spans, name);
        assert_eq!(span.status, Status::Unset, "{name}");
        assert!(span.events.is_empty(), "{name}");
    }
}

#[trace]
fn generic_display_error<E: fmt::Display>(error: E) -> Result<(), E> {
    Err(error)
}

#[test]
fn generic_errors_with_display_are_recorded() {
    let (_, spans) = traced(|| generic_display_error("generic failure"));
    assert_eq!(
        one(&spans, "generic_display_error").status,
        Status::error("generic failure")
    );
}

#[trace]
async fn async_alias() -> DbResult<u8> {
    Err(DbError { code: 7 })
}

#[trace(err = false)]
async fn async_not_recorded() -> DbResult<u8> {
    Err(DbError { code: 8 })
}

#[trace(ok = true)]
async fn async_ok() -> anyhow::Result<u8> {
    Ok(1)
}

#[test]
fn async_functions_record_the_same_way() {
    let (_, spans) = traced(|| {
        futures_executor::block_on(async {
            let _ = async_alias().await;
            let _ = async_not_recorded().await;
            let _ = async_ok().await;
        })
    });
    assert_eq!(one(&spans, "async_alias").status, Status::error("db error 7"));
    assert_eq!(one(&spans, "async_not_recorded").status, Status::Unset);
    assert_eq!(one(&spans, "async_ok").status, Status::Ok);
}

thread_local! {
    static DISPLAYED: std::cell::Cell<u32> = const { std::cell::Cell::new(0) };
}

#[derive(Debug)]
struct Counted;

impl fmt::Display for Counted {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        DISPLAYED.with(|n| n.set(n.get() + 1));
        f.write_str("counted")
    }
}

#[trace]
fn fails_counted() -> Result<(), Counted> {
    Err(Counted)
}

#[trace]
async fn fails_counted_async() -> Result<(), Counted> {
    Err(Counted)
}

#[test]
fn errors_are_formatted_only_when_recorded() {
    use tracer::attach;
    DISPLAYED.with(|n| n.set(0));
    let (_, spans) = traced(|| fails_counted().unwrap_err());
    assert_eq!(one(&spans, "fails_counted").status, Status::error("counted"));
    assert_eq!(DISPLAYED.with(std::cell::Cell::get), 1);

    let unsampled = common::unsampled_context();
    let guard = attach(unsampled);
    assert!(fails_counted().is_err());
    assert!(futures_executor::block_on(fails_counted_async()).is_err());
    drop(guard);
    assert_eq!(DISPLAYED.with(std::cell::Cell::get), 1);
}
