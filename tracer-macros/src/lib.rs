//! The `#[trace]` attribute of the `tracer` toolkit. Use it through the
//! `tracer` crate, which documents it: `tracer::trace`.
//!
//! - `parse` reads the arguments into `parse::TraceArgs` and validates
//!   them, with errors spanned at the offending token;
//! - `expand` writes the instrumented item.
//!
//! With the `enabled` feature off, the arguments are still validated but
//! the item comes back as written (only the `#[notrace]` and nested
//! `#[trace]` markers of an `impl` block are removed), plus, when the
//! arguments mention a kind path or attribute values, one dead
//! `if false { .. }` that refers to them: whatever only they use stays used,
//! so that turning the feature off brings no `unused` warnings.

mod expand;
mod parse;

use proc_macro::TokenStream;

/// Instruments a function, method, or every method of an `impl` block with a
/// span. See `tracer::trace` for the arguments.
#[proc_macro_attribute]
pub fn trace(args: TokenStream, item: TokenStream) -> TokenStream {
    expand::trace(args.into(), item.into(), cfg!(feature = "enabled")).into()
}
