//! Helpers for the unit tests: `#[trace]` expanded to a string.

use proc_macro2::TokenStream;

use crate::expand::trace;

/// The expansion of `#[trace(args)] item`.
pub fn expand(args: TokenStream, item: TokenStream, enabled: bool) -> String {
    trace(args, item, enabled).to_string()
}

/// The expansion, which must report an error.
pub fn expect_error(args: TokenStream, item: TokenStream, enabled: bool) -> String {
    let output = expand(args, item, enabled);
    assert!(output.contains("compile_error"), "expected an error, got {output}");
    output
}
