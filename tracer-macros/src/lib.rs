//! The `#[trace]` attribute of the `tracer` toolkit. Use it through the
//! `tracer` crate, which documents it: `tracer::trace`.
//!
//! From attribute to code:
//!
//! - `parse` (with `attribute`) reads the arguments as written;
//! - `validate` checks them against the item, and `settings` resolves
//!   them into what one function's span gets. Every error is a
//!   `syn::Error` spanned at the offending token;
//! - `expand` dispatches on the item and picks each body's shape;
//!   `impl_block` and `markers` handle `impl` blocks and `#[notrace]`;
//! - `instrumenter`, `sync_fn`, `async_fn` and `record` write the
//!   instrumented body, reading signatures through `return_type` and naming
//!   their locals through `hygiene`;
//! - `keep_used`: with the `enabled` feature off, the arguments are still
//!   validated but the item comes back as written (only the markers of an
//!   `impl` block are removed), plus, when the arguments mention a kind
//!   path or attribute values, one dead `if false { .. }` that refers to
//!   them, so that turning the feature off brings no `unused` warnings.

mod async_fn;
mod attribute;
mod expand;
mod hygiene;
mod impl_block;
mod instrumenter;
mod keep_used;
mod markers;
mod parse;
mod record;
mod return_type;
mod settings;
mod sync_fn;
#[cfg(test)]
mod test_support;
mod validate;

use proc_macro::TokenStream;

/// Instruments a function, method, or every method of an `impl` block with a
/// span. See `tracer::trace` for the arguments.
#[proc_macro_attribute]
pub fn trace(args: TokenStream, item: TokenStream) -> TokenStream {
    expand::trace(args.into(), item.into(), cfg!(feature = "enabled")).into()
}
