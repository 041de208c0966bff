//! `#[trace]` on plain synchronous functions: span tree, names, timing,
//! and `return` / `?` behaving exactly as without the attribute.
use crate::common;

use std::fmt::Display;
use std::num::ParseIntError;

use common::{assert_child_of, one, traced};
use tracer::{SpanKind, Status, current_span_id, trace};

#[trace]
fn level_one() -> u32 {
    level_two_a() + level_two_b()
}

#[trace]
fn level_two_a() -> u32 {
    level_three() * 10
}

#[trace]
fn level_two_b() -> u32 {
    level_three() + 1
}

#[trace]
fn level_three() -> u32 {
    2
}

#[test]
fn nested_calls_form_a_tree_with_siblings() {
    let (value, spans) = traced(level_one);
    assert_eq!(value, 23);
    assert_eq!(spans.len(), 1 + 1 + 2 + 2, "{:?}", common::names(&spans));

    let root = one(&spans, "test_root");
    let one_ = one(&spans, "level_one");
    let a = one(&spans, "level_two_a");
    let b = one(&spans, "level_two_b");
    assert_child_of(one_, root);
    assert_child_of(a, one_);
    assert_child_of(b, one_);

    let threes: Vec<_> = spans.iter().filter(|s| s.name == "level_three").collect();
    assert_eq!(threes.len(), 2);
    assert_child_of(threes[0], a);
    assert_child_of(threes[1], b);
    assert_ne!(threes[0].span_id(), threes[1].span_id());

    // Siblings run one after the other, each inside its parent.
    assert!(a.end_time_unix_nano <= b.start_time_unix_nano);
    for child in [a, b] {
        assert!(one_.start_time_unix_nano <= child.start_time_unix_nano);
        assert!(child.end_time_unix_nano <= one_.end_time_unix_nano);
    }
    for span in [one_, a, b, threes[0], threes[1]] {
        assert_eq!(span.kind, SpanKind::Internal);
        assert_eq!(span.status, Status::Unset);
        assert!(span.end_time_unix_nano >= span.start_time_unix_nano);
    }
}

#[trace]
fn current_inside() -> Option<tracer::SpanId> {
    current_span_id()
}

#[test]
fn the_span_is_current_in_the_body_and_not_after() {
    let ((inside, before, after), spans) = traced(|| {
        let before = current_span_id();
        let inside = current_inside();
        (inside, before, current_span_id())
    });
    let span = one(&spans, "current_inside");
    assert_eq!(inside, Some(span.span_id()));
    assert_eq!(before, after);
    assert_eq!(before, Some(one(&spans, "test_root").span_id()));
}

#[trace]
fn unit_body(counter: &mut u32) {
    *counter += 1;
    if *counter > 1 {
        return;
    }
    *counter += 10;
}

#[test]
fn unit_functions_and_early_return() {
    let (counter, spans) = traced(|| {
        let mut counter = 0;
        unit_body(&mut counter);
        unit_body(&mut counter);
        counter
    });
    assert_eq!(counter, 12);
    assert_eq!(spans.iter().filter(|s| s.name == "unit_body").count(), 2);
}

#[trace]
fn early_return(n: i32) -> Result<i32, String> {
    if n < 0 {
        return Err(format!("negative: {n}"));
    }
    if n == 0 {
        return Ok(100);
    }
    Ok(n * 2)
}

#[test]
fn return_keeps_its_meaning() {
    let (results, spans) = traced(|| (early_return(-1), early_return(0), early_return(4)));
    assert_eq!(results, (Err("negative: -1".to_owned()), Ok(100), Ok(8)));
    let statuses: Vec<_> = spans
        .iter()
        .filter(|s| s.name == "early_return")
        .map(|s| s.status.clone())
        .collect();
    assert_eq!(statuses, [Status::error("negative: -1"), Status::Unset, Status::Unset]);
}

#[derive(Debug, PartialEq)]
enum AppError {
    Parse(String),
}

impl From<ParseIntError> for AppError {
    fn from(error: ParseIntError) -> AppError {
        AppError::Parse(error.to_string())
    }
}

impl Display for AppError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            AppError::Parse(message) => write!(f, "parse error: {message}"),
        }
    }
}

#[trace]
fn question_mark(input: &str) -> Result<u8, AppError> {
    // `?` converts with `From`, exactly as without the attribute.
    let n: u8 = input.trim().parse()?;
    Ok(n + 1)
}

#[test]
fn question_mark_converts_with_from() {
    let (results, spans) = traced(|| (question_mark(" 41 "), question_mark("x")));
    assert_eq!(results.0, Ok(42));
    assert_eq!(results.1, Err(AppError::Parse("invalid digit found in string".into())));
    let failed = spans
        .iter()
        .find(|s| s.name == "question_mark" && s.status.is_error())
        .unwrap();
    assert_eq!(
        failed.status,
        Status::error("parse error: invalid digit found in string")
    );
}

#[trace]
fn boxed(n: u32) -> Box<dyn Display> {
    // Returns of different concrete types, coerced to the return type.
    if n == 0 {
        return Box::new("zero");
    }
    Box::new(n)
}

#[trace]
fn opaque(n: u32) -> impl Display + Clone {
    if n > 10 {
        return n * 2;
    }
    n
}

#[trace]
fn iter_of<'a>(items: &'a [u32]) -> impl Iterator<Item = &'a u32> + 'a {
    items.iter().filter(|n| **n > 1)
}

#[test]
fn coercions_and_impl_trait_returns() {
    let (out, spans) = traced(|| {
        let items = [1, 2, 3];
        let sum: u32 = iter_of(&items).sum();
        (boxed(0).to_string(), boxed(5).to_string(), opaque(20).to_string(), sum)
    });
    assert_eq!(out, ("zero".into(), "5".into(), "40".into(), 5));
    assert_eq!(spans.iter().filter(|s| s.name == "boxed").count(), 2);
    one(&spans, "opaque");
    one(&spans, "iter_of");
}

struct User {
    name: String,
    visits: u32,
}

impl User {
    #[trace]
    fn new(name: &str) -> Self {
        User {
            name: name.to_owned(),
            visits: 0,
        }
    }

    #[trace]
    fn name(&self) -> &str {
        &self.name
    }

    #[trace]
    fn visits_mut(&mut self) -> &mut u32 {
        &mut self.visits
    }

    #[trace]
    fn first_word(&self, sep: char) -> Option<&str> {
        let word = self.name.split(sep).next()?;
        Some(word)
    }
}

#[test]
fn elided_lifetimes_and_self_returns() {
    let (out, spans) = traced(|| {
        let mut user = User::new("ada lovelace");
        *user.visits_mut() += 2;
        let name = user.name().to_owned();
        let first = user.first_word(' ').map(str::to_owned);
        (name, first, user.visits)
    });
    assert_eq!(out, ("ada lovelace".into(), Some("ada".into()), 2));
    for name in ["new", "name", "visits_mut", "first_word"] {
        assert_child_of(one(&spans, name), one(&spans, "test_root"));
    }
}

#[trace]
fn generic_free<T: Into<u64>>(value: T) -> u64 {
    value.into() + 1
}

#[trace]
fn r#match(r#type: u32) -> u32 {
    r#type
}

#[test]
fn raw_identifiers_are_named_without_prefix() {
    let (out, spans) = traced(|| (r#match(3), generic_free(4u8)));
    assert_eq!(out, (3, 5));
    one(&spans, "match");
    one(&spans, "generic_free");
}

#[trace]
fn standalone() -> u32 {
    7
}

#[test]
fn outside_any_span_the_function_starts_a_trace() {
    let exporter = common::exporter();
    assert_eq!(current_span_id(), None);
    assert_eq!(standalone(), 7);
    let spans = exporter.spans();
    let span = spans.iter().find(|s| s.name == "standalone").expect("exported");
    assert_eq!(span.parent_span_id, None);
}

#[trace]
#[track_caller]
fn caller_line() -> Result<u32, String> {
    Ok(std::panic::Location::caller().line())
}

#[test]
fn track_caller_still_reports_the_caller() {
    let (line, spans) = traced(|| (caller_line(), line!()));
    assert_eq!(line.0, Ok(line.1));
    one(&spans, "caller_line");
}

#[trace]
#[track_caller]
fn failing_caller_line() -> Result<u32, String> {
    Err(format!("failed at {}", std::panic::Location::caller().line()))
}

/// As the README says: a `#[track_caller]` function keeps its caller's
/// location, and its `Err` is not recorded (the span stays `Unset`).
#[test]
fn track_caller_errors_are_not_recorded() {
    let (result, spans) = traced(|| (failing_caller_line(), line!()));
    assert_eq!(result.0, Err(format!("failed at {}", result.1)));
    let span = one(&spans, "failing_caller_line");
    assert_eq!(span.status, Status::Unset);
    assert!(span.events.is_empty());
}
