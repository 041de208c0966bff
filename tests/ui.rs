//! Compile-fail tests for `#[trace]`'s argument and item validation: one
//! file per error, with its expected diagnostics in the `.stderr` next to
//! it. Regenerate with `TRYBUILD=overwrite cargo test --test ui` and review.

#[test]
fn ui() {
    let cases = trybuild::TestCases::new();
    cases.compile_fail("tests/ui/*.rs");
}
