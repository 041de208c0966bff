//! The `#[trace]` attribute of the `tracer` toolkit. Use it through the
//! `tracer` crate, which documents it: `tracer::trace`.
//!
//! - `parse` reads the arguments into `parse::TraceArgs` and validates
//!   them, with errors spanned at the offending token;
//! - `expand` writes the instrumented item.
//!
//! With the `enabled` feature off, the arguments are still validated but
//! the item comes back unchanged (only the `#[notrace]` and nested
//! `#[trace]` markers of an `impl` block are removed).

mod expand;
mod parse;

use proc_macro::TokenStream;

/// Instruments a function, method, or every method of an `impl` block with a
/// span. See `tracer::trace` for the arguments.
#[proc_macro_attribute]
pub fn trace(args: TokenStream, item: TokenStream) -> TokenStream {
    expand::trace(args.into(), item.into(), cfg!(feature = "enabled")).into()
}
