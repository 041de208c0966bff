//! The locals generated code introduces.
//!
//! They are mixed-site identifiers: the function's body and the attribute
//! values, which keep the caller's spans, cannot name them, so a parameter
//! called `__tracer_span` (or `span`) is still the parameter. Items are
//! looked up at the call site even for mixed-site names, and a `let` of a
//! name that is a constant or unit struct in scope would match it instead
//! of binding: the `__tracer_` prefix keeps clear of the caller's items.

use proc_macro2::Span;
use syn::Ident;

pub struct Locals {
    /// The function's span: an `EnteredSpan` in a sync function, a `Span`
    /// in a future (and the recorder closure's parameter).
    pub span: Ident,
    /// A sync function's return value.
    pub result: Ident,
    /// A future's output, in the recorder closure.
    pub output: Ident,
    /// The future a `-> impl Future` function returns.
    pub future: Ident,
}

impl Locals {
    pub fn new() -> Locals {
        Locals {
            span: mixed_site("__tracer_span"),
            result: mixed_site("__tracer_result"),
            output: mixed_site("__tracer_output"),
            future: mixed_site("__tracer_future"),
        }
    }
}

fn mixed_site(name: &str) -> Ident {
    Ident::new(name, Span::mixed_site())
}
